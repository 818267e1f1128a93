// GET requests and GET servicerequestupdates query strings -> a typed filter, or Open311 errors
// (400; 404 for a foreign jurisdiction_id). Pure: "now" is passed in.
//
// GeoReport v2: service_request_id (comma separated) overrides every other argument; service_code
// and status are comma separated and may also be repeated; start_date / end_date are W3C date-times
// that may not span more than 90 days, and default to the most recent 90 days; at most 1000
// requests come back. page / page_size are the widely implemented pagination extension.
import { describe } from '@city/shared/decoders/common';
import { OPEN311_STATUSES, type Open311Error, type Open311Status } from '@city/shared/open311';
import type { Open311Result, ServiceRequestRecord, ServiceRequestUpdateRecord } from './model.ts';
import { toOpen311Status } from './statuses.ts';
import { formatW3cDateTime, parseW3cDateTime } from './time.ts';

/** The spec's widest date range. */
export const MAX_DATE_SPAN_MS = 90 * 86_400_000;
/** The spec's default (and our largest) page. */
export const DEFAULT_LIMIT = 1000;
/** Ids one request may ask for. */
export const MAX_IDS = 1000;

export interface QueryOptions {
  /** epoch ms: the end of the default range */
  nowMs: number;
  /** IANA zone of the city: dates without an offset are read in it */
  timeZone: string;
  /** when set, a different jurisdiction_id is refused (404) */
  jurisdictionId?: string;
}

/** A parsed query string: strings, repeated keys as arrays (Express, URLSearchParams-to-object). */
export type Open311Query = Readonly<Record<string, unknown>>;

export interface DateRange {
  /** epoch ms, inclusive */
  startMs: number;
  /** epoch ms, inclusive */
  endMs: number;
}

export interface Page {
  limit: number;
  offset: number;
}

export type RequestsFilter =
  | { kind: 'ids'; serviceRequestIds: string[]; extensions: boolean }
  | ({
      kind: 'search';
      /** undefined: every service */
      serviceCodes?: string[];
      /** undefined: every status */
      statuses?: Open311Status[];
      extensions: boolean;
    } & DateRange &
      Page);

export type UpdatesFilter = DateRange & Page;

const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;
const bad = (description: string): Open311Error => ({ code: 400, description });

/** Every comma-separated item of a parameter that may also be repeated; undefined when absent. */
function list(query: Open311Query, key: string, errors: Open311Error[]): string[] | undefined {
  const raw = query[key];
  if (raw === undefined || raw === null) return undefined;
  const parts = Array.isArray(raw) ? raw : [raw];
  if (!parts.every((p) => typeof p === 'string')) {
    errors.push(bad(`${key}: expected a comma-separated list (got ${describe(raw)})`));
    return undefined;
  }
  const items = (parts as string[])
    .flatMap((p) => p.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.length === 0 ? undefined : [...new Set(items)];
}

function single(query: Open311Query, key: string, errors: Open311Error[]): string | undefined {
  const items = list(query, key, errors);
  if (items === undefined) return undefined;
  if (items.length > 1) {
    errors.push(bad(`${key}: expected one value`));
    return undefined;
  }
  return items[0];
}

function checkJurisdiction(query: Open311Query, options: QueryOptions, errors: Open311Error[]): void {
  const given = single(query, 'jurisdiction_id', errors);
  if (given !== undefined && options.jurisdictionId !== undefined && given !== options.jurisdictionId) {
    errors.push({ code: 404, description: `jurisdiction_id ${describe(given)} not found; this endpoint serves ${options.jurisdictionId}` });
  }
}

function date(query: Open311Query, key: string, options: QueryOptions, errors: Open311Error[]): number | undefined {
  const text = single(query, key, errors);
  if (text === undefined) return undefined;
  const at = parseW3cDateTime(text, options.timeZone);
  if (at === undefined) errors.push(bad(`${key}: expected a W3C date-time like 2026-11-28T00:00:00Z (got ${describe(text)})`));
  return at;
}

const days = (ms: number) => Math.round((ms / 86_400_000) * 10) / 10;

/** start_date / end_date with the spec's defaults: both absent -> the last 90 days; one absent ->
 * 90 days from (or to) the other. */
function dateRange(query: Open311Query, options: QueryOptions, errors: Open311Error[]): DateRange | undefined {
  const before = errors.length;
  const start = date(query, 'start_date', options, errors);
  const end = date(query, 'end_date', options, errors);
  if (errors.length > before) return undefined;
  const endMs = end ?? (start !== undefined ? start + MAX_DATE_SPAN_MS : options.nowMs);
  const startMs = start ?? endMs - MAX_DATE_SPAN_MS;
  if (startMs > endMs) {
    errors.push(
      bad(`start_date ${formatW3cDateTime(startMs, options.timeZone)} is after end_date ${formatW3cDateTime(endMs, options.timeZone)}`),
    );
    return undefined;
  }
  if (endMs - startMs > MAX_DATE_SPAN_MS) {
    errors.push(bad(`start_date to end_date spans ${days(endMs - startMs)} days; at most ${MAX_DATE_SPAN_MS / 86_400_000} are allowed`));
    return undefined;
  }
  return { startMs, endMs };
}

function positiveInt(query: Open311Query, key: string, max: number, errors: Open311Error[]): number | undefined {
  const text = single(query, key, errors);
  if (text === undefined) return undefined;
  const n = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    errors.push(bad(`${key}: expected a whole number from 1 to ${max} (got ${describe(text)})`));
    return undefined;
  }
  return n;
}

function page(query: Open311Query, errors: Open311Error[]): Page {
  const limit = positiveInt(query, 'page_size', DEFAULT_LIMIT, errors) ?? DEFAULT_LIMIT;
  const pageNumber = positiveInt(query, 'page', 1_000_000, errors) ?? 1;
  return { limit, offset: (pageNumber - 1) * limit };
}

function extensions(query: Open311Query, errors: Open311Error[]): boolean {
  const text = single(query, 'extensions', errors);
  if (text === undefined) return false;
  if (text === 'true' || text === 'false') return text === 'true';
  errors.push(bad(`extensions: expected true or false (got ${describe(text)})`));
  return false;
}

/** GET requests. */
export function parseRequestsQuery(query: Open311Query, options: QueryOptions): Open311Result<RequestsFilter> {
  const errors: Open311Error[] = [];
  checkJurisdiction(query, options, errors);
  const withExtensions = extensions(query, errors);

  const ids = list(query, 'service_request_id', errors);
  if (ids !== undefined) {
    // "This overrides all other arguments": the rest of the query is not read
    for (const id of ids) if (!ID_PATTERN.test(id)) errors.push(bad(`service_request_id: ${describe(id)} is not a request id`));
    if (ids.length > MAX_IDS) errors.push(bad(`service_request_id: ${ids.length} ids; at most ${MAX_IDS} at once`));
    if (errors.length > 0) return { ok: false, errors };
    return { ok: true, value: { kind: 'ids', serviceRequestIds: ids, extensions: withExtensions } };
  }

  const serviceCodes = list(query, 'service_code', errors);
  for (const code of serviceCodes ?? []) if (!ID_PATTERN.test(code)) errors.push(bad(`service_code: ${describe(code)} is not a service code`));

  const statusItems = list(query, 'status', errors);
  const statuses: Open311Status[] = [];
  for (const s of statusItems ?? []) {
    const status = s.toLowerCase();
    if ((OPEN311_STATUSES as readonly string[]).includes(status)) statuses.push(status as Open311Status);
    else errors.push(bad(`status: ${describe(s)} is not one of open, closed`));
  }

  const range = dateRange(query, options, errors);
  const paging = page(query, errors);
  if (errors.length > 0 || !range) return { ok: false, errors };
  return {
    ok: true,
    value: {
      kind: 'search',
      ...(serviceCodes !== undefined ? { serviceCodes } : {}),
      ...(statusItems !== undefined ? { statuses: [...new Set(statuses)] } : {}),
      ...range,
      ...paging,
      extensions: withExtensions,
    },
  };
}

/** GET servicerequestupdates (FixMyStreet): start_date / end_date, same defaults and limit. */
export function parseUpdatesQuery(query: Open311Query, options: QueryOptions): Open311Result<UpdatesFilter> {
  const errors: Open311Error[] = [];
  checkJurisdiction(query, options, errors);
  const range = dateRange(query, options, errors);
  const paging = page(query, errors);
  if (errors.length > 0 || !range) return { ok: false, errors };
  return { ok: true, value: { ...range, ...paging } };
}

/** Whether a stored request passes a filter (paging is the store's job). */
export function requestMatches(record: ServiceRequestRecord, filter: RequestsFilter): boolean {
  if (filter.kind === 'ids') return filter.serviceRequestIds.includes(record.id);
  if (filter.serviceCodes && !filter.serviceCodes.includes(record.serviceCode)) return false;
  if (filter.statuses && !filter.statuses.includes(toOpen311Status(record.status))) return false;
  return record.requestedAt >= filter.startMs && record.requestedAt <= filter.endMs;
}

export function updateMatches(update: ServiceRequestUpdateRecord, filter: UpdatesFilter): boolean {
  return update.updatedAt >= filter.startMs && update.updatedAt <= filter.endMs;
}
