// Citizen reports over HTTP, composed: the public side (Open311 GeoReport v2, the city's own form,
// photos, open data) and the operators' side. One submission rate limit per client IP covers every
// way in (Open311 POST and the form).
//
// Mount `publicRouter` BEFORE authRouter: nothing public acts with an operator's authority, and a
// logged-in operator trying the citizen form must not be refused for a missing CSRF token. Mount
// `operatorRouter` at /api AFTER authRouter (requireUser, CSRF).
import type { Request, Response, Router } from 'express';
import { Router as createRouter } from 'express';
import { DEMO_CITY, type Logger, type Open311Error } from '@city/shared';
import { RateLimiter, type LimiterVerdict } from '../core/rate-limit.ts';
import type { ServiceArea } from '../open311/index.ts';
import type { OpsStore, ReportService } from '../ops/index.ts';
import { openDataRouter } from './open-data.ts';
import { open311Router } from './open311.ts';
import { reportDeskRouter } from './report-desk.ts';
import { reportFormRouter } from './report-form.ts';
import type { ReportsConfig } from './reports-config.ts';

export interface ReportsHttpContext {
  config: ReportsConfig;
  /** IANA zone of the city (CITY_TIMEZONE): Open311 times */
  timeZone: string;
  /** where reports are accepted */
  area: ServiceArea;
  store: OpsStore;
  reports: ReportService;
  logger: Logger;
  /** report submissions per client IP, every way in together */
  submissions: RateLimiter;
  /** epoch ms */
  now: () => number;
}

export interface ReportsFeatureOptions {
  config: ReportsConfig;
  timeZone: string;
  store: OpsStore;
  reports: ReportService;
  logger: Logger;
  /** DEMO_CITY by default */
  area?: ServiceArea;
  now?: () => number;
}

export function reportRouters(options: ReportsFeatureOptions): { publicRouter: Router; operatorRouter: Router } {
  const ctx: ReportsHttpContext = {
    config: options.config,
    timeZone: options.timeZone,
    area: options.area ?? DEMO_CITY,
    store: options.store,
    reports: options.reports,
    logger: options.logger,
    submissions: new RateLimiter({ maxRequests: options.config.postRatePerMin, windowMs: 60_000 }),
    now: options.now ?? Date.now,
  };
  const publicRouter = createRouter();
  publicRouter.use('/open311', open311Router(ctx));
  publicRouter.use(reportFormRouter(ctx));
  publicRouter.use(openDataRouter(ctx));
  return { publicRouter, operatorRouter: reportDeskRouter(ctx) };
}

// ---- shared by the public routers ----

/** The client's address (express's req.ip: the socket's peer unless `trust proxy` is set). */
export const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/**
 * Counts a submission from this client; when over the limit sets Retry-After and returns the error
 * to send with 429.
 */
export function takeSubmission(ctx: ReportsHttpContext, req: Request, res: Response): Open311Error | undefined {
  const verdict: LimiterVerdict = ctx.submissions.take(clientIp(req), ctx.now());
  if (verdict.allowed) return undefined;
  const retryAfterS = Math.ceil(verdict.retryAfterMs / 1000);
  res.set('Retry-After', String(retryAfterS));
  ctx.logger.info('report submission throttled', { ip: clientIp(req) });
  return { code: 429, description: `too many reports from this address: at most ${ctx.config.postRatePerMin} a minute; try again in ${retryAfterS} s` };
}

/** The origin this server is reached at, from the request: http://host:port. */
export const baseUrl = (req: Request): string => `${req.protocol}://${req.get('host') ?? 'localhost'}`;
