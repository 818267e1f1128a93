// The city's own report form and what its pages read, no login:
//
//   POST /api/reports                  multipart/form-data: the Open311 POST fields (service_code, lat,
//                                      long, address_string, description, email, phone, first_name,
//                                      last_name, attribute[code]) plus up to REPORTS_MAX_PHOTOS files
//                                      named `photo` -> 201 {service_request_id, token, status_url}
//   GET  /api/reports/nearby?service_code=&lat=&long=   "already reported?": open reports of that
//                                      service within 100 m made in the last 7 days, nearest first
//   GET  /api/reports/{id}/public      the status page's data: status, public updates, rounded
//                                      location, photo URLs; never the reporter
//   GET  /media/reports/{photoId}      a photo, metadata stripped
//   GET  /api/reports/form-config      what the form checks before sending: photo count and size limits,
//                                      the service area's bounds
//
// Errors are {errors: [{code, description}]} (each description starts with the field it is about).
// No api_key: the form is the city's own page. A POST carrying an Origin other than this host is
// refused (another site cannot make visitors' browsers post reports), and the submission rate limit
// per client IP applies as for Open311.
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Open311Error, Position } from '@city/shared';
import type { ReportCreatedResponse, ReportFormConfig } from '@city/shared/reports';
import { readMultipart } from '../adapters/multipart.ts';
import { WorkflowError } from '../core/workflow.ts';
import { statusUrl, toNearbyReport, toPublicReport, type PublicViewContext } from '../core/report-views.ts';
import { errorHttpStatus, findService, validateServiceRequest } from '../open311/index.ts';
import { OpsError, REPORT_ID_PATTERN } from '../ops/index.ts';
import { takeSubmission, type ReportsHttpContext } from './reports.ts';

/** Fields of the form; enough for every attribute of a large service. */
const MAX_FIELDS = 100;
/** One field's value, bytes: a 4000-character description in 4-byte UTF-8 fits. */
const MAX_FIELD_BYTES = 32 * 1024;
/** The api_key validation expects; the form needs none (it is not an Open311 client). */
const FORM_API_KEY = 'city-web-form';

const asyncRoute =
  (fn: (req: Request, res: Response) => Promise<unknown>) =>
  (req: Request, res: Response, next: NextFunction): void => {
    fn(req, res).catch(next);
  };

const sendErrors = (res: Response, errors: readonly Open311Error[]) => res.status(errorHttpStatus(errors)).json({ errors });

/** True when the request came from a page of this host, or from no page at all (curl, tests). */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false; // "null" (sandboxed frames, file: pages) and garbage
  }
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

export function reportFormRouter(ctx: ReportsHttpContext): Router {
  const { config } = ctx;
  const router = Router();
  const view: PublicViewContext = { catalogue: config.catalogue, timeZone: ctx.timeZone, coordDecimals: config.openData.coordDecimals };

  // citizens' text comes back in these bodies: never let a browser take them for anything but JSON
  router.use('/api/reports', (_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });

  router.post(
    '/api/reports',
    asyncRoute(async (req, res) => {
      res.set('Cache-Control', 'no-store');
      if (!sameOrigin(req.get('origin'), req.get('host'))) {
        return sendErrors(res, [{ code: 403, description: "reports are accepted from the city's own form only (cross-site post refused)" }]);
      }
      const throttled = takeSubmission(ctx, req, res);
      if (throttled) return sendErrors(res, [throttled]);
      const upload = await readMultipart(req, {
        fileField: 'photo',
        maxFiles: config.maxPhotos,
        maxFileBytes: config.maxPhotoBytes,
        maxFields: MAX_FIELDS,
        maxFieldBytes: MAX_FIELD_BYTES,
      });
      if (!upload.ok) {
        // the rest of the upload is not wanted: close the connection after answering
        if (upload.status === 413) res.set('Connection', 'close');
        return sendErrors(res, [{ code: upload.status, description: upload.message }]);
      }
      const result = validateServiceRequest(
        { ...upload.fields, api_key: FORM_API_KEY },
        {
          catalogue: config.catalogue,
          area: ctx.area,
          timeZone: ctx.timeZone,
          ...(config.jurisdictionId !== undefined ? { jurisdictionId: config.jurisdictionId } : {}),
        },
      );
      if (!result.ok) return sendErrors(res, result.errors);
      const { report, token } = await ctx.reports.create(
        result.value,
        upload.files.map((f) => f.data),
        'public',
        { source: 'web' },
      );
      ctx.logger.info('report received', { id: report.id, source: 'web', serviceCode: report.serviceCode, photos: report.photoIds.length });
      const body: ReportCreatedResponse = { service_request_id: report.id, token, status_url: statusUrl(report.id) };
      res.status(201).json(body);
    }),
  );

  router.get('/api/reports/form-config', (_req, res) => {
    const [west, south, east, north] = ctx.area.bounds;
    const body: ReportFormConfig = {
      max_photos: config.maxPhotos,
      max_photo_bytes: config.maxPhotoBytes,
      bounds: [west, south, east, north],
      area_name: ctx.area.name,
      districts: ctx.area.districts.map((d) => ({ id: d.id, name: d.name })),
    };
    res.set('Cache-Control', 'no-cache').json(body);
  });

  router.get(
    '/api/reports/nearby',
    asyncRoute(async (req, res) => {
      const { service_code: code, lat, long } = req.query;
      const errors: Open311Error[] = [];
      if (typeof code !== 'string' || code === '') errors.push({ code: 400, description: 'service_code: required' });
      else if (!findService(config.catalogue, code)) errors.push({ code: 404, description: `service_code ${JSON.stringify(code)} not found` });
      for (const [key, value] of [['lat', lat], ['long', long]] as const) {
        if (typeof value !== 'string' || !NUMBER.test(value)) errors.push({ code: 400, description: `${key}: expected a number of degrees` });
      }
      if (errors.length > 0) return sendErrors(res, errors);
      const position: Position = { lat: Number(lat), lon: Number(long) };
      const [west, south, east, north] = ctx.area.bounds;
      if (position.lon < west || position.lon > east || position.lat < south || position.lat > north) {
        return sendErrors(res, [{ code: 400, description: `lat/long: outside the service area (${ctx.area.name})` }]);
      }
      const suggestions = await ctx.reports.suggestDuplicates(String(code), position);
      res.set('Cache-Control', 'no-cache').json({ reports: suggestions.map((s) => toNearbyReport(s, view)) });
    }),
  );

  router.get(
    '/api/reports/:id/public',
    asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      const report = REPORT_ID_PATTERN.test(id) ? await ctx.store.reports.get(id) : undefined;
      if (!report) return sendErrors(res, [{ code: 404, description: `report ${id} not found` }]);
      const [updates, photos] = await Promise.all([ctx.store.reports.updates({ reportId: id }), ctx.store.reports.photos(id)]);
      res.set('Cache-Control', 'no-cache').json(toPublicReport(report, updates, photos, view));
    }),
  );

  router.get(
    '/media/reports/:photoId',
    asyncRoute(async (req, res) => {
      const found = await ctx.store.reports.photoData(String(req.params.photoId));
      if (!found) return res.status(404).json({ error: 'no such photo' });
      res.set({
        'Content-Type': found.photo.contentType,
        // the bytes behind an id never change
        'Cache-Control': 'public, max-age=31536000, immutable',
        'X-Content-Type-Options': 'nosniff',
        // opened on its own, it is an image and nothing else
        'Content-Security-Policy': "default-src 'none'; sandbox",
        'Content-Disposition': 'inline',
      });
      res.send(found.data);
    }),
  );

  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent || !req.path.startsWith('/api/reports')) return next(err);
    if (err instanceof WorkflowError || err instanceof OpsError) return sendErrors(res, [{ code: err.httpStatus, description: err.message }]);
    next(err);
  });
  return router;
}
