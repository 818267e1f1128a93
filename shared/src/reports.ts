// The city's own citizen-report API, as the web form (/report), the status page and the operators'
// desk read it. Declared once here. Public shapes are snake_case with W3C times, like the Open311 API
// next to them; operator shapes are camelCase with epoch ms, like incidents.
//
// Privacy: no public shape has a field for the reporter's name, email or phone; public positions are
// rounded (OPEN_DATA_COORD_DECIMALS) and carry no address text.
import type { AuditEntry } from './incidents.ts';
import type { Open311Error, Open311Status, ReportStatus } from './open311.ts';
import type { Position } from './reading.ts';

// ---- public: the web form and the status page ----

/** POST /api/reports (multipart/form-data) -> 201 */
export interface ReportCreatedResponse {
  service_request_id: string;
  /** the receipt: GET /open311/v2/tokens/{token}.json gives the id back */
  token: string;
  /** the status page: /report/status/{id} */
  status_url: string;
}

/** GET /api/reports/form-config: the limits the form checks before it sends (the server checks them again). */
export interface ReportFormConfig {
  max_photos: number;
  /** per photo */
  max_photo_bytes: number;
  /** where reports are accepted: [west, south, east, north] */
  bounds: [number, number, number, number];
  area_name: string;
  /** what the status page calls a report's district */
  districts: { id: string; name: string }[];
}

/** Any refusal of POST /api/reports, GET /api/reports/nearby and /api/reports/{id}/public:
 * 400, 403, 404, 413, 415, 429. Each description starts with the field it is about ("lat: ..."). */
export interface ReportErrorResponse {
  errors: Open311Error[];
}

export interface PublicReportPhoto {
  /** /media/reports/{photoId}: metadata (EXIF, GPS) already stripped */
  url: string;
  content_type: string;
  width: number | null;
  height: number | null;
}

export interface PublicReportUpdate {
  /** the rich status after the update */
  status: ReportStatus;
  status_label: string;
  description: string | null;
  updated_datetime: string;
}

/** GET /api/reports/{id}/public */
export interface PublicReport {
  service_request_id: string;
  service_code: string;
  service_name: string | null;
  status: ReportStatus;
  status_label: string;
  /** what plain Open311 clients see: open or closed */
  open311_status: Open311Status;
  status_notes: string | null;
  description: string | null;
  requested_datetime: string;
  updated_datetime: string;
  expected_datetime: string | null;
  /** rounded */
  lat: number | null;
  long: number | null;
  district: string | null;
  /** set when closed as a duplicate: follow that report */
  duplicate_of: string | null;
  /** oldest first */
  updates: PublicReportUpdate[];
  photos: PublicReportPhoto[];
}

/** One answer to "already reported?" */
export interface NearbyReport {
  service_request_id: string;
  service_code: string;
  service_name: string | null;
  status: ReportStatus;
  status_label: string;
  description: string | null;
  requested_datetime: string;
  /** from the position asked about, rounded to 10 m */
  distance_m: number;
  /** rounded */
  lat: number | null;
  long: number | null;
  photo_urls: string[];
  status_url: string;
}

/** GET /api/reports/nearby?service_code=&lat=&long= */
export interface NearbyReportsResponse {
  reports: NearbyReport[];
}

// ---- operators ----

/** Who sent a report: operators and admins only, never viewers, never public. */
export interface ReporterContact {
  email?: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
  deviceId?: string;
  accountId?: string;
}

export interface ReportPhotoInfo {
  id: string;
  url: string;
  contentType: string;
  bytes: number;
  width?: number;
  height?: number;
}

/** GET /api/reports: one report. */
export interface OperatorReport {
  id: string;
  serviceCode: string;
  serviceName: string | null;
  category: string;
  status: ReportStatus;
  statusLabel: string;
  statusNotes?: string;
  description?: string;
  position?: Position;
  district?: string;
  address?: string;
  addressId?: string;
  attributes: Record<string, string | number | string[]>;
  mediaUrl?: string;
  /** 'open311' (an API client) or 'web' (the city's form) */
  source: string;
  requestedAt: number;
  updatedAt: number;
  expectedAt?: number;
  closedAt?: number;
  duplicateOf?: string;
  incidentIds: string[];
  photoUrls: string[];
  /** operator role and above only */
  reporter?: ReporterContact;
}

export interface OperatorReportUpdate {
  id: string;
  status: ReportStatus;
  description?: string;
  at: number;
  author: string;
}

export interface OperatorReportNote {
  id: number;
  author: string;
  text: string;
  at: number;
}

/** GET /api/reports/{id} */
export interface OperatorReportDetail extends OperatorReport {
  /** public updates, oldest first */
  updates: OperatorReportUpdate[];
  /** internal notes, oldest first: operator role and above only */
  notes?: OperatorReportNote[];
  photos: ReportPhotoInfo[];
  /** the audit trail, oldest first */
  timeline: AuditEntry[];
  /** open reports of the same service nearby: candidates for POST .../duplicate */
  possibleDuplicates: { id: string; distanceM: number; status: ReportStatus; description?: string; requestedAt: number }[];
}

// ---- live: the `/ops` socket.io namespace ----

/**
 * A report as `/ops` pushes it: the operator view WITHOUT the reporter's contact (viewers are on that
 * socket too; operators read the contact from GET /api/reports/{id}).
 */
export type LiveReport = Omit<OperatorReport, 'reporter'>;

export type LiveReportChange = 'created' | 'updated';

/** Report events of the `/ops` namespace, next to IncidentEventsToClient on the same socket. */
export interface ReportEventsToClient {
  /** open reports plus those closed in the last hour (newest first, capped), on (re)connect */
  reports: (payload: { reports: LiveReport[]; serverTime: number }) => void;
  /** one report created (any way in: Open311, the city's form) or changed by an operator */
  report: (payload: { report: LiveReport; change: LiveReportChange; serverTime: number }) => void;
}
