// Citizen reports as open data, no login:
//
//   GET /open-data/reports.geojson   FeatureCollection with top-level license, license_url, attribution
//   GET /open-data/reports.csv       RFC 4180; the licence in `Link: <url>; rel="license"` (RFC 5988),
//                                    since CSV has no place for metadata
//
// Every report, newest first: no reporter contact, no address text, coordinates rounded to
// OPEN_DATA_COORD_DECIMALS.
import { Router, type NextFunction, type Request, type Response } from 'express';
import { reportsToCsv, reportsToGeoJson, type OpenDataContext } from '../core/report-open-data.ts';
import { REPORT_LIST_LIMIT, type ReportRecord } from '../ops/index.ts';
import type { ReportsHttpContext } from './reports.ts';

const asyncRoute =
  (fn: (req: Request, res: Response) => Promise<unknown>) =>
  (req: Request, res: Response, next: NextFunction): void => {
    fn(req, res).catch(next);
  };

export function openDataRouter(ctx: ReportsHttpContext): Router {
  const router = Router();
  const { openData } = ctx.config;

  const everything = async (): Promise<ReportRecord[]> => {
    const all: ReportRecord[] = [];
    for (let offset = 0; ; offset += REPORT_LIST_LIMIT.max) {
      const page = await ctx.store.reports.list({ limit: REPORT_LIST_LIMIT.max, offset });
      all.push(...page);
      if (page.length < REPORT_LIST_LIMIT.max) return all;
    }
  };
  const exportContext = (): OpenDataContext => ({
    catalogue: ctx.config.catalogue,
    timeZone: ctx.timeZone,
    coordDecimals: openData.coordDecimals,
    license: openData.license,
    licenseUrl: openData.licenseUrl,
    attribution: openData.attribution,
    generatedAt: ctx.now(),
  });
  const headers = (res: Response) =>
    res.set({
      Link: `<${openData.licenseUrl}>; rel="license"`,
      'Access-Control-Allow-Origin': '*',
      'Cache-Control': 'public, max-age=300',
      'X-Content-Type-Options': 'nosniff',
    });

  router.get(
    '/open-data/reports.geojson',
    asyncRoute(async (_req, res) => {
      const body = reportsToGeoJson(await everything(), exportContext());
      headers(res).set('Content-Type', 'application/geo+json; charset=utf-8').send(JSON.stringify(body));
    }),
  );

  router.get(
    '/open-data/reports.csv',
    asyncRoute(async (_req, res) => {
      const body = reportsToCsv(await everything(), exportContext());
      headers(res).set({ 'Content-Type': 'text/csv; charset=utf-8; header=present', 'Content-Disposition': 'attachment; filename="reports.csv"' }).send(body);
    }),
  );
  return router;
}
