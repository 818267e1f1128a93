// Incidents and their comments in SQLite. Evidence and linked items are JSON columns, the position
// two REAL columns; a partial unique index keeps at most one active incident per dedupe key.
import type Database from 'better-sqlite3';
import { ACTIVE_STATUSES, type Incident, type IncidentComment, type LinkedItem } from '@city/shared';
import { compareQueue } from '../core/workflow.ts';
import { StatementCache, clampLimit, type SqliteConnection } from './db.ts';
import { OpsConflictError, OpsNotFoundError, OpsValidationError } from './errors.ts';
import { INCIDENT_LIST_LIMIT, type IncidentFilter, type IncidentPatch, type IncidentRepository } from './repositories.ts';
import type { Encoded } from './rows/encoded.ts';
import { toIncident, toIncidentComment, type IncidentCommentRow, type IncidentRow } from './rows/incidents.ts';

/** Ids the store makes look like INC-000123; given ids (imports, tests) must at least be this tame. */
export const INCIDENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const SEQUENCE_ID = /^INC-(\d{1,15})$/;
export const formatIncidentId = (n: number): string => `INC-${String(n).padStart(6, '0')}`;

/** OpsValidationError for a given id that is not INCIDENT_ID_PATTERN. */
export function checkIncidentId(id: string): void {
  if (!INCIDENT_ID_PATTERN.test(id)) throw new OpsValidationError(`incident id ${JSON.stringify(id)}: expected letters, digits, _ . : - (1-64)`);
}

/** n for a given INC-n: the sequence moves past it, so a generated id never collides with it. */
export const incidentSequenceNumber = (id: string): number | undefined => {
  const n = SEQUENCE_ID.exec(id)?.[1];
  return n === undefined ? undefined : Number(n);
};

/** The store's answer to a second active incident with a dedupe key, naming the one that has it when known. */
export const dedupeConflict = (dedupeKey: string | undefined, otherId: string | undefined): OpsConflictError =>
  new OpsConflictError(`an active incident${otherId ? ` (${otherId})` : ''} already has dedupe key ${JSON.stringify(dedupeKey)}`);

/** The key that makes two linked items the same link. */
export const linkKey = (item: Pick<LinkedItem, 'type' | 'id'>): string => `${item.type}:${item.id}`;

/** The items not linked yet (nor twice in `items`), in their order. */
export function newLinks(linked: readonly LinkedItem[], items: readonly LinkedItem[]): LinkedItem[] {
  const seen = new Set(linked.map(linkKey));
  const added: LinkedItem[] = [];
  for (const item of items) {
    if (seen.has(linkKey(item))) continue;
    seen.add(linkKey(item));
    added.push(item);
  }
  return added;
}

/** As SQLite returns it: evidence and links as JSON text, the flag as 0/1. */
type SqliteIncidentRow = Encoded<IncidentRow, { evidence: string; linked: string; auto_resolve: number }>;

const decodeIncident = (row: SqliteIncidentRow): Incident =>
  toIncident({ ...row, evidence: JSON.parse(row.evidence), linked: JSON.parse(row.linked), auto_resolve: row.auto_resolve === 1 });

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

  private row(id: string): SqliteIncidentRow | undefined {
    return this.selectOne.get(id) as SqliteIncidentRow | undefined;
  }

  private mustGet(id: string): Incident {
    const row = this.row(id);
    if (!row) throw new OpsNotFoundError(`incident ${id} not found`);
    return decodeIncident(row);
  }

  /** Runs a write, turning the store's uniqueness errors into OpsConflictError. */
  private write(incident: Incident, statement: Database.Statement): void {
    try {
      statement.run(toParams(incident));
    } catch (err) {
      if (uniqueViolation(err, 'SQLITE_CONSTRAINT_PRIMARYKEY')) throw new OpsConflictError(`incident ${incident.id} already exists`);
      if (uniqueViolation(err, 'SQLITE_CONSTRAINT_UNIQUE')) {
        const other = incident.dedupeKey ? (this.selectActiveByKey.get(incident.dedupeKey) as SqliteIncidentRow | undefined) : undefined;
        throw dedupeConflict(incident.dedupeKey, other?.id);
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
          checkIncidentId(id);
          const n = incidentSequenceNumber(id);
          if (n !== undefined) this.raiseSequence.run(n);
        }
        const incident = { ...input, id, linked: input.linked ?? [] };
        this.write(incident, this.insert);
        return decodeIncident(this.row(id)!);
      }),
    );
  }

  get(id: string): Promise<Incident | undefined> {
    return this.conn.run(() => {
      const row = this.row(id);
      return row ? decodeIncident(row) : undefined;
    });
  }

  findActiveByDedupeKey(dedupeKey: string): Promise<Incident | undefined> {
    return this.conn.run(() => {
      const row = this.selectActiveByKey.get(dedupeKey) as SqliteIncidentRow | undefined;
      return row ? decodeIncident(row) : undefined;
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
    return this.conn.run(() => (this.filtered.get(sql).all(...params, limit) as SqliteIncidentRow[]).map(decodeIncident));
  }

  listActive(): Promise<Incident[]> {
    return this.conn.run(() => (this.selectActive.all() as SqliteIncidentRow[]).map(decodeIncident).sort(compareQueue));
  }

  update(id: string, patch: IncidentPatch): Promise<Incident> {
    return this.conn.run(() => {
      const next = applyIncidentPatch(this.mustGet(id), patch);
      this.write(next, this.replace);
      return decodeIncident(this.row(id)!);
    });
  }

  addComment(incidentId: string, author: string, text: string, atMs = Date.now()): Promise<IncidentComment> {
    return this.conn.run(() => {
      this.mustGet(incidentId);
      return toIncidentComment(this.insertComment.get(incidentId, author, text, atMs) as IncidentCommentRow);
    });
  }

  comments(incidentId: string): Promise<IncidentComment[]> {
    return this.conn.run(() => (this.selectComments.all(incidentId) as IncidentCommentRow[]).map(toIncidentComment));
  }

  addLinks(id: string, items: LinkedItem[]): Promise<{ incident: Incident; added: LinkedItem[] }> {
    return this.conn.run(() => {
      const incident = this.mustGet(id);
      const added = newLinks(incident.linked, items);
      if (added.length > 0) this.updateLinked.run(JSON.stringify([...incident.linked, ...added]), id);
      return { incident: added.length > 0 ? this.mustGet(id) : incident, added };
    });
  }
}
