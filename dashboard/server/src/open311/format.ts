// Response bodies, JSON and XML, for every GeoReport v2 method and FixMyStreet's servicerequestupdates.
// Each response is first built as its wire object (@city/shared/open311, keys in the spec's order);
// JSON is that object, XML is the same object written element by element. Pure.
//
// Privacy: a request's reporter (name, email, phone, device) is never read here, so no public body
// can carry it. The POST response returns the submitter's own account_id, as the spec has it.
import type {
  Open311Error,
  ServiceRequest,
  ServiceRequestCreated,
  ServiceRequestToken,
  ServiceRequestUpdate,
} from '@city/shared/open311';
import { findService, toServiceDefinition, toServiceList, type Catalogue, type CatalogueService } from './catalogue.ts';
import type { ServiceRequestRecord, ServiceRequestUpdateRecord } from './model.ts';
import { toFmsStatus, toOpen311Status } from './statuses.ts';
import { formatW3cDateTime } from './time.ts';
import { xmlDocument } from './xml.ts';

export const OPEN311_FORMATS = ['xml', 'json'] as const;
export type Open311Format = (typeof OPEN311_FORMATS)[number];
export const isOpen311Format = (text: string): text is Open311Format => (OPEN311_FORMATS as readonly string[]).includes(text);

/** The spec's content types. */
export const CONTENT_TYPES: Readonly<Record<Open311Format, string>> = {
  xml: 'text/xml; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export interface Rendered {
  contentType: string;
  body: string;
}

export interface FormatContext {
  /** service names, agencies and notices come from here */
  catalogue: Catalogue;
  /** IANA zone of the city: times are written as its wall-clock time with the offset */
  timeZone: string;
  /** `extensions=true`: add extended_attributes (the rich status) to each request */
  extensions?: boolean;
}

/** Repeated elements: `<services><service>`, `<attributes><attribute>`, ... */
const ITEM_NAMES = {
  services: 'service',
  attributes: 'attribute',
  values: 'value',
  service_requests: 'request',
  service_request_updates: 'request_update',
  errors: 'error',
} as const;

/** JSON with <, >, &, U+2028 and U+2029 as \u escapes: the same value, and harmless if a browser
 * ever sniffs the body as HTML or a script. */
export function toSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function render(root: keyof typeof ITEM_NAMES | 'service_definition', wire: unknown, format: Open311Format): Rendered {
  return {
    contentType: CONTENT_TYPES[format],
    body: format === 'json' ? toSafeJson(wire) : xmlDocument(root, wire, ITEM_NAMES),
  };
}

// ---- wire objects ----

export function toServiceRequest(record: ServiceRequestRecord, ctx: FormatContext): ServiceRequest {
  const service = findService(ctx.catalogue, record.serviceCode);
  const time = (ms: number) => formatW3cDateTime(ms, ctx.timeZone);
  return {
    service_request_id: record.id,
    status: toOpen311Status(record.status),
    status_notes: record.statusNotes ?? null,
    service_name: service?.service_name ?? null,
    service_code: record.serviceCode,
    description: record.description ?? null,
    agency_responsible: record.agencyResponsible ?? service?.agency_responsible ?? null,
    service_notice: record.serviceNotice ?? service?.service_notice ?? null,
    requested_datetime: time(record.requestedAt),
    updated_datetime: time(record.updatedAt),
    expected_datetime: record.expectedAt === undefined ? null : time(record.expectedAt),
    address: record.addressString ?? null,
    address_id: record.addressId ?? null,
    zipcode: record.zipcode ?? null,
    lat: record.position?.lat ?? null,
    long: record.position?.lon ?? null,
    media_url: record.mediaUrl ?? null,
    ...(ctx.extensions ? { extended_attributes: { status: toFmsStatus(record.status), district: record.district ?? null } } : {}),
  };
}

export function toServiceRequestCreated(record: ServiceRequestRecord, catalogue: Catalogue): ServiceRequestCreated {
  return {
    service_request_id: record.id,
    service_notice: record.serviceNotice ?? findService(catalogue, record.serviceCode)?.service_notice ?? null,
    account_id: record.reporter.accountId ?? null,
  };
}

export function toServiceRequestUpdate(update: ServiceRequestUpdateRecord, timeZone: string): ServiceRequestUpdate {
  return {
    update_id: update.id,
    service_request_id: update.serviceRequestId,
    status: toFmsStatus(update.status),
    updated_datetime: formatW3cDateTime(update.updatedAt, timeZone),
    description: update.description ?? '',
    media_url: update.mediaUrl ?? '',
  };
}

// ---- bodies ----

/** GET services */
export const formatServiceList = (catalogue: Catalogue, format: Open311Format) => render('services', toServiceList(catalogue), format);

/** GET services/{service_code} */
export const formatServiceDefinition = (service: CatalogueService, format: Open311Format) =>
  render('service_definition', toServiceDefinition(service), format);

/** POST requests: the created request(s). */
export const formatCreated = (records: readonly ServiceRequestRecord[], catalogue: Catalogue, format: Open311Format) =>
  render('service_requests', records.map((r) => toServiceRequestCreated(r, catalogue)), format);

/** GET requests and GET requests/{id} (a list of one). */
export const formatRequests = (records: readonly ServiceRequestRecord[], ctx: FormatContext, format: Open311Format) =>
  render('service_requests', records.map((r) => toServiceRequest(r, ctx)), format);

/** GET tokens/{token} */
export const formatTokens = (tokens: readonly ServiceRequestToken[], format: Open311Format) =>
  render('service_requests', tokens.map((t) => ({ service_request_id: t.service_request_id, token: t.token })), format);

/** GET servicerequestupdates (FixMyStreet extension) */
export const formatUpdates = (updates: readonly ServiceRequestUpdateRecord[], timeZone: string, format: Open311Format) =>
  render('service_request_updates', updates.map((u) => toServiceRequestUpdate(u, timeZone)), format);

/** Any failure: `<errors><error><code/><description/></error></errors>` / [{code, description}]. */
export const formatErrors = (errors: readonly Open311Error[], format: Open311Format) =>
  render('errors', errors.map((e) => ({ code: e.code, description: e.description })), format);

/** The HTTP status for a list of errors: 403 (api_key) before 404 (not found) before the rest. */
export function errorHttpStatus(errors: readonly Open311Error[]): number {
  for (const code of [403, 404]) if (errors.some((e) => e.code === code)) return code;
  return errors[0]?.code ?? 400;
}
