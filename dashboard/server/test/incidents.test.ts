// Incidents end to end: readings and camera events over MQTT into the real broker, the rules engine
// in the dashboard, incidents in the SQLite operations store, the workflow through the REST API with
// real sessions, audit rows, and live changes on the /ops socket.io namespace.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import type { AuditEntry, Incident, IncidentDetail, IncidentEventsToClient } from '@city/shared';
import { track } from '../../../test/support/teardown.ts';
import { connectMqtt, login, startStack, waitFor, type OperatorClient as Client, type Stack } from './support/stack.ts';

const ADMIN = { username: 'chief', password: 'correct horse battery' };

/** Short durations so the rules act within a test. */
const RULES_YAML = `
version: 1
rules:
  - id: pm25-high
    type: threshold
    title: PM2.5 high
    metric: pm25_ugm3
    above: 50
    clearAt: 40
    forMs: 1000
    severity: major
    category: air_quality
  - id: silent
    type: silence
    kinds: [noise]
    silentForMs: 1500
    severity: minor
    category: device_offline
  - id: fire
    type: camera
    title: Fire or smoke
    labels: [fire, smoke]
    minScore: 0.7
    severity: critical
    category: fire_smoke
  - id: bus-lane
    type: infringement
    labels: [car]
    minScore: 0.6
    zones: [bus_lane]
    minDurationMs: 0
    offence: vehicle stopped in a bus lane
    retentionDays: 30
`;

async function startWithRules(): Promise<Stack> {
  const { tmpDir } = await import('../../../test/support/tmp.ts');
  const rulesFile = join(tmpDir('rules-'), 'rules.yaml');
  writeFileSync(rulesFile, RULES_YAML);
  return startStack({ RULES_FILE: rulesFile, RULES_TICK_MS: '200', ADMIN_USER: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, DASHBOARD_STATE_REFRESH_MS: '200' });
}

const incidentsOf = async (admin: Client) => (await admin.call<{ incidents: Incident[] }>('GET', '/api/incidents')).body.incidents;

describe('incidents', () => {
  it('readings over MQTT raise exactly one incident, later readings update it, and it resolves itself when the condition clears', async () => {
    const stack = await startWithRules();
    const admin = await login(stack.base, ADMIN.username, ADMIN.password);
    const ops = track(io(`${stack.base}/ops`, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie: admin.cookie } }) as Socket<IncidentEventsToClient>, (s) => s.close());
    const changes: { change: string; incident: Incident }[] = [];
    ops.on('incident', (p) => changes.push(p));
    const snapshot = new Promise<Incident[]>((resolve) => ops.once('incidents', (p) => resolve(p.incidents)));
    expect(await snapshot).toEqual([]);

    const { secret } = await stack.registry.add({ id: 'aq-7', kind: 'air_quality', position: { lat: 41.8789, lon: -87.6359 } });
    const device = await connectMqtt(stack.mqttUrl, { clientId: 'aq-7', username: 'aq-7', password: secret });
    const t0 = Date.now() - 5000;
    // 5 s above 50: the condition held for more than forMs
    for (let i = 0; i <= 5; i++) {
      await device.publishAsync('city/sensors/aq-7/up', JSON.stringify({ observedAt: t0 + i * 1000, metrics: { pm25_ugm3: 55 + i } }), { qos: 1 });
    }
    const opened = await waitFor('one incident', async () => (await incidentsOf(admin)).find((i) => i.deviceId === 'aq-7'));
    expect(opened).toMatchObject({ category: 'air_quality', severity: 'major', status: 'open', source: 'rule', dedupeKey: 'pm25-high:aq-7', district: 'loop', autoResolve: true });
    expect(opened.explanation).toMatch(/pm25/i);
    expect(opened.explanation).toMatch(/50/);
    expect(opened.dueAt).toBeGreaterThan(opened.openedAt);

    // more readings in alarm fold into the same incident
    await device.publishAsync('city/sensors/aq-7/up', JSON.stringify({ observedAt: t0 + 6000, metrics: { pm25_ugm3: 70 } }), { qos: 1 });
    await stack.dashboard.rules!.idle();
    // between clearAt and the trigger: still open (hysteresis)
    await device.publishAsync('city/sensors/aq-7/up', JSON.stringify({ observedAt: t0 + 6500, metrics: { pm25_ugm3: 45 } }), { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    await stack.dashboard.rules!.idle();
    let all = await incidentsOf(admin);
    expect(all).toHaveLength(1);
    expect(all[0]!.status).toBe('open');

    await device.publishAsync('city/sensors/aq-7/up', JSON.stringify({ observedAt: t0 + 7000, metrics: { pm25_ugm3: 30 } }), { qos: 1 });
    await waitFor('resolved by the rule', async () => (await incidentsOf(admin))[0]?.status === 'resolved');
    all = await incidentsOf(admin);
    expect(all).toHaveLength(1);
    expect(all[0]!.evidence.peakValue).toBe(70);

    // the operators' socket saw it open and close
    await waitFor('live changes', () => changes.some((c) => c.change === 'closed'));
    expect(changes[0]).toMatchObject({ change: 'opened', incident: { id: opened.id } });

    const detail = (await admin.call<IncidentDetail>('GET', `/api/incidents/${opened.id}`)).body;
    expect(detail.timeline.map((t) => t.action)).toEqual(expect.arrayContaining(['incident.open', 'incident.auto-resolve']));
  });

  it('a device silent longer than its rule allows raises one offline incident; a Frigate fire event raises a critical camera incident', async () => {
    const stack = await startWithRules();
    const admin = await login(stack.base, ADMIN.username, ADMIN.password);
    const { secret } = await stack.registry.add({ id: 'noise-3', kind: 'noise', position: { lat: 41.8789, lon: -87.6359 } });
    const device = await connectMqtt(stack.mqttUrl, { clientId: 'noise-3', username: 'noise-3', password: secret });
    await device.publishAsync('city/sensors/noise-3/up', JSON.stringify({ metrics: { noise_dba: 55 } }), { qos: 1 });
    const offline = await waitFor('an offline incident', async () => (await incidentsOf(admin)).find((i) => i.dedupeKey === 'silent:noise-3'), 10_000);
    expect(offline).toMatchObject({ category: 'device_offline', severity: 'minor', status: 'open' });
    // more ticks, still one
    await new Promise((r) => setTimeout(r, 800));
    expect((await incidentsOf(admin)).filter((i) => i.dedupeKey === 'silent:noise-3')).toHaveLength(1);
    // it reports again: resolved
    await device.publishAsync('city/sensors/noise-3/up', JSON.stringify({ metrics: { noise_dba: 56 } }), { qos: 1 });
    await waitFor('back online', async () => (await incidentsOf(admin)).find((i) => i.dedupeKey === 'silent:noise-3')?.status === 'resolved');

    await stack.registry.add({ id: 'cam-4', kind: 'camera', position: { lat: 41.8801, lon: -87.634 } });
    const nvr = await stack.registry.add({ id: 'nvr-1', kind: 'generic', role: 'gateway', topicPrefixes: ['frigate/'] });
    const frigate = await connectMqtt(stack.mqttUrl, { clientId: 'nvr-1', username: 'nvr-1', password: nvr.secret });
    const event = (type: string, score: number) =>
      JSON.stringify({ type, before: {}, after: { id: '1764340000.123-abc', camera: 'cam-4', label: 'fire', top_score: score, frame_time: Date.now() / 1000, current_zones: ['yard'], has_snapshot: false } });
    await frigate.publishAsync('frigate/events', event('new', 0.5), { qos: 1 }); // below minScore
    await frigate.publishAsync('frigate/events', event('update', 0.86), { qos: 1 });
    const fire = await waitFor('a fire incident', async () => (await incidentsOf(admin)).find((i) => i.category === 'fire_smoke'));
    expect(fire).toMatchObject({ severity: 'critical', source: 'camera', deviceId: 'cam-4', autoResolve: false, status: 'open' });
    expect(fire.evidence.camera).toMatchObject({ cameraId: 'cam-4', label: 'fire', zones: ['yard'] });
  });

  it('every workflow action through the API: 401 without a session, 403 for a viewer, audit rows for each change', async () => {
    const stack = await startWithRules();
    const admin = await login(stack.base, ADMIN.username, ADMIN.password);
    expect((await admin.call('POST', '/api/users', { username: 'olga', password: 'operator password 1', role: 'operator' })).status).toBe(201);
    expect((await admin.call('POST', '/api/users', { username: 'vic', password: 'viewer password 12', role: 'viewer' })).status).toBe(201);
    const olga = await login(stack.base, 'olga', 'operator password 1');
    const vic = await login(stack.base, 'vic', 'viewer password 12');

    expect((await fetch(`${stack.base}/api/incidents`)).status).toBe(401);
    const created = await olga.call<Incident>('POST', '/api/incidents', { title: 'Tree down on Wacker Dr', category: 'traffic', severity: 'major', description: 'Reported by a patrol', lat: 41.887, lon: -87.636 });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body).toMatchObject({ source: 'operator', status: 'open' });

    // a viewer reads but does not act
    expect((await vic.call('GET', `/api/incidents/${id}`)).status).toBe(200);
    for (const [action, body] of [
      ['acknowledge', {}],
      ['assign', { assignee: 'olga' }],
      ['comments', { text: 'on it' }],
      ['resolve', {}],
    ] as const) {
      expect((await vic.call('POST', `/api/incidents/${id}/${action}`, body)).status).toBe(403);
      expect((await fetch(`${stack.base}/api/incidents/${id}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status).toBe(401);
    }
    // without the CSRF token: refused
    const noCsrf = await fetch(`${stack.base}/api/incidents/${id}/acknowledge`, { method: 'POST', headers: { cookie: olga.cookie, 'content-type': 'application/json' }, body: '{}' });
    expect(noCsrf.status).toBe(403);

    expect((await olga.call<Incident>('POST', `/api/incidents/${id}/acknowledge`, {})).body.status).toBe('acknowledged');
    expect((await olga.call<Incident>('POST', `/api/incidents/${id}/assign`, { assignee: 'olga' })).body.assignee).toBe('olga');
    expect((await olga.call('POST', `/api/incidents/${id}/assign`, { assignee: 'vic' })).status).toBe(400); // a viewer cannot be assigned
    expect((await olga.call<Incident>('POST', `/api/incidents/${id}/start`, {})).body.status).toBe('in_progress');
    expect((await olga.call('POST', `/api/incidents/${id}/comments`, { text: 'Crew on site <b>now</b>' })).status).toBe(200);
    expect((await olga.call<Incident>('POST', `/api/incidents/${id}/severity`, { severity: 'minor' })).body.severity).toBe('minor');
    expect((await olga.call('POST', `/api/incidents/${id}/severity`, { severity: 'huge' })).status).toBe(400);
    expect((await olga.call<Incident>('POST', `/api/incidents/${id}/resolve`, { note: 'Cleared' })).body.status).toBe('resolved');
    // resolved is final
    expect((await olga.call('POST', `/api/incidents/${id}/acknowledge`, {})).status).toBe(409);
    expect((await olga.call('POST', '/api/incidents/INC-999999/acknowledge', {})).status).toBe(404);

    const detail = (await vic.call<IncidentDetail>('GET', `/api/incidents/${id}`)).body;
    // text stays text; the resolution note is kept as a comment too
    expect(detail.comments.map((c) => c.text)).toEqual(['Crew on site <b>now</b>', 'Cleared']);
    // the audit trail: who did what, with before/after
    const audit = (await admin.call<{ entries: AuditEntry[] }>('GET', `/api/audit?entityType=incident&entityId=${id}`)).body;
    const entries = Array.isArray(audit) ? (audit as AuditEntry[]) : audit.entries;
    const actions = entries.map((e) => `${e.actor}:${e.action}`);
    for (const a of ['olga:incident.open', 'olga:incident.acknowledge', 'olga:incident.assign', 'olga:incident.start', 'olga:incident.comment', 'olga:incident.severity', 'olga:incident.resolve']) {
      expect(actions).toContain(a);
    }
    const ack = entries.find((e) => e.action === 'incident.acknowledge')!;
    expect(ack.before).toMatchObject({ status: 'open' });
    expect(ack.after).toMatchObject({ status: 'acknowledged' });
    expect((await vic.call('GET', '/api/audit')).status).toBe(403);

    // exports
    const csv = await fetch(`${stack.base}/api/incidents.csv`, { headers: { cookie: vic.cookie } });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect((await csv.text()).split('\r\n')[1]).toContain(id);
    const geo = (await vic.call<{ features: { id: string }[] }>('GET', '/api/incidents.geojson')).body;
    expect(geo.features.map((f) => f.id)).toEqual([id]);
    const alerts = (await vic.call<{ id: string; type: string }[]>('GET', '/api/incidents/alerts.json')).body;
    expect(alerts[0]).toMatchObject({ type: 'Alert', id: `urn:ngsi-ld:Alert:city-ops:${id}` });

    // bad input: a clear message
    const bad = await olga.call<{ error: string }>('POST', '/api/incidents', { title: '', category: 'nope', severity: 'major' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/category/);
  });

  it('fusion links nearby incidents both ways; infringements become evidence only evidence holders read, each read logged; admins replace the rules', async () => {
    const stack = await startWithRules();
    const admin = await login(stack.base, ADMIN.username, ADMIN.password);
    // two air sensors 110 m apart, both above the threshold long enough
    const a = await stack.registry.add({ id: 'aq-a', kind: 'air_quality', position: { lat: 41.8789, lon: -87.6359 } });
    const b = await stack.registry.add({ id: 'aq-b', kind: 'air_quality', position: { lat: 41.8799, lon: -87.6359 } });
    const devA = await connectMqtt(stack.mqttUrl, { clientId: 'aq-a', username: 'aq-a', password: a.secret });
    const devB = await connectMqtt(stack.mqttUrl, { clientId: 'aq-b', username: 'aq-b', password: b.secret });
    const t0 = Date.now() - 3000;
    for (const [dev, id] of [[devA, 'aq-a'], [devB, 'aq-b']] as const) {
      for (let i = 0; i <= 2; i++) await dev.publishAsync(`city/sensors/${id}/up`, JSON.stringify({ observedAt: t0 + i * 1000, metrics: { pm25_ugm3: 80 } }), { qos: 1 });
      await waitFor(`${id} incident`, async () => (await incidentsOf(admin)).find((i) => i.deviceId === id));
    }
    await stack.dashboard.rules!.idle();
    const all = await incidentsOf(admin);
    const incA = all.find((i) => i.deviceId === 'aq-a')!;
    const incB = all.find((i) => i.deviceId === 'aq-b')!;
    expect(incB.linked).toEqual([expect.objectContaining({ type: 'incident', id: incA.id, linkedBy: 'fusion' })]);
    expect(incB.linked[0]!.distanceM).toBeGreaterThan(100);
    expect(incB.linked[0]!.distanceM).toBeLessThan(120);
    expect(incA.linked).toEqual([expect.objectContaining({ type: 'incident', id: incB.id })]);

    // a car in the bus lane: evidence, not an incident
    const cam = await stack.registry.add({ id: 'cam-9', kind: 'camera', position: { lat: 41.881, lon: -87.63 } });
    const camera = await connectMqtt(stack.mqttUrl, { clientId: 'cam-9', username: 'cam-9', password: cam.secret });
    await camera.publishAsync('city/cameras/cam-9/events', JSON.stringify({ label: 'car', score: 0.9, zones: ['bus_lane'], plate: 'IL 4821', eventId: 'ev-1' }), { qos: 1 });
    await camera.publishAsync('city/cameras/cam-9/events', JSON.stringify({ label: 'car', score: 0.9, zones: ['bus_lane'], plate: 'IL 4821', eventId: 'ev-1', phase: 'update' }), { qos: 1 });
    const evidence = await waitFor('evidence', async () => {
      const r = await admin.call<{ evidence: { id: string; plate?: string; offence: string; expiresAt: number }[] }>('GET', '/api/evidence');
      return r.body.evidence[0];
    });
    expect(evidence).toMatchObject({ plate: 'IL 4821', offence: 'vehicle stopped in a bus lane' });
    expect(evidence.expiresAt - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect((await incidentsOf(admin)).some((i) => i.deviceId === 'cam-9')).toBe(false);
    expect((await admin.call('POST', '/api/users', { username: 'otto', password: 'operator password 2', role: 'operator' })).status).toBe(201);
    const otto = await login(stack.base, 'otto', 'operator password 2');
    expect((await otto.call('GET', '/api/evidence')).status).toBe(403);
    expect((await otto.call('GET', `/api/evidence/${evidence.id}`)).status).toBe(403);
    const read = await admin.call<{ accessLog: { username: string; action: string }[] }>('GET', `/api/evidence/${evidence.id}`);
    expect(read.body.accessLog.map((e) => `${e.username}:${e.action}`)).toContain(`${ADMIN.username}:read`);

    // rules through the API: every problem listed, optimistic versions, in force at once
    const current = (await admin.call<{ version: number; rules: { id: string }[] }>('GET', '/api/rules')).body;
    expect(current.rules.map((r) => r.id)).toContain('pm25-high');
    const invalid = await admin.call<{ problems: string[] }>('PUT', '/api/rules', { version: current.version, rules: [
        { id: 'x', type: 'threshold', metric: 'pm25_ugm3', above: 50, severity: 'loud', category: 'air_quality' },
        { id: 'y', type: 'threshold', metric: 'PM 2.5', above: 50, severity: 'minor', category: 'air_quality' },
      ] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.problems).toEqual([expect.stringMatching(/^rules\.0\.severity/), expect.stringMatching(/^rules\.1\.metric/)]);
    expect((await otto.call('PUT', '/api/rules', { version: current.version, rules: [] })).status).toBe(403);
    const noise = { id: 'loud', type: 'threshold', metric: 'noise_dba', above: 90, severity: 'minor', category: 'noise' };
    const saved = await admin.call<{ version: number }>('PUT', '/api/rules', { version: current.version, rules: [noise] });
    expect(saved.status).toBe(200);
    expect((await admin.call('PUT', '/api/rules', { version: current.version, rules: [noise] })).status).toBe(409);
    expect((await admin.call<{ rules: { id: string }[] }>('GET', '/api/rules')).body.rules.map((r) => r.id)).toEqual(['loud']);
  });
});
