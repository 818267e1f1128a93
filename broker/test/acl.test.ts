// Topic ACL over real TCP: what devices, gateways and services may publish and subscribe to.
import { describe, expect, it } from 'vitest';
import { closedBy, collect, connect, startBroker, waitFor } from './support.ts';

describe('topic ACL', () => {
  it('delivers nothing a device publishes under another id, disconnects it and counts it', async () => {
    const { url, add, broker } = await startBroker();
    const s1 = await add({ id: 'air-001' });
    const s2 = await add({ id: 'air-002' });
    await add({ id: 'ingest', role: 'service', secret: 'service-secret-1' });
    const ingest = await connect(url, { username: 'ingest', password: 'service-secret-1' });
    const received = collect(ingest);
    await ingest.subscribeAsync('city/#', { qos: 1 });

    const intruder = await connect(url, { username: 'air-001', password: s1 });
    const closed = closedBy(intruder);
    intruder.publish('city/sensors/air-002/up', 'forged', { qos: 1, retain: true });
    // aedes closes the connection on a refused PUBLISH: MQTT 3.1.1 has no negative PUBACK [MQTT-3.3.5-2]
    await closed;
    expect(broker.metricsText()).toMatch(/^city_broker_publish_denied_total\{reason="acl"\} 1$/m);

    const owner = await connect(url, { username: 'air-002', password: s2 });
    await owner.publishAsync('city/sensors/air-002/up', 'genuine', { qos: 1 });
    await waitFor('the genuine reading', () => received.find((m) => m.payload === 'genuine'));
    expect(received.filter((m) => m.payload === 'forged')).toEqual([]);

    // nor was it retained
    const late = await connect(url, { username: 'ingest', password: 'service-secret-1', clientId: 'late' });
    const lateReceived = collect(late);
    await late.subscribeAsync('city/sensors/#', { qos: 1 });
    await owner.publishAsync('city/sensors/air-002/up', 'marker', { qos: 1 });
    await waitFor('the marker', () => lateReceived.find((m) => m.payload === 'marker'));
    expect(lateReceived.filter((m) => m.payload === 'forged')).toEqual([]);
  });

  it('lets a gateway publish under its prefixes (frigate/) and nothing else', async () => {
    const { url, add } = await startBroker();
    const secret = await add({ id: 'nvr-1', kind: 'camera', role: 'gateway', topicPrefixes: ['frigate/'] });
    await add({ id: 'ingest', role: 'service', secret: 'service-secret-1' });
    const ingest = await connect(url, { username: 'ingest', password: 'service-secret-1' });
    const received = collect(ingest);
    await ingest.subscribeAsync(['frigate/#', 'city/sensors/#'], { qos: 1 });

    const nvr = await connect(url, { username: 'nvr-1', password: secret });
    await nvr.publishAsync('frigate/events', '{"type":"new"}', { qos: 1 });
    await waitFor('the frigate event', () => received.find((m) => m.topic === 'frigate/events'));

    const closed = closedBy(nvr);
    nvr.publish('city/sensors/nvr-1/up', '{}', { qos: 0 });
    await closed;
    expect(received.map((m) => m.topic)).toEqual(['frigate/events']);
  });

  it('keeps devices out of $SYS and the dead-letter topics, and out of other devices\' subscriptions', async () => {
    const { url, add, broker } = await startBroker();
    const secret = await add({ id: 'air-001', topicPrefixes: ['city/'] });
    const device = await connect(url, { username: 'air-001', password: secret });

    // MQTT.js rejects a SUBACK holding a 0x80; the packet is on the error
    const suback = await device.subscribeAsync(['city/devices/air-001/#', 'city/devices/+/status', 'city/sensors/#'], { qos: 1 }).then(
      () => undefined,
      (err: { packet?: { granted: number[] } }) => err.packet,
    );
    expect(suback?.granted).toEqual([1, 128, 128]);
    expect(device.connected).toBe(true);
    expect(broker.metricsText()).toMatch(/^city_broker_subscribe_denied_total 2$/m);

    const closed = closedBy(device);
    device.publish('city/deadletter/bad-json', 'x');
    await closed;
    expect(broker.metricsText()).toMatch(/^city_broker_publish_denied_total\{reason="acl"\} 1$/m);
  });
});
