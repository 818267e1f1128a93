import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMIT,
  MAX_DATE_SPAN_MS,
  parseRequestsQuery,
  parseUpdatesQuery,
  requestMatches,
  updateMatches,
  type Open311Query,
  type QueryOptions,
  type RequestsFilter,
} from '../../src/open311/filters.ts';
import type { ServiceRequestRecord } from '../../src/open311/model.ts';

const NOW = Date.parse('2026-11-28T15:30:00Z');
const DAY = 86_400_000;
const options = (over: Partial<QueryOptions> = {}): QueryOptions => ({ nowMs: NOW, timeZone: 'America/Chicago', ...over });

const filterOf = (query: Open311Query, o: QueryOptions = options()): RequestsFilter => {
  const result = parseRequestsQuery(query, o);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return result.value;
};
const errorsOf = (query: Open311Query, o: QueryOptions = options()) => {
  const result = parseRequestsQuery(query, o);
  return result.ok ? [] : result.errors;
};

describe('parseRequestsQuery', () => {
  it('defaults to the last 90 days, every service and status, 1000 requests', () => {
    expect(filterOf({})).toEqual({ kind: 'search', startMs: NOW - 90 * DAY, endMs: NOW, limit: DEFAULT_LIMIT, offset: 0, extensions: false });
  });

  it('takes comma-separated service_request_ids, which override every other argument', () => {
    expect(filterOf({ service_request_id: '638344, 638349,A-7', start_date: 'not a date', status: 'pending' })).toEqual({
      kind: 'ids',
      serviceRequestIds: ['638344', '638349', 'A-7'],
      extensions: false,
    });
  });

  it('takes comma-separated service codes', () => {
    expect(filterOf({ service_code: '001,004' })).toMatchObject({ serviceCodes: ['001', '004'] });
  });

  it('takes service codes declared several times', () => {
    expect(filterOf({ service_code: ['001', '004,005'] })).toMatchObject({ serviceCodes: ['001', '004', '005'] });
  });

  it.each([
    ['open', ['open']],
    ['closed', ['closed']],
    ['open,closed', ['open', 'closed']],
    ['OPEN', ['open']],
  ])('takes status=%s', (status, expected) => {
    expect(filterOf({ status })).toMatchObject({ statuses: expected });
  });

  it('takes a range of exactly 90 days', () => {
    expect(filterOf({ start_date: '2026-01-01T00:00:00Z', end_date: '2026-04-01T00:00:00Z' })).toMatchObject({
      startMs: Date.parse('2026-01-01T00:00:00Z'),
      endMs: Date.parse('2026-01-01T00:00:00Z') + MAX_DATE_SPAN_MS,
    });
  });

  it('takes a start_date alone: 90 days from it', () => {
    const start = Date.parse('2026-01-01T06:00:00Z');
    expect(filterOf({ start_date: '2026-01-01T00:00:00-06:00' })).toMatchObject({ startMs: start, endMs: start + 90 * DAY });
  });

  it('takes an end_date alone: the 90 days before it', () => {
    const end = Date.parse('2026-06-01T00:00:00Z');
    expect(filterOf({ end_date: '2026-06-01T00:00:00Z' })).toMatchObject({ startMs: end - 90 * DAY, endMs: end });
  });

  it('reads a bare date in the city zone', () => {
    expect(filterOf({ start_date: '2026-11-01', end_date: '2026-11-28' })).toMatchObject({
      startMs: Date.parse('2026-11-01T05:00:00Z'),
      endMs: Date.parse('2026-11-28T06:00:00Z'),
    });
  });

  it('pages with page_size and page', () => {
    expect(filterOf({ page_size: '50', page: '3' })).toMatchObject({ limit: 50, offset: 100 });
  });

  it('turns on extended attributes with extensions=true', () => {
    expect(filterOf({ extensions: 'true' })).toMatchObject({ extensions: true });
  });

  it('takes the jurisdiction_id it serves', () => {
    expect(filterOf({ jurisdiction_id: 'chicago.example' }, options({ jurisdictionId: 'chicago.example' }))).toMatchObject({ kind: 'search' });
  });

  it.each<[string, Open311Query, number, string]>([
    ['a range over 90 days', { start_date: '2026-01-01T00:00:00Z', end_date: '2026-05-01T00:00:00Z' }, 400, 'start_date to end_date spans 120 days; at most 90 are allowed'],
    ['a range one second over 90 days', { start_date: '2026-01-01T00:00:00Z', end_date: '2026-04-01T00:00:01Z' }, 400, 'spans 90 days; at most 90 are allowed'],
    ['an end before the start', { start_date: '2026-05-01T00:00:00Z', end_date: '2026-04-01T00:00:00Z' }, 400, 'start_date 2026-04-30T19:00:00-05:00 is after end_date'],
    ['a start_date that is not a date', { start_date: 'last week' }, 400, 'start_date: expected a W3C date-time like 2026-11-28T00:00:00Z (got "last week")'],
    ['an end_date on 30 February', { end_date: '2026-02-30T00:00:00Z' }, 400, 'end_date: expected a W3C date-time'],
    ['two start_dates', { start_date: ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'] }, 400, 'start_date: expected one value'],
    ['an unknown status', { status: 'open,pending' }, 400, 'status: "pending" is not one of open, closed'],
    ['a service_request_id with spaces inside', { service_request_id: '63 8344' }, 400, 'service_request_id: "63 8344" is not a request id'],
    ['a service_code with a slash', { service_code: '001/../002' }, 400, 'service_code: "001/../002" is not a service code'],
    ['a page_size of 0', { page_size: '0' }, 400, 'page_size: expected a whole number from 1 to 1000'],
    ['a page_size over 1000', { page_size: '1001' }, 400, 'page_size: expected a whole number from 1 to 1000'],
    ['a page that is not a number', { page: 'two' }, 400, 'page: expected a whole number'],
    ['extensions=maybe', { extensions: 'maybe' }, 400, 'extensions: expected true or false'],
    ['a nested object for status', { status: { a: 'open' } }, 400, 'status: expected a comma-separated list'],
  ])('refuses %s', (_case, query, code, description) => {
    expect(errorsOf(query)).toEqual([{ code, description: expect.stringContaining(description) }]);
  });

  it('refuses a jurisdiction_id it does not serve (404)', () => {
    expect(errorsOf({ jurisdiction_id: 'sfgov.org' }, options({ jurisdictionId: 'chicago.example' }))).toEqual([
      { code: 404, description: expect.stringContaining('jurisdiction_id "sfgov.org" not found') },
    ]);
  });

  it('lists every problem at once', () => {
    expect(errorsOf({ status: 'pending', start_date: 'soon', page_size: '0' }).map((e) => e.description.split(':')[0])).toEqual([
      'status',
      'start_date',
      'page_size',
    ]);
  });
});

describe('parseUpdatesQuery', () => {
  it('defaults to the last 90 days and 1000 updates', () => {
    expect(parseUpdatesQuery({}, options())).toEqual({ ok: true, value: { startMs: NOW - 90 * DAY, endMs: NOW, limit: 1000, offset: 0 } });
  });

  it('refuses more than 90 days', () => {
    const result = parseUpdatesQuery({ start_date: '2026-01-01T00:00:00Z', end_date: '2026-12-01T00:00:00Z' }, options());
    expect(result.ok ? [] : result.errors.map((e) => e.code)).toEqual([400]);
  });
});

describe('requestMatches', () => {
  const record = (over: Partial<ServiceRequestRecord> = {}): ServiceRequestRecord => ({
    id: '42',
    serviceCode: '001',
    category: 'traffic',
    status: 'in_progress',
    attributes: {},
    reporter: {},
    requestedAt: NOW - DAY,
    updatedAt: NOW - DAY,
    ...over,
  });
  const search = (over: Partial<Extract<RequestsFilter, { kind: 'search' }>> = {}): RequestsFilter => ({
    kind: 'search',
    startMs: NOW - 90 * DAY,
    endMs: NOW,
    limit: 1000,
    offset: 0,
    extensions: false,
    ...over,
  });

  it.each<[string, RequestsFilter, Partial<ServiceRequestRecord>, boolean]>([
    ['inside the default range', search(), {}, true],
    ['before the range', search(), { requestedAt: NOW - 91 * DAY }, false],
    ['on the range edge', search(), { requestedAt: NOW }, true],
    ['of a listed service', search({ serviceCodes: ['001', '004'] }), {}, true],
    ['of another service', search({ serviceCodes: ['004'] }), {}, false],
    ['in_progress under status=open', search({ statuses: ['open'] }), {}, true],
    ['in_progress under status=closed', search({ statuses: ['closed'] }), {}, false],
    ['fixed under status=closed', search({ statuses: ['closed'] }), { status: 'fixed' }, true],
    ['asked for by id, however old', { kind: 'ids', serviceRequestIds: ['42'], extensions: false }, { requestedAt: 0 }, true],
    ['not among the ids', { kind: 'ids', serviceRequestIds: ['43'], extensions: false }, {}, false],
  ])('a request %s: %s', (_case, filter, over, expected) => {
    expect(requestMatches(record(over), filter)).toBe(expected);
  });

  it('an update inside the range matches', () => {
    expect(updateMatches({ id: 'u1', serviceRequestId: '42', status: 'fixed', updatedAt: NOW }, { startMs: NOW - DAY, endMs: NOW, limit: 1000, offset: 0 })).toBe(true);
  });
});
