// Citizen reports in PostgreSQL: the report (reporter contact in its own columns), its public updates,
// operators' internal notes, photos (BYTEA, read only one at a time) and links to incidents. Ids come
// from the shared sequences table ('1001'); the receipt token is kept only as its SHA-256.
import { randomBytes } from 'node:crypto';
import { clampLimit } from '../db.ts';
import { OpsNotFoundError, OpsValidationError } from '../errors.ts';
import { PHOTO_ID_PATTERN, REPORT_TOKEN_PATTERN, hashReportToken } from '../reports.ts';
import {
  REPORT_LIST_LIMIT,
  type CreatedReport,
  type NewReport,
  type NewReportPhoto,
  type NewReportUpdate,
  type ReportFilter,
  type ReportNote,
  type ReportPatch,
  type ReportPhoto,
  type ReportRecord,
  type ReportRepository,
  type ReportUpdate,
  type ReportUpdateFilter,
} from '../repositories.ts';
import type { Encoded } from '../rows/encoded.ts';
import {
  REPORT_PATCH_COLUMNS,
  toReport,
  toReportNote,
  toReportPhoto,
  toReportUpdate,
  type ReportNoteRow,
  type ReportPhotoRow,
  type ReportRow,
  type ReportUpdateRow,
} from '../rows/reports.ts';
import type { PgConnection } from './connection.ts';

/** As PostgreSQL returns it: the attributes as json text (connection.ts), the gathered ids as arrays. */
type PgReportRow = Encoded<ReportRow, { attributes: string }>;

const decodeReport = (row: PgReportRow): ReportRecord => toReport({ ...row, attributes: JSON.parse(row.attributes) });

/** Every column but the token hash, with links and photo ids gathered (no photo bytes). */
const REPORT_SELECT = `SELECT r.id, r.service_code, r.category, r.status, r.status_notes, r.description, r.lat, r.lon, r.district,
  r.address, r.address_id, r.zipcode, r.media_url, r.attributes, r.jurisdiction_id, r.source, r.client,
  r.reporter_email, r.reporter_phone, r.reporter_first_name, r.reporter_last_name, r.reporter_device_id, r.reporter_account_id,
  r.requested_at, r.updated_at, r.expected_at, r.closed_at, r.duplicate_of,
  ARRAY(SELECT incident_id::text FROM report_incidents WHERE report_id = r.id ORDER BY at, incident_id) AS incident_ids,
  ARRAY(SELECT id FROM report_photos WHERE report_id = r.id ORDER BY position) AS photo_ids
  FROM reports r`;

const PHOTO_COLUMNS = 'id, report_id, position, content_type, bytes, width, height, created_at';

/** WHERE clauses with numbered parameters: `param(value)` adds one and names it `$n`. */
class Where {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  param(value: unknown): string {
    return `$${this.params.push(value)}`;
  }

  toString(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

export class PgReportRepository implements ReportRepository {
  constructor(private readonly db: PgConnection) {}

  private async mustExist(id: string): Promise<void> {
    if (!(await this.db.one('SELECT 1 FROM reports WHERE id = $1', [id]))) throw new OpsNotFoundError(`report ${id} not found`);
  }

  private async mustGet(id: string): Promise<ReportRecord> {
    const row = await this.db.one<PgReportRow>(`${REPORT_SELECT} WHERE r.id = $1`, [id]);
    if (!row) throw new OpsNotFoundError(`report ${id} not found`);
    return decodeReport(row);
  }

  create(report: NewReport): Promise<CreatedReport> {
    const token = randomBytes(16).toString('base64url');
    return this.db.atomic(async () => {
      const next = await this.db.one<{ value: number }>(`UPDATE sequences SET value = value + 1 WHERE name = 'report' RETURNING value`);
      const id = String(next!.value);
      const reporter = report.reporter;
      await this.db.query(
        `INSERT INTO reports (id, token_hash, service_code, category, status, description, lat, lon, district, address, address_id,
          media_url, attributes, jurisdiction_id, source, client, reporter_email, reporter_phone, reporter_first_name, reporter_last_name,
          reporter_device_id, reporter_account_id, requested_at, updated_at, expected_at)
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22, $23)`,
        [
          id,
          hashReportToken(token),
          report.serviceCode,
          report.category,
          report.description ?? null,
          report.position?.lat ?? null,
          report.position?.lon ?? null,
          report.district ?? null,
          report.addressString ?? null,
          report.addressId ?? null,
          report.mediaUrl ?? null,
          JSON.stringify(report.attributes ?? {}),
          report.jurisdictionId ?? null,
          report.source,
          report.client ?? null,
          reporter.email ?? null,
          reporter.phone ?? null,
          reporter.firstName ?? null,
          reporter.lastName ?? null,
          reporter.deviceId ?? null,
          reporter.accountId ?? null,
          report.requestedAt,
          report.expectedAt ?? null,
        ],
      );
      return { report: await this.mustGet(id), token };
    });
  }

  async get(id: string): Promise<ReportRecord | undefined> {
    const row = await this.db.one<PgReportRow>(`${REPORT_SELECT} WHERE r.id = $1`, [id]);
    return row ? decodeReport(row) : undefined;
  }

  async idForToken(token: string): Promise<string | undefined> {
    if (!REPORT_TOKEN_PATTERN.test(token)) return undefined;
    return (await this.db.one<{ id: string }>('SELECT id FROM reports WHERE token_hash = $1', [hashReportToken(token)]))?.id;
  }

  async list(filter: ReportFilter = {}): Promise<ReportRecord[]> {
    const limit = clampLimit(filter.limit, REPORT_LIST_LIMIT);
    const offset = filter.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0) throw new OpsValidationError(`offset: expected a whole number (got ${offset})`);
    const where = new Where();
    const inList = (column: string, values: readonly string[] | undefined) => {
      if (values !== undefined) where.clauses.push(`${column} = ANY(${where.param(values)}::text[])`);
    };
    inList('r.id', filter.ids);
    inList('r.service_code', filter.serviceCodes);
    inList('r.status', filter.statuses);
    const compare = (sql: string, value: number | undefined) => {
      if (value !== undefined) where.clauses.push(`${sql} ${where.param(value)}`);
    };
    compare('r.requested_at >=', filter.requestedFrom);
    compare('r.requested_at <=', filter.requestedTo);
    compare('r.updated_at >=', filter.updatedSince);
    if (filter.bbox) {
      const [west, south, east, north] = filter.bbox;
      where.clauses.push(`r.lon BETWEEN ${where.param(west)} AND ${where.param(east)} AND r.lat BETWEEN ${where.param(south)} AND ${where.param(north)}`);
    }
    const sql = `${REPORT_SELECT} ${where} ORDER BY r.requested_at DESC, r.id::bigint DESC LIMIT ${where.param(limit)} OFFSET ${where.param(offset)}`;
    return (await this.db.rows<PgReportRow>(sql, where.params)).map(decodeReport);
  }

  update(id: string, patch: ReportPatch): Promise<ReportRecord> {
    return this.db.atomic(async () => {
      await this.mustExist(id);
      if (patch.duplicateOf !== undefined && patch.duplicateOf !== null) {
        if (patch.duplicateOf === id) throw new OpsValidationError(`report ${id} cannot be a duplicate of itself`);
        if (!(await this.db.one('SELECT 1 FROM reports WHERE id = $1', [patch.duplicateOf]))) throw new OpsValidationError(`duplicateOf: report ${patch.duplicateOf} not found`);
      }
      const sets: string[] = [];
      const params: unknown[] = [id];
      for (const [key, column] of Object.entries(REPORT_PATCH_COLUMNS) as [keyof ReportPatch, string][]) {
        const value = patch[key];
        if (value === undefined) continue;
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      }
      if (sets.length > 0) await this.db.query(`UPDATE reports SET ${sets.join(', ')} WHERE id = $1`, params);
      return this.mustGet(id);
    });
  }

  async addUpdate(reportId: string, update: NewReportUpdate): Promise<ReportUpdate> {
    const row = await this.db.one<ReportUpdateRow>(
      `INSERT INTO report_updates (report_id, status, description, media_url, author, at)
       SELECT id, $2, $3, $4, $5, $6 FROM reports WHERE id = $1 RETURNING *`,
      [reportId, update.status, update.description ?? null, update.mediaUrl ?? null, update.author, update.updatedAt],
    );
    if (!row) throw new OpsNotFoundError(`report ${reportId} not found`);
    return toReportUpdate(row);
  }

  async updates(filter: ReportUpdateFilter = {}): Promise<ReportUpdate[]> {
    const limit = clampLimit(filter.limit, REPORT_LIST_LIMIT);
    const where = new Where();
    if (filter.reportId !== undefined) where.clauses.push(`report_id = ${where.param(filter.reportId)}`);
    if (filter.from !== undefined) where.clauses.push(`at >= ${where.param(filter.from)}`);
    if (filter.to !== undefined) where.clauses.push(`at <= ${where.param(filter.to)}`);
    const sql = `SELECT * FROM report_updates ${where} ORDER BY at, id LIMIT ${where.param(limit)} OFFSET ${where.param(filter.offset ?? 0)}`;
    return (await this.db.rows<ReportUpdateRow>(sql, where.params)).map(toReportUpdate);
  }

  async addNote(reportId: string, author: string, text: string, atMs = Date.now()): Promise<ReportNote> {
    const row = await this.db.one<ReportNoteRow>(
      'INSERT INTO report_notes (report_id, author, text, at) SELECT id, $2, $3, $4 FROM reports WHERE id = $1 RETURNING *',
      [reportId, author, text, atMs],
    );
    if (!row) throw new OpsNotFoundError(`report ${reportId} not found`);
    return toReportNote(row);
  }

  async notes(reportId: string): Promise<ReportNote[]> {
    return (await this.db.rows<ReportNoteRow>('SELECT * FROM report_notes WHERE report_id = $1 ORDER BY id', [reportId])).map(toReportNote);
  }

  addPhoto(reportId: string, photo: NewReportPhoto, atMs = Date.now()): Promise<ReportPhoto> {
    const id = randomBytes(16).toString('base64url');
    return this.db.atomic(async () => {
      // the report row locked: two uploads at once get positions 0 and 1, not 0 and 0
      if (!(await this.db.one('SELECT 1 FROM reports WHERE id = $1 FOR UPDATE', [reportId]))) throw new OpsNotFoundError(`report ${reportId} not found`);
      const row = await this.db.one<ReportPhotoRow>(
        `INSERT INTO report_photos (id, report_id, position, content_type, bytes, width, height, data, created_at)
         VALUES ($1, $2, (SELECT count(*) FROM report_photos WHERE report_id = $2), $3, $4, $5, $6, $7, $8) RETURNING ${PHOTO_COLUMNS}`,
        [id, reportId, photo.contentType, photo.data.length, photo.width ?? null, photo.height ?? null, photo.data, atMs],
      );
      return toReportPhoto(row!);
    });
  }

  async photos(reportId: string): Promise<ReportPhoto[]> {
    return (await this.db.rows<ReportPhotoRow>(`SELECT ${PHOTO_COLUMNS} FROM report_photos WHERE report_id = $1 ORDER BY position`, [reportId])).map(toReportPhoto);
  }

  async photoData(photoId: string): Promise<{ photo: ReportPhoto; data: Buffer } | undefined> {
    if (!PHOTO_ID_PATTERN.test(photoId)) return undefined;
    const row = await this.db.one<ReportPhotoRow & { data: Buffer }>(`SELECT ${PHOTO_COLUMNS}, data FROM report_photos WHERE id = $1`, [photoId]);
    if (!row) return undefined;
    const { data, ...photo } = row;
    return { photo: toReportPhoto(photo), data };
  }

  linkIncident(reportId: string, incidentId: string, linkedBy: string, atMs = Date.now()): Promise<boolean> {
    return this.db.atomic(async () => {
      await this.mustExist(reportId);
      if (!(await this.db.one('SELECT 1 FROM incidents WHERE id = $1', [incidentId]))) throw new OpsNotFoundError(`incident ${incidentId} not found`);
      const { rowCount } = await this.db.query(
        'INSERT INTO report_incidents (report_id, incident_id, linked_by, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [reportId, incidentId, linkedBy, atMs],
      );
      return (rowCount ?? 0) > 0;
    });
  }
}
