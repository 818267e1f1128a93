// npm run bench:broker [-- --messages 100000 --connections 10000 --rate 5000 --latency-seconds 4 --parts one-core,cluster,idle]
// Our broker (aedes 1.2, broker/src/index.ts) against Debian's Mosquitto 2, both measured in this run on
// this machine with the same load generator (bench/broker-mqtt.ts, raw MQTT 3.1.1 in this process):
//   one core   each broker pinned to CPU 0 (taskset), the load generator to CPU 1: delivered msg/s at
//              QoS 0 and 1, broker CPU-s per 100k messages, RSS; then a paced run (--rate) for latency
//   two procs  two of our brokers sharing Redis (REDIS_URL), publishers split over both, the subscriber
//              on one, against Mosquitto's one process, nothing pinned
//   idle       --connections idle MQTT connections (keepalive 60, clean session) to a fresh broker:
//              (RSS with them - RSS before) / connections
// Each broker is its own process: CPU and RSS are read from /proc/PID. Mosquitto (and redis-server for
// the cluster) are installed with apt-get when missing and this runs as root. A benchmark report, not a
// test: exits 0 whether or not the targets are met, 1 only when something broke.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/influxd.ts';
import { PINGREQ, PublishTemplate, RawClient } from './broker-mqtt.ts';
import { BenchCleanup, machineBusy, startRedisServer, processCpuSeconds, processCpuTimes, processMemoryKiB, progress, sleep, watchOtherCpu } from './support.ts';

const args = process.argv.slice(2);
function option(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name}: expected a positive integer (got ${args[i + 1]})`);
  return value;
}
const PART_NAMES = ['one-core', 'cluster', 'idle'] as const;
type Part = (typeof PART_NAMES)[number];
function parts(): Set<Part> {
  const i = args.indexOf('--parts');
  if (i < 0) return new Set(PART_NAMES);
  const list = (args[i + 1] ?? '').split(',');
  const unknown = list.filter((p) => !(PART_NAMES as readonly string[]).includes(p));
  if (unknown.length > 0 || list.length === 0) throw new Error(`--parts: expected some of ${PART_NAMES.join(',')} (got ${args[i + 1]})`);
  return new Set(list as Part[]);
}
if (args.includes('--help')) {
  console.log(
    'npm run bench:broker [-- --messages N (100000 per throughput run) --connections N (10000 idle connections)\n' +
      '  --rate N (5000 msg/s in the latency run) --latency-seconds N (4) --publishers N (4)\n' +
      '  --parts one-core,cluster,idle (all)]',
  );
  process.exit(0);
}
const MESSAGES = option('messages', 100_000);
const CONNECTIONS = option('connections', 10_000);
const RATE_PER_S = option('rate', 5000);
const LATENCY_SECONDS = option('latency-seconds', 4);
const PUBLISHERS = option('publishers', 4);
const PARTS = parts();
const WARMUP = Math.max(1000, Math.round(MESSAGES / 5));
const DEVICES = 1000;
/** QoS 1: PUBLISHes awaiting PUBACK, all publishers together (as bench/ingest.ts) */
const ACK_WINDOW = 1000;
/** both QoS: messages published and not yet received; keeps a broker from buffering without bound */
const END_TO_END_WINDOW = 5000;
const BATCH = 32;
/** below Mosquitto's listen backlog (100): a fuller backlog drops SYNs, retried only after 1 s */
const CONNECT_BATCH = 100;
const STALL_MS = 10_000;
const TOPIC_FILTER = 'city/sensors/+/up';
const NPROC = cpus().length;

// --- processes -----------------------------------------------------------------------------------------

const bench = new BenchCleanup();
const { children } = bench;
const expectedExit = new Set<ChildProcess>();
const cleanup = () => bench.run();

const tmp = (prefix: string) => bench.tmp(prefix);

/** The open-files limit this process runs with (children inherit it). */
const nofileLimit = Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim());
/** Both sides of --connections sockets, plus room for the rest. */
const NOFILE_NEEDED = CONNECTIONS + 2048;
const isRoot = process.getuid?.() === 0;

/**
 * `command` with its CPU pinning and open-files limit: taskset and prlimit exec the command, so the PID
 * of the returned child is the broker's.
 */
function spawnProcess(name: string, command: string[], options: { cpu?: string; env?: Record<string, string>; quiet?: boolean } = {}): ChildProcess {
  if (bench.stopping) throw new Error('stopping: no new child');
  const prefix = [
    ...(options.cpu !== undefined ? ['taskset', '-c', options.cpu] : []),
    ...(nofileLimit < NOFILE_NEEDED ? ['prlimit', `--nofile=${NOFILE_NEEDED}:${NOFILE_NEEDED}`, '--'] : []),
  ];
  const [file, ...rest] = [...prefix, ...command];
  const child = spawn(file!, rest, { env: { ...process.env, ...options.env }, stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'inherit'] });
  children.push(child);
  child.once('exit', (code, signal) => {
    if (!bench.stopping && !expectedExit.has(child)) {
      console.error(`\n${name} exited unexpectedly (${signal ?? code})`);
      void cleanup().then(() => process.exit(1));
    }
  });
  return child;
}
async function stopProcess(child: ChildProcess): Promise<void> {
  expectedExit.add(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}
async function mqttAnswers(port: number): Promise<boolean> {
  const c = await RawClient.open(port, `bench-probe-${process.pid}`, 60, 2000);
  await c.close();
  return true;
}

function which(command: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${command}`]);
  const found = r.stdout.toString().trim();
  if (found) return found;
  return ['/usr/sbin', '/usr/bin', '/sbin'].map((d) => join(d, command)).find((p) => existsSync(p));
}
/** Debian's package, installed when missing (needs root): a benchmark installs its peers itself. */
function ensureInstalled(command: string, pkg: string): string {
  let path = which(command);
  if (path) return path;
  if (!isRoot) throw new Error(`${command} not found: install it with apt-get install -y ${pkg} (as root)`);
  progress(`installing ${pkg} with apt-get`, true);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  path = which(command);
  if (r.status !== 0 || !path) throw new Error(`apt-get install ${pkg} failed`);
  return path;
}

/** A broker under test: its processes (whose CPU and memory count) and where to connect. */
interface BrokerUnderTest {
  name: string;
  /** one TCP port per broker process */
  ports: number[];
  /** processes whose CPU-seconds count as the broker's */
  pids: number[];
  /** reported beside the broker (Redis) */
  helperPids: number[];
  stop(): Promise<void>;
}

async function startOurs(cpu: string | undefined, env: Record<string, string> = {}): Promise<{ port: number; child: ChildProcess }> {
  const [port, httpPort] = [await freePort(), await freePort()];
  // MQTT_ALLOW_ANONYMOUS like Mosquitto's allow_anonymous true: neither side checks credentials;
  // MQTT_MAX_CONNECTIONS above --connections (default 10,000 would refuse the last few)
  const child = spawnProcess('our broker', [process.execPath, '--import', 'tsx', 'broker/src/index.ts'], {
    cpu,
    env: {
      DATA_DIR: tmp('bench-broker-'), MQTT_HOST: '127.0.0.1', MQTT_PORT: String(port), MQTT_WS_ENABLED: 'false',
      BROKER_HTTP_PORT: String(httpPort), MQTT_ALLOW_ANONYMOUS: 'true', MQTT_MAX_CONNECTIONS: String(CONNECTIONS + 100),
      LOG_LEVEL: 'warn', ...env,
    },
  });
  await until('our broker', async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok);
  return { port, child };
}
async function ours(cpu: string | undefined): Promise<BrokerUnderTest> {
  const { port, child } = await startOurs(cpu);
  return { name: 'ours', ports: [port], pids: [child.pid!], helperPids: [], stop: () => stopProcess(child) };
}

/** Mosquitto settings: docs/mosquitto.conf (how the project runs it) without auth and persistence. */
function mosquittoConf(port: number): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'max_queued_messages 1000000',
    'max_queued_bytes 0',
    'max_inflight_messages 100',
    'set_tcp_nodelay true',
    // MQTT_MAX_PAYLOAD_BYTES' default (1 MiB) + the largest topic and packet id + the fixed header
    'max_packet_size 1114120',
    'connection_messages false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    '',
  ].join('\n');
}
async function mosquitto(binary: string, cpu: string | undefined): Promise<BrokerUnderTest> {
  const port = await freePort();
  const conf = join(tmp('bench-mosquitto-'), 'mosquitto.conf');
  writeFileSync(conf, mosquittoConf(port));
  const child = spawnProcess('mosquitto', [binary, '-c', conf], { cpu });
  await until('mosquitto', () => mqttAnswers(port));
  return { name: 'mosquitto', ports: [port], pids: [child.pid!], helperPids: [], stop: () => stopProcess(child) };
}

async function oursCluster(redisBinary: string): Promise<BrokerUnderTest> {
  const redis = await startRedisServer(bench, redisBinary);
  const a = await startOurs(undefined, { REDIS_URL: redis.url, BROKER_NAME: 'bench-a' });
  const b = await startOurs(undefined, { REDIS_URL: redis.url, BROKER_NAME: 'bench-b' });
  return {
    name: 'ours x2 + Redis',
    ports: [a.port, b.port],
    pids: [a.child.pid!, b.child.pid!],
    helperPids: [redis.child.pid!],
    async stop() {
      await Promise.all([stopProcess(a.child), stopProcess(b.child)]);
      await redis.stop();
    },
  };
}

const cpuOf = (pids: number[]) => pids.reduce((s, pid) => s + processCpuSeconds(pid), 0);
const systemOf = (pids: number[]) => pids.reduce((s, pid) => s + processCpuTimes(pid).systemS, 0);
const rssMiBOf = (pids: number[]) => pids.reduce((s, pid) => s + processMemoryKiB(pid).rssKiB, 0) / 1024;

/** Pins this process (every thread) to `cpuList`: the load generator stays off the broker's core. */
function pinSelf(cpuList: string) {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(process.pid)], { stdio: 'ignore' });
}

// --- load ------------------------------------------------------------------------------------------------

/** ~120 bytes like a reading; the send time (µs since the bench started, 13 digits) at a fixed offset. */
const PAYLOAD_PREFIX = '{"sentUs":"';
const SENT_AT = PAYLOAD_PREFIX.length;
const SENT_DIGITS = 13;
function readingPayload(): Buffer {
  const body = `${PAYLOAD_PREFIX}${'0'.repeat(SENT_DIGITS)}","observedAt":1764390000000,"metrics":{"pm25_ugm3":12.5,"no2_ugm3":41.2},"pad":"`;
  return Buffer.from(`${body}${'x'.repeat(Math.max(0, 120 - body.length - 2))}"}`);
}
const TOPIC_PREFIX = 'city/sensors/aq-bench-';
const topicOf = (i: number) => `${TOPIC_PREFIX}${String(i).padStart(4, '0')}/up`;
const nowUs = () => Math.round(performance.now() * 1000);
function writeDigits(buf: Buffer, at: number, value: number, width: number) {
  for (let i = width - 1; i >= 0; i--) {
    buf[at + i] = 48 + (value % 10);
    value = Math.floor(value / 10);
  }
}
function readDigits(buf: Buffer, at: number, width: number): number {
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 10 + (buf[at + i]! - 48);
  return value;
}

interface RunResult {
  messages: number;
  received: number;
  seconds: number;
  msgPerS: number;
  brokerCpuS: number;
  /** the part of brokerCpuS spent in the kernel (sockets, loopback TCP) */
  brokerSystemS: number;
  helperCpuS: number;
  /** the load generator's CPU over the run, as a share of one core: near 1 means it, not the broker, was the limit */
  loadgenCore: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

/**
 * One run: a subscriber on `TOPIC_FILTER` (on the first port) and PUBLISHERS publishers spread over the
 * broker's ports, `messages` at `qos`, round-robin over DEVICES topics. As fast as the windows allow, or
 * paced at `ratePerS`. Timed from the first PUBLISH to the last message received.
 */
async function run(broker: BrokerUnderTest, qos: 0 | 1, messages: number, label: string, ratePerS?: number): Promise<RunResult> {
  const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const sub = await RawClient.open(broker.ports[0]!, `bench-sub-${tag}`);
  const granted = await sub.subscribe(TOPIC_FILTER, qos);
  if (granted !== qos) throw new Error(`${broker.name}: SUBACK ${granted}, expected QoS ${qos}`);
  const pubs = await Promise.all(
    Array.from({ length: PUBLISHERS }, (_, i) => RawClient.open(broker.ports[i % broker.ports.length]!, `bench-pub-${tag}-${i}`)),
  );
  const template = new PublishTemplate(topicOf(0), readingPayload(), qos);
  const deviceAt = template.topicAt + TOPIC_PREFIX.length;
  const sentAt = template.payloadAt + SENT_AT;
  const latenciesUs = new Float64Array(messages);
  const blocked = new Array<boolean>(PUBLISHERS).fill(false);
  const packetIds = new Array<number>(PUBLISHERS).fill(0);
  let sent = 0;
  let acked = 0;
  let received = 0;
  let nextPub = 0;
  let startUs = 0;
  let endMs = 0;
  let finished: (() => void) | undefined;
  const done = new Promise<void>((r) => (finished = r));

  const room = () => {
    let n = Math.min(messages - sent, END_TO_END_WINDOW - (sent - received));
    if (qos === 1) n = Math.min(n, ACK_WINDOW - (sent - acked));
    if (ratePerS !== undefined) n = Math.min(n, Math.floor(((nowUs() - startUs) / 1e6) * ratePerS) - sent);
    return n;
  };
  const pump = () => {
    for (;;) {
      const n = Math.min(BATCH, room());
      if (n <= 0) return;
      let p = -1;
      for (let k = 0; k < PUBLISHERS; k++) {
        const candidate = (nextPub + k) % PUBLISHERS;
        if (!blocked[candidate]) {
          p = candidate;
          break;
        }
      }
      if (p < 0) return;
      nextPub = (p + 1) % PUBLISHERS;
      const batch = Buffer.allocUnsafe(n * template.length);
      const stamp = nowUs();
      for (let m = 0; m < n; m++) {
        const at = m * template.length;
        template.bytes.copy(batch, at);
        writeDigits(batch, at + deviceAt, (sent + m) % DEVICES, 4);
        writeDigits(batch, at + sentAt, stamp, SENT_DIGITS);
        if (qos === 1) {
          const id = (packetIds[p]! % 65_535) + 1;
          packetIds[p] = id;
          batch.writeUInt16BE(id, at + template.packetIdAt);
        }
      }
      sent += n;
      if (!pubs[p]!.write(batch)) {
        blocked[p] = true;
        pubs[p]!.socket.once('drain', () => {
          blocked[p] = false;
          pump();
        });
      }
    }
  };
  const fail = (err: Error) => {
    console.error(`\n${broker.name}: ${err.message}`);
    void cleanup().then(() => process.exit(1));
  };
  sub.onUnexpectedClose = fail;
  sub.events = {
    onPublish: (payload) => {
      latenciesUs[received] = nowUs() - readDigits(payload, SENT_AT, SENT_DIGITS);
      received++;
      if (received === messages) {
        endMs = performance.now();
        finished!();
      }
    },
    onChunk: pump,
  };
  for (const pub of pubs) {
    pub.onUnexpectedClose = fail;
    pub.events = { onPuback: () => void acked++, onChunk: pump };
  }

  const cpu0 = cpuOf(broker.pids);
  const system0 = systemOf(broker.pids);
  const helper0 = cpuOf(broker.helperPids);
  const loadgen0 = process.cpuUsage();
  const startMs = performance.now();
  startUs = nowUs();
  const ticker = ratePerS !== undefined ? setInterval(pump, 1) : undefined;
  let lastReceived = -1;
  let lastProgressMs = startMs;
  const watchdog = setInterval(() => {
    progress(`${label}: ${received}/${messages} received`);
    if (received !== lastReceived) {
      lastReceived = received;
      lastProgressMs = performance.now();
    } else if (performance.now() - lastProgressMs > STALL_MS) {
      endMs = lastProgressMs;
      finished!();
    }
  }, 250);
  pump();
  await done;
  clearInterval(watchdog);
  if (ticker) clearInterval(ticker);
  const brokerCpuS = cpuOf(broker.pids) - cpu0;
  const brokerSystemS = systemOf(broker.pids) - system0;
  const helperCpuS = cpuOf(broker.helperPids) - helper0;
  const loadgen = process.cpuUsage(loadgen0);
  const seconds = (endMs - startMs) / 1000;
  if (qos === 1 && received === messages) await until('last PUBACKs', async () => acked === messages, 10_000);
  await Promise.all([sub.close(), ...pubs.map((p) => p.close())]);
  const sorted = latenciesUs.subarray(0, received).sort();
  const at = (q: number) => (sorted[Math.min(received - 1, Math.floor(q * received))] ?? NaN) / 1000;
  return {
    messages, received, seconds,
    msgPerS: received / seconds,
    brokerCpuS, brokerSystemS, helperCpuS,
    loadgenCore: (loadgen.user + loadgen.system) / 1e6 / seconds,
    latencyP50Ms: at(0.5),
    latencyP99Ms: at(0.99),
  };
}

interface IdleResult {
  connections: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  perConnectionKiB: number;
  connectSeconds: number;
  brokerCpuS: number;
}
/** CONNECTIONS idle clients (keepalive 60 s, clean session), CONNECT_BATCH connecting at a time. */
async function idleConnections(broker: BrokerUnderTest, label: string): Promise<IdleResult> {
  const pid = broker.pids[0]!;
  await sleep(1000);
  const rssBefore = processMemoryKiB(pid).rssKiB;
  const cpu0 = cpuOf(broker.pids);
  const clients: RawClient[] = [];
  const t0 = performance.now();
  // keepalive 60 s: a PINGREQ every 30 s keeps them all open however long the run takes
  const pinger = setInterval(() => {
    for (const c of clients) c.write(PINGREQ);
  }, 30_000);
  try {
    for (let i = 0; i < CONNECTIONS; i += CONNECT_BATCH) {
      const batch = Array.from({ length: Math.min(CONNECT_BATCH, CONNECTIONS - i) }, (_, k) =>
        RawClient.open(broker.ports[0]!, `bench-idle-${process.pid}-${i + k}`, 60),
      );
      clients.push(...(await Promise.all(batch)));
      progress(`${label}: ${clients.length}/${CONNECTIONS} connected`);
    }
    const connectSeconds = (performance.now() - t0) / 1000;
    await sleep(3000); // let the broker settle (and a Node broker collect the garbage of 10k CONNECTs)
    const rssAfter = processMemoryKiB(pid).rssKiB;
    const brokerCpuS = cpuOf(broker.pids) - cpu0;
    return {
      connections: CONNECTIONS,
      rssBeforeMiB: rssBefore / 1024,
      rssAfterMiB: rssAfter / 1024,
      perConnectionKiB: (rssAfter - rssBefore) / CONNECTIONS,
      connectSeconds,
      brokerCpuS,
    };
  } finally {
    clearInterval(pinger);
    for (const c of clients) c.onUnexpectedClose = undefined;
    await Promise.all(clients.map((c) => c.close()));
  }
}

// --- the report --------------------------------------------------------------------------------------------

interface ThroughputRow {
  broker: string;
  placement: string;
  q0: RunResult;
  q1: RunResult;
  lat0?: RunResult;
  lat1?: RunResult;
  rssAfterMiB: number;
  peakMiB: number;
  helperNote?: string;
}

async function measure(broker: BrokerUnderTest, placement: string, latency: boolean): Promise<ThroughputRow> {
  const label = `${broker.name} (${placement})`;
  await run(broker, 0, WARMUP, `${label} warm-up QoS 0`);
  await run(broker, 1, WARMUP, `${label} warm-up QoS 1`);
  const q0 = await run(broker, 0, MESSAGES, `${label} QoS 0`);
  const q1 = await run(broker, 1, MESSAGES, `${label} QoS 1`);
  const paced = RATE_PER_S * LATENCY_SECONDS;
  const lat0 = latency ? await run(broker, 0, paced, `${label} QoS 0 at ${RATE_PER_S}/s`, RATE_PER_S) : undefined;
  const lat1 = latency ? await run(broker, 1, paced, `${label} QoS 1 at ${RATE_PER_S}/s`, RATE_PER_S) : undefined;
  const memory = broker.pids.map((pid) => processMemoryKiB(pid));
  return {
    broker: broker.name, placement, q0, q1, lat0, lat1,
    rssAfterMiB: memory.reduce((s, m) => s + m.rssKiB, 0) / 1024,
    peakMiB: memory.reduce((s, m) => s + m.peakKiB, 0) / 1024,
    helperNote: broker.helperPids.length > 0
      ? `Redis: ${((q0.helperCpuS / q0.received) * 100_000).toFixed(2)} / ${((q1.helperCpuS / q1.received) * 100_000).toFixed(2)} CPU-s /100k, RSS ${rssMiBOf(broker.helperPids).toFixed(0)} MiB`
      : undefined,
  };
}

const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
const per100k = (r: RunResult) => `${((r.brokerCpuS / r.received) * 100_000).toFixed(2)} (${Math.round((r.brokerSystemS / r.brokerCpuS) * 100)}% sys)`;
const lost = (r: RunResult) => (r.received < r.messages ? ` (${r.messages - r.received} LOST)` : '');
const ms = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

async function main() {
  const startedAt = Date.now();
  const load = loadavg();
  const busyBefore = await machineBusy();
  if (busyBefore > 0.1) progress(`warning: CPUs ${(busyBefore * 100).toFixed(0)}% busy before starting (load ${load[0]!.toFixed(2)}): other work skews the figures`, true);
  if (nofileLimit < NOFILE_NEEDED && !isRoot) {
    throw new Error(`--connections ${CONNECTIONS} needs ${NOFILE_NEEDED} open files (ulimit -n is ${nofileLimit}): raise it, e.g. ulimit -n ${NOFILE_NEEDED}`);
  }
  if (nofileLimit < NOFILE_NEEDED) {
    // this process holds the client side of every idle connection: rerun it under a higher limit
    const r = spawnSync('prlimit', [`--nofile=${NOFILE_NEEDED}:${NOFILE_NEEDED}`, '--', process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  const mosquittoBinary = ensureInstalled('mosquitto', 'mosquitto');
  const redisBinary = PARTS.has('cluster') ? ensureInstalled('redis-server', 'redis-server') : undefined;
  const pinned = NPROC >= 2;
  const brokerCpu = pinned ? '0' : undefined;
  const allCpus = `0-${NPROC - 1}`;
  const others = watchOtherCpu();

  const rows: ThroughputRow[] = [];
  const idle: { broker: string; r: IdleResult }[] = [];
  const oneCore = pinned ? 'CPU 0, load generator CPU 1' : 'unpinned (1 CPU)';
  if (PARTS.has('one-core')) {
    if (pinned) pinSelf(`1-${NPROC - 1}`);
    for (const start of [() => ours(brokerCpu), () => mosquitto(mosquittoBinary, brokerCpu)]) {
      const broker = await start();
      rows.push(await measure(broker, oneCore, true));
      await broker.stop();
    }
  }
  if (PARTS.has('cluster')) {
    if (pinned) pinSelf(allCpus);
    for (const start of [() => oursCluster(redisBinary!), () => mosquitto(mosquittoBinary, undefined), () => ours(undefined)]) {
      const broker = await start();
      rows.push(await measure(broker, `unpinned, ${NPROC} CPUs shared with the load generator${broker.ports.length > 1 ? ' and Redis' : ''}`, false));
      await broker.stop();
    }
  }
  if (PARTS.has('idle')) {
    if (pinned) pinSelf(`1-${NPROC - 1}`);
    for (const start of [() => ours(brokerCpu), () => mosquitto(mosquittoBinary, brokerCpu)]) {
      const broker = await start();
      idle.push({ broker: broker.name, r: await idleConnections(broker, `${broker.name} idle connections`) });
      await broker.stop();
    }
  }
  const { othersShare } = others.stop();
  progress('');

  // --- machine and settings
  const model = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpus()[0]?.model;
  const memGiB = Number(readFileSync('/proc/meminfo', 'utf8').match(/^MemTotal:\s+(\d+)/m)?.[1] ?? 0) / 1024 / 1024;
  const mosquittoVersion = spawnSync(mosquittoBinary, ['-h']).stdout.toString().split('\n')[0]!.trim(); // -h exits 3
  const aedesVersion = JSON.parse(readFileSync('node_modules/aedes/package.json', 'utf8')).version as string;
  const redisVersion = redisBinary ? execFileSync(redisBinary, ['--version']).toString().match(/v=(\S+)/)?.[1] : undefined;
  console.log(
    `\nmachine: ${NPROC} CPUs (${model}), ${memGiB.toFixed(0)} GiB, ${process.version}, aedes ${aedesVersion}, ${mosquittoVersion}` +
      `${redisVersion ? `, redis ${redisVersion}` : ''}; load average ${load.map((l) => l.toFixed(2)).join(' ')} and CPUs ${(busyBefore * 100).toFixed(0)}% busy ` +
      `before the run, other processes used ${(othersShare * 100).toFixed(0)}% of all CPUs during it; ${((Date.now() - startedAt) / 1000).toFixed(0)} s in all`,
  );
  console.log(
    `load: ${PUBLISHERS} publishers + 1 subscriber on ${TOPIC_FILTER} (clean sessions, TCP no-delay), ${readingPayload().length}-byte payload, ` +
      `${DEVICES} topics round-robin; ${MESSAGES} messages per throughput run after an untimed warm-up of ${WARMUP} at each QoS; ` +
      `windows: ${END_TO_END_WINDOW} published-not-received, QoS 1 also ${ACK_WINDOW} awaiting PUBACK; latency: a paced run of ` +
      `${RATE_PER_S} msg/s for ${LATENCY_SECONDS} s at each QoS, publish -> subscriber receipt. Load generator: raw MQTT 3.1.1 (bench/broker-mqtt.ts), this process.`,
  );
  console.log(
    'ours: node --import tsx broker/src/index.ts, MQTT_ALLOW_ANONYMOUS=true, defaults otherwise (1 MiB payloads, TCP no-delay). ' +
      'mosquitto: ' + mosquittoConf(0).trim().split('\n').filter((l) => !l.startsWith('listener') && !l.startsWith('log_')).join(', ') + '.\n',
  );
  if (rows.length > 0) {
    console.log('| broker | placement | QoS 0 delivered | QoS 1 delivered | CPU-s /100k QoS 0 / 1 | latency QoS 0 p50 / p99 | latency QoS 1 p50 / p99 | RSS after / peak | load generator (share of a core) QoS 0 / 1 |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| ${r.broker} | ${r.placement} | ${k(r.q0.msgPerS)} msg/s${lost(r.q0)} | ${k(r.q1.msgPerS)} msg/s${lost(r.q1)} | ${per100k(r.q0)} / ${per100k(r.q1)}` +
          `${r.helperNote ? ` (${r.helperNote})` : ''} | ${r.lat0 ? `${ms(r.lat0.latencyP50Ms)} / ${ms(r.lat0.latencyP99Ms)} ms${lost(r.lat0)}` : '–'} | ` +
          `${r.lat1 ? `${ms(r.lat1.latencyP50Ms)} / ${ms(r.lat1.latencyP99Ms)} ms${lost(r.lat1)}` : '–'} | ${r.rssAfterMiB.toFixed(0)} / ${r.peakMiB.toFixed(0)} MiB | ` +
          `${r.q0.loadgenCore.toFixed(2)} / ${r.q1.loadgenCore.toFixed(2)} |`,
      );
    }
  }
  if (idle.length > 0) {
    console.log(`\n| broker (${oneCore}) | idle connections | RSS before | RSS with them | per connection | time to connect all | broker CPU-s for them |`);
    console.log('|---|---|---|---|---|---|---|');
    for (const { broker, r } of idle) {
      console.log(
        `| ${broker} | ${r.connections} | ${r.rssBeforeMiB.toFixed(1)} MiB | ${r.rssAfterMiB.toFixed(1)} MiB | ${r.perConnectionKiB.toFixed(1)} KiB | ` +
          `${r.connectSeconds.toFixed(1)} s | ${r.brokerCpuS.toFixed(2)} |`,
      );
    }
  }

  // --- ratios and targets
  console.log('');
  const find = (broker: string, placement: string) => rows.find((r) => r.broker === broker && r.placement.startsWith(placement));
  const [o1, m1] = [find('ours', oneCore), find('mosquitto', oneCore)];
  if (o1 && m1) {
    for (const [name, o, m] of [['QoS 0', o1.q0, m1.q0], ['QoS 1', o1.q1, m1.q1]] as const) {
      const ratio = o.msgPerS / m.msgPerS;
      console.log(`ratio ours/mosquitto, one core, ${name}: ${ratio.toFixed(2)}x msg/s, ${(o.brokerCpuS / o.received / (m.brokerCpuS / m.received)).toFixed(1)}x CPU per message; target >= 0.8x: ${verdict(ratio >= 0.8)}`);
    }
    for (const [name, o, m] of [['QoS 0', o1.lat0, m1.lat0], ['QoS 1', o1.lat1, m1.lat1]] as const) {
      if (o && m) console.log(`latency at ${RATE_PER_S}/s, ${name}: p50 ${ms(o.latencyP50Ms)} vs ${ms(m.latencyP50Ms)} ms, p99 ${ms(o.latencyP99Ms)} vs ${ms(m.latencyP99Ms)} ms (ours vs mosquitto)`);
    }
    console.log(`RSS after the runs: ${o1.rssAfterMiB.toFixed(0)} vs ${m1.rssAfterMiB.toFixed(0)} MiB (${(o1.rssAfterMiB / m1.rssAfterMiB).toFixed(0)}x)`);
  }
  const [oc, mu, ou] = [find('ours x2 + Redis', 'unpinned'), find('mosquitto', 'unpinned'), find('ours', 'unpinned')];
  if (oc && mu) {
    for (const [name, o, m] of [['QoS 0', oc.q0, mu.q0], ['QoS 1', oc.q1, mu.q1]] as const) {
      const ratio = o.msgPerS / m.msgPerS;
      console.log(`ratio ours (2 processes + Redis)/mosquitto (1 process), ${name}: ${ratio.toFixed(2)}x msg/s; target > 1x: ${verdict(ratio > 1)}`);
    }
    if (ou) console.log(`ours, 1 process unpinned: ${k(ou.q0.msgPerS)} / ${k(ou.q1.msgPerS)} msg/s (QoS 0 / 1): ${(ou.q0.msgPerS / mu.q0.msgPerS).toFixed(2)}x / ${(ou.q1.msgPerS / mu.q1.msgPerS).toFixed(2)}x mosquitto`);
  }
  if (idle.length === 2) {
    const [o, m] = [idle[0]!.r, idle[1]!.r];
    console.log(`memory per idle connection, ours/mosquitto: ${o.perConnectionKiB.toFixed(1)} / ${m.perConnectionKiB.toFixed(1)} KiB = ${(o.perConnectionKiB / m.perConnectionKiB).toFixed(1)}x`);
  }
  const generatorBound = rows.filter((r) => r.q0.loadgenCore > 0.9 || r.q1.loadgenCore > 0.9);
  if (generatorBound.length > 0) {
    console.log(`note: the load generator used > 90% of a core in: ${generatorBound.map((r) => `${r.broker} (${r.placement})`).join('; ')} — there it may be the limit, not the broker`);
  }
  if (rows.some((r) => [r.q0, r.q1, r.lat0, r.lat1].some((x) => x && x.received < x.messages))) throw new Error('messages lost: see the LOST marks above');
}

bench.main(main);
