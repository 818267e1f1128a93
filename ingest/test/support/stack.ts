// Test helpers for ingest: the project's broker (with auth) on port 0, a registry in a temp dir, a real
// store (SQLite or a real influxd), ingest itself, MQTT.js and mosquitto_pub publishers. Everything is
// registered for teardown.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import {
  DeviceRegistry,
  EnvReader,
  createLogger,
  setLogLevel,
  type DeviceRole,
  type LogLevel,
  type SensorKind,
} from '@city/shared';
import { createStore, type StoreConfig, type TimeSeriesStore } from '@city/shared/timeseries/index';
import { createBroker, type Broker } from '@city/broker/app';
import { readBrokerConfig } from '@city/broker/config';
import { track } from '../../../test/support/teardown.ts';
import { tmpDir } from '../../../test/support/tmp.ts';
import type { Influxd } from '../../../test/support/influxd.ts';
import { createIngest, type Ingest } from '../../src/app.ts';
import { readIngestConfig, type IngestConfig } from '../../src/config.ts';
import { captureLogger, type LogEntry } from './logs.ts';

setLogLevel((process.env.TEST_LOG_LEVEL as LogLevel | undefined) ?? 'silent');

export interface TestBroker {
  broker: Broker;
  registry: DeviceRegistry;
  /** the DATA_DIR the registry lives in (devices.sqlite); ingest uses it too */
  dataDir: string;
  url: string;
  port: number;
  /** adds an account, returns its secret */
  add(id: string, options?: { kind?: SensorKind; role?: DeviceRole; topicPrefixes?: string[] }): Promise<string>;
}

export async function startTestBroker(): Promise<TestBroker> {
  const dataDir = tmpDir('ingest-test-');
  const reader = new EnvReader({ MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', MQTT_WS_ENABLED: 'false', DATA_DIR: dataDir });
  const config = readBrokerConfig(reader);
  reader.assertValid();
  const registry = track(DeviceRegistry.open(dataDir), (r) => r.close());
  const broker = track(await createBroker({ config, registry, logger: createLogger('test-broker') }), (b) => b.stop());
  await broker.start();
  return {
    broker,
    registry,
    dataDir,
    port: broker.ports.tcp,
    url: `mqtt://127.0.0.1:${broker.ports.tcp}`,
    add: async (id, options = {}) =>
      (await registry.add({ id, kind: options.kind ?? 'air_quality', role: options.role, topicPrefixes: options.topicPrefixes })).secret,
  };
}

export type StoreKind = 'sqlite' | 'influxdb';

/** Store variables for a fresh store: a SQLite file under dataDir, or a new database on the influxd. */
export function storeEnv(kind: StoreKind, influxd?: Influxd): Record<string, string> {
  if (kind === 'sqlite') return {};
  if (!influxd) throw new Error('influxdb store needs a running influxd');
  return { INFLUX_URL: influxd.url, INFLUX_DATABASE: `ingest_${randomBytes(4).toString('hex')}`, INFLUX_WRITE_TIMEOUT_MS: '2000' };
}

export async function openStore(config: StoreConfig): Promise<TimeSeriesStore> {
  const store = track(createStore(config, createLogger('test-store')), (s) => s.stop());
  await store.start();
  return store;
}

export interface TestIngest {
  ingest: Ingest;
  config: IngestConfig;
  store: TimeSeriesStore;
  logs: LogEntry[];
  /** the env the config was read from (to start the same ingest again, or as a child process) */
  env: Record<string, string>;
}

/** Reads an ingest config from `env` over test defaults (exactly as the service would). */
export function ingestConfig(env: Record<string, string>): IngestConfig {
  const reader = new EnvReader({ INGEST_HTTP_PORT: '0', ...env });
  const config = readIngestConfig(reader);
  reader.assertValid();
  return config;
}

/**
 * Starts ingest against the test broker with its own service account. `env` adds or overrides
 * variables (INFLUX_*, INGEST_*); DATA_DIR is the broker's so both share the registry.
 */
export async function startIngest(
  tb: TestBroker,
  env: Record<string, string> = {},
  shared: { store?: TimeSeriesStore; logs?: LogEntry[] } = {},
): Promise<TestIngest> {
  const account = env.INGEST_MQTT_USERNAME ?? 'ingest';
  const password =
    env.INGEST_MQTT_PASSWORD ??
    (tb.registry.get(account) ? await tb.registry.rotate(account) : await tb.add(account, { role: 'service', kind: 'generic' }));
  const fullEnv = { DATA_DIR: tb.dataDir, MQTT_URL: tb.url, INGEST_MQTT_USERNAME: account, INGEST_MQTT_PASSWORD: password, ...env };
  const config = ingestConfig(fullEnv);
  const store = shared.store ?? (await openStore(config.store));
  const logger = captureLogger('ingest', shared.logs);
  const ingest = track(createIngest({ config, registry: tb.registry, store, logger }), (i) => i.stop());
  await ingest.start();
  return { ingest, config, store, logs: logger.entries, env: fullEnv };
}

/** A connected MQTT.js client logged in as `id` (no reconnects). */
export function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = track(mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, ...options }), (c) =>
    c.endAsync(true),
  );
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

/** A connected device client with a fresh account. */
export async function deviceClient(tb: TestBroker, id: string, kind: SensorKind = 'air_quality'): Promise<MqttClient> {
  const secret = await tb.add(id, { kind });
  return connect(tb.url, { clientId: `${id}-pub`, username: id, password: secret });
}

/** The native reading payload for index i: one metric, a distinct observedAt per i. */
export function reading(i: number, baseMs: number): string {
  return JSON.stringify({ observedAt: baseMs + i, metrics: { pm25_ugm3: i % 500 } });
}

/** Publishes every line as one message through `mosquitto_pub -l` (Debian's) at QoS 1. */
export function mosquittoPublishLines(
  tb: TestBroker,
  opts: { username: string; password: string; topic: string; lines: string[]; qos?: 0 | 1 },
): Promise<void> {
  const child = track(
    spawn(
      'mosquitto_pub',
      ['-h', '127.0.0.1', '-p', String(tb.port), '-u', opts.username, '-P', opts.password, '-i', `${opts.username}-mosq`, '-t', opts.topic, '-q', String(opts.qos ?? 1), '-l'],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    ),
    (c) => {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(opts.lines.join('\n') + '\n');
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`cannot run mosquitto_pub (${err.message}): apt-get install -y mosquitto-clients`)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited ${code}: ${stderr}`))));
  });
}

/** Publishes at QoS 1 with a bounded number in flight, resolving when every PUBACK came back. */
export async function publishAll(client: MqttClient, topic: string, payloads: (string | Buffer)[], inFlight = 100): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < payloads.length) {
      const payload = payloads[next++]!;
      await client.publishAsync(topic, payload, { qos: 1 });
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, payloads.length) }, worker));
}
