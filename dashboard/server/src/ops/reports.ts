// Citizen reports in SQLite: the report (reporter contact in its own columns), its public updates,
// operators' internal notes, photos (BLOBs, read only one at a time) and links to incidents. Ids come
// from the shared sequences table ('1001'); the receipt token is kept only as its SHA-256.
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { StatementCache, clampLimit, type SqliteConnection } from './db.ts';
import { OpsNotFoundError, OpsValidationError } from './errors.ts';
import type { Encoded } from './rows/encoded.ts';
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
} from './rows/reports.ts';
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
} from './repositories.ts';

export const hashReportToken = (token: string): string => createHash('sha256').update(token).digest('hex');
/** 16 random bytes in base64url: 22 characters. */
export const REPORT_TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}$/;
export const PHOTO_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
/** What the store makes: digits, no leading zero. */
export const REPORT_ID_PATTERN = /^[1-9]\d{0,14}$/;

/** As SQLite returns it: JSON text for the attributes and the gathered ids. */
type SqliteReportRow = Encoded<ReportRow, { attributes: string; incident_ids: string; photo_ids: string }>;

const decodeReport = (row: SqliteReportRow): ReportRecord =>
  toReport({ ...row, attributes: JSON.parse(row.attributes), incident_ids: JSON.parse(row.incident_ids), photo_ids: JSON.parse(row.photo_ids) });

/** Every column but the token hash, with links and photo ids gathered (no BLOBs). */
const REPORT_SELECT = `SELECT r.id, r.service_code, r.category, r.status, r.status_notes, r.description, r.lat, r.lon, r.district,
  r.address, r.address_id, r.zipcode, r.media_url, r.attributes, r.jurisdiction_id, r.source, r.client,
  r.reporter_email, r.reporter_phone, r.reporter_first_name, r.reporter_last_name, r.reporter_device_id, r.reporter_account_id,
  r.requested_at, r.updated_at, r.expected_at, r.closed_at, r.duplicate_of,
  (SELECT json_group_array(incident_id) FROM (SELECT incident_id FROM report_incidents WHERE report_id = r.id ORDER BY at, incident_id)) AS incident_ids,
  (SELECT json_group_array(id) FROM (SELECT id FROM report_photos WHERE report_id = r.id ORDER BY position)) AS photo_ids
  FROM reports r`;

const PHOTO_COLUMNS = 'id, report_id, position, content_type, bytes, width, height, created_at';

export class SqliteReportRepository implements ReportRepository {
  private readonly db: Database.Database;
  private readonly nextSequence: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly selectOne: Database.Statement;
  private readonly exists: Database.Statement;
  private readonly selectIdByToken: Database.Statement;
  private readonly insertUpdate: Database.Statement;
  private readonly insertNote: Database.Statement;
  private readonly selectNotes: Database.Statement;
  private readonly insertPhoto: Database.Statement;
  private readonly countPhotos: Database.Statement;
  private readonly selectPhotos: Database.Statement;
  private readonly selectPhoto: Database.Statement;
  private readonly selectPhotoData: Database.Statement;
  private readonly incidentExists: Database.Statement;
  private readonly insertLink: Database.Statement;
  private readonly filtered: StatementCache;

  constructor(private readonly conn: SqliteConnection) {
    const db = (this.db = conn.db);
    this.nextSequence = db.prepare(`UPDATE sequences SET value = value + 1 WHERE name = 'report' RETURNING value`).pluck();
    this.insert = db.prepare(
      `INSERT INTO reports (id, token_hash, service_code, category, status, description, lat, lon, district, address, address_id,
        media_url, attributes, jurisdiction_id, source, client, reporter_email, reporter_phone, reporter_first_name, reporter_last_name,
        reporter_device_id, reporter_account_id, requested_at, updated_at, expected_at)
       VALUES (@id, @tokenHash, @serviceCode, @category, 'open', @description, @lat, @lon, @district, @address, @addressId,
        @mediaUrl, @attributes, @jurisdictionId, @source, @client, @email, @phone, @firstName, @lastName,
        @deviceId, @accountId, @requestedAt, @requestedAt, @expectedAt)`,
    );
    this.selectOne = db.prepare(`${REPORT_SELECT} WHERE r.id = ?`);
    this.exists = db.prepare('SELECT 1 FROM reports WHERE id = ?').pluck();
    this.selectIdByToken = db.prepare('SELECT id FROM reports WHERE token_hash = ?').pluck();
    this.insertUpdate = db.prepare(
      'INSERT INTO report_updates (report_id, status, description, media_url, author, at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *',
    );
    this.insertNote = db.prepare('INSERT INTO report_notes (report_id, author, text, at) VALUES (?, ?, ?, ?) RETURNING *');
    this.selectNotes = db.prepare('SELECT * FROM report_notes WHERE report_id = ? ORDER BY id');
    this.insertPhoto = db.prepare(
      `INSERT INTO report_photos (id, report_id, position, content_type, bytes, width, height, data, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.countPhotos = db.prepare('SELECT count(*) FROM report_photos WHERE report_id = ?').pluck();
    this.selectPhotos = db.prepare(`SELECT ${PHOTO_COLUMNS} FROM report_photos WHERE report_id = ? ORDER BY position`);
    this.selectPhoto = db.prepare(`SELECT ${PHOTO_COLUMNS} FROM report_photos WHERE id = ?`);
    this.selectPhotoData = db.prepare('SELECT data FROM report_photos WHERE id = ?').pluck();
    this.incidentExists = db.prepare('SELECT 1 FROM incidents WHERE id = ?').pluck();
    this.insertLink = db.prepare('INSERT INTO report_incidents (report_id, incident_id, linked_by, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.filtered = new StatementCache(db);
  }

  private mustExist(id: string): void {
    if (!this.exists.get(id)) throw new OpsNotFoundError(`report ${id} not found`);
  }

  private mustGet(id: string): ReportRecord {
    const row = this.selectOne.get(id) as SqliteReportRow | undefined;
    if (!row) throw new OpsNotFoundError(`report ${id} not found`);
    return decodeReport(row);
  }

  create(report: NewReport): Promise<CreatedReport> {
    const token = randomBytes(16).toString('base64url');
    return this.conn.run(
      this.db.transaction(() => {
        const id = String(this.nextSequence.get() as number);
        const reporter = report.reporter;
        this.insert.run({
          id,
          tokenHash: hashReportToken(token),
          serviceCode: report.serviceCode,
          category: report.category,
          description: report.description ?? null,
          lat: report.position?.lat ?? null,
          lon: report.position?.lon ?? null,
          district: report.district ?? null,
          address: report.addressString ?? null,
          addressId: report.addressId ?? null,
          mediaUrl: report.mediaUrl ?? null,
          attributes: JSON.stringify(report.attributes ?? {}),
          jurisdictionId: report.jurisdictionId ?? null,
          source: report.source,
          client: report.client ?? null,
          email: reporter.email ?? null,
          phone: reporter.phone ?? null,
          firstName: reporter.firstName ?? null,
          lastName: reporter.lastName ?? null,
          deviceId: reporter.deviceId ?? null,
          accountId: reporter.accountId ?? null,
          requestedAt: report.requestedAt,
          expectedAt: report.expectedAt ?? null,
        });
        return { report: this.mustGet(id), token };
      }),
    );
  }

  get(id: string): Promise<ReportRecord | undefined> {
    return this.conn.run(() => {
      const row = this.selectOne.get(id) as SqliteReportRow | undefined;
      return row ? decodeReport(row) : undefined;
    });
  }

  idForToken(token: string): Promise<string | undefined> {
    if (!REPORT_TOKEN_PATTERN.test(token)) return Promise.resolve(undefined);
    return this.conn.run(() => (this.selectIdByToken.get(hashReportToken(token)) as string | undefined) ?? undefined);
  }

  async list(filter: ReportFilter = {}): Promise<ReportRecord[]> {
    const limit = clampLimit(filter.limit, REPORT_LIST_LIMIT);
    const offset = filter.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0) throw new OpsValidationError(`offset: expected a whole number (got ${offset})`);
    const where: string[] = [];
    const params: unknown[] = [];
    // arrays go in as one JSON parameter, so the SQL shape depends only on which filters are given
    const inList = (column: string, values: readonly string[] | undefined) => {
      if (values === undefined) return;
      where.push(`${column} IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(values));
    };
    inList('r.id', filter.ids);
    inList('r.service_code', filter.serviceCodes);
    inList('r.status', filter.statuses);
    const compare = (sql: string, value: number | undefined) => {
      if (value === undefined) return;
      where.push(sql);
      params.push(value);
    };
    compare('r.requested_at >= ?', filter.requestedFrom);
    compare('r.requested_at <= ?', filter.requestedTo);
    compare('r.updated_at >= ?', filter.updatedSince);
    if (filter.bbox) {
      const [west, south, east, north] = filter.bbox;
      where.push('r.lon BETWEEN ? AND ? AND r.lat BETWEEN ? AND ?');
      params.push(west, east, south, north);
    }
    const sql = `${REPORT_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.requested_at DESC, CAST(r.id AS INTEGER) DESC LIMIT ? OFFSET ?`;
    return this.conn.run(() => (this.filtered.get(sql).all(...params, limit, offset) as SqliteReportRow[]).map(decodeReport));
  }

  update(id: string, patch: ReportPatch): Promise<ReportRecord> {
    return this.conn.run(() => {
      this.mustExist(id);
      if (patch.duplicateOf !== undefined && patch.duplicateOf !== null) {
        if (patch.duplicateOf === id) throw new OpsValidationError(`report ${id} cannot be a duplicate of itself`);
        if (!this.exists.get(patch.duplicateOf)) throw new OpsValidationError(`duplicateOf: report ${patch.duplicateOf} not found`);
      }
      const sets: string[] = [];
      const params: unknown[] = [];
      for (const [key, column] of Object.entries(REPORT_PATCH_COLUMNS) as [keyof ReportPatch, string][]) {
        const value = patch[key];
        if (value === undefined) continue;
        sets.push(`${column} = ?`);
        params.push(value);
      }
      if (sets.length > 0) this.filtered.get(`UPDATE reports SET ${sets.join(', ')} WHERE id = ?`).run(...params, id);
      return this.mustGet(id);
    });
  }

  addUpdate(reportId: string, update: NewReportUpdate): Promise<ReportUpdate> {
    return this.conn.run(() => {
      this.mustExist(reportId);
      const row = this.insertUpdate.get(reportId, update.status, update.description ?? null, update.mediaUrl ?? null, update.author, update.updatedAt) as ReportUpdateRow;
      return toReportUpdate(row);
    });
  }

  async updates(filter: ReportUpdateFilter = {}): Promise<ReportUpdate[]> {
    const limit = clampLimit(filter.limit, REPORT_LIST_LIMIT);
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.reportId !== undefined) {
      where.push('report_id = ?');
      params.push(filter.reportId);
    }
    if (filter.from !== undefined) {
      where.push('at >= ?');
      params.push(filter.from);
    }
    if (filter.to !== undefined) {
      where.push('at <= ?');
      params.push(filter.to);
    }
    const sql = `SELECT * FROM report_updates ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at, id LIMIT ? OFFSET ?`;
    return this.conn.run(() => (this.filtered.get(sql).all(...params, limit, filter.offset ?? 0) as ReportUpdateRow[]).map(toReportUpdate));
  }

  addNote(reportId: string, author: string, text: string, atMs = Date.now()): Promise<ReportNote> {
    return this.conn.run(() => {
      this.mustExist(reportId);
      return toReportNote(this.insertNote.get(reportId, author, text, atMs) as ReportNoteRow);
    });
  }

  notes(reportId: string): Promise<ReportNote[]> {
    return this.conn.run(() => (this.selectNotes.all(reportId) as ReportNoteRow[]).map(toReportNote));
  }

  addPhoto(reportId: string, photo: NewReportPhoto, atMs = Date.now()): Promise<ReportPhoto> {
    const id = randomBytes(16).toString('base64url');
    return this.conn.run(() => {
      this.mustExist(reportId);
      const position = this.countPhotos.get(reportId) as number;
      this.insertPhoto.run(id, reportId, position, photo.contentType, photo.data.length, photo.width ?? null, photo.height ?? null, photo.data, atMs);
      return toReportPhoto(this.selectPhoto.get(id) as ReportPhotoRow);
    });
  }

  photos(reportId: string): Promise<ReportPhoto[]> {
    return this.conn.run(() => (this.selectPhotos.all(reportId) as ReportPhotoRow[]).map(toReportPhoto));
  }

  photoData(photoId: string): Promise<{ photo: ReportPhoto; data: Buffer } | undefined> {
    if (!PHOTO_ID_PATTERN.test(photoId)) return Promise.resolve(undefined);
    return this.conn.run(() => {
      const row = this.selectPhoto.get(photoId) as ReportPhotoRow | undefined;
      if (!row) return undefined;
      return { photo: toReportPhoto(row), data: this.selectPhotoData.get(photoId) as Buffer };
    });
  }

  linkIncident(reportId: string, incidentId: string, linkedBy: string, atMs = Date.now()): Promise<boolean> {
    return this.conn.run(() => {
      this.mustExist(reportId);
      if (!this.incidentExists.get(incidentId)) throw new OpsNotFoundError(`incident ${incidentId} not found`);
      return this.insertLink.run(reportId, incidentId, linkedBy, atMs).changes > 0;
    });
  }
}
