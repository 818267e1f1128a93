// docker-compose.yml's `scaled` profile as local processes: Redis, PostgreSQL, InfluxDB 1.x, two aedes
// brokers clustered through Redis, Mosquitto bridged from broker A, two ingest workers share-subscribed
// on Mosquitto and two dashboards (A runs the rules engine) on one registry, Redis and PostgreSQL.
// Each part has its own tests; this one checks that they work together, end to end, as deployed.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { expect, it } from 'vitest';
import {
  DeviceRegistry,
  INGEST_SUBSCRIPTIONS,
  type DeviceSnapshot,
  type Incident,
  type IncidentEventsToClient,
  type ServerToClientEvents,
} from '@city/shared';
import { spawnIngest, type ChildIngest } from '../ingest/test/support/child.ts';
import { startMosquitto } from '../ingest/test/support/mosquitto.ts';
import { freePort, startInfluxd } from './support/influxd.ts';
import { startPostgres } from './support/postgres.ts';
import { startRedis } from './support/redis.ts';
import { track } from './support/teardown.ts';
import { tmpDir } from './support/tmp.ts';
import { sleep, waitFor } from './support/wait.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ADMIN = { username: 'chief', password: 'correct horse battery' };
const N = 600;

/** `promise`, or a rejection naming `what` once `timeoutMs` passed. */
function within<T>(what: string, promise: Promise<T>, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `node --import tsx {script}` with `env`; SIGKILLed (and awaited) in teardown. Resolves once `ready` is true. */
async function startService(name: string, script: string, env: Record<string, string>, ready: () => Promise<boolean>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child, (c) => {
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    return exited;
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await waitFor(
    `${name} ready`,
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
      return ready().catch(() => false);
    },
    30_000,
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${name} output:\n${output}`);
  });
  return { child, output: () => output };
}

const getJson = async <T>(url: string, headers: Record<string, string> = {}) =>
  (await fetch(url, { headers, signal: AbortSignal.timeout(5000) })).json() as Promise<T>;

async function startBroker(name: string, env: Record<string, string>) {
  const mqttPort = await freePort();
  const httpPort = await freePort();
  await startService(
    `broker ${name}`,
    'broker/src/index.ts',
    { MQTT_HOST: '127.0.0.1', MQTT_PORT: String(mqttPort), MQTT_WS_ENABLED: 'false', BROKER_HTTP_PORT: String(httpPort), BROKER_NAME: name, ...env },
    async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`, { signal: AbortSignal.timeout(2000) })).ok,
  );
  return { url: `mqtt://127.0.0.1:${mqttPort}` };
}

async function startDashboard(name: string, env: Record<string, string>) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  await startService(
    `dashboard ${name}`,
    'dashboard/server/src/index.ts',
    { HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1', ...env },
    async () => (await getJson<{ mqtt: string }>(`${base}/healthz`)).mqtt === 'subscribed',
  );
  return base;
}

function connectMqtt(url: string, options: IClientOptions): Promise<MqttClient> {
  const client = track(mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, ...options }), (c) => c.endAsync(true));
  return within(
    `CONNACK for ${options.clientId} from ${url}`,
    new Promise((resolve, reject) => {
      client.once('connect', () => resolve(client));
      client.once('error', reject);
      client.once('close', () => reject(new Error(`${options.clientId}: closed before CONNACK`)));
    }),
  );
}

/** Publishes at QoS 1 with up to `inFlight` unacknowledged. */
async function publishAll(client: MqttClient, topic: string, payloads: string[], inFlight = 50): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < payloads.length) await client.publishAsync(topic, payloads[next++]!, { qos: 1 });
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, payloads.length) }, worker));
}

async function login(base: string) {
  const res = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  expect(res.status).toBe(200);
  const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie, headers: { cookie, 'x-csrf-token': csrfToken } };
}

/** A live map client: every aq-1 state it was sent, from the snapshot on. */
async function liveMap(base: string) {
  const socket = track(io(base, { transports: ['websocket'], reconnection: false }) as Socket<ServerToClientEvents>, (s) => s.close());
  const seen: DeviceSnapshot[] = [];
  socket.on('deltas', (p) => seen.push(...p.devices.filter((d) => d.id === 'aq-1')));
  await within(`the live map snapshot from ${base}`, new Promise((resolve) => socket.once('snapshot', resolve)));
  return seen;
}

it('runs the scaled deployment end to end: readings split and stored once, live maps and incidents on both dashboards', async () => {
  const [influxd, postgres, redis] = await Promise.all([
    startInfluxd().then((s) => track(s, (x) => x.destroy())),
    startPostgres().then((s) => track(s, (x) => x.destroy())),
    startRedis(),
  ]);
  const databaseUrl = await postgres.createDatabase();
  const influx = { INFLUX_URL: influxd.url, INFLUX_DATABASE: 'telemetry' };

  // one registry file every process opens (DATA_DIR), with the accounts `provision` makes
  const dataDir = tmpDir('scaled-');
  const registry = track(DeviceRegistry.open(dataDir), (r) => r.close());
  const device = (await registry.add({ id: 'aq-1', kind: 'air_quality', position: { lat: 41.8789, lon: -87.6359 } })).secret;
  const probe = (await registry.add({ id: 'aq-probe', kind: 'air_quality' })).secret;
  for (const id of ['ingest', 'dashboard', 'bridge']) await registry.add({ id, kind: 'generic', role: 'service', secret: `${id}-secret-0001` });

  const [a, b] = await Promise.all([
    startBroker('a', { DATA_DIR: dataDir, REDIS_URL: redis.url }),
    startBroker('b', { DATA_DIR: dataDir, REDIS_URL: redis.url }),
  ]);

  // compose's mosquitto service: ONE bridge, to `broker` (A); a reading published on B reaches it through Redis
  const mosquitto = await startMosquitto([
    'connection aedes',
    `address ${new URL(a.url).host}`,
    'bridge_protocol_version mqttv311',
    'notifications false',
    'cleansession false',
    'remote_clientid mosquitto-bridge',
    'remote_username bridge',
    'remote_password bridge-secret-0001',
    ...INGEST_SUBSCRIPTIONS.map((filter) => `topic ${filter} in 1`),
  ]);

  const workers: ChildIngest[] = ['ingest-1', 'ingest-2'].map((id) =>
    spawnIngest({
      DATA_DIR: dataDir,
      MQTT_URL: mosquitto.url,
      INGEST_SHARED_GROUP: 'ingest',
      INGEST_CLIENT_ID: id,
      INGEST_JOURNAL_DIR: join(dataDir, `journal-${id}`),
      INGEST_MQTT_USERNAME: 'ingest',
      INGEST_MQTT_PASSWORD: 'ingest-secret-0001',
      ...influx,
    }),
  );
  const dashboardEnv = {
    DATA_DIR: dataDir,
    REDIS_URL: redis.url,
    DATABASE_URL: databaseUrl,
    DASHBOARD_MQTT_USERNAME: 'dashboard',
    DASHBOARD_MQTT_PASSWORD: 'dashboard-secret-0001',
    DASHBOARD_WEB_DIR: join(dataDir, 'no-web'),
    ADMIN_USER: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    ...influx,
  };
  // started together (compose starts B once A is healthy): both migrate PostgreSQL and create the admin
  const [baseA, baseB] = await Promise.all([
    startDashboard('A', { ...dashboardEnv, MQTT_URL: a.url, RULES_ENGINE: 'true' }),
    startDashboard('B', { ...dashboardEnv, MQTT_URL: b.url, RULES_ENGINE: 'false' }),
  ]);
  for (const [i, worker] of workers.entries()) {
    await waitFor(
      `ingest-${i + 1} healthy (connected to Mosquitto)`,
      async () => {
        if (worker.child.exitCode !== null) throw new Error(`ingest-${i + 1} exited with ${worker.child.exitCode}:\n${worker.logs.map((l) => JSON.stringify(l)).join('\n')}`);
        return (await fetch(`${await worker.httpUrl()}/healthz`)).ok;
      },
      30_000,
      100,
    );
  }

  // the whole path B -> Redis -> A -> bridge -> Mosquitto is up once a probe device's reading on B
  // reaches a subscriber on Mosquitto (readings published before the bridge subscribed go nowhere)
  const watcher = await connectMqtt(mosquitto.url, { clientId: 'watcher' });
  const bridged = new Map<string, number>();
  watcher.on('message', (topic) => bridged.set(topic, (bridged.get(topic) ?? 0) + 1));
  const probesBridged = () => bridged.get('city/sensors/aq-probe/up') ?? 0;
  await within('SUBACK from Mosquitto', watcher.subscribeAsync('city/sensors/+/up', { qos: 1 }));
  const probeClient = await connectMqtt(b.url, { clientId: 'aq-probe', username: 'aq-probe', password: probe });
  let probesSent = 0;
  await waitFor(
    'a reading published on broker B to come out of Mosquitto',
    async () => {
      if (probesBridged() > 0) return true;
      await probeClient.publishAsync('city/sensors/aq-probe/up', JSON.stringify({ observedAt: Date.now() - 60_000 + probesSent++, metrics: { pm25_ugm3: 1 } }), { qos: 1 });
      return false;
    },
    20_000,
    200,
  );
  const total = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
  const metric = (name: string) => Promise.all(workers.map((w) => w.metric(name)));
  const written = () => metric('city_ingest_readings_written_total');
  await waitFor('the probe readings written', async () => total(await written()) === probesBridged(), 20_000, 100);
  const writtenBefore = await written();
  const probesBefore = probesBridged();

  // both `/ops` adapters subscribed in Redis (a broadcast published before that is lost), as cluster.test.ts waits
  const redisProbe = track(new Redis(redis.url), (r) => r.quit());
  await waitFor('both dashboards subscribed to the /ops adapter channel', async () => {
    const [, subscribers] = (await redisProbe.call('PUBSUB', 'NUMSUB', 'socket.io-request#/ops#')) as [string, number];
    return subscribers >= 2;
  });

  // 1. N readings from a device on broker B: stored exactly once, split between the workers
  const mapA = await liveMap(baseA);
  const mapB = await liveMap(baseB);
  const base = Date.now() - 10_000;
  const publisher = await connectMqtt(b.url, { clientId: 'aq-1', username: 'aq-1', password: device });
  await within(
    `PUBACKs for ${N} readings on broker B`,
    publishAll(
      publisher,
      'city/sensors/aq-1/up',
      Array.from({ length: N }, (_, i) => JSON.stringify({ observedAt: base + i, metrics: { pm25_ugm3: i % 90 } })),
    ),
    20_000,
  );
  const count = async () => {
    const result = (await influxd.query(
      influx.INFLUX_DATABASE,
      `SELECT count("device_id") FROM (SELECT "device_id"::tag, *::field FROM "air_quality" WHERE "device_id" = 'aq-1')`,
    )) as { results: { series?: { values: [number, number][] }[] }[] };
    return result.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
  };
  await waitFor(`${N} points of aq-1 in InfluxDB`, async () => (await count()) >= N, 30_000, 200);
  await waitFor('the workers to count every reading written', async () => total(await written()) >= total(writtenBefore) + N, 10_000, 100);
  // anything delivered twice would have arrived by now
  await sleep(500);
  // (a probe still in flight when the baseline was taken is counted in both sides)
  const shares = (await written()).map((n, i) => n - writtenBefore[i]!);
  console.log(`scaled deployment: ${N} readings split ${shares.join(' / ')} between the ingest workers`);
  expect(bridged.get('city/sensors/aq-1/up')).toBe(N);
  expect(await count()).toBe(N);
  expect(total(shares)).toBe(N + probesBridged() - probesBefore);
  for (const share of shares) expect(share).toBeGreaterThan(0);
  expect(total(await metric('city_ingest_messages_received_total'))).toBe(N + probesBridged());
  expect(await metric('city_ingest_duplicates_total')).toEqual(workers.map(() => 0));

  // 2. the live maps of both dashboards (A through Redis, B on the device's own broker) show the last reading
  for (const [name, seen] of [['A', mapA], ['B', mapB]] as const) {
    await waitFor(`aq-1's last reading on dashboard ${name}'s live map`, () =>
      seen.some((d) => d.lastReadingAt === base + N - 1 && d.metrics.pm25_ugm3 === (N - 1) % 90),
    );
  }

  // 3. an incident opened on dashboard B reaches an operator on A (Redis adapter) and A's REST API (PostgreSQL)
  const operatorA = await login(baseA);
  const ops = track(
    // forceNew: io() would otherwise reuse the live map's connection to A, opened without the cookie
    io(`${baseA}/ops`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: operatorA.cookie } }) as Socket<IncidentEventsToClient>,
    (s) => s.close(),
  );
  const changes: { change: string; incident: Incident }[] = [];
  ops.on('incident', (p) => changes.push(p));
  await within(
    'the /ops snapshot on A',
    new Promise((resolve, reject) => {
      ops.once('incidents', resolve);
      ops.once('connect_error', (err) => reject(new Error(`/ops on A refused the connection: ${err.message}`)));
      ops.once('disconnect', (reason) => reject(new Error(`/ops on A disconnected: ${reason}`)));
    }),
  );
  const operatorB = await login(baseB);
  const res = await fetch(`${baseB}/api/incidents`, {
    method: 'POST',
    headers: { ...operatorB.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Water main burst', category: 'flooding', severity: 'major', description: 'Reported by the fire brigade' }),
  });
  expect(res.status).toBe(201);
  const created = (await res.json()) as Incident;
  const onA = await waitFor('the incident opened on B at the /ops client on A', () => changes.find((c) => c.incident.id === created.id));
  expect(onA.change).toBe('opened');
  await sleep(300);
  expect(changes.filter((c) => c.incident.id === created.id)).toHaveLength(1);
  const fetched = await fetch(`${baseA}/api/incidents/${created.id}`, { headers: operatorA.headers });
  expect(fetched.status).toBe(200);
  expect(await fetched.json()).toMatchObject({ id: created.id, title: 'Water main burst', category: 'flooding', severity: 'major' });
}, 120_000);
