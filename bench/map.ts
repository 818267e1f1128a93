// npm run bench:map [-- --parts render,live --seconds 10 --sizes 0,10000,50000,100000 --intervals default,250 --clients app,bare,node --dashboards 1,2,2+redis]
// The control-room live map in headless Chromium (playwright-core, /usr/bin/chromium), two parts:
//   1. rendering (--parts render): the BUILT web app (vite build into dashboard/web/dist at each run)
//      served by `node --import tsx src/start.ts` with DEMO_FLEET=false; N synthetic points are put straight
//      into the map's clustered `devices` GeoJSON source (window.__map) with setData, time to the first
//      `idle`, then ~10 s of 1 Hz updates touching a tenth of the points while the camera eases (pan + zoom)
//      in a loop: frames counted with requestAnimationFrame and with the map's own `render` events. The
//      updates go the way the app sends live changes (--updates diff: GeoJSONSource.updateData with the
//      changed properties, features keyed by the source's promoteId) or as the whole collection
//      (--updates setData, what the app did before); --updates diff,setData measures both.
//   2. live path latency (--parts live): 2,000 registered air-quality devices, a gateway account publishing
//      with MQTT.js (QoS 0, TCP no-delay) at 1k and 5k readings/s, each reading carrying its publish time
//      (metric bench_sent_ms); a socket.io client in the page (the client's own browser bundle, injected)
//      stamps each `deltas` device with performance.timeOrigin + performance.now(): publish -> browser
//      latency (same machine clock), at each --intervals DASHBOARD_PUSH_INTERVAL_MS (`default`: the
//      dashboard's own default, read from its config). --clients: in the app's page (which also counts
//      its long tasks, main thread blocked > 50 ms: what delays a message there), in an empty page, and
//      in this process (socket.io-client over WebSocket: the server path alone; `--clients node` runs
//      no browser at all). Each also gets publish -> the server's flush from the message's serverTime.
//      --dashboards, the deployments measured (each on a fresh DATA_DIR; default 1,2,2+redis):
//        1        src/start.ts alone (broker, ingest, dashboard A in one process), no Redis;
//        2        the same plus dashboard server B (`node --import tsx dashboard/server/src/index.ts`, own
//                 process, RULES_ENGINE=false, its own MQTT service account `dashboard-b`, the same DATA_DIR:
//                 registry, ops.sqlite and the embedded time-series SQLite file, all WAL, so two processes
//                 are fine; B only reads the time series), subscribed to A's broker itself; every --clients
//                 listener on A and again on B. No Redis: the live map does not go through socket.io's
//                 Redis adapter (each server emits `deltas` to its own sockets), only /ops broadcasts do;
//        1+redis, 2+redis  the same with REDIS_URL (a redis-server started here on a free port, nothing
//                 saved): src/start.ts then also runs its broker as a Redis cluster member (mqemitter-redis,
//                 aedes-persistence-redis) and the dashboards get the Redis adapter: the scaled deployment.
//      Unless --intervals is given, deployments other than `1` run at the default push interval only (the
//      live part stays at ~4 minutes); with --intervals every deployment runs at each.
// Each row also gives the CPU share other processes (not this one or its children) used meanwhile: on a
// shared machine, a row with more than a few % is not comparable.
// A benchmark report, not an assertion: it exits 0 whether or not the targets are met, 1 only when
// something broke. Progress on stderr, the table on stdout.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import type { GeoJSONSource, Map as MaplibreMap } from 'maplibre-gl';
import type { ClientToServerEvents, ServerToClientEvents } from '@city/shared/live-events';
import { DeviceRegistry, EnvReader, setLogLevel } from '@city/shared';
import { readDashboardConfig } from '@city/dashboard-server/config';
import { freePort } from '../test/support/influxd.ts';
import { BenchCleanup, machineBusy, progress, sleep, watchOtherCpu, startRedisServer } from './support.ts';

declare global {
  interface Window {
    /** the app's map (dashboard/web/src/features/map-view.tsx) */
    __map?: MaplibreMap;
  }
}

setLogLevel('warn');
const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? String(args[i + 1]) : fallback;
};
if (args.includes('--help')) {
  console.log(
    'npm run bench:map [-- --parts render,live --seconds S (10) --sizes N,N,.. (0,10000,50000,100000; 0 = basemap only) ' +
      '--updates diff,setData (diff) --devices D (2000) --rates R,R (1000,5000) --intervals MS|default,.. (default,250) --clients app,bare,node ' +
      '--dashboards 1,2,1+redis,2+redis (1,2,2+redis; 1 = src/start.ts alone; 2 = plus a second dashboard server, clients on both; ' +
      '+redis = with REDIS_URL, the broker clustered on Redis too; without --intervals all but 1 run at the default interval only)]',
  );
  process.exit(0);
}
const ints = (name: string, fallback: string, min = 1) => {
  const values = option(name, fallback).split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < min)) throw new Error(`--${name}: expected integers >= ${min}`);
  return values;
};
const SECONDS = ints('seconds', '10')[0]!;
const SIZES = ints('sizes', '0,10000,50000,100000', 0); // 0: the basemap alone, the baseline
const DEVICES = ints('devices', '2000')[0]!;
const RATES = ints('rates', '1000,5000');
/** the dashboard's push interval when DASHBOARD_PUSH_INTERVAL_MS is not set: its one default, in its config */
const DEFAULT_INTERVAL_MS = readDashboardConfig(new EnvReader({})).pushIntervalMs;
const INTERVALS = option('intervals', 'default,250')
  .split(',')
  .map((v) => (v === 'default' ? DEFAULT_INTERVAL_MS : Number(v)));
if (INTERVALS.some((v) => !Number.isInteger(v) || v < 10)) throw new Error('--intervals: expected integers >= 10 or `default`');
const list = <T extends string>(name: string, fallback: string, allowed: readonly T[]): T[] => {
  const values = option(name, fallback).split(',');
  if (values.some((v) => !allowed.includes(v as T))) throw new Error(`--${name}: expected some of ${allowed.join(',')}`);
  return values as T[];
};
const PARTS = list('parts', 'render,live', ['render', 'live'] as const);
const UPDATES = list('updates', 'diff', ['diff', 'setData'] as const);
/** where deltas are timed: the app's page, an empty page, a socket.io client in this process */
const WHERE = list('clients', 'app,bare,node', ['app', 'bare', 'node'] as const);
/** the live-path deployments: src/start.ts alone; plus a second dashboard server; either with REDIS_URL (see the header) */
const DEPLOYMENTS = list('dashboards', '1,2,2+redis', ['1', '2', '1+redis', '2+redis'] as const);
type Deployment = (typeof DEPLOYMENTS)[number];
const DEPLOYMENT_LABEL: Record<Deployment, string> = {
  '1': '1 dashboard (1 process, no Redis)',
  '2': '2 dashboards (no Redis)',
  '1+redis': '1 dashboard + Redis (broker clustered on Redis)',
  '2+redis': '2 dashboards + Redis (broker clustered on Redis too)',
};
const withRedis = (d: Deployment) => d.endsWith('+redis');
const twoServers = (d: Deployment) => d.startsWith('2');
/** push intervals per deployment: all of --intervals for `1`, the others at the default only unless --intervals was given */
const intervalsOf = (d: Deployment) => (d === '1' || args.includes('--intervals') ? INTERVALS : [DEFAULT_INTERVAL_MS]);
const WARMUP_S = 2;
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1600, height: 900 };
// central Chicago, inside the shipped tiles: where the bench devices of part 2 stand
const AREA = { west: -87.69, south: 41.85, east: -87.6, north: 41.92 };


// ---- cleanup: every child process, browser, MQTT client and temp dir, on exit and on Ctrl-C ----
const browsers: Browser[] = [];
const clients: MqttClient[] = [];
const bench = new BenchCleanup();
bench.add(() => {
  for (const c of clients) c.end(true);
  return Promise.all(browsers.map((b) => b.close()));
});
const { children, dirs } = bench;
const cleanup = () => bench.run();

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

interface System {
  child: ChildProcess;
  base: string;
  mqttUrl: string;
  dataDir: string;
  stop: () => Promise<void>;
}

/** `node --import tsx src/start.ts` on its own data dir and free ports; the ports from its banner. */
async function startSystem(dataDir: string, env: Record<string, string>): Promise<System> {
  const service = spawnService('src/start.ts', process.execPath, ['--import', 'tsx', 'src/start.ts'], {
    DATA_DIR: dataDir, MQTT_PORT: '0', MQTT_WS_PORT: '0', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1',
    DEMO_FLEET: 'false', LOG_LEVEL: 'warn', ...env,
  });
  const [, httpPort, mqttPort] = await until(
    'the start-up banner',
    async () => service.output().match(/dashboard\s+http:\/\/localhost:(\d+)\/[\s\S]*MQTT \(TCP\)\s+mqtt:\/\/localhost:(\d+)/) ?? undefined,
    60_000,
  );
  return {
    child: service.child, dataDir,
    base: `http://127.0.0.1:${httpPort}`,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    stop: service.stop,
  };
}

interface Service {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** A child of ours killed by BenchCleanup; leaving before stop() ends the bench (exit 1). */
function spawnService(name: string, command: string, argv: string[], env: Record<string, string>): Service {
  if (bench.stopping) throw new Error('stopping: no new child');
  const child = spawn(command, argv, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  let stopping = false;
  child.stdout!.on('data', (d) => (output = (output + d).slice(-20_000)));
  child.stderr!.on('data', (d) => {
    output = (output + d).slice(-20_000);
    process.stderr.write(d);
  });
  child.once('error', (err) => progress(`${name}: ${err.message}`, true));
  child.once('exit', (code, signal) => {
    if (!bench.stopping && !stopping) {
      console.error(`\n${name} exited unexpectedly (${signal ?? code})\n${output}`);
      void cleanup().then(() => process.exit(1));
    }
  });
  return {
    child,
    output: () => output,
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000).then(() => child.kill('SIGKILL'))]);
    },
  };
}

/**
 * Dashboard server B: `dashboard/server/src/index.ts` in its own process on system A's broker (its own
 * service account), DATA_DIR (registry, ops.sqlite, the embedded time-series file: SQLite in WAL mode,
 * several processes fine) and Redis; no rules engine (one per deployment: A's). Ready once /healthz says
 * its MQTT subscription is up.
 */
async function startDashboard(system: System, env: Record<string, string>): Promise<{ base: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const service = spawnService('dashboard B (dashboard/server/src/index.ts)', process.execPath, ['--import', 'tsx', 'dashboard/server/src/index.ts'], {
    HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1', DATA_DIR: system.dataDir, MQTT_URL: system.mqttUrl, RULES_ENGINE: 'false',
    DASHBOARD_WEB_DIR: join(repoRoot, 'dashboard/web/dist'), LOG_LEVEL: 'warn', ...env,
  });
  const base = `http://127.0.0.1:${port}`;
  await until(
    'dashboard B subscribed to MQTT',
    async () => (((await (await fetch(`${base}/healthz`)).json()) as { mqtt: string }).mqtt === 'subscribed' ? true : undefined),
    60_000,
  );
  return { base, stop: service.stop };
}

async function openApp(browser: Browser, base: string): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  page.on('pageerror', (err) => progress(`page error: ${err.message}`, true));
  // tsx (esbuild keepNames) wraps named functions in the page.evaluate callbacks with __name()
  await page.addInitScript('globalThis.__name = (f) => f;');
  await page.goto(base);
  await page.waitForFunction(() => window.__map !== undefined && window.__map.getSource('devices') !== undefined, undefined, { timeout: 60_000 });
  await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor({ timeout: 60_000 });
  return page;
}

/** Waits for the map's next `idle` (or `ms`), returns ms waited or -1 on timeout. */
const waitIdle = (page: Page, ms = 60_000) =>
  page.evaluate(
    (ms) =>
      new Promise<number>((resolve) => {
        const map = window.__map!;
        const t0 = performance.now();
        if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) return resolve(0);
        map.once('idle', () => resolve(performance.now() - t0));
        map.triggerRepaint();
        setTimeout(() => resolve(-1), ms);
      }),
    ms,
  );

// ---------------------------------------------------------------- part 1: rendering
type UpdateMode = (typeof UPDATES)[number];

interface RenderRow {
  mode: UpdateMode;
  n: number;
  firstIdleMs: number;
  rafFps: number;
  mapFps: number;
  updates: number;
  updateSetDataMs: number;
  idleAfterUpdateMs: number;
  longestFrameMs: number;
  zoomRange: string;
  /** CPU share used by processes not ours while measuring (watchOtherCpu) */
  othersCpu: number;
}

async function renderPart(browser: Browser): Promise<{ rows: RenderRow[]; webgl: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-map-render-'));
  dirs.push(dataDir);
  progress('part 1: starting the system (DEMO_FLEET=false)', true);
  const system = await startSystem(dataDir, {});
  const page = await openApp(browser, system.base);
  await waitIdle(page);
  const webgl = await page.evaluate(() => {
    const gl = window.__map!.getCanvas().getContext('webgl2') ?? window.__map!.getCanvas().getContext('webgl');
    const ext = gl?.getExtension('WEBGL_debug_renderer_info');
    return ext && gl ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : String(gl?.getParameter(gl.RENDERER) ?? 'unknown');
  });
  const rows: RenderRow[] = [];
  for (const mode of UPDATES) for (const n of SIZES) {
    progress(`part 1: N=${n}: setData and first idle`, true);
    // same start view for every N; the synthetic points, built before timing
    await page.evaluate(() => {
      const map = window.__map!;
      map.jumpTo({ center: [-87.648, 41.884], zoom: 13.2 });
    });
    await waitIdle(page);
    const firstIdleMs = await page.evaluate((n) => {
      const map = window.__map!;
      const b = map.getMaxBounds()!;
      const [w, s, e, nn] = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
      let seed = 42;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
      const states = ['ok', 'warning', 'alarm', 'offline'] as const;
      const pickState = () => {
        const r = rnd();
        return r < 0.7 ? 0 : r < 0.85 ? 1 : r < 0.92 ? 2 : 3;
      };
      const severity = [0, 2, 3, 1]; // ok, warning, alarm, offline
      const features = Array.from({ length: n }, (_, i) => {
        const st = pickState();
        const camera = i % 50 === 0;
        return {
          type: 'Feature' as const,
          geometry: { type: 'Point' as const, coordinates: [w + rnd() * (e - w), s + rnd() * (nn - s)] },
          properties: { id: `syn-${i}`, kind: camera ? 'camera' : 'air_quality', state: states[st]!, camera, severity: severity[st]!, value: Math.round(rnd() * 100) },
        };
      });
      const fc = { type: 'FeatureCollection' as const, features };
      (window as unknown as { __benchFc: typeof fc }).__benchFc = fc;
      return new Promise<number>((resolve) => {
        const t0 = performance.now();
        map.getSource<GeoJSONSource>('devices')!.setData(fc);
        map.once('idle', () => resolve(performance.now() - t0));
        setTimeout(() => resolve(-1), 120_000);
      });
    }, n);
    progress(`part 1: N=${n}: first idle after ${firstIdleMs.toFixed(0)} ms; ${SECONDS} s of 1 Hz updates (${mode}) while the camera eases`, true);
    const others = watchOtherCpu();
    const r = await page.evaluate(
      ({ seconds, mode }) =>
        new Promise<Omit<RenderRow, 'mode' | 'n' | 'firstIdleMs' | 'othersCpu'>>((resolve) => {
          const map = window.__map!;
          const source = map.getSource<GeoJSONSource>('devices')!;
          const fc = (window as unknown as { __benchFc: { features: { properties: { id: string; state: string; severity: number; value: number } }[] } }).__benchFc;
          const states = ['ok', 'warning', 'alarm', 'offline'];
          const severity: Record<string, number> = { ok: 0, offline: 1, warning: 2, alarm: 3 };
          const b = map.getMaxBounds()!;
          const [w, s, e, n] = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
          let frames = 0;
          let renders = 0;
          let longest = 0;
          let last = performance.now();
          let running = true;
          let minZoom = Infinity;
          let maxZoom = -Infinity;
          const onRender = () => renders++;
          map.on('render', onRender);
          const raf = (t: number) => {
            if (!running) return;
            frames++;
            longest = Math.max(longest, t - last);
            last = t;
            requestAnimationFrame(raf);
          };
          // the camera: slow eases (3 s each) to a point in the middle half of the bounds, zoom 13..15 (clustered)
          let step = 0;
          const ease = () => {
            if (!running) return;
            step++;
            const zoom = 13 + ((step * 7) % 5) * 0.5;
            const cx = w + (e - w) * (0.25 + 0.5 * ((step * 0.37) % 1));
            const cy = s + (n - s) * (0.25 + 0.5 * ((step * 0.61) % 1));
            minZoom = Math.min(minZoom, zoom);
            maxZoom = Math.max(maxZoom, zoom);
            map.easeTo({ center: [cx, cy], zoom, duration: 3000, easing: (x: number) => x });
            map.once('moveend', ease);
          };
          // 1 Hz: a tenth of the points change state and value; the changes go to the source as a diff
          // (updateData, what the app does) or the whole collection goes to setData
          let updates = 0;
          let setDataMs = 0;
          let offset = 0;
          const tenth = Math.ceil(fc.features.length / 10);
          const update = () => {
            const t0 = performance.now();
            const diff: { id: string; addOrUpdateProperties: { key: string; value: unknown }[] }[] = [];
            for (let i = 0; i < tenth; i++) {
              const p = fc.features[(offset + i * 10) % fc.features.length]!.properties;
              p.state = states[(states.indexOf(p.state) + 1) % 4]!;
              p.severity = severity[p.state]!;
              p.value = (p.value + 7) % 100;
              diff.push({ id: p.id, addOrUpdateProperties: [{ key: 'state', value: p.state }, { key: 'severity', value: p.severity }, { key: 'value', value: p.value }] });
            }
            offset++;
            if (mode === 'setData') void source.setData(fc as unknown as Parameters<GeoJSONSource['setData']>[0]);
            else if (diff.length > 0) void source.updateData({ update: diff });
            setDataMs += performance.now() - t0;
            updates++;
          };
          const timer = setInterval(update, 1000);
          requestAnimationFrame((t) => {
            last = t;
            requestAnimationFrame(raf);
          });
          ease();
          const t0 = performance.now();
          setTimeout(() => {
            const elapsed = (performance.now() - t0) / 1000;
            running = false;
            clearInterval(timer);
            map.off('render', onRender);
            map.off('moveend', ease);
            map.stop();
            // how long the last update takes to settle once the camera stops
            const t1 = performance.now();
            map.once('idle', () =>
              resolve({
                rafFps: frames / elapsed,
                mapFps: renders / elapsed,
                updates,
                updateSetDataMs: setDataMs / Math.max(1, updates),
                idleAfterUpdateMs: performance.now() - t1,
                longestFrameMs: longest,
                zoomRange: `${minZoom}..${maxZoom}`,
              }),
            );
            update();
          }, seconds * 1000);
        }),
      { seconds: SECONDS, mode },
    );
    rows.push({ mode, n, firstIdleMs, ...r, othersCpu: others.stop().othersShare });
    progress(`part 1: N=${n}: ${r.rafFps.toFixed(1)} fps (rAF), ${r.mapFps.toFixed(1)} map renders/s`, true);
  }
  await page.close();
  await system.stop();
  return { rows, webgl };
}

// ---------------------------------------------------------------- part 2: live path latency
/** What the injected listener collects in a page (window.__bench). */
interface BenchProbe {
  /** readings published before this (epoch ms) are not counted */
  since: number;
  /** publish -> this page, per reading, ms */
  lat: number[];
  /** publish -> the server's flush, per reading, ms */
  server: number[];
  deltas: number;
  /** long tasks seen while counting, ms each */
  long: number[];
  /** the same reading (device, publish time) again: not in lat/server */
  dups: number;
}

const WHERE_LABEL = { app: 'app (live map)', bare: 'bare (empty page)', node: 'Node client (no browser)' } as const;
type Where = keyof typeof WHERE_LABEL;
type Server = 'A' | 'B';

interface LatencyRow {
  deployment: Deployment;
  /** the dashboard server the client is connected to: A (src/start.ts) or B (the second one) */
  server: Server;
  where: Where;
  intervalMs: number;
  rate: number;
  published: number;
  seconds: number;
  /** distinct readings seen */
  received: number;
  /** readings seen again (the same device and publish time) */
  dups: number;
  deltas: number;
  p50: number;
  p99: number;
  max: number;
  /** publish -> the dashboard's flush (the `serverTime` of the deltas message): the server's share */
  serverP50: number;
  serverP99: number;
  /** the page's main thread blocked > 50 ms (PerformanceObserver longtask) while measuring */
  longTasks: { count: number; totalMs: number; maxMs: number };
  /** CPU share used by processes not ours while measuring (watchOtherCpu) */
  othersCpu: number;
}

const deviceId = (i: number) => `aq-bench-${String(i).padStart(5, '0')}`;

function connectMqtt(url: string, username: string, password: string, clientId: string): Promise<MqttClient> {
  return new Promise<MqttClient>((resolve, reject) => {
    const c = mqtt.connect(url, { username, password, clientId, clean: true, protocolVersion: 4, reconnectPeriod: 0 });
    c.once('connect', () => {
      (c.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      c.off('error', reject);
      clients.push(c);
      resolve(c);
    });
    c.once('error', reject);
  });
}

/** QoS 0 at `rate` readings/s for `seconds`, round-robin over the devices, each stamped with Date.now(). */
async function publishAt(client: MqttClient, rate: number, seconds: number, label: string): Promise<{ published: number; seconds: number }> {
  const t0 = performance.now();
  let sent = 0;
  let device = 0;
  const total = rate * seconds;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    while (sent < due) {
      const id = deviceId(device);
      device = (device + 1) % DEVICES;
      const now = Date.now();
      const body = `{"observedAt":${now},"metrics":{"pm25_ugm3":${(sent % 90) + 5},"bench_sent_ms":${now}}}`;
      client.publish(`city/sensors/${id}/up`, body, { qos: 0 });
      sent++;
    }
    progress(`${label}: published ${sent}/${total}`);
    await sleep(2);
  }
  return { published: sent, seconds: (performance.now() - t0) / 1000 };
}

/** Stamps every device of every `deltas` message with the page's clock, keyed by the publish time it carries. */
function installListener(page: Page) {
  return page.addScriptTag({ path: join(repoRoot, 'node_modules/socket.io-client/dist/socket.io.min.js') }).then(() =>
    page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          type Snap = { id: string; metrics: Record<string, number> };
          type Payload = { devices: Snap[]; serverTime: number };
          const w = window as unknown as {
            io: (url: string) => { on: (ev: string, fn: (p: Payload) => void) => void; once: (ev: string, fn: () => void) => void };
            __bench: BenchProbe;
            __benchKeys: Set<string>;
          };
          w.__bench = { since: Infinity, lat: [], server: [], deltas: 0, long: [], dups: 0 };
          w.__benchKeys = new Set();
          // main-thread stalls (> 50 ms) while measuring: what holds a message back in this page
          new PerformanceObserver((list) => {
            const bench = w.__bench;
            if (bench.since === Infinity) return;
            for (const e of list.getEntries()) bench.long.push(e.duration);
          }).observe({ type: 'longtask' });
          const socket = w.io(location.origin);
          socket.on('deltas', (p) => {
            const at = performance.timeOrigin + performance.now();
            const bench = w.__bench;
            const keys = w.__benchKeys;
            bench.deltas++;
            for (const d of p.devices) {
              const sent = d.metrics.bench_sent_ms;
              if (sent === undefined || sent < bench.since) continue;
              const key = `${d.id}@${sent}`;
              if (keys.has(key)) {
                bench.dups++;
                continue;
              }
              keys.add(key);
              bench.lat.push(at - sent);
              bench.server.push(p.serverTime - sent);
            }
          });
          socket.once('snapshot', () => resolve());
        }),
    ),
  );
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** One place the deltas are timed: a page (its injected listener) or the Node client. */
interface Listener {
  where: Where;
  server: Server;
  reset(since: number): Promise<void>;
  collect(): Promise<Pick<BenchProbe, 'lat' | 'server' | 'deltas' | 'long' | 'dups'>>;
  close(): Promise<void>;
}

const pageListener = (where: Where, server: Server, page: Page): Listener => ({
  where,
  server,
  reset: (since) =>
    page.evaluate((since) => {
      const w = window as unknown as { __bench: BenchProbe; __benchKeys: Set<string> };
      Object.assign(w.__bench, { since, lat: [], server: [], deltas: 0, long: [], dups: 0 });
      w.__benchKeys = new Set();
    }, since),
  collect: () =>
    page.evaluate(() => {
      const b = (window as unknown as { __bench: BenchProbe }).__bench;
      b.since = Infinity;
      return { lat: b.lat, server: b.server, deltas: b.deltas, long: b.long, dups: b.dups };
    }),
  close: () => page.close(),
});

/** socket.io-client in this process, WebSocket only: the server path without a browser's main thread. */
async function nodeListener(server: Server, base: string): Promise<Listener> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(base, { transports: ['websocket'] });
  const b: BenchProbe = { since: Infinity, lat: [], server: [], deltas: 0, long: [], dups: 0 };
  let keys = new Set<string>();
  socket.on('deltas', (p) => {
    const at = Date.now();
    b.deltas++;
    for (const d of p.devices) {
      const sent = d.metrics.bench_sent_ms;
      if (sent === undefined || sent < b.since) continue;
      const key = `${d.id}@${sent}`;
      if (keys.has(key)) {
        b.dups++;
        continue;
      }
      keys.add(key);
      b.lat.push(at - sent);
      b.server.push(p.serverTime - sent);
    }
  });
  await new Promise((resolve) => socket.once('snapshot', resolve));
  return {
    where: 'node',
    server,
    reset: async (since) => {
      Object.assign(b, { since, lat: [], server: [], deltas: 0, dups: 0 });
      keys = new Set();
    },
    collect: async () => {
      b.since = Infinity;
      return { lat: b.lat, server: b.server, deltas: b.deltas, long: [], dups: b.dups };
    },
    close: async () => void socket.close(),
  };
}

async function latencyPart(browser: Browser, intervalMs: number, deployment: Deployment): Promise<LatencyRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-map-live-'));
  dirs.push(dataDir);
  // the gateway account, dashboard B's service account and the devices, before the system opens the same registry file
  const registry = DeviceRegistry.open(dataDir);
  const { secret } = await registry.add({ id: 'bench-gw', kind: 'generic', role: 'gateway', topicPrefixes: ['city/sensors/'] });
  const dashboardB = twoServers(deployment) ? await registry.add({ id: 'dashboard-b', kind: 'generic', role: 'service' }) : undefined;
  const side = Math.ceil(Math.sqrt(DEVICES));
  for (let i = 0; i < DEVICES; i++) {
    const lon = AREA.west + ((i % side) + 0.5) * ((AREA.east - AREA.west) / side);
    const lat = AREA.south + (Math.floor(i / side) + 0.5) * ((AREA.north - AREA.south) / side);
    registry.registerSeen(deviceId(i), 'air_quality', { lat, lon });
  }
  registry.close();
  const redis = withRedis(deployment) ? await startRedisServer(bench) : undefined;
  const redisEnv: Record<string, string> = redis ? { REDIS_URL: redis.url } : {};
  const what = `${DEPLOYMENT_LABEL[deployment]}, DASHBOARD_PUSH_INTERVAL_MS=${intervalMs}, ${DEVICES} devices`;
  progress(`part 2: starting the system (DEMO_FLEET=false, ${what})`, true);
  const system = await startSystem(dataDir, { DASHBOARD_PUSH_INTERVAL_MS: String(intervalMs), ...redisEnv, ...(redis ? { BROKER_NAME: 'bench-a' } : {}) });
  const servers: { name: Server; base: string }[] = [{ name: 'A', base: system.base }];
  let serverB: { base: string; stop: () => Promise<void> } | undefined;
  if (dashboardB) {
    progress('part 2: starting dashboard server B (dashboard/server/src/index.ts)', true);
    serverB = await startDashboard(system, {
      DASHBOARD_MQTT_USERNAME: 'dashboard-b', DASHBOARD_MQTT_PASSWORD: dashboardB.secret, DASHBOARD_PUSH_INTERVAL_MS: String(intervalMs), ...redisEnv,
    });
    servers.push({ name: 'B', base: serverB.base });
  }
  const listeners: Listener[] = [];
  for (const { name, base } of servers) {
    if (WHERE.includes('app')) {
      // a second socket.io client in the app's page (the client library's own browser bundle): it waits
      // whenever the app holds the main thread
      const page = await openApp(browser, base);
      await installListener(page);
      listeners.push(pageListener('app', name, page));
    }
    if (WHERE.includes('bare')) {
      // the same in an empty document on the dashboard's origin, served by the browser itself (/status
      // reloads itself): no map competing for its main thread
      const bare = await browser.newPage();
      await bare.addInitScript('globalThis.__name = (f) => f;');
      await bare.route(`${base}/bench-blank`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' }));
      await bare.goto(`${base}/bench-blank`);
      await installListener(bare);
      listeners.push(pageListener('bare', name, bare));
    }
    if (WHERE.includes('node')) listeners.push(await nodeListener(name, base));
  }
  const client = await connectMqtt(system.mqttUrl, 'bench-gw', secret, `bench-gw-${deployment}-${intervalMs}`);
  const rows: LatencyRow[] = [];
  for (const rate of RATES) {
    const label = `part 2: ${deployment === '1' ? '' : `${DEPLOYMENT_LABEL[deployment]}: `}interval ${intervalMs} ms, ${rate}/s`;
    for (const l of listeners) await l.reset(Infinity);
    await publishAt(client, rate, WARMUP_S, `${label} warm-up`);
    await sleep(500);
    const since = Date.now();
    for (const l of listeners) await l.reset(since);
    const others = watchOtherCpu();
    const { published, seconds } = await publishAt(client, rate, SECONDS, label);
    const othersCpu = others.stop().othersShare;
    await sleep(Math.max(1000, intervalMs * 4)); // the last flush
    for (const l of listeners) {
      const { lat, server, deltas, long, dups } = await l.collect();
      const longTasks = { count: long.length, totalMs: long.reduce((a, b) => a + b, 0), maxMs: Math.max(0, ...long) };
      lat.sort((a, b) => a - b);
      server.sort((a, b) => a - b);
      const row: LatencyRow = {
        deployment, server: l.server, where: l.where, intervalMs, rate, published, seconds, received: lat.length, dups, deltas,
        p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: lat.at(-1) ?? NaN,
        serverP50: quantile(server, 0.5), serverP99: quantile(server, 0.99), longTasks, othersCpu,
      };
      rows.push(row);
      progress(
        `${label}, ${servers.length > 1 ? `server ${l.server}, ` : ''}${l.where}: ${row.received} readings seen${dups > 0 ? ` (+${dups} duplicates)` : ''} in ${deltas} deltas, ` +
          `p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms`,
        true,
      );
    }
  }
  await client.endAsync();
  for (const l of listeners) await l.close();
  await serverB?.stop();
  await system.stop();
  await redis?.stop();
  return rows;
}

async function main() {
  const startedAt = Date.now();
  const busyBefore = await machineBusy();
  if (busyBefore > 0.1) progress(`warning: CPUs ${(busyBefore * 100).toFixed(0)}% busy before starting: other work on this machine skews the figures`, true);
  // always: a dist/ left from older sources would measure the old app
  progress('building the web app (vite) into dashboard/web/dist', true);
  const { build } = await import('vite');
  await build({ configFile: join(repoRoot, 'dashboard/web/vite.config.ts'), logLevel: 'warn' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  browsers.push(browser);
  const chromiumVersion = browser.version();
  // `--parts live --clients node`: the server alone, no browser using the CPUs meanwhile
  if (!PARTS.includes('render') && !WHERE.includes('app') && !WHERE.includes('bare')) await browser.close();

  const { rows: renderRows, webgl } = PARTS.includes('render') ? await renderPart(browser) : { rows: [], webgl: '(not measured: --parts live)' };
  const latencyRows: LatencyRow[] = [];
  if (PARTS.includes('live')) {
    for (const deployment of DEPLOYMENTS) for (const interval of intervalsOf(deployment)) latencyRows.push(...(await latencyPart(browser, interval, deployment)));
  }
  progress('');

  const model = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpus()[0]?.model;
  const nproc = execFileSync('nproc').toString().trim();
  console.log(
    `\nmachine: nproc ${nproc}, ${model}, node ${process.version}, Chromium ${chromiumVersion} headless, WebGL: ${webgl}; ` +
      `CPUs ${(busyBefore * 100).toFixed(0)}% busy in the second before the run; ${((Date.now() - startedAt) / 1000).toFixed(0)} s in all`,
  );
  if (renderRows.length > 0) {
    console.log(`\n1. rendering: ${VIEWPORT.width}x${VIEWPORT.height}, clustered source 'devices' (radius 36, max zoom 15), ${SECONDS} s of 1 Hz updates (a tenth changed) while easing\n`);
    console.log('| updates | N points | first idle after setData | fps (rAF) | map renders/s | longest frame | updates | update call (main thread) | idle after last update | zoom range | other processes\' CPU |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of renderRows) {
      console.log(
        `| ${r.mode} | ${r.n.toLocaleString('en')} | ${r.firstIdleMs.toFixed(0)} ms | ${r.rafFps.toFixed(1)} | ${r.mapFps.toFixed(1)} | ${r.longestFrameMs.toFixed(0)} ms | ` +
          `${r.updates} | ${r.updateSetDataMs.toFixed(1)} ms | ${r.idleAfterUpdateMs.toFixed(0)} ms | ${r.zoomRange} | ${(r.othersCpu * 100).toFixed(0)}% |`,
      );
    }
  }
  if (latencyRows.length > 0) {
    console.log(`\n2. live path: ${DEVICES} devices, MQTT.js QoS 0, 1 connection, TCP no-delay -> broker -> dashboard -> socket.io deltas -> page (publish -> receipt, same clock)`);
    console.log(
      '   deployments: ' + DEPLOYMENTS.map((d) => `${d} = ${DEPLOYMENT_LABEL[d]}`).join('; ') +
        '. Server A = src/start.ts (broker, ingest, dashboard), B = dashboard/server/src/index.ts in its own process, subscribed to A\'s broker itself. ' +
        '"readings seen": distinct (device, publish time), duplicates counted apart.\n',
    );
    console.log('| deployment | server | DASHBOARD_PUSH_INTERVAL_MS | rate | client | published | readings seen | deltas msgs | p50 | p99 | max | publish -> server flush p50 / p99 | long tasks: count, share of the time, longest | other processes\' CPU |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of latencyRows) {
      console.log(
        `| ${DEPLOYMENT_LABEL[r.deployment]} | ${r.server} | ${r.intervalMs}${r.intervalMs === DEFAULT_INTERVAL_MS ? ' (default)' : ''} | ${(r.published / r.seconds / 1000).toFixed(2)}k/s | ${WHERE_LABEL[r.where]} | ${r.published} | ` +
          `${r.received} (${((r.received / r.published) * 100).toFixed(0)}%)${r.dups > 0 ? ` + ${r.dups} duplicates` : ''} | ${r.deltas} | ` +
          `${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.max.toFixed(1)} ms | ${r.serverP50.toFixed(0)} / ${r.serverP99.toFixed(0)} ms | ${r.longTasks.count}, ${((r.longTasks.totalMs / 1000 / r.seconds) * 100).toFixed(0)}%, ${r.longTasks.maxMs.toFixed(0)} ms | ${(r.othersCpu * 100).toFixed(0)}% |`,
      );
    }
  }
  console.log('');
  for (const mode of UPDATES) {
    const big = renderRows.filter((r) => r.mode === mode).find((r) => r.n === 100_000);
    if (big) console.log(`target: >= 30 fps at 100,000 points with clustering (${mode} updates): ${big.rafFps.toFixed(1)} fps ${big.rafFps >= 30 ? 'PASS' : 'MISS'}`);
  }
  for (const r of latencyRows.filter((r) => r.rate === 5000)) {
    console.log(
      `target: p99 <= 50 ms at 5k readings/s (${DEPLOYMENT_LABEL[r.deployment]}, server ${r.server}, push interval ${r.intervalMs} ms, ${WHERE_LABEL[r.where]}): ` +
        `${r.p99.toFixed(1)} ms ${r.p99 <= 50 ? 'PASS' : 'MISS'}`,
    );
  }
}

bench.main(main);
