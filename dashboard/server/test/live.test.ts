// The live map end to end: real broker, registry, SQLite store, dashboard and socket.io client.
import { describe, expect, it } from 'vitest';
import type { DeviceSnapshot } from '@city/shared';
import { connectMqtt, liveClient, startStack, waitFor } from './support/stack.ts';

const PUSH_INTERVAL_MS = 200;

describe('live map feed', () => {
  it('snapshot on connect, a reading as a delta within the push interval, full snapshot on reconnect and resync', async () => {
    const stack = await startStack({ DASHBOARD_PUSH_INTERVAL_MS: String(PUSH_INTERVAL_MS), DASHBOARD_STATE_REFRESH_MS: '100' });
    const { secret } = await stack.registry.add({ id: 'aq-1', kind: 'air_quality', position: { lat: 41.8789, lon: -87.6359 } });
    // a device added to the registry while the dashboard runs shows up at the next refresh
    await waitFor('aq-1 listed', async () => ((await (await fetch(`${stack.base}/api/devices`)).json()) as DeviceSnapshot[]).length === 1);

    const client = liveClient(stack.base);
    const snapshots: DeviceSnapshot[][] = [];
    const deltas: { at: number; devices: DeviceSnapshot[] }[] = [];
    client.on('snapshot', (p) => snapshots.push(p.devices));
    client.on('deltas', (p) => deltas.push({ at: Date.now(), devices: p.devices }));
    client.connect();
    // aq-1 is offline until it connects
    const first = await waitFor('a snapshot', () => snapshots[0]);
    expect(first).toEqual([expect.objectContaining({ id: 'aq-1', kind: 'air_quality', district: 'loop', state: 'offline', online: false })]);

    const device = await connectMqtt(stack.mqttUrl, { clientId: 'aq-1', username: 'aq-1', password: secret });
    await waitFor('aq-1 online (retained status)', () => deltas.some((d) => d.devices.some((s) => s.id === 'aq-1' && s.online)));

    // quiet for longer than the push interval, so the next change is sent at once
    await new Promise((r) => setTimeout(r, PUSH_INTERVAL_MS + 50));
    const publishedAt = Date.now();
    await device.publishAsync('city/sensors/aq-1/up', JSON.stringify({ observedAt: publishedAt - 10, metrics: { pm25_ugm3: 60.5, no2_ugm3: 20 } }), { qos: 1 });
    const delta = await waitFor('the reading as a delta', () =>
      deltas.find((d) => d.devices.some((s) => s.id === 'aq-1' && s.metrics.pm25_ugm3 === 60.5)),
    );
    expect(delta.at - publishedAt).toBeLessThan(PUSH_INTERVAL_MS);
    expect(delta.devices.find((s) => s.id === 'aq-1')).toMatchObject({
      state: 'alarm',
      online: true,
      lastReadingAt: publishedAt - 10,
      metrics: { pm25_ugm3: 60.5, no2_ugm3: 20 },
      position: { lat: 41.8789, lon: -87.6359 },
    });

    // a bad message is ignored, the feed goes on
    await device.publishAsync('city/sensors/aq-1/up', 'not json', { qos: 1 });
    await device.publishAsync('city/sensors/aq-1/up', JSON.stringify({ observedAt: Date.now(), metrics: { pm25_ugm3: 40 } }), { qos: 1 });
    await waitFor('the next reading', () => deltas.some((d) => d.devices.some((s) => s.id === 'aq-1' && s.state === 'warning')));

    // a client that reconnects gets the whole picture again
    client.disconnect();
    const before = snapshots.length;
    client.connect();
    const again = await waitFor('a snapshot after reconnect', () => snapshots[before]);
    expect(again).toEqual([expect.objectContaining({ id: 'aq-1', state: 'warning', online: true, metrics: { pm25_ugm3: 40, no2_ugm3: 20 } })]);

    client.emit('resync');
    await waitFor('a snapshot after resync', () => snapshots[before + 1]);

    // the REST view is the same snapshot
    const rest = (await (await fetch(`${stack.base}/api/devices/aq-1`)).json()) as DeviceSnapshot;
    expect(rest).toMatchObject({ id: 'aq-1', state: 'warning', metrics: { pm25_ugm3: 40 } });

    const metrics = await (await fetch(`${stack.base}/metrics`)).text();
    expect(metrics).toMatch(/^city_dashboard_clients 1$/m);
    expect(Number(metrics.match(/^city_dashboard_deltas_total (\d+)$/m)?.[1])).toBeGreaterThanOrEqual(3);
  });

  it('coalesces a burst into few deltas with the latest value per device', async () => {
    const stack = await startStack({ DASHBOARD_PUSH_INTERVAL_MS: '250', DASHBOARD_STATE_REFRESH_MS: '100' });
    const { secret } = await stack.registry.add({ id: 'noise-1', kind: 'noise', position: { lat: 41.88, lon: -87.63 } });
    const client = liveClient(stack.base);
    const deltas: DeviceSnapshot[][] = [];
    let gotSnapshot = false;
    client.on('snapshot', () => (gotSnapshot = true));
    client.on('deltas', (p) => deltas.push(p.devices));
    client.connect();
    await waitFor('a snapshot', () => gotSnapshot);
    const device = await connectMqtt(stack.mqttUrl, { clientId: 'noise-1', username: 'noise-1', password: secret });
    const base = Date.now() - 60_000;
    for (let i = 1; i <= 200; i++) {
      await device.publishAsync('city/sensors/noise-1/up', JSON.stringify({ observedAt: base + i, metrics: { noise_dba: 40 + (i % 10) } }), { qos: 0 });
    }
    await device.publishAsync('city/sensors/noise-1/up', JSON.stringify({ observedAt: base + 1000, metrics: { noise_dba: 75 } }), { qos: 1 });
    await waitFor('the last value', () => deltas.some((d) => d.some((s) => s.metrics.noise_dba === 75)));
    const all = deltas.flat().filter((s) => s.id === 'noise-1');
    // every delta holds the device once, and far fewer deltas than messages went out
    for (const d of deltas) expect(d.filter((s) => s.id === 'noise-1').length).toBeLessThanOrEqual(1);
    expect(deltas.length).toBeLessThan(20);
    expect(all.at(-1)).toMatchObject({ state: 'warning', metrics: { noise_dba: 75 } });
  });
});
