// The audit trail in PostgreSQL: append only. before/after are json columns kept as written.
import type { AuditEntry } from '@city/shared';
import { clampLimit, json, parseJson } from '../db.ts';
import { OpsValidationError } from '../errors.ts';
import { AUDIT_LIST_LIMIT, type AuditFilter, type AuditRepository, type NewAuditEntry } from '../repositories.ts';
import type { PgConnection } from './connection.ts';

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string;
  before: string | null;
  after: string | null;
}

function toEntry(row: AuditRow): AuditEntry {
  const entry: AuditEntry = {
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
  };
  if (row.before !== null) entry.before = parseJson(row.before);
  if (row.after !== null) entry.after = parseJson(row.after);
  return entry;
}

export class PgAuditRepository implements AuditRepository {
  constructor(private readonly db: PgConnection) {}

  async append(entry: NewAuditEntry): Promise<AuditEntry> {
    for (const key of ['actor', 'action', 'entityType', 'entityId'] as const) {
      if (typeof entry[key] !== 'string' || entry[key] === '') throw new OpsValidationError(`audit ${key}: expected a non-empty string`);
    }
    const row = await this.db.one<AuditRow>(
      'INSERT INTO audit_log (at, actor, action, entity_type, entity_id, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *',
      [entry.at ?? Date.now(), entry.actor, entry.action, entry.entityType, entry.entityId, json(entry.before), json(entry.after)],
    );
    return toEntry(row!);
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
    return (await this.db.rows<AuditRow>(sql, params)).map(toEntry);
  }

  async *iterate(filter: Omit<AuditFilter, 'limit' | 'order' | 'afterId'> = {}, pageSize = 1000): AsyncIterable<AuditEntry> {
    let afterId = 0;
    for (;;) {
      const page = await this.list({ ...filter, afterId, order: 'asc', limit: pageSize });
      yield* page;
      if (page.length < pageSize) return;
      afterId = page[page.length - 1]!.id;
    }
  }
}
