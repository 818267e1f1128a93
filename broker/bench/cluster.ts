// What Redis costs: QoS 1 messages/s and latency from a publisher to a subscriber, for
//   single     one broker, in memory (no REDIS_URL)
//   same       one broker with REDIS_URL, publisher and subscriber on it (every message via Redis)
//   cross      publisher on broker A, subscriber on broker B, both with REDIS_URL
// Each broker is its own process (broker/src/index.ts); Redis is Debian's redis-server.
//   npx tsx broker/bench/cluster.ts [messages=20000] [window=100]
import { spawn } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import { BenchCleanup, startRedisServer } from '../../bench/support.ts';
import { freePort } from '../../test/support/influxd.ts';

const MESSAGES = Number(process.argv[2] ?? 20_000);
const WINDOW = Number(process.argv[3] ?? 100);
const bench = new BenchCleanup();

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startBroker(env: Record<string, string>): Promise<string> {
  const mqttPort = await freePort();
  const httpPort = await freePort();
  const dataDir = bench.tmp('bench-broker-');
  const child = spawn(process.execPath, ['--import', 'tsx', 'broker/src/index.ts'], {
    env: { ...process.env, DATA_DIR: dataDir, MQTT_HOST: '127.0.0.1', MQTT_PORT: String(mqttPort), MQTT_WS_ENABLED: 'false', BROKER_HTTP_PORT: String(httpPort), MQTT_ALLOW_ANONYMOUS: 'true', LOG_LEVEL: 'error', ...env },
    stdio: 'inherit',
  });
  bench.children.push(child);
  await until('the broker', async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => undefined))?.ok === true);
  return `mqtt://127.0.0.1:${mqttPort}`;
}

function connect(url: string): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, protocolVersion: 4 });
  // a reset while the brokers stop at the end is not a result
  client.on('error', (err) => console.error(`${url}: ${err.message}`));
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

async function run(name: string, pubUrl: string, subUrl: string): Promise<void> {
  const sub = await connect(subUrl);
  const pub = await connect(pubUrl);
  await sub.subscribeAsync('bench/#', { qos: 1 });
  await new Promise((r) => setTimeout(r, 200));
  const latenciesMs: number[] = [];
  let received = 0;
  const done = new Promise<void>((resolve) => {
    sub.on('message', (_topic, payload) => {
      latenciesMs.push(performance.now() - Number(payload.toString()));
      if (++received === MESSAGES) resolve();
    });
  });
  const started = performance.now();
  let inFlight = 0;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const next = () => {
      while (inFlight < WINDOW && sent < MESSAGES) {
        inFlight++;
        sent++;
        pub.publish('bench/x', String(performance.now()), { qos: 1 }, () => {
          inFlight--;
          if (sent < MESSAGES) next();
          else if (inFlight === 0) resolve();
        });
      }
    };
    next();
  });
  await done;
  const seconds = (performance.now() - started) / 1000;
  latenciesMs.sort((a, b) => a - b);
  const at = (q: number) => latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(q * latenciesMs.length))]!.toFixed(1);
  console.log(`${name.padEnd(8)} ${Math.round(MESSAGES / seconds).toString().padStart(7)} msg/s   latency p50 ${at(0.5)} ms  p99 ${at(0.99)} ms`);
  await Promise.all([pub.endAsync(), sub.endAsync()]);
}

bench.main(async () => {
  console.log(`QoS 1, ${MESSAGES} messages, ${WINDOW} in flight, one publisher and one subscriber`);
  const single = await startBroker({});
  await run('single', single, single);
  const redis = await startRedisServer(bench);
  const a = await startBroker({ REDIS_URL: redis.url, BROKER_NAME: 'a' });
  const b = await startBroker({ REDIS_URL: redis.url, BROKER_NAME: 'b' });
  await run('same', a, a);
  await run('cross', a, b);
});
