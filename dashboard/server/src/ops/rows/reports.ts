// Citizen report rows as both stores read them, columns decoded (JSON parsed, arrays as arrays), and
// the one mapping from such a row to the records the repositories return.
import type { IncidentCategory, ReportStatus } from '@city/shared';
import type { ImageType } from '../../core/image-info.ts';
import type { AttributeAnswer, Reporter } from '../../open311/model.ts';
import type { ReportNote, ReportPatch, ReportPhoto, ReportRecord, ReportSource, ReportUpdate } from '../repositories.ts';

export interface ReportRow {
  id: string;
  service_code: string;
  category: string;
  status: string;
  status_notes: string | null;
  description: string | null;
  lat: number | null;
  lon: number | null;
  district: string | null;
  address: string | null;
  address_id: string | null;
  zipcode: string | null;
  media_url: string | null;
  attributes: Record<string, AttributeAnswer>;
  jurisdiction_id: string | null;
  source: string;
  client: string | null;
  reporter_email: string | null;
  reporter_phone: string | null;
  reporter_first_name: string | null;
  reporter_last_name: string | null;
  reporter_device_id: string | null;
  reporter_account_id: string | null;
  requested_at: number;
  updated_at: number;
  expected_at: number | null;
  closed_at: number | null;
  duplicate_of: string | null;
  /** linked incidents, oldest link first */
  incident_ids: string[];
  /** photo ids in upload order */
  photo_ids: string[];
}

export interface ReportUpdateRow {
  id: number;
  report_id: string;
  status: string;
  description: string | null;
  media_url: string | null;
  author: string;
  at: number;
}

export interface ReportNoteRow {
  id: number;
  report_id: string;
  author: string;
  text: string;
  at: number;
}

export interface ReportPhotoRow {
  id: string;
  report_id: string;
  position: number;
  content_type: string;
  bytes: number;
  width: number | null;
  height: number | null;
  created_at: number;
}

/** The column each patchable field is stored in. */
export const REPORT_PATCH_COLUMNS: Readonly<Record<keyof ReportPatch, string>> = {
  status: 'status',
  statusNotes: 'status_notes',
  expectedAt: 'expected_at',
  closedAt: 'closed_at',
  duplicateOf: 'duplicate_of',
  updatedAt: 'updated_at',
};

function toReporter(row: ReportRow): Reporter {
  const reporter: Reporter = {};
  if (row.reporter_email !== null) reporter.email = row.reporter_email;
  if (row.reporter_phone !== null) reporter.phone = row.reporter_phone;
  if (row.reporter_first_name !== null) reporter.firstName = row.reporter_first_name;
  if (row.reporter_last_name !== null) reporter.lastName = row.reporter_last_name;
  if (row.reporter_device_id !== null) reporter.deviceId = row.reporter_device_id;
  if (row.reporter_account_id !== null) reporter.accountId = row.reporter_account_id;
  return reporter;
}

export function toReport(row: ReportRow): ReportRecord {
  const report: ReportRecord = {
    id: row.id,
    serviceCode: row.service_code,
    category: row.category as IncidentCategory,
    status: row.status as ReportStatus,
    attributes: row.attributes,
    reporter: toReporter(row),
    source: row.source as ReportSource,
    requestedAt: row.requested_at,
    updatedAt: row.updated_at,
    incidentIds: row.incident_ids,
    photoIds: row.photo_ids,
  };
  // optional fields only when set, so a report reads back as it was written
  if (row.status_notes !== null) report.statusNotes = row.status_notes;
  if (row.description !== null) report.description = row.description;
  if (row.lat !== null && row.lon !== null) report.position = { lat: row.lat, lon: row.lon };
  if (row.district !== null) report.district = row.district;
  if (row.address !== null) report.addressString = row.address;
  if (row.address_id !== null) report.addressId = row.address_id;
  if (row.zipcode !== null) report.zipcode = row.zipcode;
  if (row.media_url !== null) report.mediaUrl = row.media_url;
  if (row.jurisdiction_id !== null) report.jurisdictionId = row.jurisdiction_id;
  if (row.client !== null) report.client = row.client;
  if (row.expected_at !== null) report.expectedAt = row.expected_at;
  if (row.closed_at !== null) report.closedAt = row.closed_at;
  if (row.duplicate_of !== null) report.duplicateOf = row.duplicate_of;
  return report;
}

export function toReportUpdate(row: ReportUpdateRow): ReportUpdate {
  const update: ReportUpdate = { id: String(row.id), serviceRequestId: row.report_id, status: row.status as ReportStatus, updatedAt: row.at, author: row.author };
  if (row.description !== null) update.description = row.description;
  if (row.media_url !== null) update.mediaUrl = row.media_url;
  return update;
}

export function toReportPhoto(row: ReportPhotoRow): ReportPhoto {
  const photo: ReportPhoto = {
    id: row.id,
    reportId: row.report_id,
    position: row.position,
    contentType: row.content_type as ImageType,
    bytes: row.bytes,
    createdAt: row.created_at,
  };
  if (row.width !== null) photo.width = row.width;
  if (row.height !== null) photo.height = row.height;
  return photo;
}

export const toReportNote = (row: ReportNoteRow): ReportNote => ({ id: row.id, reportId: row.report_id, author: row.author, text: row.text, at: row.at });
