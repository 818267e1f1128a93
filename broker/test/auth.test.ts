// Authentication over real TCP: registry secrets, CONNACK return codes, anonymous access.
import { describe, expect, it } from 'vitest';
import { collect, connect, connectError, connectPacket, rawConnack, startBroker, waitFor } from './support.ts';

describe('authentication', () => {
  it('lets a device connect with its secret and publish', async () => {
    const { url, add, broker } = await startBroker();
    const secret = await add({ id: 'air-001' });
    await add({ id: 'ingest', role: 'service', secret: 'service-secret-1' });
    const ingest = await connect(url, { username: 'ingest', password: 'service-secret-1' });
    const received = collect(ingest);
    await ingest.subscribeAsync('city/sensors/+/up', { qos: 1 });

    // any client id: the identity is the username
    const device = await connect(url, { clientId: 'board-7f3a', username: 'air-001', password: secret });
    await device.publishAsync('city/sensors/air-001/up', '{"metrics":{"pm25_ugm3":12.5}}', { qos: 1 });

    await waitFor('the reading', () => received.find((m) => m.topic === 'city/sensors/air-001/up'));
    expect(received[0]!.payload).toBe('{"metrics":{"pm25_ugm3":12.5}}');
    expect(broker.metricsText()).toMatch(/^city_broker_connections_total 2$/m);
    expect(broker.metricsText()).toMatch(/^city_broker_publishes_received_total 1$/m);
    expect(broker.metricsText()).toMatch(/^city_broker_connected_clients 2$/m);
  });

  it('answers CONNACK 4 to a wrong secret, an unknown id and a missing password, and counts them', async () => {
    const { url, add, broker } = await startBroker();
    await add({ id: 'air-001', secret: 'right-secret-123' });
    const wrong = await connectError(url, { username: 'air-001', password: 'wrong-secret-123' });
    expect(wrong.code).toBe(4);
    expect(wrong.message).toMatch(/bad username or password/i);
    expect((await connectError(url, { username: 'nobody', password: 'right-secret-123' })).code).toBe(4);
    expect((await connectError(url, { username: 'air-001' })).code).toBe(4);
    expect(broker.metricsText()).toMatch(/^city_broker_auth_failures_total 3$/m);
    expect(broker.metricsText()).toMatch(/^city_broker_connected_clients 0$/m);
  });

  it('refuses anonymous clients by default', async () => {
    const { url } = await startBroker();
    expect((await connectError(url)).code).toBe(4);
  });

  it('gives anonymous clients full topic access with MQTT_ALLOW_ANONYMOUS=true', async () => {
    const { url } = await startBroker({ MQTT_ALLOW_ANONYMOUS: 'true' });
    const sub = await connect(url);
    const received = collect(sub);
    await sub.subscribeAsync('#');
    const pub = await connect(url);
    await pub.publishAsync('anything/goes', 'hi', { qos: 1 });
    await waitFor('the message', () => received.find((m) => m.topic === 'anything/goes'));
  });

  it('refuses an empty client id without clean session with CONNACK 2 [MQTT-3.1.3-8]', async () => {
    const { url, add } = await startBroker();
    const secret = await add({ id: 'air-001' });
    // MQTT.js will not send it, so the CONNECT is written by hand
    const { port } = new URL(url);
    expect(await rawConnack(Number(port), connectPacket({ clientId: '', clean: false, username: 'air-001', password: secret }))).toBe(2);
    expect(await rawConnack(Number(port), connectPacket({ clientId: 'x', clean: false, username: 'air-001', password: secret }))).toBe(0);
    // with a clean session an empty client id is fine: the broker assigns one
    await connect(url, { clientId: '', clean: true, username: 'air-001', password: secret });
  });
});
