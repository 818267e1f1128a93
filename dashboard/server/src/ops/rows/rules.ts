// The rule-set row as both stores read it, the rules decoded, and the one mapping to a RuleSet.
import type { RuleSet } from '../repositories.ts';

export interface RuleSetRow {
  version: number;
  rules: unknown[];
  updated_at: number;
  updated_by: string;
}

export const toRuleSet = (row: RuleSetRow): RuleSet => ({
  version: row.version,
  rules: row.rules,
  updatedAt: row.updated_at,
  updatedBy: row.updated_by,
});
