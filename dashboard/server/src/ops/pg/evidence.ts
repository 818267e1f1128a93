// Infringement evidence in PostgreSQL: the record, its JPEG (BYTEA), its retention limit, and a log of
// who read it. The log outlives the record it names.
import type { EvidenceRecord } from '@city/shared';
import { clampLimit } from '../db.ts';
import { OpsConflictError, OpsValidationError } from '../errors.ts';
import { EVIDENCE_LIST_LIMIT } from '../evidence.ts';
import type { EvidenceAccess, EvidenceRepository, NewEvidence } from '../repositories.ts';
import type { PgConnection } from './connection.ts';

interface EvidenceRow {
  id: string;
  camera_id: string;
  event_id: string;
  rule_id: string;
  offence: string;
  label: string;
  plate: string | null;
  zones: string;
  lat: number | null;
  lon: number | null;
  district: string | null;
  observed_at: number;
  expires_at: number;
  has_snapshot: boolean;
}

interface AccessRow {
  id: number;
  evidence_id: string;
  username: string;
  action: string;
  at: number;
}

function toRecord(row: EvidenceRow): EvidenceRecord {
  const record: EvidenceRecord = {
    id: row.id,
    cameraId: row.camera_id,
    eventId: row.event_id,
    ruleId: row.rule_id,
    offence: row.offence,
    label: row.label,
    zones: JSON.parse(row.zones) as string[],
    observedAt: row.observed_at,
    hasSnapshot: row.has_snapshot,
    expiresAt: row.expires_at,
  };
  if (row.plate !== null) record.plate = row.plate;
  if (row.lat !== null && row.lon !== null) record.position = { lat: row.lat, lon: row.lon };
  if (row.district !== null) record.district = row.district;
  return record;
}

const toAccess = (row: AccessRow): EvidenceAccess => ({ id: row.id, evidenceId: row.evidence_id, username: row.username, action: row.action, at: row.at });

/** Every column but the JPEG: listing must not read them. */
const RECORD_COLUMNS = `id, camera_id, event_id, rule_id, offence, label, plate, zones, lat, lon, district, observed_at, expires_at,
  snapshot IS NOT NULL AS has_snapshot`;

export class PgEvidenceRepository implements EvidenceRepository {
  constructor(private readonly db: PgConnection) {}

  async add(record: NewEvidence, jpeg?: Buffer): Promise<EvidenceRecord> {
    if (!record.id) throw new OpsValidationError('evidence id: expected a non-empty string');
    const row = await this.db.one<EvidenceRow>(
      `INSERT INTO evidence (id, camera_id, event_id, rule_id, offence, label, plate, zones, lat, lon, district, observed_at, expires_at, snapshot)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (id) DO NOTHING RETURNING ${RECORD_COLUMNS}`,
      [
        record.id,
        record.cameraId,
        record.eventId,
        record.ruleId,
        record.offence,
        record.label,
        record.plate ?? null,
        JSON.stringify(record.zones),
        record.position?.lat ?? null,
        record.position?.lon ?? null,
        record.district ?? null,
        record.observedAt,
        record.expiresAt,
        jpeg ?? null,
      ],
    );
    if (!row) throw new OpsConflictError(`evidence ${record.id} already exists`);
    return toRecord(row);
  }

  async get(id: string): Promise<EvidenceRecord | undefined> {
    const row = await this.db.one<EvidenceRow>(`SELECT ${RECORD_COLUMNS} FROM evidence WHERE id = $1`, [id]);
    return row ? toRecord(row) : undefined;
  }

  async list(options: { limit?: number } = {}): Promise<EvidenceRecord[]> {
    const limit = clampLimit(options.limit, EVIDENCE_LIST_LIMIT);
    return (await this.db.rows<EvidenceRow>(`SELECT ${RECORD_COLUMNS} FROM evidence ORDER BY observed_at DESC, id LIMIT $1`, [limit])).map(toRecord);
  }

  async snapshot(id: string): Promise<Buffer | undefined> {
    return (await this.db.one<{ snapshot: Buffer | null }>('SELECT snapshot FROM evidence WHERE id = $1', [id]))?.snapshot ?? undefined;
  }

  async delete(id: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM evidence WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async purgeExpired(nowMs = Date.now()): Promise<number> {
    return (await this.db.query('DELETE FROM evidence WHERE expires_at <= $1', [nowMs])).rowCount ?? 0;
  }

  async logAccess(evidenceId: string, username: string, action: string, atMs = Date.now()): Promise<EvidenceAccess> {
    const row = await this.db.one<AccessRow>('INSERT INTO evidence_access (evidence_id, username, action, at) VALUES ($1, $2, $3, $4) RETURNING *', [
      evidenceId,
      username,
      action,
      atMs,
    ]);
    return toAccess(row!);
  }

  async accessLog(evidenceId?: string): Promise<EvidenceAccess[]> {
    const rows =
      evidenceId === undefined
        ? await this.db.rows<AccessRow>('SELECT * FROM evidence_access ORDER BY id')
        : await this.db.rows<AccessRow>('SELECT * FROM evidence_access WHERE evidence_id = $1 ORDER BY id', [evidenceId]);
    return rows.map(toAccess);
  }
}
