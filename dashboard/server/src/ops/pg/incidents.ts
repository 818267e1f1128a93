// Incidents and their comments in PostgreSQL. Evidence and linked items are json columns, the position
// two DOUBLE PRECISION columns; a partial unique index keeps at most one active incident per dedupe key.
import { ACTIVE_STATUSES, type Incident, type IncidentComment, type LinkedItem } from '@city/shared';
import { compareQueue } from '../../core/workflow.ts';
import { clampLimit } from '../db.ts';
import { OpsConflictError, OpsNotFoundError } from '../errors.ts';
import { applyIncidentPatch, checkIncidentId, dedupeConflict, formatIncidentId, incidentSequenceNumber, newLinks } from '../incidents.ts';
import { INCIDENT_LIST_LIMIT, type IncidentFilter, type IncidentPatch, type IncidentRepository } from '../repositories.ts';
import type { Encoded } from '../rows/encoded.ts';
import { toIncident, toIncidentComment, type IncidentCommentRow, type IncidentRow } from '../rows/incidents.ts';
import { PG_UNIQUE_VIOLATION, pgErrorCode, type PgConnection } from './connection.ts';

const ACTIVE = `(${ACTIVE_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/** As PostgreSQL returns it: evidence and links as json text (connection.ts). */
type PgIncidentRow = Encoded<IncidentRow, { evidence: string; linked: string }>;

const decodeIncident = (row: PgIncidentRow): Incident => toIncident({ ...row, evidence: JSON.parse(row.evidence), linked: JSON.parse(row.linked) });

/** The columns after id, in the order of toValues. */
const COLUMNS = [
  'title', 'category', 'severity', 'status', 'source', 'device_id', 'device_kind', 'lat', 'lon', 'district', 'dedupe_key',
  'explanation', 'evidence', 'linked', 'opened_at', 'updated_at', 'acknowledged_at', 'resolved_at', 'assignee', 'due_at', 'auto_resolve',
] as const;

const toValues = (incident: Incident): unknown[] => [
  incident.title,
  incident.category,
  incident.severity,
  incident.status,
  incident.source,
  incident.deviceId ?? null,
  incident.deviceKind ?? null,
  incident.position?.lat ?? null,
  incident.position?.lon ?? null,
  incident.district ?? null,
  incident.dedupeKey ?? null,
  incident.explanation,
  JSON.stringify(incident.evidence),
  JSON.stringify(incident.linked ?? []),
  incident.openedAt,
  incident.updatedAt,
  incident.acknowledgedAt ?? null,
  incident.resolvedAt ?? null,
  incident.assignee ?? null,
  incident.dueAt ?? null,
  incident.autoResolve === true,
];

const INSERT = `INSERT INTO incidents (id, ${COLUMNS.join(', ')}) VALUES ($1, ${COLUMNS.map((_, i) => `$${i + 2}`).join(', ')})
  ON CONFLICT DO NOTHING RETURNING *`;
// opened_at never changes
const KEEP_OPENED_AT = (_: unknown, i: number) => COLUMNS[i] !== 'opened_at';
const REPLACE = `UPDATE incidents SET ${COLUMNS.filter(KEEP_OPENED_AT)
  .map((c, i) => `${c} = $${i + 2}`)
  .join(', ')} WHERE id = $1 RETURNING *`;

export class PgIncidentRepository implements IncidentRepository {
  constructor(private readonly db: PgConnection) {}

  private async mustGet(id: string, forUpdate = false): Promise<Incident> {
    const row = await this.db.one<PgIncidentRow>(`SELECT * FROM incidents WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    if (!row) throw new OpsNotFoundError(`incident ${id} not found`);
    return decodeIncident(row);
  }

  private async dedupeConflictFor(incident: Incident): Promise<OpsConflictError> {
    const other = incident.dedupeKey ? await this.db.one<{ id: string }>(`SELECT id FROM incidents WHERE dedupe_key = $1 AND status IN ${ACTIVE}`, [incident.dedupeKey]) : undefined;
    return dedupeConflict(incident.dedupeKey, other?.id);
  }

  async create(input: Omit<Incident, 'id'> & { id?: string }): Promise<Incident> {
    if (input.id !== undefined) checkIncidentId(input.id);
    return this.db.atomic(async () => {
      let id = input.id;
      if (id === undefined) {
        const next = await this.db.one<{ value: number }>(`UPDATE sequences SET value = value + 1 WHERE name = 'incident' RETURNING value`);
        id = formatIncidentId(next!.value);
      } else {
        const n = incidentSequenceNumber(id);
        if (n !== undefined) await this.db.query(`UPDATE sequences SET value = GREATEST(value, $1) WHERE name = 'incident'`, [n]);
      }
      const incident: Incident = { ...input, id, linked: input.linked ?? [] };
      // ON CONFLICT DO NOTHING covers the key and the partial dedupe index without aborting the transaction
      const row = (await this.db.query<PgIncidentRow>(INSERT, [id, ...toValues(incident)])).rows[0];
      if (row) return decodeIncident(row);
      const taken = await this.db.one(`SELECT 1 FROM incidents WHERE id = $1`, [id]);
      if (taken) throw new OpsConflictError(`incident ${id} already exists`);
      throw await this.dedupeConflictFor(incident);
    });
  }

  async get(id: string): Promise<Incident | undefined> {
    const row = await this.db.one<PgIncidentRow>('SELECT * FROM incidents WHERE id = $1', [id]);
    return row ? decodeIncident(row) : undefined;
  }

  async findActiveByDedupeKey(dedupeKey: string): Promise<Incident | undefined> {
    const row = await this.db.one<PgIncidentRow>(`SELECT * FROM incidents WHERE dedupe_key = $1 AND status IN ${ACTIVE}`, [dedupeKey]);
    return row ? decodeIncident(row) : undefined;
  }

  async list(filter: IncidentFilter = {}): Promise<Incident[]> {
    const limit = clampLimit(filter.limit, INCIDENT_LIST_LIMIT);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.status) add('status = ANY(?::text[])', filter.status);
    if (filter.severity) add('severity = ANY(?::text[])', filter.severity);
    if (filter.category !== undefined) add('category = ?', filter.category);
    if (filter.district !== undefined) add('district = ?', filter.district);
    if (filter.since !== undefined) add('updated_at >= ?', filter.since);
    params.push(limit);
    const sql = `SELECT * FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY updated_at DESC, id DESC LIMIT $${params.length}`;
    return (await this.db.rows<PgIncidentRow>(sql, params)).map(decodeIncident);
  }

  async listActive(): Promise<Incident[]> {
    return (await this.db.rows<PgIncidentRow>(`SELECT * FROM incidents WHERE status IN ${ACTIVE}`)).map(decodeIncident).sort(compareQueue);
  }

  update(id: string, patch: IncidentPatch): Promise<Incident> {
    return this.db.atomic(async () => {
      const next = applyIncidentPatch(await this.mustGet(id, true), patch);
      try {
        const { rows } = await this.db.guarded<PgIncidentRow>(REPLACE, [id, ...toValues(next).filter(KEEP_OPENED_AT)]);
        return decodeIncident(rows[0]!);
      } catch (err) {
        if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) throw await this.dedupeConflictFor(next);
        throw err;
      }
    });
  }

  async addComment(incidentId: string, author: string, text: string, atMs = Date.now()): Promise<IncidentComment> {
    // the insert itself checks the incident: no row when it is unknown
    const row = await this.db.one<IncidentCommentRow>(
      'INSERT INTO incident_comments (incident_id, author, text, at) SELECT id, $2, $3, $4 FROM incidents WHERE id = $1 RETURNING *',
      [incidentId, author, text, atMs],
    );
    if (!row) throw new OpsNotFoundError(`incident ${incidentId} not found`);
    return toIncidentComment(row);
  }

  async comments(incidentId: string): Promise<IncidentComment[]> {
    return (await this.db.rows<IncidentCommentRow>('SELECT * FROM incident_comments WHERE incident_id = $1 ORDER BY id', [incidentId])).map(toIncidentComment);
  }

  addLinks(id: string, items: LinkedItem[]): Promise<{ incident: Incident; added: LinkedItem[] }> {
    return this.db.atomic(async () => {
      const incident = await this.mustGet(id, true);
      const added = newLinks(incident.linked, items);
      if (added.length === 0) return { incident, added };
      const row = await this.db.one<PgIncidentRow>('UPDATE incidents SET linked = $1 WHERE id = $2 RETURNING *', [JSON.stringify([...incident.linked, ...added]), id]);
      return { incident: decodeIncident(row!), added };
    });
  }
}
