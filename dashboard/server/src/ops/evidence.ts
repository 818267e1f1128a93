// Infringement evidence: the record, its JPEG (a BLOB: the camera's live snapshot is overwritten),
// its retention limit, and a log of who read it. The log outlives the record it names.
import type Database from 'better-sqlite3';
import type { EvidenceRecord } from '@city/shared';
import { clampLimit, type SqliteConnection } from './db.ts';
import { OpsConflictError, OpsValidationError } from './errors.ts';
import type { EvidenceAccess, EvidenceRepository, NewEvidence } from './repositories.ts';
import type { Encoded } from './rows/encoded.ts';
import { toEvidenceAccess, toEvidenceRecord, type EvidenceAccessRow, type EvidenceRow } from './rows/evidence.ts';

export const EVIDENCE_LIST_LIMIT = { default: 500, max: 5000 } as const;

/** As SQLite returns it: zones as JSON text, the snapshot flag as 0/1. */
type SqliteEvidenceRow = Encoded<EvidenceRow, { zones: string; has_snapshot: number }>;

const decodeRecord = (row: SqliteEvidenceRow): EvidenceRecord =>
  toEvidenceRecord({ ...row, zones: JSON.parse(row.zones), has_snapshot: row.has_snapshot === 1 });

/** Every column but the BLOB: listing must not read the JPEGs. */
const RECORD_COLUMNS = `id, camera_id, event_id, rule_id, offence, label, plate, zones, lat, lon, district, observed_at, expires_at,
  snapshot IS NOT NULL AS has_snapshot`;

export class SqliteEvidenceRepository implements EvidenceRepository {
  private readonly insert: Database.Statement;
  private readonly selectOne: Database.Statement;
  private readonly selectPage: Database.Statement;
  private readonly selectSnapshot: Database.Statement;
  private readonly deleteOne: Database.Statement;
  private readonly deleteExpired: Database.Statement;
  private readonly insertAccess: Database.Statement;
  private readonly selectAccess: Database.Statement;
  private readonly selectAllAccess: Database.Statement;

  constructor(private readonly conn: SqliteConnection) {
    const db = conn.db;
    this.insert = db.prepare(
      `INSERT INTO evidence (id, camera_id, event_id, rule_id, offence, label, plate, zones, lat, lon, district, observed_at, expires_at, snapshot)
       VALUES (@id, @cameraId, @eventId, @ruleId, @offence, @label, @plate, @zones, @lat, @lon, @district, @observedAt, @expiresAt, @snapshot)
       ON CONFLICT(id) DO NOTHING`,
    );
    this.selectOne = db.prepare(`SELECT ${RECORD_COLUMNS} FROM evidence WHERE id = ?`);
    this.selectPage = db.prepare(`SELECT ${RECORD_COLUMNS} FROM evidence ORDER BY observed_at DESC, id LIMIT ?`);
    this.selectSnapshot = db.prepare('SELECT snapshot FROM evidence WHERE id = ?').pluck();
    this.deleteOne = db.prepare('DELETE FROM evidence WHERE id = ?');
    this.deleteExpired = db.prepare('DELETE FROM evidence WHERE expires_at <= ?');
    this.insertAccess = db.prepare('INSERT INTO evidence_access (evidence_id, username, action, at) VALUES (?, ?, ?, ?) RETURNING *');
    this.selectAccess = db.prepare('SELECT * FROM evidence_access WHERE evidence_id = ? ORDER BY id');
    this.selectAllAccess = db.prepare('SELECT * FROM evidence_access ORDER BY id');
  }

  async add(record: NewEvidence, jpeg?: Buffer): Promise<EvidenceRecord> {
    if (!record.id) throw new OpsValidationError('evidence id: expected a non-empty string');
    return this.conn.run(() => {
      const { changes } = this.insert.run({
        id: record.id,
        cameraId: record.cameraId,
        eventId: record.eventId,
        ruleId: record.ruleId,
        offence: record.offence,
        label: record.label,
        plate: record.plate ?? null,
        zones: JSON.stringify(record.zones),
        lat: record.position?.lat ?? null,
        lon: record.position?.lon ?? null,
        district: record.district ?? null,
        observedAt: record.observedAt,
        expiresAt: record.expiresAt,
        snapshot: jpeg ?? null,
      });
      if (changes === 0) throw new OpsConflictError(`evidence ${record.id} already exists`);
      return decodeRecord(this.selectOne.get(record.id) as SqliteEvidenceRow);
    });
  }

  get(id: string): Promise<EvidenceRecord | undefined> {
    return this.conn.run(() => {
      const row = this.selectOne.get(id) as SqliteEvidenceRow | undefined;
      return row ? decodeRecord(row) : undefined;
    });
  }

  async list(options: { limit?: number } = {}): Promise<EvidenceRecord[]> {
    const limit = clampLimit(options.limit, EVIDENCE_LIST_LIMIT);
    return this.conn.run(() => (this.selectPage.all(limit) as SqliteEvidenceRow[]).map(decodeRecord));
  }

  snapshot(id: string): Promise<Buffer | undefined> {
    return this.conn.run(() => (this.selectSnapshot.get(id) as Buffer | null | undefined) ?? undefined);
  }

  delete(id: string): Promise<boolean> {
    return this.conn.run(() => this.deleteOne.run(id).changes > 0);
  }

  purgeExpired(nowMs = Date.now()): Promise<number> {
    return this.conn.run(() => this.deleteExpired.run(nowMs).changes);
  }

  logAccess(evidenceId: string, username: string, action: string, atMs = Date.now()): Promise<EvidenceAccess> {
    return this.conn.run(() => toEvidenceAccess(this.insertAccess.get(evidenceId, username, action, atMs) as EvidenceAccessRow));
  }

  accessLog(evidenceId?: string): Promise<EvidenceAccess[]> {
    return this.conn.run(() =>
      ((evidenceId === undefined ? this.selectAllAccess.all() : this.selectAccess.all(evidenceId)) as EvidenceAccessRow[]).map(toEvidenceAccess),
    );
  }
}
