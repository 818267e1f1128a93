// IncidentService against a real SQLite store: workflow checks, the audit row of every change, and
// the change events.
import { describe, expect, it } from 'vitest';
import type { Incident } from '@city/shared';
import { track } from '../../../../test/support/teardown.ts';
import { tmpDir } from '../../../../test/support/tmp.ts';
import { IncidentService, openOpsStore, type IncidentChange, type OpenIncidentInput, type OpsStore } from '../../src/ops/index.ts';
import { auditTrail, recordingLogger, rejection } from './helpers.ts';

const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);
const MIN = 60_000;
const PASSWORD = 'correct horse battery';

const input = (over: Partial<OpenIncidentInput> = {}): OpenIncidentInput => ({
  title: 'Smoke at cam-3',
  category: 'fire_smoke',
  severity: 'critical',
  source: 'rule',
  deviceId: 'cam-3',
  deviceKind: 'camera',
  position: { lat: 41.88, lon: -87.63 },
  district: 'loop',
  dedupeKey: 'smoke:cam-3',
  explanation: 'smoke detected with score 0.91 in zone platform',
  evidence: { ruleId: 'smoke', count: 1, firstSeenAt: T0, lastSeenAt: T0 },
  ...over,
});

async function setup() {
  const store = track(openOpsStore(tmpDir('incident-service-')), (s) => s.close());
  const clock = { now: T0 };
  const { logger, lines } = recordingLogger();
  const service = new IncidentService({ store, logger, now: () => clock.now });
  const events: { id: string; status: string; change: IncidentChange }[] = [];
  service.onChange((incident, change) => events.push({ id: incident.id, status: incident.status, change }));
  await store.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
  await store.users.create({ username: 'vic', password: PASSWORD, role: 'viewer' });
  await store.users.create({ username: 'ann', password: PASSWORD, role: 'admin' });
  return { store, service, clock, events, lines };
}

const trail = (store: OpsStore, id: string) => auditTrail(store, 'incident', id);

describe('IncidentService.open', () => {
  it('opens with the SLA due time, audits the whole incident and emits opened', async () => {
    const { store, service, events } = await setup();
    const incident = await service.open(input(), 'system');
    expect(incident).toMatchObject({ id: 'INC-000001', status: 'open', openedAt: T0, updatedAt: T0, dueAt: T0 + 15 * MIN, autoResolve: true, linked: [] });
    expect(await store.incidents.get(incident.id)).toEqual(incident);
    expect(await trail(store, incident.id)).toEqual([{ action: 'incident.open', actor: 'system', before: undefined, after: incident }]);
    expect(events).toEqual([{ id: 'INC-000001', status: 'open', change: 'opened' }]);
    const manual = await service.open(input({ source: 'operator', dedupeKey: undefined, category: 'waste', severity: 'warning' }), 'bob');
    expect(manual).toMatchObject({ autoResolve: false, dueAt: T0 + 72 * 60 * MIN });
  });

  it('takes only the fields an opener may set, and its links once each', async () => {
    const { service } = await setup();
    const body = { ...input({ linked: [{ type: 'report', id: 'R-1', summary: 'smoke smell' }, { type: 'report', id: 'R-1', summary: 'twice' }] }), status: 'resolved', assignee: 'bob', resolvedAt: T0 };
    const incident = await service.open(body as OpenIncidentInput, 'bob');
    expect(incident).toMatchObject({ status: 'open', linked: [{ type: 'report', id: 'R-1', summary: 'smoke smell', at: T0, linkedBy: 'bob' }] });
    expect(incident).not.toHaveProperty('assignee');
    expect(incident).not.toHaveProperty('resolvedAt');
  });

  it('refuses a second active incident for a key (409) and bad input (400)', async () => {
    const { store, service } = await setup();
    const first = await service.open(input(), 'system');
    expect(await rejection(service.open(input(), 'system'))).toMatchObject({ httpStatus: 409, message: expect.stringContaining(first.id) });
    expect((await rejection(service.open(input({ title: '  ' }), 'bob'))).httpStatus).toBe(400);
    expect((await rejection(service.open(input({ category: 'volcano' as never }), 'bob'))).message).toMatch(/^category/);
    expect((await rejection(service.open(input({ severity: 'huge' as never }), 'bob'))).message).toMatch(/^severity/);
    expect((await rejection(service.open(input({ id: 'bad id', dedupeKey: 'other' }), 'bob'))).httpStatus).toBe(400);
    expect(await store.incidents.list()).toHaveLength(1);
  });
});

describe('IncidentService status changes', () => {
  it('acknowledges once, audits only the changed fields, 409 after, 404 for unknown ids', async () => {
    const { store, service, clock, events } = await setup();
    const { id } = await service.open(input(), 'system');
    clock.now = T0 + MIN;
    const acked = await service.acknowledge(id, 'bob');
    expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedAt: T0 + MIN, updatedAt: T0 + MIN });
    expect((await trail(store, id))[1]).toEqual({ action: 'incident.acknowledge', actor: 'bob', before: { status: 'open' }, after: { status: 'acknowledged', acknowledgedAt: T0 + MIN } });
    expect(events.at(-1)).toEqual({ id, status: 'acknowledged', change: 'updated' });

    expect(await rejection(service.acknowledge(id, 'bob'))).toMatchObject({ httpStatus: 409, message: `incident ${id} is acknowledged: cannot become acknowledged (allowed: in_progress, resolved, dismissed)` });
    expect(await trail(store, id)).toHaveLength(2);
    expect((await rejection(service.acknowledge('INC-404', 'bob'))).httpStatus).toBe(404);
  });

  it('starts work, acknowledging and assigning the actor when nobody is', async () => {
    const { service, clock } = await setup();
    const { id } = await service.open(input(), 'system');
    clock.now = T0 + 2 * MIN;
    expect(await service.startWork(id, 'bob')).toMatchObject({ status: 'in_progress', acknowledgedAt: T0 + 2 * MIN, assignee: 'bob' });
    expect((await rejection(service.startWork(id, 'bob'))).httpStatus).toBe(409);
  });

  it('resolves with a note kept as a comment, emits closed, and refuses changes after', async () => {
    const { store, service, clock, events } = await setup();
    const { id } = await service.open(input(), 'system');
    clock.now = T0 + 5 * MIN;
    const resolved = await service.resolve(id, 'bob', 'fire brigade confirmed: steam from a vent');
    expect(resolved).toMatchObject({ status: 'resolved', resolvedAt: T0 + 5 * MIN });
    expect(events.at(-1)).toEqual({ id, status: 'resolved', change: 'closed' });
    expect(await store.incidents.comments(id)).toMatchObject([{ author: 'bob', text: 'fire brigade confirmed: steam from a vent' }]);
    expect((await trail(store, id)).at(-1)).toEqual({
      action: 'incident.resolve',
      actor: 'bob',
      before: { status: 'open' },
      after: { status: 'resolved', resolvedAt: T0 + 5 * MIN, note: 'fire brigade confirmed: steam from a vent' },
    });
    for (const attempt of [service.acknowledge(id, 'bob'), service.dismiss(id, 'bob', 'x'), service.setSeverity(id, 'minor', 'bob'), service.assign(id, 'bob', 'ann')]) {
      expect((await rejection(attempt)).httpStatus).toBe(409);
    }
    // a rule matching again opens a new incident
    expect((await service.open(input(), 'system')).id).toBe('INC-000002');
  });

  it('dismisses only with a reason', async () => {
    const { store, service, events } = await setup();
    const { id } = await service.open(input(), 'system');
    expect((await rejection(service.dismiss(id, 'bob', ' '))).httpStatus).toBe(400);
    const dismissed = await service.dismiss(id, 'bob', 'test alarm by maintenance');
    expect(dismissed).toMatchObject({ status: 'dismissed', resolvedAt: T0 });
    expect(events.at(-1)?.change).toBe('closed');
    expect((await store.incidents.comments(id))[0]!.text).toBe('Dismissed: test alarm by maintenance');
    expect((await trail(store, id)).at(-1)?.after).toMatchObject({ status: 'dismissed', reason: 'test alarm by maintenance' });
  });
});

describe('IncidentService assignment, comments, severity, links', () => {
  it('assigns enabled operators and admins only', async () => {
    const { store, service } = await setup();
    const { id } = await service.open(input(), 'system');
    expect(await service.assign(id, 'BOB', 'ann')).toMatchObject({ assignee: 'bob' });
    expect(await service.assign(id, 'ann', 'ann')).toMatchObject({ assignee: 'ann' });
    for (const who of ['vic', 'nobody']) {
      expect(await rejection(service.assign(id, who, 'ann'))).toMatchObject({ httpStatus: 400, message: expect.stringContaining('expected an enabled operator or admin') });
    }
    await store.users.disable('bob');
    expect((await rejection(service.assign(id, 'bob', 'ann'))).httpStatus).toBe(400);
    const unassigned = await service.assign(id, null, 'ann');
    expect(unassigned).not.toHaveProperty('assignee');
    expect((await trail(store, id)).map((e) => [e.action, e.before, e.after])).toEqual([
      ['incident.open', undefined, expect.anything()],
      ['incident.assign', {}, { assignee: 'bob' }],
      ['incident.assign', { assignee: 'bob' }, { assignee: 'ann' }],
      ['incident.assign', { assignee: 'ann' }, {}],
    ]);
    // unassigning again changes nothing and writes nothing
    await service.assign(id, null, 'ann');
    expect(await trail(store, id)).toHaveLength(4);
  });

  it('comments 1-4000 characters, also on closed incidents', async () => {
    const { store, service, clock, events } = await setup();
    const { id } = await service.open(input(), 'system');
    clock.now = T0 + 1000;
    const after = await service.comment(id, '  crew dispatched  ', 'bob');
    expect(after.updatedAt).toBe(T0 + 1000);
    expect(events.at(-1)).toEqual({ id, status: 'open', change: 'updated' });
    const [comment] = await store.incidents.comments(id);
    expect(comment).toMatchObject({ author: 'bob', text: 'crew dispatched', at: T0 + 1000 });
    expect((await trail(store, id)).at(-1)).toEqual({ action: 'incident.comment', actor: 'bob', before: {}, after: { commentId: comment!.id, text: 'crew dispatched' } });
    expect((await rejection(service.comment(id, '', 'bob'))).httpStatus).toBe(400);
    expect((await rejection(service.comment(id, 'x'.repeat(4001), 'bob'))).httpStatus).toBe(400);
    await service.comment(id, 'x'.repeat(4000), 'bob');
    await service.resolve(id, 'bob');
    await service.comment(id, 'post-incident note', 'ann');
    expect(await store.incidents.comments(id)).toHaveLength(3);
    expect((await rejection(service.comment('INC-404', 'hello', 'bob'))).httpStatus).toBe(404);
  });

  it('changes severity with a new due time while unacknowledged; the same severity writes nothing', async () => {
    const { store, service } = await setup();
    const { id } = await service.open(input({ severity: 'minor' }), 'system');
    expect(await service.setSeverity(id, 'critical', 'bob')).toMatchObject({ severity: 'critical', dueAt: T0 + 15 * MIN });
    expect((await trail(store, id)).at(-1)).toEqual({
      action: 'incident.severity',
      actor: 'bob',
      before: { severity: 'minor', dueAt: T0 + 2 * 60 * MIN },
      after: { severity: 'critical', dueAt: T0 + 15 * MIN },
    });
    await service.setSeverity(id, 'critical', 'bob');
    expect(await trail(store, id)).toHaveLength(2);
    await service.acknowledge(id, 'bob');
    expect(await service.setSeverity(id, 'warning', 'bob')).toMatchObject({ severity: 'warning', dueAt: T0 + 15 * MIN });
    expect((await rejection(service.setSeverity(id, 'bad' as never, 'bob'))).httpStatus).toBe(400);
  });

  it('links items once, signed by the operator, never the incident itself', async () => {
    const { store, service } = await setup();
    const { id } = await service.open(input(), 'system');
    const linked = await service.link(id, [{ type: 'report', id: 'R-9', summary: 'citizen: smoke smell', linkedBy: 'someone-else' }], 'bob');
    expect(linked.linked).toEqual([{ type: 'report', id: 'R-9', summary: 'citizen: smoke smell', at: T0, linkedBy: 'bob' }]);
    await service.link(id, [{ type: 'report', id: 'R-9', summary: 'again' }], 'bob');
    const audit = (await trail(store, id)).filter((e) => e.action === 'incident.link');
    expect(audit).toEqual([{ action: 'incident.link', actor: 'bob', before: {}, after: { added: linked.linked } }]);
    expect((await rejection(service.link(id, [{ type: 'incident', id, summary: 'me' }], 'bob'))).httpStatus).toBe(400);
    expect((await rejection(service.link(id, [], 'bob'))).httpStatus).toBe(400);
    expect((await rejection(service.link(id, [{ type: 'planet' as never, id: 'x', summary: 'x' }], 'bob'))).httpStatus).toBe(400);
  });
});

describe('IncidentService and the rules engine', () => {
  it('applies rule updates with small audit rows, and writes nothing when nothing changed', async () => {
    const { store, service, clock, events } = await setup();
    const { id } = await service.open(input({ category: 'air_quality', severity: 'minor', evidence: { ruleId: 'pm25', count: 1, lastValue: 61, firstSeenAt: T0, lastSeenAt: T0 } }), 'system');
    clock.now = T0 + 30_000;
    const updated = await service.applyRuleUpdate('smoke:cam-3', { evidence: { count: 2, lastValue: 64, lastSeenAt: T0 + 30_000 } });
    expect(updated.evidence).toEqual({ ruleId: 'pm25', count: 2, lastValue: 64, firstSeenAt: T0, lastSeenAt: T0 + 30_000 });
    expect((await trail(store, id)).at(-1)).toEqual({
      action: 'incident.rule-update',
      actor: 'system',
      before: { evidence: { count: 1, lastValue: 61, lastSeenAt: T0 } },
      after: { evidence: { count: 2, lastValue: 64, lastSeenAt: T0 + 30_000 } },
    });
    const eventsBefore = events.length;
    await service.applyRuleUpdate('smoke:cam-3', { evidence: { count: 2 } });
    expect(await trail(store, id)).toHaveLength(2);
    expect(events).toHaveLength(eventsBefore);

    // escalation while unacknowledged moves the due time; fusion links are noted, not the whole list
    const escalated = await service.applyRuleUpdate('smoke:cam-3', {
      severity: 'critical',
      linked: [{ type: 'device', id: 'noise-7', summary: 'noise-7 alarm 84 dB(A), 120 m away', distanceM: 120 }],
    });
    expect(escalated).toMatchObject({ severity: 'critical', dueAt: T0 + 30 * MIN });
    expect(escalated.linked).toEqual([{ type: 'device', id: 'noise-7', summary: 'noise-7 alarm 84 dB(A), 120 m away', distanceM: 120, at: T0 + 30_000, linkedBy: 'fusion' }]);
    expect((await trail(store, id)).at(-1)).toEqual({
      action: 'incident.rule-update',
      actor: 'system',
      before: { severity: 'minor', dueAt: T0 + 4 * 60 * MIN },
      after: { severity: 'critical', dueAt: T0 + 30 * MIN, linked: escalated.linked },
    });
    expect((await rejection(service.applyRuleUpdate('nothing:here', { evidence: { count: 9 } }))).httpStatus).toBe(404);
  });

  it('auto-resolves incidents marked so, leaves the others to operators', async () => {
    const { store, service, events } = await setup();
    const auto = await service.open(input(), 'system');
    const manual = await service.open(input({ dedupeKey: 'manual:1', autoResolve: false }), 'system');
    const resolved = await service.autoResolve('smoke:cam-3', { lastValue: 0 });
    expect(resolved).toMatchObject({ id: auto.id, status: 'resolved', resolvedAt: T0 });
    expect(resolved!.evidence.lastValue).toBe(0);
    expect(events.at(-1)).toEqual({ id: auto.id, status: 'resolved', change: 'closed' });
    expect((await trail(store, auto.id)).at(-1)?.action).toBe('incident.auto-resolve');
    expect(await service.autoResolve('manual:1')).toEqual(manual);
    expect(await trail(store, manual.id)).toHaveLength(1);
    expect(await service.autoResolve('smoke:cam-3')).toBeUndefined();
  });
});

describe('IncidentService guarantees', () => {
  it('rolls the change back when its audit row cannot be written', async () => {
    const { store, service, events } = await setup();
    const { id } = await service.open(input(), 'system');
    // an empty actor is refused by the audit trail, inside the same transaction
    expect((await rejection(service.acknowledge(id, ''))).httpStatus).toBe(400);
    expect((await store.incidents.get(id))!.status).toBe('open');
    expect(events).toHaveLength(1);
  });

  it('lets one of two simultaneous acknowledgements win', async () => {
    const { store, service } = await setup();
    const { id } = await service.open(input(), 'system');
    const results = await Promise.allSettled([service.acknowledge(id, 'bob'), service.acknowledge(id, 'ann')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await trail(store, id)).filter((e) => e.action === 'incident.acknowledge')).toHaveLength(1);
  });

  it('logs a throwing listener and still calls the others', async () => {
    const { service, lines } = await setup();
    const seen: Incident[] = [];
    service.onChange(function brokenSocketLayer() {
      throw new Error('socket gone');
    });
    const off = service.onChange((incident) => seen.push(incident));
    await service.open(input(), 'system');
    expect(seen).toHaveLength(1);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'incident change listener failed', fields: expect.objectContaining({ listener: 'brokenSocketLayer' }) }));
    off();
    await service.open(input({ dedupeKey: 'other' }), 'system');
    expect(seen).toHaveLength(1);
  });

  it('gives the detail with comments and the timeline, oldest first', async () => {
    const { service, clock } = await setup();
    const { id } = await service.open(input(), 'system');
    clock.now = T0 + 1;
    await service.acknowledge(id, 'bob');
    clock.now = T0 + 2;
    await service.comment(id, 'on it', 'bob');
    const detail = await service.detail(id);
    expect(detail).toMatchObject({ id, status: 'acknowledged', comments: [{ text: 'on it', author: 'bob' }] });
    expect(detail.timeline.map((e) => e.action)).toEqual(['incident.open', 'incident.acknowledge', 'incident.comment']);
    expect((await rejection(service.detail('INC-404'))).httpStatus).toBe(404);
  });
});
