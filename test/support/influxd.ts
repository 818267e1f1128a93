// Starts a real InfluxDB 1.x server (Debian's influxd) on free ports with its own data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface Influxd {
  url: string;
  /** stops the server, keeping its data */
  stop(): Promise<void>;
  /** starts it again on the same port and data */
  start(): Promise<void>;
  /** stops it and removes its data */
  destroy(): Promise<void>;
  /** runs an InfluxQL query through the v1 /query API */
  query(db: string, q: string): Promise<unknown>;
}

export async function startInfluxd(): Promise<Influxd> {
  const dir = mkdtempSync(join(tmpdir(), 'influxd-'));
  const httpPort = await freePort();
  const bindPort = await freePort();
  const configFile = join(dir, 'influxdb.conf');
  writeFileSync(
    configFile,
    `reporting-disabled = true
bind-address = "127.0.0.1:${bindPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
`,
  );
  const url = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | undefined;
  let output = '';

  async function start() {
    child = spawn('influxd', ['-config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
    child.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
    const spawnError = new Promise<never>((_, reject) =>
      child!.once('error', (err) =>
        reject(new Error(`cannot start influxd (${err.message}): install it with apt-get install -y influxdb`)),
      ),
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await Promise.race([
        fetch(`${url}/ping`).then((r) => r.status === 204, () => false),
        spawnError,
      ]);
      if (ready) return;
      if (child.exitCode !== null) throw new Error(`influxd exited with ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`influxd did not answer /ping within 30 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function stop() {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 5000).unref();
    });
  }

  async function query(db: string, q: string) {
    const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`, {
      method: 'POST',
    });
    if (!res.ok) throw new Error(`influx query failed ${res.status}: ${await res.text()}`);
    return res.json();
  }

  await start();
  return {
    url,
    start,
    stop,
    query,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
