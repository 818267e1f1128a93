// The audit trail: who did what to which entity, with what it was before and after (JSON). Append
// only: nothing here updates or deletes a row. Admins read it and export it as CSV.
import type Database from 'better-sqlite3';
import type { AuditEntry } from '@city/shared';
import { StatementCache, clampLimit, json, parseJson, type SqliteConnection } from './db.ts';
import { OpsValidationError } from './errors.ts';
import { AUDIT_LIST_LIMIT, type AuditFilter, type AuditRepository, type NewAuditEntry } from './repositories.ts';
import type { Encoded } from './rows/encoded.ts';
import { toAuditEntry, type AuditRow } from './rows/audit.ts';

/** As SQLite returns it: before/after as JSON text or NULL. */
type SqliteAuditRow = Encoded<AuditRow, { before: string | null; after: string | null }>;

const decodeEntry = (row: SqliteAuditRow): AuditEntry => toAuditEntry({ ...row, before: parseJson(row.before), after: parseJson(row.after) });

export class SqliteAuditRepository implements AuditRepository {
  private readonly insert: Database.Statement;
  private readonly filtered: StatementCache;

  constructor(private readonly conn: SqliteConnection) {
    this.insert = conn.db.prepare(
      'INSERT INTO audit_log (at, actor, action, entity_type, entity_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *',
    );
    this.filtered = new StatementCache(conn.db);
  }

  async append(entry: NewAuditEntry): Promise<AuditEntry> {
    checkAuditEntry(entry);
    return this.conn.run(() =>
      decodeEntry(
        this.insert.get(entry.at ?? Date.now(), entry.actor, entry.action, entry.entityType, entry.entityId, json(entry.before), json(entry.after)) as SqliteAuditRow,
      ),
    );
  }

  async list(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const limit = clampLimit(filter.limit, AUDIT_LIST_LIMIT);
    const where: string[] = [];
    const params: unknown[] = [];
    const equal = { entity_type: filter.entityType, entity_id: filter.entityId, actor: filter.actor, action: filter.action };
    for (const [column, value] of Object.entries(equal)) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    if (filter.since !== undefined) {
      where.push('at >= ?');
      params.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('at < ?');
      params.push(filter.until);
    }
    if (filter.afterId !== undefined) {
      where.push('id > ?');
      params.push(filter.afterId);
    }
    const order = filter.order === 'asc' ? 'ASC' : 'DESC';
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${order} LIMIT ?`;
    return this.conn.run(() => (this.filtered.get(sql).all(...params, limit) as SqliteAuditRow[]).map(decodeEntry));
  }

  iterate(filter: Omit<AuditFilter, 'limit' | 'order' | 'afterId'> = {}, pageSize = 1000): AsyncIterable<AuditEntry> {
    return iterateAudit(this, filter, pageSize);
  }
}

// ---- helpers for any AuditRepository ----

/** OpsValidationError unless who, what and which entity are named. */
export function checkAuditEntry(entry: NewAuditEntry): void {
  for (const key of ['actor', 'action', 'entityType', 'entityId'] as const) {
    if (typeof entry[key] !== 'string' || entry[key] === '') throw new OpsValidationError(`audit ${key}: expected a non-empty string`);
  }
}

/** Every entry matching `filter`, oldest first, read through `audit.list` a page at a time (by id). */
export async function* iterateAudit(
  audit: Pick<AuditRepository, 'list'>,
  filter: Omit<AuditFilter, 'limit' | 'order' | 'afterId'>,
  pageSize: number,
): AsyncIterable<AuditEntry> {
  let afterId = 0;
  for (;;) {
    const page = await audit.list({ ...filter, afterId, order: 'asc', limit: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    afterId = page[page.length - 1]!.id;
  }
}

/** The fields that differ between two versions of an object, each side only those (evidence one level deeper). */
export function changedFields(before: object, after: object, ignore: readonly string[] = ['updatedAt']): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const out = { before: {} as Record<string, unknown>, after: {} as Record<string, unknown> };
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (ignore.includes(key) || JSON.stringify(b[key]) === JSON.stringify(a[key])) continue;
    if (key === 'evidence' && isObject(b[key]) && isObject(a[key])) {
      const inner = changedFields(b[key], a[key], []);
      out.before[key] = inner.before;
      out.after[key] = inner.after;
    } else {
      if (b[key] !== undefined) out.before[key] = b[key];
      if (a[key] !== undefined) out.after[key] = a[key];
    }
  }
  return out;
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null && !Array.isArray(value);

// ---- CSV export ----

export const AUDIT_CSV_HEADER = ['id', 'at', 'actor', 'action', 'entity_type', 'entity_id', 'before', 'after'] as const;

/**
 * One CSV field (RFC 4180 quoting). A leading = + - @ tab or CR is prefixed with ' so a spreadsheet
 * does not run it as a formula: entity ids and comment texts come from users (OWASP CSV injection).
 */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function auditCsvRow(entry: AuditEntry): string {
  return [
    entry.id,
    new Date(entry.at).toISOString(),
    entry.actor,
    entry.action,
    entry.entityType,
    entry.entityId,
    entry.before === undefined ? undefined : JSON.stringify(entry.before),
    entry.after === undefined ? undefined : JSON.stringify(entry.after),
  ]
    .map(csvField)
    .join(',');
}

/** The header line then one line per entry, oldest first, each ending in CRLF; for streaming to a response. */
export async function* exportAuditCsv(audit: AuditRepository, filter: Omit<AuditFilter, 'limit' | 'order' | 'afterId'> = {}): AsyncIterable<string> {
  yield AUDIT_CSV_HEADER.join(',') + '\r\n';
  for await (const entry of audit.iterate(filter)) yield auditCsvRow(entry) + '\r\n';
}
