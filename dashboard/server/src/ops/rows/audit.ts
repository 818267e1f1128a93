// Audit rows as both stores read them, before/after decoded (undefined for SQL NULL, so a stored JSON
// null stays null), and the one mapping to an AuditEntry.
import type { AuditEntry } from '@city/shared';

export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string;
  /** undefined: the column is NULL */
  before: unknown;
  /** undefined: the column is NULL */
  after: unknown;
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  const entry: AuditEntry = {
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
  };
  if (row.before !== undefined) entry.before = row.before;
  if (row.after !== undefined) entry.after = row.after;
  return entry;
}
