// The audit trail in PostgreSQL: append only. before/after are json columns kept as written.
import type { AuditEntry } from '@city/shared';
import { clampLimit, json, parseJson } from '../db.ts';
import { checkAuditEntry, iterateAudit } from '../audit.ts';
import { AUDIT_LIST_LIMIT, type AuditFilter, type AuditRepository, type NewAuditEntry } from '../repositories.ts';
import type { Encoded } from '../rows/encoded.ts';
import { toAuditEntry, type AuditRow } from '../rows/audit.ts';
import type { PgConnection } from './connection.ts';

/** As PostgreSQL returns it: before/after as json text (connection.ts) or NULL. */
type PgAuditRow = Encoded<AuditRow, { before: string | null; after: string | null }>;

const decodeEntry = (row: PgAuditRow): AuditEntry => toAuditEntry({ ...row, before: parseJson(row.before), after: parseJson(row.after) });

export class PgAuditRepository implements AuditRepository {
  constructor(private readonly db: PgConnection) {}

  async append(entry: NewAuditEntry): Promise<AuditEntry> {
    checkAuditEntry(entry);
    const row = await this.db.one<PgAuditRow>(
      'INSERT INTO audit_log (at, actor, action, entity_type, entity_id, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *',
      [entry.at ?? Date.now(), entry.actor, entry.action, entry.entityType, entry.entityId, json(entry.before), json(entry.after)],
    );
    return decodeEntry(row!);
  }

  async list(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const limit = clampLimit(filter.limit, AUDIT_LIST_LIMIT);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      if (value === undefined) return;
      params.push(value);
      where.push(`${sql} $${params.length}`);
    };
    add('entity_type =', filter.entityType);
    add('entity_id =', filter.entityId);
    add('actor =', filter.actor);
    add('action =', filter.action);
    add('at >=', filter.since);
    add('at <', filter.until);
    add('id >', filter.afterId);
    params.push(limit);
    const order = filter.order === 'asc' ? 'ASC' : 'DESC';
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${order} LIMIT $${params.length}`;
    return (await this.db.rows<PgAuditRow>(sql, params)).map(decodeEntry);
  }

  iterate(filter: Omit<AuditFilter, 'limit' | 'order' | 'afterId'> = {}, pageSize = 1000): AsyncIterable<AuditEntry> {
    return iterateAudit(this, filter, pageSize);
  }
}
