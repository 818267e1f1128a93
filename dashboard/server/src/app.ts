// The dashboard server. Until the live map lands this is a status page, the device list, health and
// metrics; the operations features (map, incidents, reports) will register here.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { DeviceRegistry, Logger } from '@city/shared';
import type { DashboardConfig } from './config.ts';
import { renderStatusPage } from './status-page.ts';

/** Something that reports Prometheus text: the broker and ingest when they run in this process. */
export type MetricsSource = () => string;

export interface DashboardContext {
  config: DashboardConfig;
  registry: DeviceRegistry;
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

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeS: Math.round((Date.now() - startedAt) / 1000) });
  });

  app.get('/metrics', (_req, res) => {
    const own = `# TYPE city_dashboard_uptime_seconds gauge\ncity_dashboard_uptime_seconds ${Math.round((Date.now() - startedAt) / 1000)}\n`;
    res.type('text/plain; version=0.0.4').send(own + (ctx.metricsSources ?? []).map((m) => m()).join(''));
  });

  app.get('/api/devices', (_req, res) => {
    res.json(ctx.registry.list());
  });

  app.get('/', (_req, res) => {
    res.type('html').send(renderStatusPage(ctx.registry.list(), ctx.describe?.() ?? {}));
  });

  app.use('/api', (_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  let server: Server | undefined;
  return {
    get port() {
      return (server?.address() as AddressInfo | null)?.port ?? ctx.config.httpPort;
    },
    async start() {
      server = createServer(app);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(ctx.config.httpPort, ctx.config.httpHost, () => resolve());
      });
      ctx.logger.info('dashboard listening', { port: this.port });
    },
    async stop() {
      if (!server) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    },
  };
}
