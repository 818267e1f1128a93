// Retained device status and the registry's online flag, through connect, kill and keepalive expiry.
import { describe, expect, it } from 'vitest';
import { createConnection } from 'node:net';
import { track } from '../../test/support/teardown.ts';
import { collect, connect, connectPacket, startBroker, waitFor } from './support.ts';

const statusTopic = 'city/devices/air-001/status';

describe('device status', () => {
  it('retains online on connect and offline when the socket dies without DISCONNECT', async () => {
    const { url, add, registry } = await startBroker();
    const secret = await add({ id: 'air-001' });
    await add({ id: 'dash', role: 'service', secret: 'service-secret-1' });
    const device = await connect(url, {
      username: 'air-001',
      password: secret,
      will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });

    // a client arriving later gets the retained status
    const watcher = await connect(url, { username: 'dash', password: 'service-secret-1' });
    const received = collect(watcher);
    await watcher.subscribeAsync('city/devices/+/status', { qos: 1 });
    await waitFor('retained online', () => received.find((m) => m.payload === 'online' && m.retain));
    expect(registry.get('air-001')?.online).toBe(true);

    (device.stream as unknown as { destroy(): void }).destroy();
    await waitFor('offline', () => received.find((m) => m.payload === 'offline'));
    await waitFor('registry offline', () => registry.get('air-001')?.online === false);
    expect(registry.get('air-001')?.lastSeenAt).toBeGreaterThan(Date.now() - 10_000);

    const later = await connect(url, { username: 'dash', password: 'service-secret-1', clientId: 'later' });
    const laterReceived = collect(later);
    await later.subscribeAsync(statusTopic, { qos: 1 });
    await waitFor('retained offline', () => laterReceived.find((m) => m.retain));
    expect(laterReceived).toEqual([{ topic: statusTopic, payload: 'offline', retain: true }]);
  });

  it('publishes offline when a silent device\'s keepalive expires', async () => {
    const { url, add, registry } = await startBroker();
    const secret = await add({ id: 'air-001' });
    await add({ id: 'dash', role: 'service', secret: 'service-secret-1' });
    const watcher = await connect(url, { username: 'dash', password: 'service-secret-1' });
    const received = collect(watcher);
    await watcher.subscribeAsync(statusTopic, { qos: 1 });

    // a device that sends CONNECT with keepalive 1 s, then nothing (no PINGREQ, no FIN)
    const socket = track(createConnection({ host: '127.0.0.1', port: Number(new URL(url).port) }), (s) => s.destroy());
    socket.write(connectPacket({ clientId: 'air-001', clean: true, keepaliveS: 1, username: 'air-001', password: secret }));
    const serverClosed = new Promise((resolve) => socket.once('close', resolve));
    socket.resume();
    await waitFor('online', () => received.find((m) => m.payload === 'online'));
    const startedMs = Date.now();
    // the broker gives up after 1.5 x keepalive [MQTT-3.1.2-24]
    await waitFor('offline', () => received.find((m) => m.payload === 'offline'), 5000);
    expect(Date.now() - startedMs).toBeGreaterThan(1000);
    await serverClosed;
    expect(registry.get('air-001')?.online).toBe(false);
  });

  it('stays online while a second connection of the same device lives', async () => {
    const { url, add, registry } = await startBroker();
    const secret = await add({ id: 'air-001' });
    const a = await connect(url, { username: 'air-001', password: secret, clientId: 'a' });
    await connect(url, { username: 'air-001', password: secret, clientId: 'b' });
    await a.endAsync();
    await new Promise((r) => setTimeout(r, 100));
    expect(registry.get('air-001')?.online).toBe(true);
  });
});
