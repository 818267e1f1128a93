// Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2) with FixMyStreet's servicerequestupdates,
// mounted at /open311:
//
//   GET  /open311/discovery.{json,xml}               service discovery
//   GET  /open311/v2/services.{json,xml}             the catalogue
//   GET  /open311/v2/services/{code}.{json,xml}      one service's attributes
//   POST /open311/v2/requests.{json,xml}             a new request (form-urlencoded, api_key required)
//   GET  /open311/v2/requests.{json,xml}             search: service_request_id, service_code, status,
//                                                    start_date, end_date (<= 90 days), page, page_size, extensions
//   GET  /open311/v2/requests/{id}.{json,xml}        one request
//   GET  /open311/v2/tokens/{token}.{json,xml}       token -> service_request_id
//   GET  /open311/v2/servicerequestupdates.{json,xml} public updates: start_date, end_date, page, page_size
//
// The format comes from the suffix; a missing or unknown suffix is a 404 in JSON. Every failure is the
// spec's error list ({code, description}) in the requested format, with the HTTP status of its code.
// No public body carries the reporter (the formatters never read it).
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Open311Error } from '@city/shared';
import { REPORT_STATUS_OPEN311, type ReportStatus } from '@city/shared/open311';
import { WorkflowError } from '../core/workflow.ts';
import { photoUrl } from '../core/report-views.ts';
import {
  CONTENT_TYPES,
  errorHttpStatus,
  findService,
  formatCreated,
  formatErrors,
  formatRequests,
  formatServiceDefinition,
  formatServiceList,
  formatTokens,
  formatUpdates,
  formatW3cDateTime,
  isOpen311Format,
  parseRequestsQuery,
  parseUpdatesQuery,
  toSafeJson,
  validateServiceRequest,
  type Open311Format,
  type Rendered,
  type RequestsFilter,
} from '../open311/index.ts';
import { xmlDocument } from '../open311/xml.ts';
import type { ReportFilter, ReportRecord } from '../ops/index.ts';
import { apiKeyFingerprint } from './reports-config.ts';
import { baseUrl, takeSubmission, type ReportsHttpContext } from './reports.ts';

/** The spec's POST body is a small form: 64 kB holds a 4000-character description many times over. */
export const OPEN311_BODY_LIMIT = '64kb';
const SPECIFICATION = 'http://wiki.open311.org/GeoReport_v2';
const PATH_ID = /^[A-Za-z0-9_.:-]{1,100}$/;

const asyncRoute =
  (fn: (req: Request, res: Response) => Promise<unknown>) =>
  (req: Request, res: Response, next: NextFunction): void => {
    fn(req, res).catch(next);
  };

/** 'requests.json' -> {name: 'requests', format: 'json'}; format undefined when the suffix is missing or unknown. */
export function splitFormat(file: string): { name: string; format?: Open311Format } {
  const dot = file.lastIndexOf('.');
  if (dot <= 0) return { name: file };
  const suffix = file.slice(dot + 1).toLowerCase();
  return isOpen311Format(suffix) ? { name: file.slice(0, dot), format: suffix } : { name: file };
}

const send = (res: Response, status: number, rendered: Rendered) => res.status(status).set('Content-Type', rendered.contentType).send(rendered.body);

const sendErrors = (res: Response, format: Open311Format, errors: readonly Open311Error[]) => send(res, errorHttpStatus(errors), formatErrors(errors, format));

const notFound = (description: string): Open311Error => ({ code: 404, description });

/** A 404 in JSON for a path without a known format suffix. */
const noFormat = (res: Response) =>
  sendErrors(res, 'json', [notFound('unknown method or format: end the path in .json or .xml (see /open311/discovery.json)')]);

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Rich statuses behind the spec's open / closed. */
const richStatuses = (statuses: readonly string[]): ReportStatus[] =>
  (Object.keys(REPORT_STATUS_OPEN311) as ReportStatus[]).filter((s) => statuses.includes(REPORT_STATUS_OPEN311[s]));

function toStoreFilter(filter: RequestsFilter): ReportFilter {
  if (filter.kind === 'ids') return { ids: filter.serviceRequestIds, limit: filter.serviceRequestIds.length };
  return {
    ...(filter.serviceCodes ? { serviceCodes: filter.serviceCodes } : {}),
    ...(filter.statuses ? { statuses: richStatuses(filter.statuses) } : {}),
    requestedFrom: filter.startMs,
    requestedTo: filter.endMs,
    limit: filter.limit,
    offset: filter.offset,
  };
}

export function open311Router(ctx: ReportsHttpContext): Router {
  const { config } = ctx;
  const router = Router();
  const keyDigests = config.apiKeys.map((key) => ({ digest: sha256(key), fingerprint: apiKeyFingerprint(key) }));
  const formBody = express.urlencoded({ extended: true, limit: OPEN311_BODY_LIMIT, parameterLimit: 1000 });
  const queryOptions = () => ({ nowMs: ctx.now(), timeZone: ctx.timeZone, ...(config.jurisdictionId !== undefined ? { jurisdictionId: config.jurisdictionId } : {}) });
  const startedAt = ctx.now();

  /** Which issued key this is (constant time per key), or undefined. */
  const matchKey = (given: string) => {
    const digest = sha256(given);
    let found: string | undefined;
    for (const key of keyDigests) if (timingSafeEqual(digest, key.digest)) found = key.fingerprint;
    return found;
  };

  /** A photo from the city's form stands in as media_url when the request has none: absolute, as clients need. */
  const withMedia = (req: Request, records: ReportRecord[]) =>
    records.map((r) => (r.mediaUrl !== undefined || r.photoIds.length === 0 ? r : { ...r, mediaUrl: `${baseUrl(req)}${photoUrl(r.photoIds[0]!)}` }));

  // read-only methods may be called from any web page
  router.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') res.set('Access-Control-Allow-Origin', '*');
    next();
  });

  router.get('/:file', (req, res, next) => {
    const { name, format } = splitFormat(String(req.params.file));
    if (name !== 'discovery') return next();
    if (!format) return noFormat(res);
    const changeset = formatW3cDateTime(startedAt, ctx.timeZone);
    const wire = {
      changeset,
      contact: config.discovery.contact,
      key_service: config.discovery.keyService,
      endpoints: [
        { specification: SPECIFICATION, url: `${baseUrl(req)}/open311/v2`, changeset, type: 'production', formats: [CONTENT_TYPES.xml.split(';')[0]!, CONTENT_TYPES.json.split(';')[0]!] },
      ],
    };
    const body = format === 'json' ? toSafeJson(wire) : xmlDocument('discovery', wire, { endpoints: 'endpoint', formats: 'format' });
    send(res, 200, { contentType: CONTENT_TYPES[format], body });
  });

  router.get('/v2/services/:file', (req, res) => {
    const { name: code, format } = splitFormat(String(req.params.file));
    if (!format) return noFormat(res);
    const service = findService(config.catalogue, code);
    if (!service) return sendErrors(res, format, [notFound(`service_code ${JSON.stringify(code)} not found; GET services lists them`)]);
    res.set('Cache-Control', 'public, max-age=300');
    send(res, 200, formatServiceDefinition(service, format));
  });

  router.get(
    '/v2/requests/:file',
    asyncRoute(async (req, res) => {
      const { name: id, format } = splitFormat(String(req.params.file));
      if (!format) return noFormat(res);
      if (!PATH_ID.test(id)) return sendErrors(res, format, [notFound(`service_request_id ${JSON.stringify(id)} not found`)]);
      // the path's id, with the query's jurisdiction_id and extensions checked as for a search
      const parsed = parseRequestsQuery({ ...req.query, service_request_id: id }, queryOptions());
      if (!parsed.ok) return sendErrors(res, format, parsed.errors);
      const records = await ctx.store.reports.list({ ids: [id], limit: 1 });
      if (records.length === 0) return sendErrors(res, format, [notFound(`service_request_id ${id} not found`)]);
      send(res, 200, formatRequests(withMedia(req, records), { catalogue: config.catalogue, timeZone: ctx.timeZone, extensions: parsed.value.extensions }, format));
    }),
  );

  router.get(
    '/v2/tokens/:file',
    asyncRoute(async (req, res) => {
      const { name: token, format } = splitFormat(String(req.params.file));
      if (!format) return noFormat(res);
      const id = await ctx.store.reports.idForToken(token);
      if (id === undefined) return sendErrors(res, format, [notFound('token not found')]);
      send(res, 200, formatTokens([{ service_request_id: id, token }], format));
    }),
  );

  router.get(
    '/v2/:file',
    asyncRoute(async (req, res) => {
      const { name, format } = splitFormat(String(req.params.file));
      if (!format) return noFormat(res);
      if (name === 'services') {
        res.set('Cache-Control', 'public, max-age=300');
        return send(res, 200, formatServiceList(config.catalogue, format));
      }
      if (name === 'requests') {
        const parsed = parseRequestsQuery(req.query, queryOptions());
        if (!parsed.ok) return sendErrors(res, format, parsed.errors);
        const records = await ctx.store.reports.list(toStoreFilter(parsed.value));
        return send(res, 200, formatRequests(withMedia(req, records), { catalogue: config.catalogue, timeZone: ctx.timeZone, extensions: parsed.value.extensions }, format));
      }
      if (name === 'servicerequestupdates') {
        const parsed = parseUpdatesQuery(req.query, queryOptions());
        if (!parsed.ok) return sendErrors(res, format, parsed.errors);
        const { startMs, endMs, limit, offset } = parsed.value;
        const updates = await ctx.store.reports.updates({ from: startMs, to: endMs, limit, offset });
        return send(res, 200, formatUpdates(updates, ctx.timeZone, format));
      }
      sendErrors(res, format, [notFound(`no method ${JSON.stringify(name)}: see /open311/discovery.json`)]);
    }),
  );

  router.post(
    '/v2/:file',
    asyncRoute(async (req, res) => {
      const { name, format } = splitFormat(String(req.params.file));
      if (!format) return noFormat(res);
      if (name !== 'requests') return sendErrors(res, format, [notFound(`no method POST ${JSON.stringify(name)}: POST requests.${format}`)]);
      res.set('Cache-Control', 'no-store');
      const throttled = takeSubmission(ctx, req, res);
      if (throttled) return sendErrors(res, format, [throttled]);
      if (!req.is('application/x-www-form-urlencoded')) {
        return sendErrors(res, format, [{ code: 415, description: 'expected Content-Type: application/x-www-form-urlencoded' }]);
      }
      const parseError = await new Promise<unknown>((resolve) => formBody(req, res, resolve));
      if (parseError) {
        const status = (parseError as { status?: number }).status;
        const code = status === 413 || status === 415 ? status : 400;
        const description = code === 413 ? `body too large: at most ${OPEN311_BODY_LIMIT}` : `unreadable form body: ${(parseError as Error).message}`;
        return sendErrors(res, format, [{ code, description }]);
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      const given = typeof body.api_key === 'string' ? body.api_key.trim() : '';
      let client: string | undefined;
      if (given !== '') {
        if (keyDigests.length === 0) {
          return sendErrors(res, format, [{ code: 403, description: 'this city issues no Open311 api keys: report problems with the form at /report' }]);
        }
        client = matchKey(given);
        if (client === undefined) return sendErrors(res, format, [{ code: 403, description: "Invalid api_key received -- can't proceed with create_request." }]);
      }
      const result = validateServiceRequest(body, {
        catalogue: config.catalogue,
        area: ctx.area,
        timeZone: ctx.timeZone,
        ...(config.jurisdictionId !== undefined ? { jurisdictionId: config.jurisdictionId } : {}),
      });
      if (!result.ok) return sendErrors(res, format, result.errors);
      try {
        const { report } = await ctx.reports.create(result.value, [], `open311:${client}`, { source: 'open311', ...(client !== undefined ? { client } : {}) });
        ctx.logger.info('report received', { id: report.id, source: 'open311', client, serviceCode: report.serviceCode });
        send(res, 201, formatCreated([report], config.catalogue, format));
      } catch (err) {
        if (!(err instanceof WorkflowError)) throw err;
        sendErrors(res, format, [{ code: err.httpStatus, description: err.message }]);
      }
    }),
  );

  // anything else under /open311: the spec's error list, in JSON (no format to go by)
  router.use((_req, res) => noFormat(res));
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    ctx.logger.error('open311 request failed', { path: req.path, err });
    const { format } = splitFormat(req.path.split('/').pop() ?? '');
    sendErrors(res, format ?? 'json', [{ code: 500, description: 'internal error' }]);
  });
  return router;
}
