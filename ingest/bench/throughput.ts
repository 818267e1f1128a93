// Rough end-to-end throughput: one MQTT.js publisher, one-reading messages at QoS 1, through the
// project's broker (with auth) and ingest into a real influxd (or SQLite). Not a test; run:
//   npx tsx ingest/bench/throughput.ts [messages=100000] [influxdb|sqlite] [inflight=1000]
// Extra INGEST_* variables in the environment apply (e.g. INGEST_JOURNAL_FSYNC_MS=0).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { DeviceRegistry, EnvReader, createLogger, setLogLevel } from '@city/shared';
import { createStore } from '@city/shared/timeseries/index';
import { createBroker } from '@city/broker/app';
import { readBrokerConfig } from '@city/broker/config';
import { startInfluxd } from '../../test/support/influxd.ts';
import { createIngest } from '../src/app.ts';
import { readIngestConfig } from '../src/config.ts';

setLogLevel('warn');
const N = Number(process.argv[2] ?? 100_000);
const storeKind = process.argv[3] ?? 'influxdb';
const inFlight = Number(process.argv[4] ?? 1000);
const dataDir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
const influxd = storeKind === 'influxdb' ? await startInfluxd() : undefined;
const logger = createLogger('bench');

const brokerEnv = new EnvReader({ MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', MQTT_WS_ENABLED: 'false', DATA_DIR: dataDir, MQTT_MAX_QUEUED_PER_SESSION: String(N * 2) });
const registry = DeviceRegistry.open(dataDir);
const broker = await createBroker({ config: readBrokerConfig(brokerEnv), registry, logger });
await broker.start();
const url = `mqtt://127.0.0.1:${broker.ports.tcp}`;
const ingestSecret = (await registry.add({ id: 'ingest', kind: 'generic', role: 'service' })).secret;
const deviceSecret = (await registry.add({ id: 'aq-bench', kind: 'air_quality' })).secret;

const env = new EnvReader({
  ...process.env,
  DATA_DIR: dataDir,
  MQTT_URL: url,
  INGEST_MQTT_PASSWORD: ingestSecret,
  ...(influxd ? { INFLUX_URL: influxd.url, INFLUX_DATABASE: 'bench' } : { INFLUX_URL: '' }),
});
const config = readIngestConfig(env);
env.assertValid();
const store = createStore(config.store, logger);
await store.start();
const ingest = createIngest({ config, registry, store, logger });
await ingest.start();

const client = mqtt.connect(url, { clientId: 'bench-pub', username: 'aq-bench', password: deviceSecret, protocolVersion: 4 });
await new Promise((r) => client.once('connect', r));
(client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);

const base = Date.now() - 3_600_000;
const t0 = performance.now();
let next = 0;
let acked = 0;
let ackedAtMs = 0;
await new Promise<void>((resolve) => {
  const send = () => {
    if (next >= N) return;
    const i = next++;
    client.publish('city/sensors/aq-bench/up', JSON.stringify({ observedAt: base + i, metrics: { pm25_ugm3: i % 300 } }), { qos: 1 }, () => {
      acked += 1;
      if (acked === N) {
        ackedAtMs = performance.now() - t0;
        resolve();
      } else send();
    });
  };
  for (let i = 0; i < inFlight; i++) send();
});
while (ingest.stats().readingsWritten < N) await new Promise((r) => setTimeout(r, 5));
const doneMs = performance.now() - t0;
const s = ingest.stats();
const points = await store.countPoints('air_quality', 'aq-bench');
console.log(
  JSON.stringify({
    store: store.name,
    messages: N,
    inFlight,
    fsyncMs: config.journal.fsyncIntervalMs,
    publishAckedPerS: Math.round(N / (ackedAtMs / 1000)),
    endToEndPerS: Math.round(N / (doneMs / 1000)),
    seconds: +(doneMs / 1000).toFixed(2),
    pointsInStore: points,
    writeLagP50S: s.writeLagP50S,
    writeLagP99S: s.writeLagP99S,
    rssMiB: Math.round(process.memoryUsage().rss / 1048576),
  }),
);
await client.endAsync();
await ingest.stop();
await store.stop();
await broker.stop();
registry.close();
await influxd?.destroy();
rmSync(dataDir, { recursive: true, force: true });
