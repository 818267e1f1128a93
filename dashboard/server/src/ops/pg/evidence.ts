// Infringement evidence in PostgreSQL: the record, its JPEG (BYTEA), its retention limit, and a log of
// who read it. The log outlives the record it names.
import type { EvidenceRecord } from '@city/shared';
import { clampLimit } from '../db.ts';
import { OpsConflictError, OpsValidationError } from '../errors.ts';
import { EVIDENCE_LIST_LIMIT } from '../evidence.ts';
import type { EvidenceAccess, EvidenceRepository, NewEvidence } from '../repositories.ts';
import type { Encoded } from '../rows/encoded.ts';
import { toEvidenceAccess, toEvidenceRecord, type EvidenceAccessRow, type EvidenceRow } from '../rows/evidence.ts';
import type { PgConnection } from './connection.ts';

/** As PostgreSQL returns it: zones as json text (connection.ts). */
type PgEvidenceRow = Encoded<EvidenceRow, { zones: string }>;

const decodeRecord = (row: PgEvidenceRow): EvidenceRecord => toEvidenceRecord({ ...row, zones: JSON.parse(row.zones) });

/** Every column but the JPEG: listing must not read them. */
const RECORD_COLUMNS = `id, camera_id, event_id, rule_id, offence, label, plate, zones, lat, lon, district, observed_at, expires_at,
  snapshot IS NOT NULL AS has_snapshot`;

export class PgEvidenceRepository implements EvidenceRepository {
  constructor(private readonly db: PgConnection) {}

  async add(record: NewEvidence, jpeg?: Buffer): Promise<EvidenceRecord> {
    if (!record.id) throw new OpsValidationError('evidence id: expected a non-empty string');
    const row = await this.db.one<PgEvidenceRow>(
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
    return decodeRecord(row);
  }

  async get(id: string): Promise<EvidenceRecord | undefined> {
    const row = await this.db.one<PgEvidenceRow>(`SELECT ${RECORD_COLUMNS} FROM evidence WHERE id = $1`, [id]);
    return row ? decodeRecord(row) : undefined;
  }

  async list(options: { limit?: number } = {}): Promise<EvidenceRecord[]> {
    const limit = clampLimit(options.limit, EVIDENCE_LIST_LIMIT);
    return (await this.db.rows<PgEvidenceRow>(`SELECT ${RECORD_COLUMNS} FROM evidence ORDER BY observed_at DESC, id LIMIT $1`, [limit])).map(decodeRecord);
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
    const row = await this.db.one<EvidenceAccessRow>('INSERT INTO evidence_access (evidence_id, username, action, at) VALUES ($1, $2, $3, $4) RETURNING *', [
      evidenceId,
      username,
      action,
      atMs,
    ]);
    return toEvidenceAccess(row!);
  }

  async accessLog(evidenceId?: string): Promise<EvidenceAccess[]> {
    const rows =
      evidenceId === undefined
        ? await this.db.rows<EvidenceAccessRow>('SELECT * FROM evidence_access ORDER BY id')
        : await this.db.rows<EvidenceAccessRow>('SELECT * FROM evidence_access WHERE evidence_id = $1 ORDER BY id', [evidenceId]);
    return rows.map(toEvidenceAccess);
  }
}
