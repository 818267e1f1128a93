// npm run bench:ingest [-- --readings 100000]
// Ingest throughput against the two ceilings around it, measured in one run on this machine:
//   (a) the broker's delivery rate to a subscriber that does nothing (what MQTT allows),
//   (b) ingest: accepted -> durable readings/s into a real InfluxDB (this project),
//   (c) InfluxDB's raw /write rate with the same batches (what the database allows).
// Broker, sink and ingest each run in their own process so their CPU can be read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import { DeviceRegistry, createInfluxStore, createLogger, setLogLevel } from '@city/shared';
import { freePort, startInfluxd, type Influxd } from '../test/support/influxd.ts';

setLogLevel('warn');
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const READINGS = option('readings', 100_000);
const DEVICES = 2000;
const CONNECTIONS = 4;
const IN_FLIGHT = 1000;
const BATCH_READINGS = 5000; // ingest's INGEST_BATCH_MAX_READINGS default
const CLOCK_TICKS_PER_S = 100;

const children: ChildProcess[] = [];
const dirs: string[] = [];
let influxd: Influxd | undefined;
async function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await influxd?.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (text: string) => process.stderr.isTTY && process.stderr.write(`\r\x1b[K${text}`);

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S; // utime + stime
}
function peakRssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return Number(line?.[1] ?? 0) / 1024;
}

function node(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return child;
}
async function waitLine(child: ChildProcess, line: string): Promise<void> {
  let buffer = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      buffer += d;
      if (buffer.split('\n').includes(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before "${line}"`)));
  });
}
async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

type Payload = { topic: string; body: string; readings: number };
const deviceId = (i: number) => `aq-bench-${String(i % DEVICES).padStart(4, '0')}`;
/** one reading per message; observedAt unique per message so every reading is its own point */
const single = (base: number) => (i: number): Payload => ({
  topic: `city/sensors/${deviceId(i)}/up`,
  body: JSON.stringify({ observedAt: base + i, metrics: { pm25_ugm3: 5 + (i % 40), no2_ugm3: 20 + (i % 60) } }),
  readings: 1,
});
/** a SenML pack of 10 records at 10 successive times (one reading each), 2 metrics per time */
const pack = (base: number) => (i: number): Payload => ({
  topic: `city/sensors/${deviceId(i)}/up`,
  body: JSON.stringify(
    Array.from({ length: 10 }, (_, k) => [
      { ...(k === 0 ? { bn: `${deviceId(i)}:`, bt: (base + i * 10) / 1000 } : {}), n: 'pm25', u: 'ug/m3', v: 5 + ((i + k) % 40), t: k / 1000 },
      { n: 'no2', u: 'ug/m3', v: 20 + ((i + k) % 60), t: k / 1000 },
    ]).flat(),
  ),
  readings: 10,
});

async function connectAll(url: string, password: string): Promise<MqttClient[]> {
  return Promise.all(
    Array.from({ length: CONNECTIONS }, (_, n) =>
      new Promise<MqttClient>((resolve, reject) => {
        const c = mqtt.connect(url, { username: 'loadgen', password, clientId: `loadgen-${n}`, reconnectPeriod: 0 });
        c.once('connect', () => {
          (c.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
          resolve(c);
        });
        c.once('error', reject);
      }),
    ),
  );
}

/** Publishes `messages` at QoS 1 with a bounded number awaiting PUBACK. */
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
  return Number(text.match(new RegExp(`^${name} ([\\d.e+]+)$`, 'm'))?.[1] ?? NaN);
}
/** Upper bound of the histogram bucket holding quantile q. */
function histogramQuantile(text: string, name: string, q: number): number {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, 'gm'))].map((m) => ({
    le: m[1] === '+Inf' ? Infinity : Number(m[1]),
    count: Number(m[2]),
  }));
  const total = buckets.at(-1)?.count ?? 0;
  return buckets.find((b) => b.count >= q * total)?.le ?? NaN;
}

interface Row {
  payload: string;
  readings: number;
  sinkReadingsPerS: number;
  ingestReadingsPerS: number;
  rawPointsPerS: number;
  stored: number;
  lagP50S: number;
  lagP99S: number;
  ingestCpuSPer100k: number;
  brokerCpuSPer100k: number;
  ingestPeakRssMiB: number;
}

async function main() {
  influxd = await startInfluxd();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  dirs.push(dataDir);
  const registry = DeviceRegistry.open(dataDir);
  const loadgen = (await registry.add({ id: 'loadgen', kind: 'generic', role: 'gateway', topicPrefixes: ['city/sensors/'] })).secret;
  const ingestSecret = (await registry.add({ id: 'ingest', kind: 'generic', role: 'service' })).secret;
  const sinkSecret = (await registry.add({ id: 'sink', kind: 'generic', role: 'service' })).secret;
  for (let i = 0; i < DEVICES; i++) registry.registerSeen(deviceId(i), 'air_quality', { lat: 41.88, lon: -87.63 });
  registry.close();

  const mqttPort = await freePort();
  const broker = node('broker/src/index.ts', {
    DATA_DIR: dataDir, MQTT_HOST: '127.0.0.1', MQTT_PORT: String(mqttPort), MQTT_WS_ENABLED: 'false',
    BROKER_HTTP_PORT: String(await freePort()),
  });
  const url = `mqtt://127.0.0.1:${mqttPort}`;
  const clients = await (async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await connectAll(url, loadgen);
      } catch (err) {
        if (attempt > 100) throw err;
        await sleep(100);
      }
    }
  })();

  const rows: Row[] = [];
  for (const [name, make, perMessage] of [
    ['1 reading / message', single, 1],
    ['SenML pack of 10', pack, 10],
  ] as const) {
    const readings = perMessage === 1 ? READINGS : READINGS * 2;
    const messages = readings / perMessage;
    const base = Date.now() - 3_600_000 - rows.length * 1_000_000;

    // (a) the broker's ceiling: a subscriber that does nothing
    const sink = node('bench/sink.ts', { MQTT_URL: url, MQTT_USERNAME: 'sink', MQTT_PASSWORD: sinkSecret, EXPECT: String(messages) });
    await waitLine(sink, 'ready');
    const sinkDone = waitLine(sink, 'done');
    let t0 = performance.now();
    await publish(clients, messages, make(base), `${name} (a) sink`);
    await sinkDone;
    const sinkReadingsPerS = readings / ((performance.now() - t0) / 1000);
    sink.kill('SIGTERM');

    // (b) ingest into InfluxDB
    const database = `bench_${rows.length}`;
    const httpPort = await freePort();
    const ingestDir = mkdtempSync(join(tmpdir(), 'bench-ingest-journal-'));
    dirs.push(ingestDir);
    const ingest = node('ingest/src/index.ts', {
      DATA_DIR: dataDir, MQTT_URL: url, INGEST_MQTT_USERNAME: 'ingest', INGEST_MQTT_PASSWORD: ingestSecret,
      INGEST_CLIENT_ID: `ingest-bench-${rows.length}`, INGEST_HTTP_PORT: String(httpPort),
      INFLUX_URL: influxd.url, INFLUX_DATABASE: database,
    });
    const metricsUrl = `http://127.0.0.1:${httpPort}/metrics`;
    await until('ingest ready', async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok, 60_000);
    const [ingestCpu0, brokerCpu0] = [cpuSeconds(ingest.pid!), cpuSeconds(broker.pid!)];
    t0 = performance.now();
    await publish(clients, messages, make(base), `${name} (b) ingest`);
    await until('all readings written', async () => {
      const written = metric(await (await fetch(metricsUrl)).text(), 'city_ingest_readings_written_total');
      progress(`${name} (b) ingest: written ${written}/${readings}`);
      return written >= readings;
    });
    const ingestReadingsPerS = readings / ((performance.now() - t0) / 1000);
    const ingestCpu = cpuSeconds(ingest.pid!) - ingestCpu0;
    const brokerCpu = cpuSeconds(broker.pid!) - brokerCpu0;
    const text = await (await fetch(metricsUrl)).text();
    const ingestPeakRssMiB = peakRssMiB(ingest.pid!);
    ingest.kill('SIGTERM');
    await new Promise((r) => ingest.once('exit', r));
    const store = createInfluxStore({ url: influxd.url, database, logger: createLogger('bench') });
    await store.start();
    const stored = await store.countPoints('air_quality');
    await store.stop();

    // (c) InfluxDB's own ceiling: the same readings as line protocol, batches of BATCH_READINGS, one connection
    const rawDb = `bench_raw_${rows.length}`;
    await influxd.query('', `CREATE DATABASE ${rawDb}`);
    t0 = performance.now();
    for (let start = 0; start < readings; start += BATCH_READINGS) {
      const lines: string[] = [];
      for (let r = start; r < Math.min(readings, start + BATCH_READINGS); r++) {
        lines.push(`air_quality,device_id=${deviceId(r)},district=loop no2_ugm3=${20 + (r % 60)},pm25_ugm3=${5 + (r % 40)} ${base + r}`);
      }
      const res = await fetch(`${influxd.url}/write?db=${rawDb}&precision=ms`, { method: 'POST', body: lines.join('\n') });
      if (res.status !== 204) throw new Error(`raw write failed: ${res.status} ${await res.text()}`);
      progress(`${name} (c) raw /write: ${start + lines.length}/${readings}`);
    }
    const rawPointsPerS = readings / ((performance.now() - t0) / 1000);

    rows.push({
      payload: name, readings, sinkReadingsPerS, ingestReadingsPerS, rawPointsPerS, stored,
      lagP50S: histogramQuantile(text, 'city_ingest_write_lag_seconds', 0.5),
      lagP99S: histogramQuantile(text, 'city_ingest_write_lag_seconds', 0.99),
      ingestCpuSPer100k: (ingestCpu / readings) * 100_000,
      brokerCpuSPer100k: (brokerCpu / readings) * 100_000,
      ingestPeakRssMiB,
    });
  }
  for (const c of clients) c.end(true);
  progress('');

  const influxVersion = execFileSync('influxd', ['version']).toString().trim();
  console.log(`\nmachine: ${cpus().length} x ${cpus()[0]?.model.trim()}, node ${process.version}, ${influxVersion}`);
  console.log(`load: QoS 1, ${CONNECTIONS} publisher connections, ${IN_FLIGHT} in flight, ${DEVICES} devices; ingest batches up to ${BATCH_READINGS}\n`);
  const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
  console.log('| payload | readings | (a) broker -> do-nothing sink | (b) ingest -> InfluxDB | (c) raw /write | b/a | b/c | stored | lag p50 / p99 | ingest CPU-s /100k | broker CPU-s /100k | ingest peak RSS |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.payload} | ${r.readings} | ${k(r.sinkReadingsPerS)}/s | ${k(r.ingestReadingsPerS)}/s | ${k(r.rawPointsPerS)}/s | ` +
        `${(r.ingestReadingsPerS / r.sinkReadingsPerS).toFixed(2)} | ${(r.ingestReadingsPerS / r.rawPointsPerS).toFixed(2)} | ` +
        `${r.stored === r.readings ? `${r.stored} (exact)` : `${r.stored} of ${r.readings}!`} | ≤${r.lagP50S} s / ≤${r.lagP99S} s | ` +
        `${r.ingestCpuSPer100k.toFixed(2)} | ${r.brokerCpuSPer100k.toFixed(2)} | ${r.ingestPeakRssMiB.toFixed(0)} MiB |`,
    );
  }
  const [singles, packs] = rows;
  console.log(`\ntarget: ingest >= 0.9x the do-nothing subscriber (1 reading/msg): ${(singles!.ingestReadingsPerS / singles!.sinkReadingsPerS).toFixed(2)}x ${singles!.ingestReadingsPerS >= 0.9 * singles!.sinkReadingsPerS ? 'PASS' : 'MISS'}`);
  console.log(`target: packs >= 0.5x InfluxDB's raw ceiling: ${(packs!.ingestReadingsPerS / packs!.rawPointsPerS).toFixed(2)}x ${packs!.ingestReadingsPerS >= 0.5 * packs!.rawPointsPerS ? 'PASS' : 'MISS'}`);
}

main()
  .then(cleanup, async (err: unknown) => {
    console.error(err);
    await cleanup();
    process.exitCode = 1;
  });
