// HTTP endpoints of a standalone service (broker, ingest): GET /metrics (Prometheus text) and GET /healthz.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpEndpoints {
  metricsText(): string;
  /** ok: 200, otherwise 503; details go into the JSON body */
  health(): { ok: boolean; [key: string]: unknown };
}

export class HttpServer {
  private server: Server | undefined;

  constructor(private readonly endpoints: HttpEndpoints) {}

  /** Listens; returns the bound port (useful with port 0). */
  async start(port: number, host = '0.0.0.0'): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(this.endpoints.metricsText());
      } else if (path === '/healthz') {
        const health = this.endpoints.health();
        res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(health));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
