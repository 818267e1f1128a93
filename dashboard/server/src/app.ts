// The dashboard server: the live map's feed (socket.io), its REST API, the offline basemap, the web
// app, the status page, health and metrics, all on one HTTP server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import type { DeviceRegistry, Logger, TimeSeriesStore } from '@city/shared';
import type { DashboardConfig } from './config.ts';
import { apiRouter } from './features/api.ts';
import { authRouter, bootstrapAdmin } from './features/auth.ts';
import { attachOpsNamespace, incidentsRouter } from './features/incidents.ts';
import { attachReportsLive } from './features/reports-live.ts';
import { ReportFusion } from './features/report-fusion.ts';
import { ReportIncidentSync } from './features/report-incident-sync.ts';
import { reportRouters } from './features/reports.ts';
import { Notifier, notificationsRouter } from './notify/index.ts';
import { RulesRunner } from './features/rules-runner.ts';
import { IncidentService, ReportService, openOpsStore, type OpsStore } from './ops/index.ts';
import { basemapRouter } from './features/basemap.ts';
import { LiveMap } from './features/live-map.ts';
import { hasWebApp, webAppRouter } from './features/web-app.ts';
import { renderStatusPage } from './status-page.ts';

/** Something that reports Prometheus text: the broker and ingest when they run in this process. */
export type MetricsSource = () => string;

export interface DashboardContext {
  config: DashboardConfig;
  registry: DeviceRegistry;
  /** where history comes from: the store ingest writes to */
  store: TimeSeriesStore;
  logger: Logger;
  metricsSources?: MetricsSource[];
  /** operators, incidents, audit, rules, evidence; opened under config.dataDir when not given */
  ops?: OpsStore;
  /** what this process runs, shown on the status page (e.g. broker ports, store name) */
  describe?: () => Record<string, string>;
}

export interface Dashboard {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly port: number;
  /** the rules engine, when this process runs it */
  readonly rules: RulesRunner | undefined;
  readonly ops: OpsStore;
}

export function createDashboard(ctx: DashboardContext): Dashboard {
  const app = express();
  app.disable('x-powered-by');
  // behind a load balancer (several dashboards, one address): the client's address for rate limits and
  // log-in throttling, and https for secure cookies, come from the proxy's headers, if it is trusted
  if (ctx.config.trustProxy !== undefined) app.set('trust proxy', ctx.config.trustProxy);
  const startedAt = Date.now();
  const live = new LiveMap({ config: ctx.config, registry: ctx.registry, logger: ctx.logger.child('live') });
  const ops = ctx.ops ?? openOpsStore(ctx.config.dataDir, ctx.config.databaseUrl);
  const incidents = new IncidentService({ store: ops, logger: ctx.logger.child('incidents') });
  const reports = new ReportService({ store: ops, incidents, catalogue: ctx.config.reports.catalogue, logger: ctx.logger.child('reports') });
  const reportRoutes = reportRouters({ config: ctx.config.reports, timeZone: ctx.config.incidents.timeZone, store: ops, reports, logger: ctx.logger.child('reports') });
  // emails and SMS to reporters on public changes, reminders to operators (off without NOTIFY_SMTP_URL / NOTIFY_SMS_URL)
  const notifier = new Notifier({ config: ctx.config.notify, timeZone: ctx.config.incidents.timeZone, catalogue: ctx.config.reports.catalogue, store: ops, reports, logger: ctx.logger.child('notify') });
  // reports follow their incident's status; reports and incidents near each other are linked
  const reportSync = new ReportIncidentSync({ incidents, reports, store: ops, logger: ctx.logger.child('report-sync') });
  const { fusionRadiusM, fusionWindowMs } = ctx.config.incidents;
  const reportFusion = new ReportFusion({ store: ops, incidents, reports, options: { radiusM: fusionRadiusM, windowMs: fusionWindowMs }, logger: ctx.logger.child('report-fusion') });
  const rules = ctx.config.incidents.rulesEngine
    ? new RulesRunner({ config: ctx.config, registry: ctx.registry, store: ops, incidents, liveState: live.state, logger: ctx.logger.child('rules') })
    : undefined;
  const statusPage = () => renderStatusPage(ctx.registry.list(), ctx.describe?.() ?? {});

  app.get('/healthz', (_req, res) => {
    res.json({
      status: 'ok',
      uptimeS: Math.round((Date.now() - startedAt) / 1000),
      mqtt: live.mqttSubscribed ? 'subscribed' : 'connecting',
      rulesEngine: rules ? (rules.subscribed ? 'subscribed' : 'connecting') : 'off',
    });
  });

  app.get('/metrics', (_req, res) => {
    const own = `# TYPE city_dashboard_uptime_seconds gauge\ncity_dashboard_uptime_seconds ${Math.round((Date.now() - startedAt) / 1000)}\n`;
    res.type('text/plain; version=0.0.4').send(own + live.metricsText() + (rules?.metricsText() ?? '') + notifier.metricsText() + reportSync.metricsText() + reportFusion.metricsText() + (ctx.metricsSources ?? []).map((m) => m()).join(''));
  });

  // citizen reports' public side (Open311, the city's form, photos, open data) needs no session: before auth
  app.use(reportRoutes.publicRouter);
  // sessions and CSRF first: every route after this knows who is asking
  app.use(authRouter({ store: ops, config: ctx.config.auth, logger: ctx.logger.child('auth') }));
  app.use('/api', incidentsRouter({ store: ops, incidents, ...(rules ? { rules } : {}), logger: ctx.logger.child('incidents') }));
  app.use('/api', reportRoutes.operatorRouter);
  app.use('/api', notificationsRouter({ store: ops }));
  app.use('/api', apiRouter({ config: ctx.config, store: ctx.store, state: live.state }));
  app.use(basemapRouter());
  app.get('/status', (_req, res) => {
    res.type('html').send(statusPage());
  });
  if (hasWebApp(ctx.config.webDir)) {
    app.use(webAppRouter(ctx.config.webDir));
  } else {
    ctx.logger.info('no built web app: serving the status page at /', { webDir: ctx.config.webDir });
    app.get('/', (_req, res) => {
      res.type('html').send(statusPage());
    });
  }

  const onError: ErrorRequestHandler = (err, req, res, next) => {
    ctx.logger.error('request failed', { path: req.path, err });
    if (res.headersSent) return next(err);
    res.status(500).json({ error: 'internal error' });
  };
  app.use(onError);

  let server: Server | undefined;
  let detachOps: (() => void) | undefined;
  let detachReportsLive: (() => void) | undefined;
  return {
    rules,
    ops,
    get port() {
      return (server?.address() as AddressInfo | null)?.port ?? ctx.config.httpPort;
    },
    async start() {
      await bootstrapAdmin(ops, ctx.config.auth.admin, ctx.logger.child('auth'));
      reportSync.start();
      reportFusion.start();
      await rules?.start();
      await notifier.start();
      server = createServer(app);
      await live.start(server);
      detachOps = attachOpsNamespace(live.socketServer!, { store: ops, incidents, logger: ctx.logger.child('ops') });
      // after attachOpsNamespace: it guards the namespace with the session cookie
      detachReportsLive = attachReportsLive(live.socketServer!, { store: ops, reports, catalogue: ctx.config.reports.catalogue, logger: ctx.logger.child('ops') });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(ctx.config.httpPort, ctx.config.httpHost, () => resolve());
      });
      ctx.logger.info('dashboard listening', { port: this.port });
    },
    async stop() {
      if (!server) return;
      // no new connections from here on: a browser reconnecting while the rest stops would open a
      // WebSocket that keeps the server from closing
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      detachOps?.();
      detachReportsLive?.();
      await notifier.stop();
      await rules?.stop();
      await reportFusion.stop();
      await reportSync.stop();
      await live.stop();
      server.closeAllConnections();
      await closed;
      server = undefined;
      if (!ctx.ops) await ops.close();
    },
  };
}
