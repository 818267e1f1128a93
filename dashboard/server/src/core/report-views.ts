// Stored reports -> what each reader may see. Pure.
//
// Public views (status page, "already reported?") are built field by field from the record: the
// reporter is never read, positions are rounded, no address text (it would undo the rounding).
// Operator views carry the reporter only when asked to (operator role and above).
import { REPORT_STATUS_LABELS } from '@city/shared/open311';
import type { NearbyReport, OperatorReport, OperatorReportDetail, PublicReport, ReporterContact } from '@city/shared/reports';
import { findService, formatW3cDateTime, toOpen311Status, type Catalogue } from '../open311/index.ts';
import type { DuplicateSuggestion, ReportDetail, ReportPhoto, ReportRecord, ReportUpdate } from '../ops/index.ts';

export interface PublicViewContext {
  catalogue: Catalogue;
  /** IANA zone: times are written as its wall-clock time with the offset */
  timeZone: string;
  /** decimals of lat/long kept */
  coordDecimals: number;
}

export const photoUrl = (photoId: string) => `/media/reports/${encodeURIComponent(photoId)}`;
export const statusUrl = (reportId: string) => `/report/status/${encodeURIComponent(reportId)}`;

/** Rounds half away from zero to `decimals` places, without binary-fraction surprises in the text. */
export function roundCoordinate(value: number, decimals: number): number {
  return Number((Math.sign(value) * Math.round(Math.abs(value) * 10 ** decimals) / 10 ** decimals).toFixed(decimals));
}

const serviceName = (catalogue: Catalogue, code: string) => findService(catalogue, code)?.service_name ?? null;

function roundedPosition(record: ReportRecord, decimals: number): { lat: number | null; long: number | null } {
  if (!record.position) return { lat: null, long: null };
  return { lat: roundCoordinate(record.position.lat, decimals), long: roundCoordinate(record.position.lon, decimals) };
}

export function toPublicReport(record: ReportRecord, updates: readonly ReportUpdate[], photos: readonly ReportPhoto[], ctx: PublicViewContext): PublicReport {
  const time = (ms: number) => formatW3cDateTime(ms, ctx.timeZone);
  return {
    service_request_id: record.id,
    service_code: record.serviceCode,
    service_name: serviceName(ctx.catalogue, record.serviceCode),
    status: record.status,
    status_label: REPORT_STATUS_LABELS[record.status],
    open311_status: toOpen311Status(record.status),
    status_notes: record.statusNotes ?? null,
    description: record.description ?? null,
    requested_datetime: time(record.requestedAt),
    updated_datetime: time(record.updatedAt),
    expected_datetime: record.expectedAt === undefined ? null : time(record.expectedAt),
    ...roundedPosition(record, ctx.coordDecimals),
    district: record.district ?? null,
    duplicate_of: record.duplicateOf ?? null,
    updates: updates.map((u) => ({
      status: u.status,
      status_label: REPORT_STATUS_LABELS[u.status],
      description: u.description ?? null,
      updated_datetime: time(u.updatedAt),
    })),
    photos: photos.map((p) => ({ url: photoUrl(p.id), content_type: p.contentType, width: p.width ?? null, height: p.height ?? null })),
  };
}

export function toNearbyReport(suggestion: DuplicateSuggestion, ctx: PublicViewContext): NearbyReport {
  const { report, distanceM } = suggestion;
  return {
    service_request_id: report.id,
    service_code: report.serviceCode,
    service_name: serviceName(ctx.catalogue, report.serviceCode),
    status: report.status,
    status_label: REPORT_STATUS_LABELS[report.status],
    description: report.description ?? null,
    requested_datetime: formatW3cDateTime(report.requestedAt, ctx.timeZone),
    // coarse: the exact distance would help triangulate an unrounded position
    distance_m: Math.round(distanceM / 10) * 10,
    ...roundedPosition(report, ctx.coordDecimals),
    photo_urls: report.photoIds.map(photoUrl),
    status_url: statusUrl(report.id),
  };
}

function contactOf(record: ReportRecord): ReporterContact {
  const { email, phone, firstName, lastName, deviceId, accountId } = record.reporter;
  return {
    ...(email !== undefined ? { email } : {}),
    ...(phone !== undefined ? { phone } : {}),
    ...(firstName !== undefined ? { firstName } : {}),
    ...(lastName !== undefined ? { lastName } : {}),
    ...(deviceId !== undefined ? { deviceId } : {}),
    ...(accountId !== undefined ? { accountId } : {}),
  };
}

export interface OperatorViewOptions {
  catalogue: Catalogue;
  /** the reporter's contact: operator role and above */
  withContact: boolean;
}

export function toOperatorReport(record: ReportRecord, options: OperatorViewOptions): OperatorReport {
  const view: OperatorReport = {
    id: record.id,
    serviceCode: record.serviceCode,
    serviceName: serviceName(options.catalogue, record.serviceCode),
    category: record.category,
    status: record.status,
    statusLabel: REPORT_STATUS_LABELS[record.status],
    attributes: record.attributes,
    source: record.source,
    requestedAt: record.requestedAt,
    updatedAt: record.updatedAt,
    incidentIds: record.incidentIds,
    photoUrls: record.photoIds.map(photoUrl),
  };
  if (record.statusNotes !== undefined) view.statusNotes = record.statusNotes;
  if (record.description !== undefined) view.description = record.description;
  if (record.position) view.position = record.position;
  if (record.district !== undefined) view.district = record.district;
  if (record.addressString !== undefined) view.address = record.addressString;
  if (record.addressId !== undefined) view.addressId = record.addressId;
  if (record.mediaUrl !== undefined) view.mediaUrl = record.mediaUrl;
  if (record.expectedAt !== undefined) view.expectedAt = record.expectedAt;
  if (record.closedAt !== undefined) view.closedAt = record.closedAt;
  if (record.duplicateOf !== undefined) view.duplicateOf = record.duplicateOf;
  if (options.withContact) view.reporter = contactOf(record);
  return view;
}

export interface OperatorDetailOptions extends OperatorViewOptions {
  /** internal notes: operator role and above */
  withNotes: boolean;
}

export function toOperatorDetail(detail: ReportDetail, possibleDuplicates: readonly DuplicateSuggestion[], options: OperatorDetailOptions): OperatorReportDetail {
  return {
    ...toOperatorReport(detail.report, options),
    updates: detail.updates.map((u) => ({
      id: u.id,
      status: u.status,
      ...(u.description !== undefined ? { description: u.description } : {}),
      at: u.updatedAt,
      author: u.author,
    })),
    ...(options.withNotes ? { notes: detail.notes.map((n) => ({ id: n.id, author: n.author, text: n.text, at: n.at })) } : {}),
    photos: detail.photos.map((p) => ({
      id: p.id,
      url: photoUrl(p.id),
      contentType: p.contentType,
      bytes: p.bytes,
      ...(p.width !== undefined ? { width: p.width } : {}),
      ...(p.height !== undefined ? { height: p.height } : {}),
    })),
    timeline: detail.timeline,
    possibleDuplicates: possibleDuplicates.map((s) => ({
      id: s.report.id,
      distanceM: s.distanceM,
      status: s.report.status,
      ...(s.report.description !== undefined ? { description: s.report.description } : {}),
      requestedAt: s.report.requestedAt,
    })),
  };
}
