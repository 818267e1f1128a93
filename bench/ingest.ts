// npm run bench:ingest [-- --readings 200000]   (singles: N readings; SenML packs: 2N readings)
// Ingest throughput against the two ceilings around it, measured in one run on this machine:
//   (a) the broker's delivery rate to a subscriber that does nothing (what MQTT allows),
//   (b) ingest: accepted -> durable readings/s into a real InfluxDB (this project),
//   (c) InfluxDB's raw /write rate with the same batches (what the database allows),
//   (d) Node-RED (mqtt in -> function -> join -> influxdb batch, bench/node-red.ts) doing ingest's job on the
//       same broker and the same InfluxDB: readings/s and readings per CPU-second against ingest's.
// Broker, sink and ingest each run in their own Node process (`node --import tsx`, so the PID is the
// process doing the work) and their CPU is read from /proc. A benchmark report, not an assertion: it exits 0
// whether or not the targets are met, and 1 only when something broke.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { DeviceRegistry, setLogLevel } from '@city/shared';
import { freePort, startInfluxd, type Influxd } from '../test/support/influxd.ts';
import { BenchCleanup, machineBusy, processCpuSeconds, progress, sleep, watchOtherCpu } from './support.ts';
import { INFLUXDB_NODE_VERSION, installNodeRed, NODE_RED_VERSION, nodeRedArgs, writeNodeRedFlow } from './node-red.ts';

setLogLevel('warn');
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name}: expected a positive integer`);
  return value;
};
if (args.includes('--help')) {
  console.log(
    'npm run bench:ingest [-- --readings N (200000; packs get 2N) --warmup M (N/10 messages, untimed) ' +
      '--no-node-red (skip (d)) --node-red-readings R (N: Node-RED gets R readings, packs 2R) --cpu-prof DIR (profile ingest)]',
  );
  process.exit(0);
}
const READINGS = option('readings', 200_000);
const DEVICES = 2000;
const CONNECTIONS = 4;
const IN_FLIGHT = 1000;
const BATCH_READINGS = 5000; // ingest's INGEST_BATCH_MAX_READINGS default: the batch size of (c)
const DATABASE = 'bench';
const RAW_DATABASE = 'bench_raw';
const NODE_RED_DATABASE = 'bench_nodered';
const WITH_NODE_RED = !args.includes('--no-node-red');
const NODE_RED_READINGS = option('node-red-readings', READINGS);
/** --cpu-prof DIR: ingest runs under V8's sampling profiler, one .cpuprofile per phase in DIR (open in Chrome DevTools) */
const CPU_PROF_DIR = args.includes('--cpu-prof') ? String(args[args.indexOf('--cpu-prof') + 1]) : undefined;
const BATCH_WAIT_MS = 100; // ingest's INGEST_BATCH_MAX_WAIT_MS default: the join node's timeout in (d)

let influxd: Influxd | undefined;
const bench = new BenchCleanup();
bench.add(() => influxd?.destroy());
const { children, dirs } = bench;
const cleanup = () => bench.run();


function peakRssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return Number(line?.[1] ?? 0) / 1024;
}

function node(script: string, env: Record<string, string>, ipc = false, nodeArgs: string[] = []): ChildProcess {
  if (bench.stopping) throw new Error('stopping: no new child');
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit', ...(ipc ? (['ipc'] as const) : [])],
  });
  children.push(child);
  child.once('exit', (code, signal) => {
    if (!bench.stopping && !expectedExit.has(child)) {
      console.error(`\n${script} exited unexpectedly (${signal ?? code})`);
      void cleanup().then(() => process.exit(1));
    }
  });
  return child;
}
const expectedExit = new Set<ChildProcess>();
async function stopChild(child: ChildProcess, how: () => void) {
  expectedExit.add(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  how();
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
function nextMessage<T extends { type: string }>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: T) => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });
}
async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

/** Node-RED as a child: `node red.js` directly, so the PID is the runtime; its output goes to node-red.log. */
function startNodeRed(installDir: string, userDir: string): { child: ChildProcess; log: () => string; errors: () => string[] } {
  if (bench.stopping) throw new Error('stopping: no new child');
  const child = spawn(process.execPath, nodeRedArgs(installDir, userDir), {
    cwd: userDir,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const file = createWriteStream(join(userDir, 'node-red.log'));
  let head = ''; // the first 64 KiB: start-up and connection lines
  let partial = '';
  const errors: string[] = [];
  const take = (chunk: Buffer) => {
    file.write(chunk);
    const text = chunk.toString();
    if (head.length < 65_536) head += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (/Projects disabled|Using unencrypted credentials/.test(line)) continue; // as configured
      if (/\[(error|warn)\]|^Error/.test(line)) errors.push(line);
    }
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  child.once('exit', (code, signal) => {
    file.end();
    if (!bench.stopping && !expectedExit.has(child)) {
      console.error(`\nnode-red exited unexpectedly (${signal ?? code}); its log:\n${head.slice(-4000)}`);
      void cleanup().then(() => process.exit(1));
    }
  });
  return { child, log: () => head, errors: () => errors };
}

type Payload = { topic: string; body: string };
type Kind = { name: string; perMessage: number; make: (base: number) => (i: number) => Payload };
const deviceId = (i: number) => `aq-bench-${String(i % DEVICES).padStart(4, '0')}`;
const pm25 = (r: number) => 5 + (r % 40);
const no2 = (r: number) => 20 + (r % 60);
/** one reading (2 metrics) per message; observedAt unique per message so every reading is its own point */
const single: Kind = {
  name: '1 reading / message',
  perMessage: 1,
  make: (base) => (i) => ({
    topic: `city/sensors/${deviceId(i)}/up`,
    body: JSON.stringify({ observedAt: base + i, metrics: { pm25_ugm3: pm25(i), no2_ugm3: no2(i) } }),
  }),
};
/** a SenML pack: 10 readings at 10 successive times, 2 metrics each (20 records); reading r = i*10+k */
const pack: Kind = {
  name: 'SenML pack of 10',
  perMessage: 10,
  make: (base) => (i) => ({
    topic: `city/sensors/${deviceId(i)}/up`,
    body: JSON.stringify(
      Array.from({ length: 10 }, (_, k) => [
        { ...(k === 0 ? { bn: `${deviceId(i)}:`, bt: (base + i * 10) / 1000 } : {}), n: 'pm25', u: 'ug/m3', v: pm25(i * 10 + k), t: k / 1000 },
        { n: 'no2', u: 'ug/m3', v: no2(i * 10 + k), t: k / 1000 },
      ]).flat(),
    ),
  }),
};

function connect(url: string, username: string, password: string, clientId: string, clean = true): Promise<MqttClient> {
  return new Promise<MqttClient>((resolve, reject) => {
    const c = mqtt.connect(url, { username, password, clientId, clean, protocolVersion: 4, reconnectPeriod: 0 });
    c.once('connect', () => {
      (c.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      c.off('error', reject);
      resolve(c);
    });
    c.once('error', reject);
    c.once('close', () => reject(new Error(`${clientId}: connection closed before CONNACK`)));
  });
}
/** A clean-session CONNECT discards whatever session the broker kept for this client id (MQTT 3.1.1). */
async function dropSession(url: string, username: string, password: string, clientId: string) {
  const c = await connect(url, username, password, clientId, true);
  await c.endAsync();
}

/** Publishes `messages` at QoS 1 round-robin over the connections, at most IN_FLIGHT awaiting PUBACK. */
async function publish(clients: MqttClient[], messages: number, make: (i: number) => Payload, label: string) {
  let next = 0;
  let acked = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (next < messages && next - acked < IN_FLIGHT) {
        const i = next++;
        const m = make(i);
        clients[i % clients.length]!.publish(m.topic, m.body, { qos: 1 }, (err) => {
          if (err) return reject(err);
          acked += 1;
          if (acked % 5000 === 0) progress(`${label}: published ${acked}/${messages}`);
          if (acked === messages) resolve();
          else pump();
        });
      }
    };
    pump();
  });
}

function metric(text: string, name: string): number {
  return Number(text.match(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm'))?.[1] ?? NaN);
}
type Buckets = { le: number; count: number }[];
function buckets(text: string, name: string): Buckets {
  return [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, 'gm'))].map((m) => ({
    le: m[1] === '+Inf' ? Infinity : Number(m[1]),
    count: Number(m[2]),
  }));
}
/** Upper bound of the bucket holding quantile q, over the observations made between two scrapes. */
function quantileBetween(before: Buckets, after: Buckets, q: number): number {
  const diff = after.map((b, i) => ({ le: b.le, count: b.count - (before[i]?.count ?? 0) }));
  const total = diff.at(-1)?.count ?? 0;
  return diff.find((b) => b.count >= q * total)?.le ?? NaN;
}

interface NodeRedRow {
  messages: number;
  readings: number;
  readingsPerS: number;
  stored: number;
  cpuSPer100k: number;
  brokerCpuSPer100k: number;
  peakRssMiB: number;
  /** no new point for STALL_MS before all were stored: readings/s is over the time to the last one */
  stalled: boolean;
  logged: string[];
}
const STALL_MS = 15_000;

async function countPoints(db: string, base: number, readings: number): Promise<number> {
  const result = (await influxd!.query(
    db,
    `SELECT count(pm25_ugm3) FROM air_quality WHERE time >= ${base}ms AND time < ${base + readings}ms`,
  )) as { results: { series?: { values: [number, number][] }[] }[] };
  return result.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

interface Row {
  payload: string;
  messages: number;
  readings: number;
  sinkMsgPerS: number;
  sinkReadingsPerS: number;
  brokerCpuSinkPer100k: number;
  ingestReadingsPerS: number;
  rawPointsPerS: number;
  stored: number;
  lagP50S: number;
  lagP99S: number;
  meanBatch: number;
  ingestCpuSPer100k: number;
  brokerCpuSPer100k: number;
  ingestPeakRssMiB: number;
  /** (d), absent with --no-node-red */
  nodeRed?: NodeRedRow;
}

async function main() {
  const startedAt = Date.now();
  const nodeRedDir = WITH_NODE_RED ? await installNodeRed() : undefined;
  const busyBefore = await machineBusy();
  if (busyBefore > 0.1) progress(`warning: CPUs ${(busyBefore * 100).toFixed(0)}% busy before starting: other work on this machine skews the figures`, true);
  const others = watchOtherCpu(); // a shared machine: what other processes took while this ran
  influxd = await startInfluxd();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  dirs.push(dataDir);
  // accounts and devices, before the broker and ingest open the same registry file
  const registry = DeviceRegistry.open(dataDir);
  const loadgenSecret = (await registry.add({ id: 'loadgen', kind: 'generic', role: 'gateway', topicPrefixes: ['city/sensors/'] })).secret;
  const ingestSecret = (await registry.add({ id: 'ingest', kind: 'generic', role: 'service' })).secret;
  const sinkSecret = (await registry.add({ id: 'sink', kind: 'generic', role: 'service' })).secret;
  const nodeRedSecret = (await registry.add({ id: 'nodered', kind: 'generic', role: 'service' })).secret;
  for (let i = 0; i < DEVICES; i++) registry.registerSeen(deviceId(i), 'air_quality', { lat: 41.88, lon: -87.63 });
  registry.close();

  const mqttPort = await freePort();
  const broker = node('broker/src/index.ts', {
    DATA_DIR: dataDir, MQTT_HOST: '127.0.0.1', MQTT_PORT: String(mqttPort), MQTT_WS_ENABLED: 'false',
    BROKER_HTTP_PORT: String(await freePort()),
  });
  const url = `mqtt://127.0.0.1:${mqttPort}`;
  let clients: MqttClient[] = [];
  await until('broker accepts connections', async () => {
    clients = await Promise.all(Array.from({ length: CONNECTIONS }, (_, n) => connect(url, 'loadgen', loadgenSecret, `loadgen-${n}`)));
    return true;
  }, 60_000);
  await influxd.query('', `CREATE DATABASE ${RAW_DATABASE}`);
  await influxd.query('', `CREATE DATABASE ${NODE_RED_DATABASE}`);

  const rows: Row[] = [];
  let epoch = Date.now() - 6 * 3_600_000; // each phase gets its own time range (ms): no two points collide
  const range = (readings: number) => {
    const base = epoch;
    epoch += readings + 60_000;
    return base;
  };

  for (const kind of [single, pack]) {
    const readings = kind.perMessage === 1 ? READINGS : READINGS * 2;
    const messages = readings / kind.perMessage;
    const warmup = option('warmup', Math.max(1, Math.round(messages / 10)));
    const tag = (s: string) => `${kind.name} ${s}`;

    // (a) the broker's ceiling: a subscriber that does nothing (warm-up untimed, then N messages)
    const sinkId = `bench-sink-${rows.length}`;
    const sink = node('bench/sink.ts', { MQTT_URL: url, MQTT_USERNAME: 'sink', MQTT_PASSWORD: sinkSecret, MQTT_CLIENT_ID: sinkId }, true);
    await nextMessage(sink, 'ready');
    let reached = nextMessage(sink, 'reached');
    sink.send({ type: 'expect', count: warmup });
    await publish(clients, warmup, kind.make(range(warmup * kind.perMessage)), tag('(a) warm-up'));
    await reached;
    reached = nextMessage(sink, 'reached');
    sink.send({ type: 'expect', count: warmup + messages });
    const brokerCpuA0 = processCpuSeconds(broker.pid!);
    let t0 = performance.now();
    await publish(clients, messages, kind.make(range(readings)), tag('(a) do-nothing sink'));
    await reached;
    const sinkSeconds = (performance.now() - t0) / 1000;
    const brokerCpuA = processCpuSeconds(broker.pid!) - brokerCpuA0;
    await stopChild(sink, () => sink.send({ type: 'stop' }));
    await dropSession(url, 'sink', sinkSecret, sinkId);

    // (b) ingest into InfluxDB: accepted -> durable, timed from first publish to written counter = N
    const ingestId = `ingest-bench-${rows.length}`;
    const httpPort = await freePort();
    const ingest = node('ingest/src/index.ts', {
      DATA_DIR: dataDir, MQTT_URL: url, INGEST_MQTT_USERNAME: 'ingest', INGEST_MQTT_PASSWORD: ingestSecret,
      INGEST_CLIENT_ID: ingestId, INGEST_HTTP_PORT: String(httpPort),
      INFLUX_URL: influxd.url, INFLUX_DATABASE: DATABASE,
    }, false, CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR] : []);
    const metricsUrl = `http://127.0.0.1:${httpPort}/metrics`;
    const scrape = async () => (await fetch(metricsUrl)).text();
    await until('ingest connected', async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok, 60_000);
    await sleep(300); // its SUBSCRIBE follows the CONNACK
    await publish(clients, warmup, kind.make(range(warmup * kind.perMessage)), tag('(b) warm-up'));
    const warmReadings = warmup * kind.perMessage;
    await until('warm-up written', async () => metric(await scrape(), 'city_ingest_readings_written_total') >= warmReadings, 60_000);
    const before = await scrape();
    const written0 = metric(before, 'city_ingest_readings_written_total');
    if (written0 !== warmReadings) throw new Error(`ingest wrote ${written0} warm-up readings, expected ${warmReadings}`);
    const [ingestCpu0, brokerCpu0] = [processCpuSeconds(ingest.pid!), processCpuSeconds(broker.pid!)];
    const base = range(readings);
    t0 = performance.now();
    await publish(clients, messages, kind.make(base), tag('(b) ingest'));
    await until('all readings written', async () => {
      const written = metric(await scrape(), 'city_ingest_readings_written_total') - written0;
      progress(tag(`(b) ingest: written ${written}/${readings}`));
      return written >= readings;
    });
    const ingestSeconds = (performance.now() - t0) / 1000;
    const ingestCpu = processCpuSeconds(ingest.pid!) - ingestCpu0;
    const brokerCpu = processCpuSeconds(broker.pid!) - brokerCpu0;
    const after = await scrape();
    const ingestPeakRssMiB = peakRssMiB(ingest.pid!);
    const deadLetters = [...after.matchAll(/^city_ingest_dead_letters_total\S* (\d+)$/gm)].reduce((s, m) => s + Number(m[1]), 0);
    if (deadLetters > 0) throw new Error(`ingest dead-lettered ${deadLetters} messages`);
    await stopChild(ingest, () => ingest.kill('SIGTERM'));
    await dropSession(url, 'ingest', ingestSecret, ingestId);
    const stored = await countPoints(DATABASE, base, readings);
    const batchDiff = (name: string) => metric(after, name) - metric(before, name);

    // (c) InfluxDB's own ceiling: the same readings as line protocol (as ingest writes them), batches of
    // BATCH_READINGS lines posted one after another on one connection; bodies built before timing
    const rawBase = range(readings);
    const bodies: string[] = [];
    for (let start = 0; start < readings; start += BATCH_READINGS) {
      const lines: string[] = [];
      for (let r = start; r < Math.min(readings, start + BATCH_READINGS); r++) {
        const message = Math.floor(r / kind.perMessage);
        lines.push(`air_quality,device_id=${deviceId(message)},district=loop no2_ugm3=${no2(r)},pm25_ugm3=${pm25(r)} ${rawBase + r}`);
      }
      bodies.push(lines.join('\n'));
    }
    t0 = performance.now();
    let posted = 0;
    for (const body of bodies) {
      const res = await fetch(`${influxd.url}/write?db=${RAW_DATABASE}&precision=ms`, { method: 'POST', body });
      if (res.status !== 204) throw new Error(`raw write failed: ${res.status} ${await res.text()}`);
      posted += BATCH_READINGS;
      progress(tag(`(c) raw /write: ${Math.min(posted, readings)}/${readings}`));
    }
    const rawPointsPerS = readings / ((performance.now() - t0) / 1000);
    progress('');

    // (d) Node-RED doing ingest's job: its own session on the same broker, its own database in the same
    // influxd; timed from first publish until an InfluxQL count() over the phase's range reaches N
    let nodeRed: NodeRedRow | undefined;
    if (nodeRedDir) {
      const nrReadings = kind.perMessage === 1 ? NODE_RED_READINGS : NODE_RED_READINGS * 2;
      const nrMessages = nrReadings / kind.perMessage;
      const nrWarmup = NODE_RED_READINGS === READINGS ? warmup : Math.max(1, Math.round(nrMessages / 10));
      const clientId = `nodered-bench-${rows.length}`;
      const userDir = join(dataDir, `node-red-${rows.length}`);
      const influxUrl = new URL(influxd.url);
      writeNodeRedFlow({
        userDir, uiPort: await freePort(),
        mqtt: { host: '127.0.0.1', port: mqttPort, username: 'nodered', password: nodeRedSecret, clientId, topic: 'city/sensors/+/up' },
        influx: { host: influxUrl.hostname, port: Number(influxUrl.port), database: NODE_RED_DATABASE },
        batchMessages: BATCH_READINGS / kind.perMessage, batchWaitMs: BATCH_WAIT_MS,
      });
      const red = startNodeRed(nodeRedDir, userDir);
      await until('node-red started its flows', async () => red.log().includes('Started flows'), 120_000);
      if (red.errors().length > 0) throw new Error(`node-red: ${red.errors().join('\n')}`);
      await until('node-red connected to the broker', async () => red.log().includes('Connected to broker'), 60_000);
      await sleep(1000); // its SUBSCRIBE follows the CONNACK
      /** polls count() until `target`, or until no new point for STALL_MS; returns the count and when it last grew */
      const drain = async (label: string, db: string, from: number, target: number) => {
        let count = 0;
        let grewAt = performance.now();
        while (count < target && performance.now() - grewAt < STALL_MS) {
          await sleep(250);
          const now = await countPoints(db, from, target);
          if (now > count) [count, grewAt] = [now, performance.now()];
          progress(tag(`${label}: stored ${count}/${target}`));
        }
        return { count, grewAt };
      };
      const warmBase = range(nrWarmup * kind.perMessage);
      await publish(clients, nrWarmup, kind.make(warmBase), tag('(d) Node-RED warm-up'));
      await drain('(d) Node-RED warm-up', NODE_RED_DATABASE, warmBase, nrWarmup * kind.perMessage);
      const [redCpu0, brokerCpuD0] = [processCpuSeconds(red.child.pid!), processCpuSeconds(broker.pid!)];
      const nrBase = range(nrReadings);
      t0 = performance.now();
      await publish(clients, nrMessages, kind.make(nrBase), tag('(d) Node-RED'));
      const { count, grewAt } = await drain('(d) Node-RED', NODE_RED_DATABASE, nrBase, nrReadings);
      const redCpu = processCpuSeconds(red.child.pid!) - redCpu0;
      const brokerCpuD = processCpuSeconds(broker.pid!) - brokerCpuD0;
      const redPeakRssMiB = peakRssMiB(red.child.pid!);
      await sleep(1000);
      const nrStored = await countPoints(NODE_RED_DATABASE, nrBase, nrReadings); // anything late?
      await stopChild(red.child, () => red.child.kill('SIGTERM'));
      await dropSession(url, 'nodered', nodeRedSecret, clientId);
      nodeRed = {
        messages: nrMessages, readings: nrReadings,
        readingsPerS: count / ((grewAt - t0) / 1000),
        stored: nrStored, stalled: count < nrReadings,
        cpuSPer100k: (redCpu / Math.max(1, count)) * 100_000,
        brokerCpuSPer100k: (brokerCpuD / nrReadings) * 100_000,
        peakRssMiB: redPeakRssMiB,
        logged: red.errors().slice(0, 5),
      };
      progress('');
    }

    rows.push({
      payload: kind.name, messages, readings,
      sinkMsgPerS: messages / sinkSeconds,
      sinkReadingsPerS: readings / sinkSeconds,
      brokerCpuSinkPer100k: (brokerCpuA / readings) * 100_000,
      ingestReadingsPerS: readings / ingestSeconds,
      rawPointsPerS, stored,
      lagP50S: quantileBetween(buckets(before, 'city_ingest_write_lag_seconds'), buckets(after, 'city_ingest_write_lag_seconds'), 0.5),
      lagP99S: quantileBetween(buckets(before, 'city_ingest_write_lag_seconds'), buckets(after, 'city_ingest_write_lag_seconds'), 0.99),
      meanBatch: batchDiff('city_ingest_batch_readings_sum') / batchDiff('city_ingest_batch_readings_count'),
      ingestCpuSPer100k: (ingestCpu / readings) * 100_000,
      brokerCpuSPer100k: (brokerCpu / readings) * 100_000,
      ingestPeakRssMiB,
      nodeRed,
    });
  }
  await Promise.all(clients.map((c) => c.endAsync()));
  progress('');

  const influxVersion = execFileSync('influxd', ['version']).toString().trim();
  const model = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpus()[0]?.model;
  const nproc = execFileSync('nproc').toString().trim();
  const { othersShare } = others.stop();
  console.log(
    `\nmachine: nproc ${nproc}, ${model}, node ${process.version}, ${influxVersion}; CPUs ${(busyBefore * 100).toFixed(0)}% busy in the second ` +
      `before the run, ${(othersShare * 100).toFixed(0)}% used by other processes during it`,
  );
  console.log(
    `load: QoS 1, ${CONNECTIONS} publisher connections, ${IN_FLIGHT} in flight, ${DEVICES} devices, TCP no-delay; ` +
      `untimed warm-up of N/10 messages before (a) and (b); (c) batches of ${BATCH_READINGS} lines; ${((Date.now() - startedAt) / 1000).toFixed(0)} s in all\n`,
  );
  const k = (n: number) => (Number.isFinite(n) ? `${(n / 1000).toFixed(1)}k` : 'n/a');
  const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a / b) ? (a / b).toFixed(2) : 'n/a');
  console.log(
    '| payload | messages / readings | (a) broker -> do-nothing sink | (b) ingest -> InfluxDB | (c) raw /write | b/a | b/c | stored (InfluxQL count) ' +
      '| write lag p50 / p99 | ingest mean batch | ingest CPU-s /100k | broker CPU-s /100k (a) / (b) | ingest peak RSS |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.payload} | ${r.messages} / ${r.readings} | ${k(r.sinkMsgPerS)} msg/s = ${k(r.sinkReadingsPerS)} readings/s | ` +
        `${k(r.ingestReadingsPerS)} readings/s | ${k(r.rawPointsPerS)} points/s | ` +
        `${(r.ingestReadingsPerS / r.sinkReadingsPerS).toFixed(2)} | ${(r.ingestReadingsPerS / r.rawPointsPerS).toFixed(2)} | ` +
        `${r.stored === r.readings ? `${r.stored} (exact)` : `${r.stored} of ${r.readings} (MISMATCH)`} | ≤${r.lagP50S} s / ≤${r.lagP99S} s | ` +
        `${r.meanBatch.toFixed(0)} | ${r.ingestCpuSPer100k.toFixed(2)} | ${r.brokerCpuSinkPer100k.toFixed(2)} / ${r.brokerCpuSPer100k.toFixed(2)} | ` +
        `${r.ingestPeakRssMiB.toFixed(0)} MiB |`,
    );
  }
  if (rows.some((r) => r.nodeRed)) {
    console.log(
      `\n(d) Node-RED ${NODE_RED_VERSION} + node-red-contrib-influxdb ${INFLUXDB_NODE_VERSION}: mqtt in (QoS 1, persistent session, json) -> ` +
        `function (reading/SenML -> points) -> join (${BATCH_READINGS} readings or ${BATCH_WAIT_MS} ms) -> function (flatten) -> ` +
        `influxdb batch (1.x, ms), same broker, same influxd, database ${NODE_RED_DATABASE}\n`,
    );
    console.log(
      '| payload | messages / readings (Node-RED) | (b) ingest readings/s | (d) Node-RED readings/s | b/d | ingest CPU-s /100k | Node-RED CPU-s /100k ' +
        '| readings per CPU-s: ingest / Node-RED | b/d per CPU-s | Node-RED stored | broker CPU-s /100k (b) / (d) | peak RSS ingest / Node-RED |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const d = r.nodeRed;
      if (!d) continue;
      console.log(
        `| ${r.payload} | ${d.messages} / ${d.readings} | ${k(r.ingestReadingsPerS)} | ${k(d.readingsPerS)}${d.stalled ? ' (stalled)' : ''} | ` +
          `${ratio(r.ingestReadingsPerS, d.readingsPerS)} | ${r.ingestCpuSPer100k.toFixed(2)} | ${d.cpuSPer100k.toFixed(2)} | ` +
          `${k(100_000 / r.ingestCpuSPer100k)} / ${k(100_000 / d.cpuSPer100k)} | ${ratio(d.cpuSPer100k, r.ingestCpuSPer100k)} | ` +
          `${d.stored === d.readings ? `${d.stored} (exact)` : `${d.stored} of ${d.readings} (MISMATCH)`} | ` +
          `${r.brokerCpuSPer100k.toFixed(2)} / ${d.brokerCpuSPer100k.toFixed(2)} | ${r.ingestPeakRssMiB.toFixed(0)} / ${d.peakRssMiB.toFixed(0)} MiB |`,
      );
    }
    for (const r of rows) for (const line of r.nodeRed?.logged ?? []) console.log(`node-red (${r.payload}) logged: ${line}`);
  }
  console.log('');
  for (const r of rows) {
    const a = r.ingestReadingsPerS / r.sinkReadingsPerS;
    console.log(`target: ingest >= 0.9x the do-nothing subscriber (${r.payload}): ${a.toFixed(2)}x ${a >= 0.9 ? 'PASS' : 'MISS'}`);
  }
  const packs = rows[1]!;
  const c = packs.ingestReadingsPerS / packs.rawPointsPerS;
  console.log(`target: packs >= 0.5x InfluxDB's raw /write ceiling: ${c.toFixed(2)}x ${c >= 0.5 ? 'PASS' : 'MISS'}`);
  for (const r of rows) {
    const d = r.nodeRed;
    if (!d) continue;
    const perCpu = d.cpuSPer100k / r.ingestCpuSPer100k;
    const what = `target: ingest >= 5x Node-RED in readings per CPU-second (${r.payload})`;
    if (d.stored === 0) console.log(`${what}: n/a, Node-RED stored nothing`);
    else console.log(`${what}: ${perCpu.toFixed(2)}x ${perCpu >= 5 ? 'PASS' : 'MISS'}${d.stalled ? ` (Node-RED stored only ${d.stored} of ${d.readings})` : ''}`);
  }
  if (rows.some((r) => r.stored !== r.readings)) throw new Error('stored count differs from readings written');
}

bench.main(main);
