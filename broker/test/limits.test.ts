// Each explicit limit, over real TCP: payload size, connections, keepalive, connect and drain
// timeouts, and the per-session queue.
import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import { track } from '../../test/support/teardown.ts';
import { closedBy, collect, connect, connectError, connectPacket, rawConnack, run, startBroker, waitFor } from './support.ts';

const SERVICE = { username: 'ingest', password: 'service-secret-1' };

describe('limits', () => {
  it('MQTT_MAX_PAYLOAD_BYTES: refuses bigger publishes, from the header when far over', async () => {
    const { url, add, broker } = await startBroker({ MQTT_MAX_PAYLOAD_BYTES: '1000' });
    const secret = await add({ id: 'cam-1', kind: 'camera' });
    await add({ id: 'ingest', role: 'service', secret: SERVICE.password });
    const ingest = await connect(url, SERVICE);
    const received = collect(ingest);
    await ingest.subscribeAsync('city/cameras/#', { qos: 1 });

    const camera = await connect(url, { username: 'cam-1', password: secret, clientId: 'c1' });
    await camera.publishAsync('city/cameras/cam-1/snapshot', Buffer.alloc(1000, 1), { qos: 1 });
    await waitFor('the 1000-byte snapshot', () => received.length === 1);

    // just over: parsed, then refused by authorizePublish (aedes closes the connection)
    let closed = closedBy(camera);
    camera.publish('city/cameras/cam-1/snapshot', Buffer.alloc(1001, 1), { qos: 0 });
    await closed;
    // far over: the connection is cut at the fixed header, before the payload is buffered
    const again = await connect(url, { username: 'cam-1', password: secret, clientId: 'c2' });
    closed = closedBy(again);
    again.publish('city/cameras/cam-1/snapshot', Buffer.alloc(200_000, 1), { qos: 0 });
    await closed;

    expect(broker.metricsText()).toMatch(/^city_broker_publish_denied_total\{reason="payload_too_large"\} 2$/m);
    const last = await connect(url, { username: 'cam-1', password: secret, clientId: 'c3' });
    await last.publishAsync('city/cameras/cam-1/events', 'marker', { qos: 1 });
    await waitFor('the marker', () => received.find((m) => m.payload === 'marker'));
    expect(received.map((m) => m.payload.length)).toEqual([1000, 6]);
  });

  it('MQTT_MAX_CONNECTIONS: the third client gets CONNACK 3 (server unavailable)', async () => {
    const { url, add, broker } = await startBroker({ MQTT_MAX_CONNECTIONS: '2' });
    const secret = await add({ id: 'air-001' });
    const first = await connect(url, { username: 'air-001', password: secret, clientId: 'one' });
    await connect(url, { username: 'air-001', password: secret, clientId: 'two' });
    const refused = await connectError(url, { username: 'air-001', password: secret, clientId: 'three' });
    expect(refused.code).toBe(3);
    expect(broker.metricsText()).toMatch(/^city_broker_connections_refused_total\{reason="server_unavailable"\} 1$/m);
    // a reconnect under a live client id takes its place rather than a new slot [MQTT-3.1.4-2]
    await connect(url, { username: 'air-001', password: secret, clientId: 'two' });
    await first.endAsync();
    await waitFor('a free slot', async () => {
      try {
        return await connect(url, { username: 'air-001', password: secret, clientId: 'three' });
      } catch {
        return undefined;
      }
    });
  });

  it('MQTT_KEEPALIVE_MAX_S: refuses a longer keepalive, and none at all, with CONNACK 2 like Mosquitto', async () => {
    const { url, add, broker } = await startBroker({ MQTT_KEEPALIVE_MAX_S: '30' });
    const secret = await add({ id: 'air-001' });
    await connect(url, { username: 'air-001', password: secret, keepalive: 30 });
    const port = broker.ports.tcp;
    expect(await rawConnack(port, connectPacket({ clientId: 'k1', clean: true, keepaliveS: 31, username: 'air-001', password: secret }))).toBe(2);
    expect(await rawConnack(port, connectPacket({ clientId: 'k2', clean: true, keepaliveS: 0, username: 'air-001', password: secret }))).toBe(2);
    expect((await connectError(url, { username: 'air-001', password: secret, keepalive: 60 })).code).toBe(2);
    const pub = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-u', 'air-001', '-P', secret, '-k', '60',
      '-t', 'city/sensors/air-001/up', '-m', 'x']);
    expect(pub.stderr).toMatch(/identifier rejected/i);
    expect(broker.metricsText()).toMatch(/^city_broker_connections_refused_total\{reason="keepalive"\} 4$/m);
  });

  it('MQTT_CONNECT_TIMEOUT_MS: closes a socket that never sends CONNECT', async () => {
    const { broker } = await startBroker({ MQTT_CONNECT_TIMEOUT_MS: '300' });
    const socket = track(createConnection({ host: '127.0.0.1', port: broker.ports.tcp }), (s) => s.destroy());
    socket.resume();
    const startedMs = Date.now();
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(250);
    expect(Date.now() - startedMs).toBeLessThan(5000);
  });

  it('MQTT_DRAIN_TIMEOUT_MS: disconnects a subscriber that stops reading; others keep receiving', async () => {
    const { url, add, broker } = await startBroker({ MQTT_DRAIN_TIMEOUT_MS: '500' });
    const secret = await add({ id: 'cam-1', kind: 'camera' });
    await add({ id: 'ingest', role: 'service', secret: SERVICE.password });
    const stalled = await connect(url, { ...SERVICE, clientId: 'stalled' });
    await stalled.subscribeAsync('city/cameras/#', { qos: 0 });
    const healthy = await connect(url, { ...SERVICE, clientId: 'healthy' });
    const received = collect(healthy);
    await healthy.subscribeAsync('city/cameras/#', { qos: 0 });
    (stalled.stream as unknown as { pause(): void }).pause();

    const camera = await connect(url, { username: 'cam-1', password: secret });
    const snapshot = Buffer.alloc(512 * 1024, 1);
    const disconnected = new Promise((resolve) => broker.aedes.once('clientDisconnect', resolve));
    let sent = 0;
    // fill the stalled reader's socket buffers (a few MB on loopback), then wait for the drain timeout
    await waitFor('the stalled subscriber to be dropped', async () => {
      if (sent < 200) {
        await camera.publishAsync('city/cameras/cam-1/snapshot', snapshot, { qos: 0 });
        sent++;
      }
      return Promise.race([disconnected.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10))]);
    }, 20_000);
    await camera.publishAsync('city/cameras/cam-1/events', 'after', { qos: 0 });
    await waitFor('delivery to the healthy subscriber', () => received.find((m) => m.payload === 'after'), 10_000);
    expect(broker.aedes.connectedClients).toBe(2);
  });

  it('MQTT_MAX_QUEUED_PER_SESSION: keeps the oldest messages for an offline session, drops and counts newer ones', async () => {
    const { url, add, broker } = await startBroker({ MQTT_MAX_QUEUED_PER_SESSION: '5' });
    const secret = await add({ id: 'air-001' });
    await add({ id: 'ingest', role: 'service', secret: SERVICE.password });
    const worker = await connect(url, { ...SERVICE, clientId: 'ingest-1', clean: false });
    await worker.subscribeAsync('city/sensors/#', { qos: 1 });
    await worker.endAsync();

    const device = await connect(url, { username: 'air-001', password: secret });
    for (let i = 1; i <= 8; i++) await device.publishAsync('city/sensors/air-001/up', `m${i}`, { qos: 1 });
    expect(broker.metricsText()).toMatch(/^city_broker_queue_dropped_total 3$/m);

    const back = track((await import('mqtt')).default.connect(url, { ...SERVICE, clientId: 'ingest-1', clean: false, reconnectPeriod: 0 }), (c) => c.endAsync(true));
    const received = collect(back);
    await waitFor('the queued messages', () => received.length >= 5);
    await device.publishAsync('city/sensors/air-001/up', 'live', { qos: 1 });
    await waitFor('a live message', () => received.find((m) => m.payload === 'live'));
    expect(received.map((m) => m.payload)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'live']);
  });

  it('MQTT_MAX_QUEUED_PER_SESSION: an online session over the limit still receives, unstored, and stays connected', async () => {
    const { url, add, broker } = await startBroker({ MQTT_MAX_QUEUED_PER_SESSION: '5' });
    const secret = await add({ id: 'air-001' });
    await add({ id: 'ingest', role: 'service', secret: SERVICE.password });
    const worker = await connect(url, { ...SERVICE, clientId: 'ingest-1', clean: false });
    const received = collect(worker);
    await worker.subscribeAsync('city/sensors/#', { qos: 1 });
    // no PUBACKs while paused: every message stays in flight, i.e. in the session's queue
    (worker.stream as unknown as { pause(): void }).pause();

    const device = await connect(url, { username: 'air-001', password: secret });
    for (let i = 1; i <= 8; i++) await device.publishAsync('city/sensors/air-001/up', `m${i}`, { qos: 1 });
    await waitFor('3 drops', () => broker.metricsText().includes('city_broker_queue_dropped_total 3'));
    (worker.stream as unknown as { resume(): void }).resume();
    await waitFor('all 8', () => received.length === 8);
    expect(worker.connected).toBe(true);
  });
});
