// Two dashboard servers behind one address (REDIS_URL): one broker, one registry, one operations
// store file (SQLite, WAL) and socket.io's Redis adapter between them. An incident one server's REST
// API opens reaches the `/ops` operators of both, once each; a reading published once reaches the
// live map clients of both, once each.
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { EnvReader, createLogger, type DeviceSnapshot, type Incident, type IncidentEventsToClient } from '@city/shared';
import { startRedis } from '../../../test/support/redis.ts';
import { track } from '../../../test/support/teardown.ts';
import { createDashboard } from '../src/app.ts';
import { readDashboardConfig } from '../src/config.ts';
import { connectMqtt, liveClient, login, sleep, startStack, waitFor, type Stack } from './support/stack.ts';

const ADMIN = { username: 'chief', password: 'correct horse battery' };

/** A second dashboard on stack's broker, registry, store and data dir (so its operations store file). */
async function startSecondDashboard(stack: Stack, env: Record<string, string>): Promise<string> {
  const { secret } = await stack.registry.add({ id: 'dashboard-b', kind: 'generic', role: 'service' });
  const reader = new EnvReader({
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    DATA_DIR: stack.dataDir,
    MQTT_URL: stack.mqttUrl,
    DASHBOARD_MQTT_USERNAME: 'dashboard-b',
    DASHBOARD_MQTT_PASSWORD: secret,
    DASHBOARD_WEB_DIR: `${stack.dataDir}/no-web`,
    // one rules engine per deployment: server A runs it
    RULES_ENGINE: 'false',
    ...env,
  });
  const config = readDashboardConfig(reader);
  reader.assertValid();
  const dashboard = track(createDashboard({ config, registry: stack.registry, store: stack.store, logger: createLogger('test-dashboard-b') }), (d) => d.stop());
  await dashboard.start();
  const base = `http://127.0.0.1:${dashboard.port}`;
  await waitFor('dashboard B subscribed to MQTT', async () => ((await (await fetch(`${base}/healthz`)).json()) as { mqtt: string }).mqtt === 'subscribed');
  return base;
}

async function startTwo() {
  const redis = await startRedis();
  const env = { REDIS_URL: redis.url, ADMIN_USER: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, DASHBOARD_STATE_REFRESH_MS: '200' };
  const stack = await startStack(env);
  const baseB = await startSecondDashboard(stack, env);
  // both servers' `/ops` adapters subscribed (the request channel goes with the broadcast pattern):
  // a broadcast published before that is lost
  const probe = track(new Redis(redis.url), (r) => r.quit());
  await waitFor('both adapters subscribed', async () => {
    const [, subscribers] = (await probe.call('PUBSUB', 'NUMSUB', 'socket.io-request#/ops#')) as [string, number];
    return subscribers >= 2;
  });
  return { stack, baseA: stack.base, baseB };
}

function opsClient(base: string, cookie: string) {
  const socket = track(
    io(`${base}/ops`, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } }) as Socket<IncidentEventsToClient>,
    (s) => s.close(),
  );
  const changes: { change: string; incident: Incident }[] = [];
  socket.on('incident', (p) => changes.push(p));
  const snapshot = new Promise<Incident[]>((resolve) => socket.once('incidents', (p) => resolve(p.incidents)));
  return { socket, changes, snapshot };
}

describe('several dashboard servers through Redis', () => {
  it("an incident opened through server A's REST API reaches the /ops operators on A and B once each", async () => {
    const { baseA, baseB } = await startTwo();
    // one log-in: the session lives in the shared operations store, valid on both servers
    const admin = await login(baseA, ADMIN.username, ADMIN.password);
    const onA = opsClient(baseA, admin.cookie);
    const onB = opsClient(baseB, admin.cookie);
    expect(await onA.snapshot).toEqual([]);
    expect(await onB.snapshot).toEqual([]);

    const created = await admin.call<Incident>('POST', '/api/incidents', {
      title: 'Water main burst',
      category: 'flooding',
      severity: 'major',
      description: 'Reported by the fire brigade',
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await waitFor('the incident on B', () => onB.changes.find((c) => c.incident.id === id));
    await waitFor('the incident on A', () => onA.changes.find((c) => c.incident.id === id));
    // anything duplicated would have arrived by now
    await sleep(300);
    expect(onB.changes.filter((c) => c.incident.id === id).map((c) => c.change)).toEqual(['opened']);
    expect(onA.changes.filter((c) => c.incident.id === id).map((c) => c.change)).toEqual(['opened']);

    // a change made through B reaches A the same way
    const acked = await (await login(baseB, ADMIN.username, ADMIN.password)).call('POST', `/api/incidents/${id}/acknowledge`, {});
    expect(acked.status).toBe(200);
    await waitFor('the acknowledgement on A', () => onA.changes.find((c) => c.incident.id === id && c.incident.status === 'acknowledged'));
    await sleep(300);
    expect(onA.changes.filter((c) => c.incident.id === id).length).toBe(2);
    expect(onB.changes.filter((c) => c.incident.id === id).length).toBe(2);
  });

  it('a reading published once over MQTT reaches the live map clients on both servers, once each', async () => {
    const { stack, baseA, baseB } = await startTwo();
    const { secret } = await stack.registry.add({ id: 'aq-1', kind: 'air_quality', position: { lat: 41.8789, lon: -87.6359 } });
    const seen = new Map<string, DeviceSnapshot[][]>();
    for (const [name, base] of [['A', baseA], ['B', baseB]] as const) {
      const client = liveClient(base);
      const deltas: DeviceSnapshot[][] = [];
      seen.set(name, deltas);
      client.on('deltas', (p) => deltas.push(p.devices));
      const snapshot = new Promise<DeviceSnapshot[]>((resolve) => client.once('snapshot', (p) => resolve(p.devices)));
      client.connect();
      await snapshot;
    }
    // the registry re-read (DASHBOARD_STATE_REFRESH_MS) puts aq-1 on both maps first
    const device = await connectMqtt(stack.mqttUrl, { clientId: 'aq-1', username: 'aq-1', password: secret });
    for (const deltas of seen.values()) await waitFor('aq-1 online', () => deltas.some((d) => d.some((s) => s.id === 'aq-1' && s.online)));

    await device.publishAsync('city/sensors/aq-1/up', JSON.stringify({ observedAt: Date.now(), metrics: { pm25_ugm3: 61.5 } }), { qos: 1 });
    const carries = (d: DeviceSnapshot[]) => d.some((s) => s.id === 'aq-1' && s.metrics.pm25_ugm3 === 61.5);
    for (const deltas of seen.values()) await waitFor('the reading', () => deltas.some(carries));
    await sleep(300);
    for (const [name, deltas] of seen) expect({ name, times: deltas.filter(carries).length }).toEqual({ name, times: 1 });
  });
});
