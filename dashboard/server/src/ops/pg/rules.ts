// The rule set in PostgreSQL: one json document with a version, saved with optimistic concurrency.
import { OpsValidationError, RuleSetConflictError } from '../errors.ts';
import type { RuleRepository, RuleSet } from '../repositories.ts';
import type { Encoded } from '../rows/encoded.ts';
import { toRuleSet, type RuleSetRow } from '../rows/rules.ts';
import type { PgConnection } from './connection.ts';

/** As PostgreSQL returns it: the rules as json text (connection.ts). */
type PgRuleSetRow = Encoded<RuleSetRow, { rules: string }>;

const decodeRuleSet = (row: PgRuleSetRow): RuleSet => toRuleSet({ ...row, rules: JSON.parse(row.rules) });

const COLUMNS = 'version, rules, updated_at, updated_by';

export class PgRuleRepository implements RuleRepository {
  constructor(private readonly db: PgConnection) {}

  async getRuleSet(): Promise<RuleSet | undefined> {
    const row = await this.db.one<PgRuleSetRow>(`SELECT ${COLUMNS} FROM rule_set WHERE id = 1`);
    return row ? decodeRuleSet(row) : undefined;
  }

  async saveRuleSet(rules: unknown[], by: string, expectedVersion: number, atMs = Date.now()): Promise<RuleSet> {
    if (!Array.isArray(rules)) throw new OpsValidationError('rules: expected an array');
    if (!Number.isInteger(expectedVersion) || expectedVersion < 0) throw new OpsValidationError(`expectedVersion: expected an integer >= 0 (got ${expectedVersion})`);
    const text = JSON.stringify(rules);
    const row =
      expectedVersion === 0
        ? await this.db.one<PgRuleSetRow>(
            `INSERT INTO rule_set (id, version, rules, updated_at, updated_by) VALUES (1, 1, $1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
            [text, atMs, by],
          )
        : await this.db.one<PgRuleSetRow>(
            `UPDATE rule_set SET version = version + 1, rules = $1, updated_at = $2, updated_by = $3 WHERE id = 1 AND version = $4 RETURNING ${COLUMNS}`,
            [text, atMs, by, expectedVersion],
          );
    if (row) return decodeRuleSet(row);
    throw new RuleSetConflictError(expectedVersion, (await this.getRuleSet())?.version ?? 0);
  }
}
