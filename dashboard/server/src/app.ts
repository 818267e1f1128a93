// The dashboard server: the live map's feed (socket.io), its REST API, the offline basemap, the web
// app, the status page, health and metrics, all on one HTTP server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import type { DeviceRegistry, Logger, TimeSeriesStore } from '@city/shared';
import type { DashboardConfig } from './config.ts';
import { apiRouter } from './features/api.ts';
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
  /** what this process runs, shown on the status page (e.g. broker ports, store name) */
  describe?: () => Record<string, string>;
}

export interface Dashboard {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly port: number;
}

export function createDashboard(ctx: DashboardContext): Dashboard {
  const app = express();
  app.disable('x-powered-by');
  const startedAt = Date.now();
  const live = new LiveMap({ config: ctx.config, registry: ctx.registry, logger: ctx.logger.child('live') });
  const statusPage = () => renderStatusPage(ctx.registry.list(), ctx.describe?.() ?? {});

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeS: Math.round((Date.now() - startedAt) / 1000), mqtt: live.mqttSubscribed ? 'subscribed' : 'connecting' });
  });

  app.get('/metrics', (_req, res) => {
    const own = `# TYPE city_dashboard_uptime_seconds gauge\ncity_dashboard_uptime_seconds ${Math.round((Date.now() - startedAt) / 1000)}\n`;
    res.type('text/plain; version=0.0.4').send(own + live.metricsText() + (ctx.metricsSources ?? []).map((m) => m()).join(''));
  });

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
  return {
    get port() {
      return (server?.address() as AddressInfo | null)?.port ?? ctx.config.httpPort;
    },
    async start() {
      server = createServer(app);
      live.start(server);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(ctx.config.httpPort, ctx.config.httpHost, () => resolve());
      });
      ctx.logger.info('dashboard listening', { port: this.port });
    },
    async stop() {
      if (!server) return;
      await live.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    },
  };
}
