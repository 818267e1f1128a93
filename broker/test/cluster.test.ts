// Two broker processes sharing one Redis (REDIS_URL): messages, retained messages, persistent
// sessions with their queued QoS 1 messages across a real stop and start, authentication on both,
// last wills of a broker that dies, and a clear refusal to start without Redis.
// Every wait here is bounded and names what it waited for: a broker that stops answering fails the
// case at that step, not at vitest's 60 s test timeout. (A PUBACK, SUBACK or CONNACK that never comes
// leaves an MQTT.js promise pending for ever: with reconnectPeriod 0 a closed connection does not
// reject publishAsync or subscribeAsync, and connectTimeout closes without an 'error'.)
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import mqtt, { type IClientOptions, type IConnackPacket } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { DeviceRegistry } from '@city/shared';
import { freePort } from '../../test/support/influxd.ts';
import { startRedis } from '../../test/support/redis.ts';
import { track } from '../../test/support/teardown.ts';
import { tmpDir } from '../../test/support/tmp.ts';
import { collect, connect, connectError, waitFor } from './support.ts';

/** `promise`, or a rejection naming `what` once `timeoutMs` passed. */
function within<T>(what: string, promise: Promise<T>, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface BrokerProcess {
  url: string;
  /** SIGTERM, resolves with the exit code */
  stop(): Promise<number | null>;
  /** SIGKILL: no goodbye, no wills, no offline status */
  kill(): Promise<void>;
  output(): string;
  /** the broker's /metrics text */
  metrics(): Promise<string>;
}

/** broker/src/index.ts in a child process on fixed free ports; resolves once /healthz answers. */
async function startBrokerProcess(env: Record<string, string>): Promise<BrokerProcess> {
  const mqttPort = env.MQTT_PORT ?? String(await freePort());
  const httpPort = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'broker/src/index.ts'], {
    env: { ...process.env, MQTT_HOST: '127.0.0.1', MQTT_WS_ENABLED: 'false', LOG_LEVEL: 'warn', BROKER_HTTP_PORT: String(httpPort), MQTT_PORT: mqttPort, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child, (c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(
    'the broker process to answer /healthz',
    async () => {
      if (child.exitCode !== null) throw new Error(`broker exited with ${child.exitCode}:\n${output}`);
      return (await fetch(`http://127.0.0.1:${httpPort}/healthz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.ok;
    },
    30_000,
  );
  return {
    url: `mqtt://127.0.0.1:${mqttPort}`,
    output: () => output,
    metrics: async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text(),
    stop: async () => {
      child.kill('SIGTERM');
      return within(`broker ${env.BROKER_NAME} to exit after SIGTERM`, exited, 15_000).catch((err: Error) => {
        throw new Error(`${err.message}:\n${output}`);
      });
    },
    kill: async () => {
      child.kill('SIGKILL');
      await within(`broker ${env.BROKER_NAME} to exit after SIGKILL`, exited);
    },
  };
}

/** A client whose messages are collected from its first packet on (a session's backlog follows CONNACK at once). */
async function connectCollecting(url: string, options: IClientOptions) {
  const client = track(mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options }), (c) => c.endAsync(true));
  const received = collect(client);
  // MQTT.js closes the connection without an 'error' when connectTimeout passes
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
    client.once('close', () => reject(new Error(`${options.clientId}: connection closed before CONNACK from ${url}`)));
  });
  return { client, received, connack };
}

const numbersIn = (received: Array<{ payload: string }>) =>
  new Set(received.map((m) => (JSON.parse(m.payload) as { metrics: { n: number } }).metrics.n));

/** Redis, one registry file both brokers read (DATA_DIR), a device and a service account in it. */
async function setUp(brokerEnv: Record<string, string> = {}) {
  const redis = await startRedis();
  const dataDir = tmpDir('cluster-');
  const registry = track(DeviceRegistry.open(dataDir), (r) => r.close());
  const device = { username: 'air-001', password: (await registry.add({ id: 'air-001', kind: 'air_quality' })).secret };
  await registry.add({ id: 'worker', kind: 'generic', role: 'service', secret: 'worker-secret-1' });
  const service = { username: 'worker', password: 'worker-secret-1' };
  const env = { DATA_DIR: dataDir, REDIS_URL: redis.url, ...brokerEnv };
  const [a, b] = await Promise.all([startBrokerProcess({ ...env, BROKER_NAME: 'a' }), startBrokerProcess({ ...env, BROKER_NAME: 'b' })]);
  return { redis, registry, dataDir, env, device, service, a, b };
}

describe('broker cluster through Redis', () => {
  it('delivers a device publishing on broker A to a subscriber on broker B (QoS 0 and 1), retained messages and status included', async () => {
    const { a, b, device, service } = await setUp();
    const subscriber = await connect(b.url, { ...service, clientId: 'sub-b' });
    const received = collect(subscriber);
    await within('SUBACK for sub-b on B', subscriber.subscribeAsync('city/sensors/+/up', { qos: 1 }));

    const publisher = await connect(a.url, { ...device, clientId: 'air-001' });
    await within('the QoS 0 publish on A to be written', publisher.publishAsync('city/sensors/air-001/up', '{"metrics":{"pm25_ugm3":1}}', { qos: 0 }));
    await within('PUBACK on A', publisher.publishAsync('city/sensors/air-001/up', '{"metrics":{"pm25_ugm3":2}}', { qos: 1 }));
    await waitFor('both readings on B', () => received.length >= 2);
    expect(received.map((m) => m.payload)).toEqual(['{"metrics":{"pm25_ugm3":1}}', '{"metrics":{"pm25_ugm3":2}}']);

    // retained on A (by the device, and the broker's own online status), seen by a newcomer on B
    await within('PUBACK of the retained message on A', publisher.publishAsync('city/sensors/air-001/up', '{"metrics":{"pm25_ugm3":3}}', { qos: 1, retain: true }));
    const newcomer = await connect(b.url, { ...service, clientId: 'newcomer-b' });
    const retained = collect(newcomer);
    await within('SUBACK for newcomer-b on B', newcomer.subscribeAsync(['city/sensors/air-001/up', 'city/devices/air-001/status'], { qos: 1 }));
    await waitFor('two retained messages on B', () => retained.length >= 2);
    expect(retained.sort((x, y) => x.topic.localeCompare(y.topic))).toEqual([
      { topic: 'city/devices/air-001/status', payload: 'online', retain: true },
      { topic: 'city/sensors/air-001/up', payload: '{"metrics":{"pm25_ugm3":3}}', retain: true },
    ]);

    // the device leaving A: "offline" reaches B's subscribers and stays retained for the next one
    await within('the device to disconnect from A', publisher.endAsync());
    await waitFor('offline on B', () => retained.find((m) => m.payload === 'offline'));
    const later = await connect(b.url, { ...service, clientId: 'later-b' });
    const laterReceived = collect(later);
    await within('SUBACK for later-b on B', later.subscribeAsync('city/devices/air-001/status', { qos: 1 }));
    await waitFor('retained offline on B', () => laterReceived.length > 0);
    expect(laterReceived).toEqual([{ topic: 'city/devices/air-001/status', payload: 'offline', retain: true }]);
  });

  it('keeps a persistent session and its queued QoS 1 messages through a restart of its broker', async () => {
    const { a, b, env, device, service } = await setUp();
    const first = await connect(a.url, { ...service, clientId: 'ingest-1', clean: false });
    await within('SUBACK for the persistent session ingest-1 on A', first.subscribeAsync('city/sensors/+/up', { qos: 1 }));
    await within('ingest-1 to disconnect from A', first.endAsync());

    // published through B while the session's client is away
    const N = 200;
    const publisher = await connect(b.url, { ...device, clientId: 'air-001' });
    for (let i = 0; i < N; i++) {
      await within(`PUBACK of message ${i} on B`, publisher.publishAsync('city/sensors/air-001/up', JSON.stringify({ metrics: { n: i } }), { qos: 1 }));
    }

    // A stopped and started again (a new process on the same port)
    expect(await a.stop()).toBe(0);
    const restarted = await startBrokerProcess({ ...env, BROKER_NAME: 'a', MQTT_PORT: new URL(a.url).port });

    const { received, connack } = await connectCollecting(restarted.url, { ...service, clientId: 'ingest-1', clean: false });
    expect(connack.sessionPresent).toBe(true);
    await waitFor(`${N} queued messages`, () => numbersIn(received).size >= N, 15_000);
    expect([...numbersIn(received)].sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i));

    // the session now lives on A: a publish through B still reaches it
    await within('PUBACK of the live message on B', publisher.publishAsync('city/sensors/air-001/up', '{"metrics":{"n":-1}}', { qos: 1 }));
    await waitFor('a live message after the backlog', () => received.find((m) => m.payload === '{"metrics":{"n":-1}}'));
    await restarted.stop();
  });

  it('answers a persistent session subscribing to several filters in one SUBSCRIBE (as ingest does)', async () => {
    const { a, b, device, service } = await setUp();
    const filters = ['city/sensors/+/up', 'city/cameras/+/events', 'city/devices/+/status', 'v3/+/devices/+/up'];
    const { client, received } = await connectCollecting(a.url, { ...service, clientId: 'ingest-multi', clean: false });
    const granted = await within('SUBACK for four filters of a persistent session on A', client.subscribeAsync(filters, { qos: 1 }));
    expect(granted.map((g) => g.qos)).toEqual([1, 1, 1, 1]);
    // two SUBSCRIBE packets at once with the same first filter: both answered
    const both = await within(
      'SUBACKs for two SUBSCRIBE packets sent together',
      Promise.all([client.subscribeAsync(['city/alerts/a', 'city/alerts/b'], { qos: 1 }), client.subscribeAsync(['city/alerts/a', 'city/alerts/c'], { qos: 1 })]),
    );
    expect(both.flat().map((g) => g.qos)).toEqual([1, 1, 1, 1]);
    // every filter is live across the cluster
    const publisher = await connect(b.url, { ...device, clientId: 'air-001' });
    await within('PUBACK on B', publisher.publishAsync('city/sensors/air-001/up', '{"metrics":{"n":1}}', { qos: 1 }));
    await waitFor('the reading on A', () => received.find((m) => m.topic === 'city/sensors/air-001/up'));
    // and stored: after a reconnect the session holds all four
    await within('ingest-multi to disconnect', client.endAsync());
    await within('PUBACK while away', publisher.publishAsync('city/sensors/air-001/up', '{"metrics":{"n":2}}', { qos: 1 }));
    const again = await connectCollecting(b.url, { ...service, clientId: 'ingest-multi', clean: false });
    expect(again.connack.sessionPresent).toBe(true);
    await waitFor('the queued reading on B', () => again.received.find((m) => m.payload === '{"metrics":{"n":2}}'));
  });

  it('moves a persistent session to the other broker: queued messages follow the client', async () => {
    const { a, b, device, service } = await setUp();
    const first = await connect(a.url, { ...service, clientId: 'ingest-2', clean: false });
    await within('SUBACK for the persistent session ingest-2 on A', first.subscribeAsync('city/sensors/+/up', { qos: 1 }));
    await within('ingest-2 to disconnect from A', first.endAsync());
    const publisher = await connect(a.url, { ...device, clientId: 'air-001' });
    const N = 100;
    for (let i = 0; i < N; i++) {
      await within(`PUBACK of message ${i} on A`, publisher.publishAsync('city/sensors/air-001/up', JSON.stringify({ metrics: { n: i } }), { qos: 1 }));
    }
    const { received, connack } = await connectCollecting(b.url, { ...service, clientId: 'ingest-2', clean: false });
    expect(connack.sessionPresent).toBe(true);
    await waitFor(`${N} queued messages on B`, () => numbersIn(received).size >= N, 15_000);
    expect(numbersIn(received).size).toBe(N);
  });

  it('MQTT_MAX_QUEUED_PER_SESSION bounds a session queue filled through both brokers (counted in Redis)', async () => {
    const { a, b, device, service, redis } = await setUp({ MQTT_MAX_QUEUED_PER_SESSION: '5' });
    const worker = await connect(a.url, { ...service, clientId: 'ingest-3', clean: false });
    await within('SUBACK for the persistent session ingest-3 on A', worker.subscribeAsync('city/sensors/#', { qos: 1 }));
    await within('ingest-3 to disconnect from A', worker.endAsync());
    const onA = await connect(a.url, { ...device, clientId: 'air-001-a' });
    const onB = await connect(b.url, { ...device, clientId: 'air-001-b' });
    const dropped = async () =>
      [await a.metrics(), await b.metrics()].reduce((sum, text) => sum + Number(/^city_broker_queue_dropped_total (\d+)$/m.exec(text)?.[1]), 0);
    const probe = track(new Redis(redis.url, { commandTimeout: 5000 }), (r) => r.quit());
    for (let i = 1; i <= 8; i++) {
      await within(`PUBACK of m${i} on ${i % 2 ? 'A' : 'B'}`, (i % 2 ? onA : onB).publishAsync('city/sensors/air-001/up', `m${i}`, { qos: 1 }));
      // aedes 1.2 sends PUBACK before it stores a QoS 1 message: wait for this one to be queued or dropped
      await waitFor(`m${i} queued or dropped`, async () => (await probe.llen('outgoing:ingest-3')) + (await dropped()) === i);
    }
    expect(await dropped()).toBe(3);

    const { received } = await connectCollecting(b.url, { ...service, clientId: 'ingest-3', clean: false });
    await waitFor('the queued messages', () => received.length >= 5);
    await within('PUBACK of the live message on A', onA.publishAsync('city/sensors/air-001/up', 'live', { qos: 1 }));
    await waitFor('a live message', () => received.find((m) => m.payload === 'live'));
    expect(received.map((m) => m.payload)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'live']);
  });

  it('authenticates on both brokers against the one registry, including a device added while they run', async () => {
    const { a, b, device, registry } = await setUp();
    for (const broker of [a, b]) {
      expect((await connectError(broker.url, { username: device.username, password: 'wrong' })).code).toBe(4);
      expect((await connectError(broker.url, {})).code).toBe(4);
      const ok = await connect(broker.url, { ...device, clientId: `air-001-${broker === a ? 'a' : 'b'}` });
      // the ACL too: a device subscribes only below its own city/devices/{id}/
      const suback = await within(
        'the refusing SUBACK',
        ok.subscribeAsync('city/sensors/#', { qos: 1 }).then(
          () => undefined,
          (err: { packet?: { granted: number[] } }) => err.packet,
        ),
      );
      expect(suback?.granted).toEqual([128]);
      await within('the device to disconnect', ok.endAsync());
      // a last will outside the ACL is refused at CONNECT: another broker may have to publish it
      const will = { topic: 'city/devices/other/status', payload: Buffer.from('offline'), qos: 1 as const, retain: true };
      expect((await connectError(broker.url, { ...device, will })).code).toBe(5);
    }
    const { secret } = await registry.add({ id: 'noise-007', kind: 'noise' });
    for (const broker of [a, b]) {
      const client = await connect(broker.url, { username: 'noise-007', password: secret, clientId: `noise-007-${broker === a ? 'a' : 'b'}` });
      await within('noise-007 to disconnect', client.endAsync());
    }
  });

  it("publishes the last will of a device whose broker died, from the surviving broker", async () => {
    const { a, b, device, service } = await setUp({ MQTT_CLUSTER_HEARTBEAT_MS: '300' });
    const watcher = await connect(b.url, { ...service, clientId: 'watcher' });
    const received = collect(watcher);
    await within('SUBACK for watcher on B', watcher.subscribeAsync('city/devices/air-001/status', { qos: 1 }));
    await connect(a.url, {
      ...device,
      clientId: 'air-001',
      reconnectPeriod: 0,
      will: { topic: 'city/devices/air-001/status', payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await waitFor('online', () => received.find((m) => m.payload === 'online'));
    const killedAt = Date.now();
    await a.kill();
    // B treats A as dead after 3 missed heartbeats and looks for orphaned wills every 4
    await waitFor('the will from B', () => received.find((m) => m.payload === 'offline'), 10_000);
    expect(Date.now() - killedAt).toBeLessThan(10 * 300 + 2000);
  });

  it('refuses to start when Redis cannot be reached, saying which and why', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'broker/src/index.ts'], {
      env: {
        ...process.env,
        DATA_DIR: tmpDir(),
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: '0',
        MQTT_WS_ENABLED: 'false',
        BROKER_HTTP_PORT: '0',
        LOG_LEVEL: 'silent',
        REDIS_URL: `redis://:s3cret@127.0.0.1:${port}/0`,
        REDIS_CONNECT_TIMEOUT_MS: '500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child, (c) => c.exitCode === null && c.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await within('the broker to give up on Redis and exit', new Promise((resolve) => child.once('exit', resolve)), 20_000);
    expect(code).toBe(1);
    expect(stderr).toContain(`REDIS_URL: cannot reach redis://:***@127.0.0.1:${port}/0 within REDIS_CONNECT_TIMEOUT_MS=500`);
    expect(stderr).toContain('ECONNREFUSED');
    expect(stderr).not.toContain('s3cret');
  });
});
