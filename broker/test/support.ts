// Test helpers for the broker: a real broker on port 0 with a registry in a temp dir, real
// MQTT.js clients and subprocesses, all registered for teardown.
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { DeviceRegistry, EnvReader, setLogLevel, type AddDevice, type LogLevel } from '@city/shared';
import { track } from '../../test/support/teardown.ts';
import { tmpDir } from '../../test/support/tmp.ts';
import { createBroker, type Broker } from '../src/app.ts';
import { readBrokerConfig } from '../src/config.ts';
import { createLogger } from '@city/shared';

setLogLevel((process.env.TEST_LOG_LEVEL as LogLevel | undefined) ?? 'silent');

export interface TestBroker {
  broker: Broker;
  registry: DeviceRegistry;
  dataDir: string;
  url: string;
  add(device: Partial<AddDevice> & { id: string }): Promise<string>;
}

/** A started broker on 127.0.0.1 with every listener on port 0; `env` overrides the config. */
export async function startBroker(env: Record<string, string> = {}): Promise<TestBroker> {
  const dataDir = tmpDir('broker-test-');
  const reader = new EnvReader({ MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', MQTT_WS_PORT: '0', MQTT_TLS_PORT: '0', DATA_DIR: dataDir, ...env });
  const config = readBrokerConfig(reader);
  reader.assertValid();
  const registry = track(DeviceRegistry.open(dataDir), (r) => r.close());
  const broker = track(await createBroker({ config, registry, logger: createLogger('test') }), (b) => b.stop());
  await broker.start();
  return {
    broker,
    registry,
    dataDir,
    url: `mqtt://127.0.0.1:${broker.ports.tcp}`,
    add: async (device) => (await registry.add({ kind: 'air_quality', ...device })).secret,
  };
}

/** A connected MQTT.js client (no reconnects); rejects with the CONNACK error (its `code` is the return code). */
export function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = track(mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options }), (c) => c.endAsync(true));
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

/** The error a refused CONNECT ends with. */
export async function connectError(url: string, options: IClientOptions = {}): Promise<Error & { code?: number }> {
  try {
    await connect(url, options);
  } catch (err) {
    return err as Error & { code?: number };
  }
  throw new Error('expected the CONNECT to be refused');
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Collects the messages a client receives, as [topic, payload text]. */
export function collect(client: MqttClient): Array<{ topic: string; payload: string; retain: boolean }> {
  const received: Array<{ topic: string; payload: string; retain: boolean }> = [];
  client.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return received;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a subprocess to its end (killed after `timeoutMs`). */
export function run(command: string, args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const child = track(
    spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] }),
    (c) => {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** An MQTT 3.1.1 CONNECT packet built by hand, for what MQTT.js refuses to send [MQTT-3.1]. */
export function connectPacket(fields: { clientId: string; clean: boolean; keepaliveS?: number; username?: string; password?: string }): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  let flags = fields.clean ? 0x02 : 0;
  if (fields.username !== undefined) flags |= 0x80;
  if (fields.password !== undefined) flags |= 0x40;
  const keepalive = fields.keepaliveS ?? 60;
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, flags, keepalive >> 8, keepalive & 0xff]),
    str(fields.clientId),
    ...(fields.username !== undefined ? [str(fields.username)] : []),
    ...(fields.password !== undefined ? [str(fields.password)] : []),
  ]);
  if (body.length > 127) throw new Error('connectPacket: body too long for this helper');
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

/** Sends raw bytes on a new TCP connection; resolves with the CONNACK return code, or 'closed' if none came. */
export function rawConnack(port: number, bytes: Buffer): Promise<number | 'closed'> {
  const socket = track(createConnection({ host: '127.0.0.1', port }), (s) => s.destroy());
  let received = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => socket.write(bytes));
    socket.on('data', (d) => {
      received = Buffer.concat([received, d]);
      if (received.length >= 4 && received[0] === 0x20) resolve(received[3]!);
    });
    socket.once('error', reject);
    socket.once('close', () => resolve('closed'));
  });
}

/** Resolves when the broker (or anything) closes the client's connection. */
export function closedBy(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}
