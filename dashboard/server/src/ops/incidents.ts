// Incidents and their comments in SQLite. Evidence and linked items are JSON columns, the position
// two REAL columns; a partial unique index keeps at most one active incident per dedupe key.
import type Database from 'better-sqlite3';
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
import { compareQueue } from '../core/workflow.ts';
import { StatementCache, clampLimit, type SqliteConnection } from './db.ts';
import { OpsConflictError, OpsNotFoundError, OpsValidationError } from './errors.ts';
import { INCIDENT_LIST_LIMIT, type IncidentFilter, type IncidentPatch, type IncidentRepository } from './repositories.ts';

/** Ids the store makes look like INC-000123; given ids (imports, tests) must at least be this tame. */
export const INCIDENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const SEQUENCE_ID = /^INC-(\d{1,15})$/;
export const formatIncidentId = (n: number): string => `INC-${String(n).padStart(6, '0')}`;

/** The key that makes two linked items the same link. */
export const linkKey = (item: Pick<LinkedItem, 'type' | 'id'>): string => `${item.type}:${item.id}`;

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
  auto_resolve: number;
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
    autoResolve: row.auto_resolve === 1,
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

function toParams(incident: Incident) {
  return {
    id: incident.id,
    title: incident.title,
    category: incident.category,
    severity: incident.severity,
    status: incident.status,
    source: incident.source,
    deviceId: incident.deviceId ?? null,
    deviceKind: incident.deviceKind ?? null,
    lat: incident.position?.lat ?? null,
    lon: incident.position?.lon ?? null,
    district: incident.district ?? null,
    dedupeKey: incident.dedupeKey ?? null,
    explanation: incident.explanation,
    evidence: JSON.stringify(incident.evidence),
    linked: JSON.stringify(incident.linked ?? []),
    openedAt: incident.openedAt,
    updatedAt: incident.updatedAt,
    acknowledgedAt: incident.acknowledgedAt ?? null,
    resolvedAt: incident.resolvedAt ?? null,
    assignee: incident.assignee ?? null,
    dueAt: incident.dueAt ?? null,
    autoResolve: incident.autoResolve ? 1 : 0,
  };
}

/** Applies a patch: undefined keeps a field, null clears an optional one. */
export function applyIncidentPatch(incident: Incident, patch: IncidentPatch): Incident {
  const next: Record<string, unknown> = { ...incident };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'id' || key === 'openedAt' || value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next as unknown as Incident;
}

const uniqueViolation = (err: unknown, code: string) => (err as { code?: string }).code === code;

export class SqliteIncidentRepository implements IncidentRepository {
  private readonly db: Database.Database;
  private readonly nextSequence: Database.Statement;
  private readonly raiseSequence: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly replace: Database.Statement;
  private readonly selectOne: Database.Statement;
  private readonly selectActiveByKey: Database.Statement;
  private readonly selectActive: Database.Statement;
  private readonly updateLinked: Database.Statement;
  private readonly insertComment: Database.Statement;
  private readonly selectComments: Database.Statement;
  private readonly filtered: StatementCache;

  constructor(private readonly conn: SqliteConnection) {
    const db = (this.db = conn.db);
    const active = `(${ACTIVE_STATUSES.map((s) => `'${s}'`).join(', ')})`;
    this.nextSequence = db.prepare(`UPDATE sequences SET value = value + 1 WHERE name = 'incident' RETURNING value`).pluck();
    this.raiseSequence = db.prepare(`UPDATE sequences SET value = max(value, ?) WHERE name = 'incident'`);
    const columns = `id, title, category, severity, status, source, device_id, device_kind, lat, lon, district, dedupe_key,
      explanation, evidence, linked, opened_at, updated_at, acknowledged_at, resolved_at, assignee, due_at, auto_resolve`;
    const values = `@id, @title, @category, @severity, @status, @source, @deviceId, @deviceKind, @lat, @lon, @district, @dedupeKey,
      @explanation, @evidence, @linked, @openedAt, @updatedAt, @acknowledgedAt, @resolvedAt, @assignee, @dueAt, @autoResolve`;
    this.insert = db.prepare(`INSERT INTO incidents (${columns}) VALUES (${values})`);
    this.replace = db.prepare(
      `UPDATE incidents SET title = @title, category = @category, severity = @severity, status = @status, source = @source,
        device_id = @deviceId, device_kind = @deviceKind, lat = @lat, lon = @lon, district = @district, dedupe_key = @dedupeKey,
        explanation = @explanation, evidence = @evidence, linked = @linked, updated_at = @updatedAt,
        acknowledged_at = @acknowledgedAt, resolved_at = @resolvedAt, assignee = @assignee, due_at = @dueAt, auto_resolve = @autoResolve
       WHERE id = @id`,
    );
    this.selectOne = db.prepare('SELECT * FROM incidents WHERE id = ?');
    this.selectActiveByKey = db.prepare(`SELECT * FROM incidents WHERE dedupe_key = ? AND status IN ${active}`);
    this.selectActive = db.prepare(`SELECT * FROM incidents WHERE status IN ${active}`);
    this.updateLinked = db.prepare('UPDATE incidents SET linked = ? WHERE id = ?');
    this.insertComment = db.prepare('INSERT INTO incident_comments (incident_id, author, text, at) VALUES (?, ?, ?, ?) RETURNING *');
    this.selectComments = db.prepare('SELECT * FROM incident_comments WHERE incident_id = ? ORDER BY id');
    this.filtered = new StatementCache(db);
  }

  private row(id: string): IncidentRow | undefined {
    return this.selectOne.get(id) as IncidentRow | undefined;
  }

  private mustGet(id: string): Incident {
    const row = this.row(id);
    if (!row) throw new OpsNotFoundError(`incident ${id} not found`);
    return toIncident(row);
  }

  /** Runs a write, turning the store's uniqueness errors into OpsConflictError. */
  private write(incident: Incident, statement: Database.Statement): void {
    try {
      statement.run(toParams(incident));
    } catch (err) {
      if (uniqueViolation(err, 'SQLITE_CONSTRAINT_PRIMARYKEY')) throw new OpsConflictError(`incident ${incident.id} already exists`);
      if (uniqueViolation(err, 'SQLITE_CONSTRAINT_UNIQUE')) {
        const other = incident.dedupeKey ? this.selectActiveByKey.get(incident.dedupeKey) as IncidentRow | undefined : undefined;
        throw new OpsConflictError(`an active incident${other ? ` (${other.id})` : ''} already has dedupe key ${JSON.stringify(incident.dedupeKey)}`);
      }
      throw err;
    }
  }

  create(input: Omit<Incident, 'id'> & { id?: string }): Promise<Incident> {
    return this.conn.run(
      this.db.transaction(() => {
        let id = input.id;
        if (id === undefined) {
          id = formatIncidentId(this.nextSequence.get() as number);
        } else {
          if (!INCIDENT_ID_PATTERN.test(id)) throw new OpsValidationError(`incident id ${JSON.stringify(id)}: expected letters, digits, _ . : - (1-64)`);
          // a given INC-n moves the sequence past n, so a generated id never collides with it
          const n = SEQUENCE_ID.exec(id)?.[1];
          if (n !== undefined) this.raiseSequence.run(Number(n));
        }
        const incident = { ...input, id, linked: input.linked ?? [] };
        this.write(incident, this.insert);
        return toIncident(this.row(id)!);
      }),
    );
  }

  get(id: string): Promise<Incident | undefined> {
    return this.conn.run(() => {
      const row = this.row(id);
      return row ? toIncident(row) : undefined;
    });
  }

  findActiveByDedupeKey(dedupeKey: string): Promise<Incident | undefined> {
    return this.conn.run(() => {
      const row = this.selectActiveByKey.get(dedupeKey) as IncidentRow | undefined;
      return row ? toIncident(row) : undefined;
    });
  }

  async list(filter: IncidentFilter = {}): Promise<Incident[]> {
    const limit = clampLimit(filter.limit, INCIDENT_LIST_LIMIT);
    const where: string[] = [];
    const params: unknown[] = [];
    // arrays go in as one JSON parameter, so the SQL shape depends only on which filters are given
    if (filter.status) {
      where.push('status IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(filter.status));
    }
    if (filter.severity) {
      where.push('severity IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(filter.severity));
    }
    if (filter.category !== undefined) {
      where.push('category = ?');
      params.push(filter.category);
    }
    if (filter.district !== undefined) {
      where.push('district = ?');
      params.push(filter.district);
    }
    if (filter.since !== undefined) {
      where.push('updated_at >= ?');
      params.push(filter.since);
    }
    const sql = `SELECT * FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY updated_at DESC, id DESC LIMIT ?`;
    return this.conn.run(() => (this.filtered.get(sql).all(...params, limit) as IncidentRow[]).map(toIncident));
  }

  listActive(): Promise<Incident[]> {
    return this.conn.run(() => (this.selectActive.all() as IncidentRow[]).map(toIncident).sort(compareQueue));
  }

  update(id: string, patch: IncidentPatch): Promise<Incident> {
    return this.conn.run(() => {
      const next = applyIncidentPatch(this.mustGet(id), patch);
      this.write(next, this.replace);
      return toIncident(this.row(id)!);
    });
  }

  addComment(incidentId: string, author: string, text: string, atMs = Date.now()): Promise<IncidentComment> {
    return this.conn.run(() => {
      this.mustGet(incidentId);
      const row = this.insertComment.get(incidentId, author, text, atMs) as CommentRow;
      return { id: row.id, incidentId: row.incident_id, author: row.author, text: row.text, at: row.at };
    });
  }

  comments(incidentId: string): Promise<IncidentComment[]> {
    return this.conn.run(() =>
      (this.selectComments.all(incidentId) as CommentRow[]).map((row) => ({
        id: row.id,
        incidentId: row.incident_id,
        author: row.author,
        text: row.text,
        at: row.at,
      })),
    );
  }

  addLinks(id: string, items: LinkedItem[]): Promise<{ incident: Incident; added: LinkedItem[] }> {
    return this.conn.run(() => {
      const incident = this.mustGet(id);
      const seen = new Set(incident.linked.map(linkKey));
      const added: LinkedItem[] = [];
      for (const item of items) {
        if (seen.has(linkKey(item))) continue;
        seen.add(linkKey(item));
        added.push(item);
      }
      if (added.length > 0) this.updateLinked.run(JSON.stringify([...incident.linked, ...added]), id);
      return { incident: added.length > 0 ? this.mustGet(id) : incident, added };
    });
  }
}
