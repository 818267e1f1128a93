// Incidents and their comments in PostgreSQL. Evidence and linked items are json columns, the position
// two DOUBLE PRECISION columns; a partial unique index keeps at most one active incident per dedupe key.
import {
  ACTIVE_STATUSES,
  type Incident,
  type IncidentCategory,
  type IncidentComment,
  type IncidentEvidence,
  type IncidentSource,
  type IncidentStatus,
  type LinkedItem,
  type Severity,
  type SensorKind,
} from '@city/shared';
import { compareQueue } from '../../core/workflow.ts';
import { clampLimit } from '../db.ts';
import { OpsConflictError, OpsNotFoundError, OpsValidationError } from '../errors.ts';
import { INCIDENT_ID_PATTERN, applyIncidentPatch, formatIncidentId, linkKey } from '../incidents.ts';
import { INCIDENT_LIST_LIMIT, type IncidentFilter, type IncidentPatch, type IncidentRepository } from '../repositories.ts';
import { PG_UNIQUE_VIOLATION, pgErrorCode, type PgConnection } from './connection.ts';

const SEQUENCE_ID = /^INC-(\d{1,15})$/;
const ACTIVE = `(${ACTIVE_STATUSES.map((s) => `'${s}'`).join(', ')})`;

interface IncidentRow {
  id: string;
  title: string;
  category: string;
  severity: string;
  status: string;
  source: string;
  device_id: string | null;
  device_kind: string | null;
  lat: number | null;
  lon: number | null;
  district: string | null;
  dedupe_key: string | null;
  explanation: string;
  evidence: string;
  linked: string;
  opened_at: number;
  updated_at: number;
  acknowledged_at: number | null;
  resolved_at: number | null;
  assignee: string | null;
  due_at: number | null;
  auto_resolve: boolean;
}

interface CommentRow {
  id: number;
  incident_id: string;
  author: string;
  text: string;
  at: number;
}

function toIncident(row: IncidentRow): Incident {
  const incident: Incident = {
    id: row.id,
    title: row.title,
    category: row.category as IncidentCategory,
    severity: row.severity as Severity,
    status: row.status as IncidentStatus,
    source: row.source as IncidentSource,
    explanation: row.explanation,
    evidence: JSON.parse(row.evidence) as IncidentEvidence,
    linked: JSON.parse(row.linked) as LinkedItem[],
    openedAt: row.opened_at,
    updatedAt: row.updated_at,
    autoResolve: row.auto_resolve,
  };
  // optional fields only when set, so an incident reads back as it was written
  if (row.device_id !== null) incident.deviceId = row.device_id;
  if (row.device_kind !== null) incident.deviceKind = row.device_kind as SensorKind;
  if (row.lat !== null && row.lon !== null) incident.position = { lat: row.lat, lon: row.lon };
  if (row.district !== null) incident.district = row.district;
  if (row.dedupe_key !== null) incident.dedupeKey = row.dedupe_key;
  if (row.acknowledged_at !== null) incident.acknowledgedAt = row.acknowledged_at;
  if (row.resolved_at !== null) incident.resolvedAt = row.resolved_at;
  if (row.assignee !== null) incident.assignee = row.assignee;
  if (row.due_at !== null) incident.dueAt = row.due_at;
  return incident;
}

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
    const row = await this.db.one<IncidentRow>(`SELECT * FROM incidents WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    if (!row) throw new OpsNotFoundError(`incident ${id} not found`);
    return toIncident(row);
  }

  private async dedupeConflict(incident: Incident): Promise<OpsConflictError> {
    const other = incident.dedupeKey ? await this.db.one<{ id: string }>(`SELECT id FROM incidents WHERE dedupe_key = $1 AND status IN ${ACTIVE}`, [incident.dedupeKey]) : undefined;
    return new OpsConflictError(`an active incident${other ? ` (${other.id})` : ''} already has dedupe key ${JSON.stringify(incident.dedupeKey)}`);
  }

  create(input: Omit<Incident, 'id'> & { id?: string }): Promise<Incident> {
    if (input.id !== undefined && !INCIDENT_ID_PATTERN.test(input.id)) {
      return Promise.reject(new OpsValidationError(`incident id ${JSON.stringify(input.id)}: expected letters, digits, _ . : - (1-64)`));
    }
    return this.db.atomic(async () => {
      let id = input.id;
      if (id === undefined) {
        const next = await this.db.one<{ value: number }>(`UPDATE sequences SET value = value + 1 WHERE name = 'incident' RETURNING value`);
        id = formatIncidentId(next!.value);
      } else {
        // a given INC-n moves the sequence past n, so a generated id never collides with it
        const n = SEQUENCE_ID.exec(id)?.[1];
        if (n !== undefined) await this.db.query(`UPDATE sequences SET value = GREATEST(value, $1) WHERE name = 'incident'`, [Number(n)]);
      }
      const incident: Incident = { ...input, id, linked: input.linked ?? [] };
      // ON CONFLICT DO NOTHING covers the key and the partial dedupe index without aborting the transaction
      const row = (await this.db.query<IncidentRow>(INSERT, [id, ...toValues(incident)])).rows[0];
      if (row) return toIncident(row);
      const taken = await this.db.one(`SELECT 1 FROM incidents WHERE id = $1`, [id]);
      if (taken) throw new OpsConflictError(`incident ${id} already exists`);
      throw await this.dedupeConflict(incident);
    });
  }

  async get(id: string): Promise<Incident | undefined> {
    const row = await this.db.one<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [id]);
    return row ? toIncident(row) : undefined;
  }

  async findActiveByDedupeKey(dedupeKey: string): Promise<Incident | undefined> {
    const row = await this.db.one<IncidentRow>(`SELECT * FROM incidents WHERE dedupe_key = $1 AND status IN ${ACTIVE}`, [dedupeKey]);
    return row ? toIncident(row) : undefined;
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
    return (await this.db.rows<IncidentRow>(sql, params)).map(toIncident);
  }

  async listActive(): Promise<Incident[]> {
    return (await this.db.rows<IncidentRow>(`SELECT * FROM incidents WHERE status IN ${ACTIVE}`)).map(toIncident).sort(compareQueue);
  }

  update(id: string, patch: IncidentPatch): Promise<Incident> {
    return this.db.atomic(async () => {
      const next = applyIncidentPatch(await this.mustGet(id, true), patch);
      try {
        const { rows } = await this.db.guarded<IncidentRow>(REPLACE, [id, ...toValues(next).filter(KEEP_OPENED_AT)]);
        return toIncident(rows[0]!);
      } catch (err) {
        if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) throw await this.dedupeConflict(next);
        throw err;
      }
    });
  }

  async addComment(incidentId: string, author: string, text: string, atMs = Date.now()): Promise<IncidentComment> {
    // the insert itself checks the incident: no row when it is unknown
    const row = await this.db.one<CommentRow>(
      'INSERT INTO incident_comments (incident_id, author, text, at) SELECT id, $2, $3, $4 FROM incidents WHERE id = $1 RETURNING *',
      [incidentId, author, text, atMs],
    );
    if (!row) throw new OpsNotFoundError(`incident ${incidentId} not found`);
    return { id: row.id, incidentId: row.incident_id, author: row.author, text: row.text, at: row.at };
  }

  async comments(incidentId: string): Promise<IncidentComment[]> {
    const rows = await this.db.rows<CommentRow>('SELECT * FROM incident_comments WHERE incident_id = $1 ORDER BY id', [incidentId]);
    return rows.map((row) => ({ id: row.id, incidentId: row.incident_id, author: row.author, text: row.text, at: row.at }));
  }

  addLinks(id: string, items: LinkedItem[]): Promise<{ incident: Incident; added: LinkedItem[] }> {
    return this.db.atomic(async () => {
      const incident = await this.mustGet(id, true);
      const seen = new Set(incident.linked.map(linkKey));
      const added: LinkedItem[] = [];
      for (const item of items) {
        if (seen.has(linkKey(item))) continue;
        seen.add(linkKey(item));
        added.push(item);
      }
      if (added.length === 0) return { incident, added };
      const row = await this.db.one<IncidentRow>('UPDATE incidents SET linked = $1 WHERE id = $2 RETURNING *', [JSON.stringify([...incident.linked, ...added]), id]);
      return { incident: toIncident(row!), added };
    });
  }
}
