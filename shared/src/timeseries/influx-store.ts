// TimeSeriesStore on InfluxDB, v1 API (`/write?db=`, InfluxDB 1.x such as Debian's 1.6.7) or v2 API
// (`/api/v2/write`, InfluxDB 1.8+, 2.x, 3.x, Cloud). Reads use InfluxQL over `/query`, the one query
// language all of them accept (2.x maps the bucket to a database through its v1 compatibility API).
//
// Layout: measurement = reading.kind; tags = device_id, district (when present), label (when present);
// fields = metrics, always floats; timestamp in ms. A point is identified by measurement + tag set + time, so
// writing the same reading twice overwrites it (idempotent, fields merged as InfluxDB does).
import { HttpError, InfluxDB, RequestTimedOutError, escape, type WriteApi } from '@influxdata/influxdb-client';
import type { Logger } from '../logger.ts';
import type { Reading } from '../reading.ts';
import { StoreError } from './errors.ts';
import type { HistoryPoint, HistoryQuery, TimeSeriesStore } from './store.ts';

export interface InfluxStoreOptions {
  /** base URL, e.g. http://localhost:8086 */
  url: string;
  /** v1 API: the database (created at start when missing) */
  database?: string;
  /** sent as `Authorization: Token ...` (v2 token; on 1.8+ also `user:password`) */
  token?: string;
  /** v2 API: organisation, with bucket */
  org?: string;
  /** v2 API: bucket, with org; also the database name for InfluxQL queries */
  bucket?: string;
  logger: Logger;
  /** how long one write (or ping) may go without an answer, ms; default 10000 */
  writeTimeoutMs?: number;
  /** how long one query may take, ms; default 30000 */
  queryTimeoutMs?: number;
}

const DEFAULT_WRITE_TIMEOUT_MS = 10_000;
const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

type Flavour =
  | { api: 'v1'; database: string }
  | { api: 'v2'; org: string; bucket: string };

function flavourOf(options: InfluxStoreOptions): Flavour {
  const { database, org, bucket } = options;
  if (database && !org && !bucket) return { api: 'v1', database };
  if (!database && org && bucket) return { api: 'v2', org, bucket };
  throw new StoreError(
    'InfluxDB store: give either database (v1 API, INFLUX_DATABASE) or org and bucket (v2 API, INFLUX_ORG and INFLUX_BUCKET), exactly one of the two',
    'local',
    false,
  );
}

/** InfluxQL identifier: "name" with " and \ escaped. */
function ident(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** InfluxQL string literal: 'value' with ' and \ escaped. */
function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * One reading as one line of line protocol, or undefined when it has no finite metric (InfluxDB cannot store
 * a point without fields, and NaN/Infinity are not valid floats). Names are escaped with the client's own
 * escaper; tags are written in sorted key order (device_id, district, label) as InfluxDB prefers. Every
 * value is written as a float (no `i` suffix), so a metric that is sometimes whole never conflicts in type.
 */
export function toLineProtocol(reading: Reading): string | undefined {
  let fields = '';
  for (const [name, value] of Object.entries(reading.metrics)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    fields += `${fields ? ',' : ''}${escape.tag(name)}=${value}`;
  }
  if (!fields) return undefined;
  let line = `${escape.measurement(reading.kind)},device_id=${escape.tag(reading.deviceId)}`;
  if (reading.district) line += `,district=${escape.tag(reading.district)}`;
  if (reading.label) line += `,label=${escape.tag(reading.label)}`;
  return `${line} ${fields} ${Math.floor(reading.observedAt)}`;
}

interface InfluxQLSeries {
  name: string;
  columns: string[];
  values?: unknown[][];
  tags?: Record<string, string>;
}
interface InfluxQLResponse {
  results?: { statement_id: number; series?: InfluxQLSeries[]; error?: string }[];
  error?: string;
}

export function createInfluxStore(options: InfluxStoreOptions): TimeSeriesStore {
  const flavour = flavourOf(options);
  const { logger } = options;
  const writeTimeoutMs = options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
  const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const baseUrl = options.url.replace(/\/+$/, '');
  const name = flavour.api === 'v1' ? 'influxdb-v1' : 'influxdb-v2';
  /** the database InfluxQL queries name: the v1 database, or the v2 bucket through the v1 compatibility API */
  const queryDb = flavour.api === 'v1' ? flavour.database : flavour.bucket;
  const target = flavour.api === 'v1' ? `database "${flavour.database}"` : `bucket "${flavour.bucket}" (org "${flavour.org}")`;
  const authHeaders: Record<string, string> = options.token ? { Authorization: `Token ${options.token}` } : {};
  const client = new InfluxDB({ url: baseUrl, token: options.token, timeout: writeTimeoutMs });
  const writePath =
    flavour.api === 'v1'
      ? `/write?db=${encodeURIComponent(flavour.database)}&precision=ms`
      : `/api/v2/write?org=${encodeURIComponent(flavour.org)}&bucket=${encodeURIComponent(flavour.bucket)}&precision=ms`;

  /** Turns whatever the client or fetch threw into a StoreError that says what to check. */
  function explain(err: unknown, action: string): StoreError {
    if (err instanceof StoreError) return err;
    if (err instanceof HttpError) return explainStatus(err.statusCode, err.body ?? '', err.contentType ?? '', action, err);
    if (err instanceof RequestTimedOutError || (err instanceof Error && err.name === 'TimeoutError')) {
      return new StoreError(
        `InfluxDB at ${baseUrl} did not answer ${action} within ${action === 'the query' ? queryTimeoutMs : writeTimeoutMs} ms: the server is overloaded or stalled (check its load and disk; raise INFLUX_WRITE_TIMEOUT_MS if it is just slow)`,
        'timeout',
        true,
        undefined,
        { cause: err },
      );
    }
    const code = errorCode(err);
    return new StoreError(
      `InfluxDB at ${baseUrl} is unreachable for ${action} (${code ?? (err instanceof Error ? err.message : String(err))}): check INFLUX_URL and that the server is running`,
      'unreachable',
      true,
      undefined,
      { cause: err },
    );
  }

  function explainStatus(status: number, body: string, contentType: string, action: string, cause?: unknown): StoreError {
    const said = serverMessage(body);
    const detail = said ? `: ${said}` : '';
    const opts = { cause };
    if (status === 401 || status === 403) {
      return new StoreError(
        `InfluxDB at ${baseUrl} refused ${action} with ${status}${detail}: check INFLUX_TOKEN and that it may ${action === 'the write' ? 'write to' : 'read'} ${target}`,
        'unauthorized',
        false,
        status,
        opts,
      );
    }
    if (status === 404) {
      // A 1.x server below 1.8 has no /api/v2 routes at all and answers with a plain-text "404 page not found".
      if (flavour.api === 'v2' && !contentType.includes('json')) {
        return new StoreError(
          `InfluxDB at ${baseUrl} has no v2 API (404 on ${action}${detail}): it is probably InfluxDB 1.x older than 1.8; set INFLUX_DATABASE instead of INFLUX_ORG/INFLUX_BUCKET`,
          'not_found',
          false,
          status,
          opts,
        );
      }
      return new StoreError(
        `InfluxDB at ${baseUrl}: ${target} not found (404 on ${action}${detail}): check ${flavour.api === 'v1' ? 'INFLUX_DATABASE' : 'INFLUX_ORG and INFLUX_BUCKET'}`,
        'not_found',
        false,
        status,
        opts,
      );
    }
    if (status === 400 || status === 422) {
      return new StoreError(
        `InfluxDB at ${baseUrl} rejected ${action} as bad data (${status}${detail}): a metric name or value the server cannot store, or a field stored earlier with another type`,
        'bad_data',
        false,
        status,
        opts,
      );
    }
    if (status === 413) {
      return new StoreError(
        `InfluxDB at ${baseUrl} refused ${action} as too large (413${detail}): write smaller batches`,
        'bad_data',
        false,
        status,
        opts,
      );
    }
    return new StoreError(
      `InfluxDB at ${baseUrl} failed ${action} with ${status}${detail}: check the server's log`,
      'server',
      status >= 500 || status === 429,
      status,
      opts,
    );
  }

  async function request(path: string, init: RequestInit, timeoutMs: number, action: string): Promise<Response> {
    try {
      return await fetch(`${baseUrl}${path}`, {
        ...init,
        headers: { ...authHeaders, ...(init.headers as Record<string, string> | undefined) },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw explain(err, action);
    }
  }

  /** Runs one InfluxQL statement and returns its series; errors in the body become StoreErrors too. */
  async function influxql(q: string, opts: { db?: string; post?: boolean } = {}): Promise<InfluxQLSeries[]> {
    const params = new URLSearchParams({ epoch: 'ms', q });
    if (opts.db) params.set('db', opts.db);
    const action = opts.post ? 'a database change' : 'the query';
    const res = await request(
      `/query?${params}`,
      { method: opts.post ? 'POST' : 'GET' },
      opts.post ? writeTimeoutMs : queryTimeoutMs,
      action,
    );
    const text = await res.text().catch(() => '');
    if (!res.ok) throw explainStatus(res.status, text, res.headers.get('content-type') ?? '', action);
    let body: InfluxQLResponse;
    try {
      body = JSON.parse(text) as InfluxQLResponse;
    } catch {
      throw new StoreError(`InfluxDB at ${baseUrl} answered ${action} with something that is not JSON: ${text.slice(0, 200)}`, 'server', false);
    }
    const result = body.results?.[0];
    const error = body.error ?? result?.error;
    if (error) {
      if (/database not found/i.test(error)) throw explainStatus(404, JSON.stringify({ error }), 'application/json', action);
      if (/authoriz|authenticat/i.test(error)) throw explainStatus(403, JSON.stringify({ error }), 'application/json', action);
      throw new StoreError(`InfluxDB at ${baseUrl} refused ${action}: ${error} (query: ${q})`, 'bad_data', false);
    }
    return result?.series ?? [];
  }

  /** Filters shared by query and countPoints. */
  function where(deviceId?: string, label?: string, fromMs?: number, toMs?: number): string {
    const terms: string[] = [];
    if (deviceId !== undefined) terms.push(`device_id = ${literal(deviceId)}`);
    if (label !== undefined) terms.push(`label = ${literal(label)}`);
    // Bare integers in InfluxQL are nanoseconds; the ms suffix keeps us in epoch ms.
    if (fromMs !== undefined) terms.push(`time >= ${Math.floor(fromMs)}ms`);
    if (toMs !== undefined) terms.push(`time < ${Math.floor(toMs)}ms`);
    return terms.length ? ` WHERE ${terms.join(' AND ')}` : '';
  }

  /** A fresh write API per call, sized so it never flushes on its own: see write(). */
  function writeApiFor(lineCount: number): WriteApi {
    const api = client.getWriteApi(flavour.api === 'v2' ? flavour.org : '', flavour.api === 'v2' ? flavour.bucket : '', 'ms', {
      // Larger than this call's batch, so the client never splits it and never flushes in the background
      // (a background flush's error would be swallowed); flush() below sends it as one request.
      batchSize: lineCount + 1,
      maxBatchBytes: Number.POSITIVE_INFINITY,
      // no timer: we flush ourselves
      flushInterval: 0,
      // Our caller (the ingest journal drainer) retries; the client's own retry buffer would hide failures.
      maxRetries: 0,
      // Plain bodies: on loopback 110k points/s plain vs 85k gzip (DESIGN.md).
      gzipThreshold: Number.POSITIVE_INFINITY,
      // Returning a rejected promise makes flush() reject with our error and skips the client's console log.
      writeFailed: (error: Error) => Promise.reject(explain(error, 'the write')),
    });
    api.path = writePath;
    return api;
  }

  return {
    name,

    async start() {
      const res = await request('/ping', { method: 'GET' }, writeTimeoutMs, 'a ping');
      if (res.status !== 204 && !res.ok) {
        throw explainStatus(res.status, await res.text().catch(() => ''), res.headers.get('content-type') ?? '', 'a ping');
      }
      await res.body?.cancel();
      const version = res.headers.get('x-influxdb-version') ?? 'unknown';
      const v1Below18 = /^v?1\.([0-7])\./.test(version);
      if (flavour.api === 'v2' && v1Below18) {
        throw new StoreError(
          `InfluxDB at ${baseUrl} is version ${version}, which has no v2 write API: set INFLUX_DATABASE instead of INFLUX_ORG/INFLUX_BUCKET`,
          'not_found',
          false,
          404,
        );
      }
      if (flavour.api === 'v1') {
        const series = await influxql('SHOW DATABASES');
        const names = new Set((series[0]?.values ?? []).map((row) => String(row[0])));
        if (!names.has(flavour.database)) {
          await influxql(`CREATE DATABASE ${ident(flavour.database)}`, { post: true });
          logger.info('created database', { database: flavour.database });
        }
      }
      logger.info('InfluxDB store ready', { url: baseUrl, api: flavour.api, version, target: queryDb });
    },

    async write(readings) {
      const lines: string[] = [];
      for (const reading of readings) {
        const line = toLineProtocol(reading);
        if (line) lines.push(line);
        else logger.warn('reading without a finite metric not written', { deviceId: reading.deviceId, kind: reading.kind });
      }
      if (lines.length === 0) return;
      // writeRecords + flush run in the same tick, so concurrent write() calls never mix their lines; flush()
      // resolves on the server's 204 and rejects (through writeFailed) on any error.
      const api = writeApiFor(lines.length);
      api.writeRecords(lines);
      try {
        await api.flush();
      } finally {
        api.dispose();
      }
    },

    async query(q: HistoryQuery) {
      const fieldSel = q.metric ? ident(q.metric) : '*';
      const filter = where(q.deviceId, q.label, q.fromMs, q.toMs);
      const from = ident(q.kind);
      if (q.stepMs !== undefined) {
        const step = Math.max(1, Math.floor(q.stepMs));
        const series = await influxql(`SELECT mean(${fieldSel}) FROM ${from}${filter} GROUP BY time(${step}ms) fill(none)`, { db: queryDb });
        return toHistory(series, (column) => (q.metric ? (column === 'mean' ? q.metric : undefined) : column.replace(/^mean_/, '')));
      }
      // `*::field` keeps tags out of the columns; the label tag is selected last, so a field that happens to
      // be named "label" (column renamed label_1) cannot be confused with it.
      const sel = q.metric ? `${ident(q.metric)}::field` : '*::field';
      const series = await influxql(`SELECT ${sel}, "label"::tag FROM ${from}${filter}`, { db: queryDb });
      return toHistory(series, (column) => column, true);
    },

    async countPoints(kind, deviceId) {
      // A point is one (series, time). count(*) counts per field, and no single field is in every point when
      // readings carry different metrics, so neither count(*) nor count(<a field>) is right. But a tag is
      // present in every point: selecting the device_id tag in a subquery turns it into a value the outer
      // count() can count, one per point (verified on 1.6.7: points sharing a time in different series, e.g.
      // with and without a label, count separately).
      const series = await influxql(
        `SELECT count("device_id") FROM (SELECT "device_id"::tag, *::field FROM ${ident(kind)}${where(deviceId)})`,
        { db: queryDb },
      );
      const value = series[0]?.values?.[0]?.[1];
      return typeof value === 'number' ? value : 0;
    },

    async stop() {
      // Nothing buffered: every write() flushed its own write API before resolving.
    },
  };
}

/** InfluxQL series -> HistoryPoints; the label tag, when requested, is the last column. */
function toHistory(series: InfluxQLSeries[], metricOf: (column: string) => string | undefined, lastIsLabel = false): HistoryPoint[] {
  const points: HistoryPoint[] = [];
  for (const s of series) {
    const fieldCount = lastIsLabel ? s.columns.length - 1 : s.columns.length;
    for (const row of s.values ?? []) {
      const metrics: Record<string, number> = {};
      let any = false;
      for (let i = 1; i < fieldCount; i++) {
        const value = row[i];
        const metric = metricOf(s.columns[i]!);
        if (metric !== undefined && typeof value === 'number') {
          metrics[metric] = value;
          any = true;
        }
      }
      if (!any) continue;
      const point: HistoryPoint = { t: Number(row[0]), metrics };
      const label = lastIsLabel ? row[s.columns.length - 1] : undefined;
      if (typeof label === 'string' && label !== '') point.label = label;
      points.push(point);
    }
  }
  return points.sort((a, b) => a.t - b.t || (a.label ?? '').localeCompare(b.label ?? ''));
}

function serverMessage(body: string): string {
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown };
    const said = json.error ?? json.message;
    if (typeof said === 'string') return said;
  } catch {
    // not JSON: plain text below
  }
  return body.trim().slice(0, 300);
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.length) {
      const inner = (errors[0] as { code?: unknown }).code;
      if (typeof inner === 'string') return inner;
    }
  }
  return undefined;
}
