// Test helpers: the project's broker (with auth) on port 0, a registry and a SQLite store in a temp dir,
// and the dashboard on port 0 with its own service account. Everything is registered for teardown.
import { expect } from 'vitest';
import { sleep, waitFor } from '../../../../test/support/wait.ts';
export { sleep, waitFor };
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import {
  DeviceRegistry,
  EnvReader,
  createLogger,
  createSqliteStore,
  setLogLevel,
  type ClientToServerEvents,
  type LogLevel,
  type ServerToClientEvents,
  type TimeSeriesStore,
} from '@city/shared';
import { createBroker, type Broker } from '@city/broker/app';
import { readBrokerConfig } from '@city/broker/config';
import { track } from '../../../../test/support/teardown.ts';
import { tmpDir } from '../../../../test/support/tmp.ts';
import { createDashboard, type Dashboard } from '../../src/app.ts';
import { readDashboardConfig } from '../../src/config.ts';

setLogLevel((process.env.TEST_LOG_LEVEL as LogLevel | undefined) ?? 'silent');

export interface Stack {
  broker: Broker;
  registry: DeviceRegistry;
  store: TimeSeriesStore;
  dashboard: Dashboard;
  dataDir: string;
  mqttUrl: string;
  /** http://127.0.0.1:port */
  base: string;
}

/** Broker + registry + store + dashboard; `env` adds dashboard variables (e.g. DASHBOARD_PUSH_INTERVAL_MS). */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const dataDir = tmpDir('dashboard-test-');
  const brokerEnv = new EnvReader({ MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', MQTT_WS_ENABLED: 'false', DATA_DIR: dataDir });
  const brokerConfig = readBrokerConfig(brokerEnv);
  brokerEnv.assertValid();
  const registry = track(DeviceRegistry.open(dataDir), (r) => r.close());
  const broker = track(await createBroker({ config: brokerConfig, registry, logger: createLogger('test-broker') }), (b) => b.stop());
  await broker.start();
  const mqttUrl = `mqtt://127.0.0.1:${broker.ports.tcp}`;

  const store = track(createSqliteStore({ file: `${dataDir}/timeseries.sqlite`, logger: createLogger('test-store') }), (s) => s.stop());
  await store.start();

  const { secret } = await registry.add({ id: 'dashboard', kind: 'generic', role: 'service' });
  // a web dir that does not exist: the status page is served at /
  const reader = new EnvReader({
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    MQTT_URL: mqttUrl,
    DASHBOARD_MQTT_PASSWORD: secret,
    DASHBOARD_WEB_DIR: `${dataDir}/no-web`,
    ...env,
  });
  const config = readDashboardConfig(reader);
  reader.assertValid();
  const dashboard = track(createDashboard({ config, registry, store, logger: createLogger('test-dashboard') }), (d) => d.stop());
  await dashboard.start();
  const base = `http://127.0.0.1:${dashboard.port}`;
  await waitFor('the dashboard subscribed to MQTT', async () => ((await (await fetch(`${base}/healthz`)).json()) as { mqtt: string }).mqtt === 'subscribed');
  return { broker, registry, store, dashboard, dataDir, mqttUrl, base };
}

/** A connected MQTT.js client (no reconnects). */
export function connectMqtt(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = track(mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, ...options }), (c) => c.endAsync(true));
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

export type LiveClient = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A real socket.io client of the dashboard (not yet connected: attach listeners, then connect()). */
export function liveClient(base: string): LiveClient {
  return track(io(base, { autoConnect: false, transports: ['websocket'], reconnection: false }) as LiveClient, (s) => s.close());
}

/** A logged-in operator: the session cookie and CSRF token on every call. */
export interface OperatorClient {
  cookie: string;
  csrf: string;
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export async function login(base: string, username: string, password: string): Promise<OperatorClient> {
  const res = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  expect(res.status).toBe(200);
  const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return {
    cookie,
    csrf: csrfToken,
    async call(method, path, body) {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { cookie, 'x-csrf-token': csrfToken, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await r.text();
      return { status: r.status, body: (text ? JSON.parse(text) : undefined) as never };
    },
  };
}
