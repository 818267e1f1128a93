// The operations store contract: what every OpsStore (SQLite now, PostgreSQL later) must do. Run it
// with `describeOpsStoreContract('name', open)`; `open` gives a fresh, empty store per test.
import { describe, expect, it } from 'vitest';
import type { Incident, LinkedItem } from '@city/shared';
import { track } from '../../../../test/support/teardown.ts';
import {
  OpsConflictError,
  OpsNotFoundError,
  OpsValidationError,
  RuleSetConflictError,
  exportAuditCsv,
  type NewReport,
  type OpsStore,
} from '../../src/ops/index.ts';

const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);
const PASSWORD = 'correct horse battery';

export const newIncident = (over: Partial<Incident> = {}): Omit<Incident, 'id'> & { id?: string } => ({
  title: 'PM2.5 high at aq-1',
  category: 'air_quality',
  severity: 'major',
  status: 'open',
  source: 'rule',
  deviceId: 'aq-1',
  deviceKind: 'air_quality',
  position: { lat: 41.88, lon: -87.63 },
  district: 'loop',
  dedupeKey: 'pm25-high:aq-1',
  explanation: 'pm25_ugm3 above 50 for 10 min (clears below 40)',
  evidence: { ruleId: 'pm25-high', metric: 'pm25_ugm3', unit: 'µg/m³', firstValue: 61, lastValue: 64, count: 3, firstSeenAt: T0, lastSeenAt: T0 + 60_000 },
  linked: [],
  openedAt: T0,
  updatedAt: T0,
  dueAt: T0 + 3_600_000,
  autoResolve: true,
  ...over,
});

/** A report as validation and the service hand it to the store; `over` replaces fields, undefined removes one. */
export const newReport = (over: Partial<NewReport> = {}): NewReport => {
  const report: NewReport = {
    serviceCode: '001',
    category: 'traffic',
    position: { lat: 41.8819, lon: -87.6278 },
    district: 'loop',
    description: 'Deep hole by the bus stop <script>',
    attributes: { size: 'medium', materials: ['glass', 'metal'], depth_cm: 12 },
    reporter: { email: 'ada@example.org', phone: '+13125550100', firstName: 'Ada', lastName: 'L.' },
    source: 'web',
    requestedAt: T0,
    expectedAt: T0 + 3_600_000,
    ...over,
  };
  for (const key of Object.keys(report) as (keyof NewReport)[]) if (report[key] === undefined) delete report[key];
  return report;
};

const link = (id: string, type: LinkedItem['type'] = 'device'): LinkedItem => ({ type, id, summary: `${id} nearby`, at: T0, linkedBy: 'fusion' });

export function describeOpsStoreContract(name: string, open: () => Promise<OpsStore>): void {
  const fresh = async () => {
    const store = await open();
    return track(store, (s) => s.close());
  };

  describe(`OpsStore contract: ${name}`, () => {
    describe('users', () => {
      it('creates operators, gets and lists them without any password material', async () => {
        const store = await fresh();
        expect(await store.users.count()).toBe(0);
        const bob = await store.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
        expect(bob).toEqual({ username: 'bob', displayName: 'bob', role: 'operator', evidenceAccess: false, createdAt: expect.any(Number), disabled: false });
        await store.users.create({ username: 'Alice', password: PASSWORD, role: 'admin', displayName: 'Alice A.', evidenceAccess: true });
        expect(await store.users.get('alice')).toMatchObject({ username: 'alice', displayName: 'Alice A.', role: 'admin', evidenceAccess: true });
        expect(await store.users.get('ALICE')).toMatchObject({ username: 'alice' });
        expect((await store.users.list()).map((u) => u.username)).toEqual(['alice', 'bob']);
        expect(await store.users.count()).toBe(2);
        expect(await store.users.get('nobody')).toBeUndefined();
        expect(JSON.stringify(await store.users.list())).not.toMatch(/scrypt|password|hash/i);
      });

      it('refuses a taken username, a bad or reserved username and a short password', async () => {
        const store = await fresh();
        await store.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
        await expect(store.users.create({ username: 'BOB', password: PASSWORD, role: 'viewer' })).rejects.toThrow(OpsConflictError);
        await expect(store.users.create({ username: 'bad name', password: PASSWORD, role: 'viewer' })).rejects.toThrow(OpsValidationError);
        await expect(store.users.create({ username: 'system', password: PASSWORD, role: 'viewer' })).rejects.toThrow(/reserved/);
        await expect(store.users.create({ username: 'carol', password: 'elevenchars', role: 'viewer' })).rejects.toThrow(/at least 12/);
        await expect(store.users.create({ username: 'carol', password: PASSWORD, role: 'root' as never })).rejects.toThrow(OpsValidationError);
        expect(await store.users.count()).toBe(1);
      });

      it('verifies passwords: right one, wrong one, unknown and disabled users', async () => {
        const store = await fresh();
        await store.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
        expect(await store.users.verify('bob', PASSWORD)).toMatchObject({ username: 'bob', role: 'operator' });
        expect(await store.users.verify(' Bob ', PASSWORD)).toMatchObject({ username: 'bob' });
        expect(await store.users.verify('bob', PASSWORD + '!')).toBeUndefined();
        expect(await store.users.verify('bob', '')).toBeUndefined();
        expect(await store.users.verify('nobody', PASSWORD)).toBeUndefined();
        await store.users.disable('bob');
        expect(await store.users.verify('bob', PASSWORD)).toBeUndefined();
      });

      it('changes role, password, flags; 404 for unknown users', async () => {
        const store = await fresh();
        await store.users.create({ username: 'bob', password: PASSWORD, role: 'viewer' });
        expect(await store.users.setRole('bob', 'admin')).toMatchObject({ role: 'admin' });
        expect(await store.users.update('bob', { evidenceAccess: true, displayName: 'Bob B.' })).toMatchObject({ role: 'admin', evidenceAccess: true, displayName: 'Bob B.' });
        expect(await store.users.update('bob', { role: undefined })).toMatchObject({ role: 'admin' });
        await store.users.setPassword('bob', 'another long password');
        expect(await store.users.verify('bob', PASSWORD)).toBeUndefined();
        expect(await store.users.verify('bob', 'another long password')).toMatchObject({ username: 'bob' });
        await expect(store.users.setPassword('bob', 'short')).rejects.toThrow(OpsValidationError);
        expect(await store.users.disable('bob')).toMatchObject({ disabled: true });
        expect(await store.users.update('bob', { disabled: false })).toMatchObject({ disabled: false });
        await expect(store.users.setRole('nobody', 'admin')).rejects.toThrow(OpsNotFoundError);
        await expect(store.users.setPassword('nobody', PASSWORD)).rejects.toThrow(OpsNotFoundError);
        await expect(store.users.disable('nobody')).rejects.toThrow(OpsNotFoundError);
      });
    });

    describe('sessions', () => {
      it('creates random ids and CSRF tokens, finds live sessions, not expired ones', async () => {
        const store = await fresh();
        await store.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
        const a = await store.sessions.create('bob', 60_000, T0);
        const b = await store.sessions.create('bob', 60_000, T0);
        expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(a.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(a.id).not.toBe(b.id);
        expect(a.csrfToken).not.toBe(a.id);
        expect(a.expiresAt).toBe(T0 + 60_000);
        expect(await store.sessions.get(a.id, T0 + 1000)).toEqual({ username: 'bob', csrfToken: a.csrfToken, createdAt: T0, expiresAt: T0 + 60_000, ttlMs: 60_000 });
        expect(await store.sessions.get(a.id, T0 + 60_000)).toBeUndefined();
        expect(await store.sessions.get('x'.repeat(43), T0)).toBeUndefined();
        expect(await store.sessions.get('not a session id', T0)).toBeUndefined();
        await expect(store.sessions.create('nobody', 60_000, T0)).rejects.toThrow(OpsNotFoundError);
      });

      it('slides the expiry on touch, not after it has passed', async () => {
        const store = await fresh();
        await store.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
        const s = await store.sessions.create('bob', 1000, T0);
        expect(await store.sessions.touch(s.id, T0 + 900)).toBe(T0 + 1900);
        expect(await store.sessions.get(s.id, T0 + 1500)).toMatchObject({ expiresAt: T0 + 1900 });
        expect(await store.sessions.touch(s.id, T0 + 1900)).toBeUndefined();
        expect(await store.sessions.get(s.id, T0 + 1900)).toBeUndefined();
      });

      it('deletes one, all of a user, and the expired ones', async () => {
        const store = await fresh();
        await store.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
        await store.users.create({ username: 'eve', password: PASSWORD, role: 'operator' });
        const b1 = await store.sessions.create('bob', 1000, T0);
        const b2 = await store.sessions.create('bob', 5000, T0);
        const e1 = await store.sessions.create('eve', 1000, T0);
        const e2 = await store.sessions.create('eve', 5000, T0);
        expect(await store.sessions.delete(b1.id)).toBe(true);
        expect(await store.sessions.delete(b1.id)).toBe(false);
        expect(await store.sessions.deleteForUser('bob')).toBe(1);
        expect(await store.sessions.get(b2.id, T0)).toBeUndefined();
        expect(await store.sessions.purgeExpired(T0 + 2000)).toBe(1);
        expect(await store.sessions.get(e1.id, T0)).toBeUndefined();
        expect(await store.sessions.get(e2.id, T0 + 2000)).toMatchObject({ username: 'eve' });
      });
    });

    describe('incidents', () => {
      it('numbers new incidents from a sequence and keeps given ids clear of it', async () => {
        const store = await fresh();
        expect((await store.incidents.create(newIncident({ dedupeKey: 'a' }))).id).toBe('INC-000001');
        expect((await store.incidents.create(newIncident({ dedupeKey: 'b' }))).id).toBe('INC-000002');
        expect((await store.incidents.create({ ...newIncident({ dedupeKey: 'c' }), id: 'INC-000010' })).id).toBe('INC-000010');
        expect((await store.incidents.create({ ...newIncident({ dedupeKey: 'd' }), id: 'import-7' })).id).toBe('import-7');
        expect((await store.incidents.create(newIncident({ dedupeKey: 'e' }))).id).toBe('INC-000011');
        await expect(store.incidents.create({ ...newIncident({ dedupeKey: 'f' }), id: 'INC-000010' })).rejects.toThrow(OpsConflictError);
        await expect(store.incidents.create({ ...newIncident({ dedupeKey: 'g' }), id: '../etc' })).rejects.toThrow(OpsValidationError);
      });

      it('reads back what was written, optional fields absent when unset', async () => {
        const store = await fresh();
        const input = newIncident({ linked: [link('noise-7')], assignee: 'bob', acknowledgedAt: T0 + 5 });
        const created = await store.incidents.create(input);
        expect(created).toEqual({ ...input, id: 'INC-000001' });
        expect(await store.incidents.get(created.id)).toEqual(created);
        const bare = newIncident({ dedupeKey: undefined, position: undefined, deviceId: undefined, deviceKind: undefined, district: undefined, dueAt: undefined });
        for (const key of Object.keys(bare) as (keyof typeof bare)[]) if (bare[key] === undefined) delete bare[key];
        const plain = await store.incidents.create(bare);
        expect(Object.keys(plain).sort()).toEqual(Object.keys({ ...bare, id: '' }).sort());
        expect(await store.incidents.get('INC-999999')).toBeUndefined();
      });

      it('keeps at most one active incident per dedupe key', async () => {
        const store = await fresh();
        const first = await store.incidents.create(newIncident());
        await expect(store.incidents.create(newIncident())).rejects.toThrow(OpsConflictError);
        expect(await store.incidents.findActiveByDedupeKey('pm25-high:aq-1')).toEqual(first);
        await store.incidents.update(first.id, { status: 'resolved', resolvedAt: T0 + 10 });
        expect(await store.incidents.findActiveByDedupeKey('pm25-high:aq-1')).toBeUndefined();
        const second = await store.incidents.create(newIncident());
        expect(await store.incidents.findActiveByDedupeKey('pm25-high:aq-1')).toMatchObject({ id: second.id });
        // reopening the closed one would make two active: refused
        await expect(store.incidents.update(first.id, { status: 'open' })).rejects.toThrow(OpsConflictError);
        // incidents without a key never collide
        await store.incidents.create(newIncident({ dedupeKey: undefined }));
        await store.incidents.create(newIncident({ dedupeKey: undefined }));
      });

      it('updates fields, clears optional ones with null, 404 for unknown ids', async () => {
        const store = await fresh();
        const created = await store.incidents.create(newIncident({ assignee: 'bob' }));
        const updated = await store.incidents.update(created.id, { status: 'acknowledged', acknowledgedAt: T0 + 1, updatedAt: T0 + 1, assignee: null, severity: undefined });
        expect(updated).toMatchObject({ status: 'acknowledged', acknowledgedAt: T0 + 1, updatedAt: T0 + 1, severity: 'major', openedAt: T0 });
        expect(updated).not.toHaveProperty('assignee');
        expect(await store.incidents.get(created.id)).toEqual(updated);
        await expect(store.incidents.update('INC-404', { title: 'x' })).rejects.toThrow(OpsNotFoundError);
      });

      it('lists with filters, most recently changed first, and the active queue in queue order', async () => {
        const store = await fresh();
        await store.incidents.create({ ...newIncident({ dedupeKey: 'a', severity: 'minor', updatedAt: T0 + 1, openedAt: T0 }), id: 'A' });
        await store.incidents.create({ ...newIncident({ dedupeKey: 'b', severity: 'critical', updatedAt: T0 + 2, openedAt: T0 + 2, category: 'noise', district: 'river' }), id: 'B' });
        await store.incidents.create({ ...newIncident({ dedupeKey: 'c', severity: 'critical', updatedAt: T0 + 3, openedAt: T0 + 1, status: 'acknowledged' }), id: 'C' });
        await store.incidents.create({ ...newIncident({ dedupeKey: 'd', severity: 'critical', updatedAt: T0 + 4, status: 'resolved' }), id: 'D' });
        const ids = (list: Incident[]) => list.map((i) => i.id);
        expect(ids(await store.incidents.list())).toEqual(['D', 'C', 'B', 'A']);
        expect(ids(await store.incidents.list({ status: ['open', 'acknowledged'] }))).toEqual(['C', 'B', 'A']);
        expect(ids(await store.incidents.list({ severity: ['critical'], status: ['open'] }))).toEqual(['B']);
        expect(ids(await store.incidents.list({ category: 'noise' }))).toEqual(['B']);
        expect(ids(await store.incidents.list({ district: 'loop' }))).toEqual(['D', 'C', 'A']);
        expect(ids(await store.incidents.list({ since: T0 + 3 }))).toEqual(['D', 'C']);
        expect(ids(await store.incidents.list({ limit: 2 }))).toEqual(['D', 'C']);
        expect(ids(await store.incidents.list({ limit: 1_000_000 }))).toHaveLength(4);
        expect(ids(await store.incidents.list({ status: [] }))).toEqual([]);
        await expect(store.incidents.list({ limit: 0 })).rejects.toThrow(OpsValidationError);
        // critical before minor; of the criticals the older first
        expect(ids(await store.incidents.listActive())).toEqual(['C', 'B', 'A']);
      });

      it('adds comments oldest first; 404 for unknown incidents', async () => {
        const store = await fresh();
        const { id } = await store.incidents.create(newIncident());
        const c1 = await store.incidents.addComment(id, 'bob', 'on my way', T0 + 1);
        const c2 = await store.incidents.addComment(id, 'eve', 'arrived', T0 + 2);
        expect(c1).toEqual({ id: expect.any(Number), incidentId: id, author: 'bob', text: 'on my way', at: T0 + 1 });
        expect(await store.incidents.comments(id)).toEqual([c1, c2]);
        expect(await store.incidents.comments('INC-404')).toEqual([]);
        await expect(store.incidents.addComment('INC-404', 'bob', 'x')).rejects.toThrow(OpsNotFoundError);
      });

      it('adds links once per type and id', async () => {
        const store = await fresh();
        const { id } = await store.incidents.create(newIncident({ linked: [link('noise-7')] }));
        const { incident, added } = await store.incidents.addLinks(id, [link('noise-7'), link('noise-7', 'report'), link('cam-2'), link('cam-2')]);
        expect(added).toEqual([link('noise-7', 'report'), link('cam-2')]);
        expect(incident.linked).toEqual([link('noise-7'), link('noise-7', 'report'), link('cam-2')]);
        expect((await store.incidents.get(id))!.linked).toHaveLength(3);
        expect((await store.incidents.addLinks(id, [link('cam-2')])).added).toEqual([]);
        await expect(store.incidents.addLinks('INC-404', [link('x')])).rejects.toThrow(OpsNotFoundError);
      });
    });

    describe('audit', () => {
      it('appends entries with JSON before/after and lists them by entity, actor and time', async () => {
        const store = await fresh();
        const e1 = await store.audit.append({ at: T0, actor: 'bob', action: 'incident.acknowledge', entityType: 'incident', entityId: 'INC-1', before: { status: 'open' }, after: { status: 'acknowledged' } });
        expect(e1).toEqual({ id: expect.any(Number), at: T0, actor: 'bob', action: 'incident.acknowledge', entityType: 'incident', entityId: 'INC-1', before: { status: 'open' }, after: { status: 'acknowledged' } });
        const e2 = await store.audit.append({ at: T0 + 10, actor: 'system', action: 'incident.rule-update', entityType: 'incident', entityId: 'INC-1', after: { evidence: { count: 4 } } });
        expect(e2).not.toHaveProperty('before');
        const e3 = await store.audit.append({ at: T0 + 20, actor: 'alice', action: 'user.create', entityType: 'user', entityId: 'bob' });
        expect(e3.id).toBeGreaterThan(e2.id);
        expect(await store.audit.list()).toEqual([e3, e2, e1]);
        expect(await store.audit.list({ order: 'asc' })).toEqual([e1, e2, e3]);
        expect(await store.audit.list({ entityType: 'incident', entityId: 'INC-1', order: 'asc' })).toEqual([e1, e2]);
        expect(await store.audit.list({ actor: 'alice' })).toEqual([e3]);
        expect(await store.audit.list({ action: 'incident.rule-update' })).toEqual([e2]);
        expect(await store.audit.list({ since: T0 + 10, until: T0 + 20 })).toEqual([e2]);
        expect(await store.audit.list({ limit: 1 })).toEqual([e3]);
        expect(await store.audit.list({ afterId: e1.id, order: 'asc' })).toEqual([e2, e3]);
        const now = Date.now();
        expect((await store.audit.append({ actor: 'x', action: 'y', entityType: 'z', entityId: '1' })).at).toBeGreaterThanOrEqual(now);
        await expect(store.audit.append({ actor: '', action: 'y', entityType: 'z', entityId: '1' })).rejects.toThrow(OpsValidationError);
      });

      it('iterates every match in pages, oldest first, and exports CSV safe for spreadsheets', async () => {
        const store = await fresh();
        for (let i = 0; i < 25; i++) await store.audit.append({ at: T0 + i, actor: 'bob', action: 'incident.comment', entityType: 'incident', entityId: `INC-${i % 2}`, after: { text: `c${i}` } });
        await store.audit.append({ at: T0 + 99, actor: 'eve', action: 'incident.comment', entityType: 'incident', entityId: '=HYPERLINK("x")', after: { text: 'a, "quoted"\nline' } });
        const seen: number[] = [];
        for await (const entry of store.audit.iterate({ actor: 'bob' }, 10)) seen.push(entry.at - T0);
        expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
        const odd: string[] = [];
        for await (const entry of store.audit.iterate({ entityId: 'INC-1' }, 5)) odd.push(entry.entityId);
        expect(odd).toHaveLength(12);

        let csv = '';
        for await (const line of exportAuditCsv(store.audit, { actor: 'eve' })) csv += line;
        const lines = csv.split('\r\n');
        expect(lines[0]).toBe('id,at,actor,action,entity_type,entity_id,before,after');
        expect(lines[1]).toMatch(/^\d+,2026-11-28T09:00:00\.099Z,eve,incident\.comment,incident,"'=HYPERLINK\(""x""\)",,"{""text"":""a, \\""quoted\\""\\nline""}"$/);
        expect(lines.slice(2)).toEqual(['']);
      });
    });

    describe('rules', () => {
      it('saves the rule set with optimistic concurrency', async () => {
        const store = await fresh();
        expect(await store.rules.getRuleSet()).toBeUndefined();
        const v1 = await store.rules.saveRuleSet([{ id: 'pm25-high' }], 'alice', 0, T0);
        expect(v1).toEqual({ version: 1, rules: [{ id: 'pm25-high' }], updatedAt: T0, updatedBy: 'alice' });
        await expect(store.rules.saveRuleSet([], 'bob', 0)).rejects.toThrow(RuleSetConflictError);
        const v2 = await store.rules.saveRuleSet([{ id: 'a' }, { id: 'b' }], 'bob', 1, T0 + 1);
        expect(v2).toMatchObject({ version: 2, updatedBy: 'bob' });
        const conflict = await store.rules.saveRuleSet([], 'alice', 1).catch((err: unknown) => err);
        expect(conflict).toBeInstanceOf(RuleSetConflictError);
        expect(conflict).toMatchObject({ expectedVersion: 1, currentVersion: 2, httpStatus: 409 });
        expect(await store.rules.getRuleSet()).toEqual(v2);
      });
    });

    describe('evidence', () => {
      const record = (id: string, observedAt: number, expiresAt: number) => ({
        id,
        cameraId: 'cam-1',
        eventId: `ev-${id}`,
        ruleId: 'bus-lane',
        offence: 'vehicle stopped in bus lane',
        label: 'car',
        plate: 'AB123CD',
        zones: ['bus_lane'],
        position: { lat: 41.88, lon: -87.63 },
        district: 'loop',
        observedAt,
        expiresAt,
      });
      const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

      it('stores records with their JPEG, lists newest first, refuses duplicates', async () => {
        const store = await fresh();
        const e1 = await store.evidence.add(record('e1', T0, T0 + 1000), jpeg);
        expect(e1).toEqual({ ...record('e1', T0, T0 + 1000), hasSnapshot: true });
        const e2 = await store.evidence.add({ ...record('e2', T0 + 5, T0 + 5000), plate: undefined });
        expect(e2.hasSnapshot).toBe(false);
        expect(e2).not.toHaveProperty('plate');
        expect(await store.evidence.get('e1')).toEqual(e1);
        expect(await store.evidence.snapshot('e1')).toEqual(jpeg);
        expect(await store.evidence.snapshot('e2')).toBeUndefined();
        expect(await store.evidence.snapshot('nope')).toBeUndefined();
        expect((await store.evidence.list()).map((e) => e.id)).toEqual(['e2', 'e1']);
        expect((await store.evidence.list({ limit: 1 })).map((e) => e.id)).toEqual(['e2']);
        await expect(store.evidence.add(record('e1', T0, T0))).rejects.toThrow(OpsConflictError);
      });

      it('deletes, purges the expired, and keeps the access log of deleted records', async () => {
        const store = await fresh();
        await store.evidence.add(record('e1', T0, T0 + 1000), jpeg);
        await store.evidence.add(record('e2', T0, T0 + 5000));
        await store.evidence.add(record('e3', T0, T0 + 9000));
        const read = await store.evidence.logAccess('e1', 'alice', 'read', T0 + 1);
        expect(read).toEqual({ id: expect.any(Number), evidenceId: 'e1', username: 'alice', action: 'read', at: T0 + 1 });
        await store.evidence.logAccess('e2', 'bob', 'snapshot', T0 + 2);
        expect(await store.evidence.purgeExpired(T0 + 5000)).toBe(2);
        expect(await store.evidence.get('e1')).toBeUndefined();
        expect(await store.evidence.snapshot('e1')).toBeUndefined();
        expect(await store.evidence.delete('e3')).toBe(true);
        expect(await store.evidence.delete('e3')).toBe(false);
        expect(await store.evidence.accessLog('e1')).toEqual([read]);
        expect((await store.evidence.accessLog()).map((a) => a.evidenceId)).toEqual(['e1', 'e2']);
      });
    });

    describe('reports', () => {
      it('numbers reports 1001, 1002, ... and reads back what was written, reporter in its own fields', async () => {
        const store = await fresh();
        const { report, token } = await store.reports.create(newReport());
        expect(report).toEqual({
          id: '1001',
          serviceCode: '001',
          category: 'traffic',
          status: 'open',
          position: { lat: 41.8819, lon: -87.6278 },
          district: 'loop',
          description: 'Deep hole by the bus stop <script>',
          attributes: { size: 'medium', materials: ['glass', 'metal'], depth_cm: 12 },
          reporter: { email: 'ada@example.org', phone: '+13125550100', firstName: 'Ada', lastName: 'L.' },
          source: 'web',
          requestedAt: T0,
          updatedAt: T0,
          expectedAt: T0 + 3_600_000,
          incidentIds: [],
          photoIds: [],
        });
        expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(await store.reports.get('1001')).toEqual(report);
        const second = await store.reports.create(newReport({ reporter: {}, source: 'open311', client: 'key-1234', addressString: '121 N LaSalle St' }));
        expect(second.report.id).toBe('1002');
        expect(second.report).toMatchObject({ reporter: {}, source: 'open311', client: 'key-1234', addressString: '121 N LaSalle St' });
        expect(second.token).not.toBe(token);
        expect(await store.reports.get('9999')).toBeUndefined();
      });

      it('finds a report by its token, and nothing by a wrong or malformed one', async () => {
        const store = await fresh();
        const { report, token } = await store.reports.create(newReport());
        expect(await store.reports.idForToken(token)).toBe(report.id);
        expect(await store.reports.idForToken('A'.repeat(22))).toBeUndefined();
        expect(await store.reports.idForToken("' OR 1=1 --")).toBeUndefined();
      });

      it('lists newest first with filters: ids, services, statuses, request time, change time, a box, paging', async () => {
        const store = await fresh();
        const a = (await store.reports.create(newReport({ requestedAt: T0 }))).report;
        const b = (await store.reports.create(newReport({ requestedAt: T0 + 1000, serviceCode: '002', position: { lat: 41.9, lon: -87.64 } }))).report;
        const c = (await store.reports.create(newReport({ requestedAt: T0 + 2000, position: undefined, addressString: 'somewhere' }))).report;
        await store.reports.update(a.id, { status: 'fixed', updatedAt: T0 + 5000, closedAt: T0 + 5000 });
        const ids = async (filter: Parameters<OpsStore['reports']['list']>[0]) => (await store.reports.list(filter)).map((r) => r.id);
        expect(await ids({})).toEqual([c.id, b.id, a.id]);
        expect(await ids({ ids: [a.id, c.id, 'nope'] })).toEqual([c.id, a.id]);
        expect(await ids({ serviceCodes: ['002'] })).toEqual([b.id]);
        expect(await ids({ statuses: ['fixed', 'closed'] })).toEqual([a.id]);
        expect(await ids({ statuses: ['open'] })).toEqual([c.id, b.id]);
        expect(await ids({ requestedFrom: T0 + 500, requestedTo: T0 + 1000 })).toEqual([b.id]);
        expect(await ids({ updatedSince: T0 + 4000 })).toEqual([a.id]);
        expect(await ids({ bbox: [-87.63, 41.88, -87.62, 41.89] })).toEqual([a.id]);
        expect(await ids({ limit: 1, offset: 1 })).toEqual([b.id]);
        await expect(store.reports.list({ limit: 0 })).rejects.toThrow(OpsValidationError);
      });

      it('updates status fields and clears them with null; duplicateOf must name another known report', async () => {
        const store = await fresh();
        const a = (await store.reports.create(newReport())).report;
        const b = (await store.reports.create(newReport())).report;
        const dup = await store.reports.update(b.id, { status: 'duplicate', duplicateOf: a.id, statusNotes: 'see 1001', closedAt: T0 + 1, updatedAt: T0 + 1 });
        expect(dup).toMatchObject({ status: 'duplicate', duplicateOf: a.id, statusNotes: 'see 1001', closedAt: T0 + 1, updatedAt: T0 + 1 });
        const reopened = await store.reports.update(b.id, { status: 'open', duplicateOf: null, statusNotes: null, closedAt: null, expectedAt: null });
        expect(reopened).not.toHaveProperty('duplicateOf');
        expect(reopened).not.toHaveProperty('statusNotes');
        expect(reopened).not.toHaveProperty('closedAt');
        expect(reopened).not.toHaveProperty('expectedAt');
        await expect(store.reports.update(b.id, { duplicateOf: '4242' })).rejects.toThrow(OpsValidationError);
        await expect(store.reports.update(b.id, { duplicateOf: b.id })).rejects.toThrow(OpsValidationError);
        await expect(store.reports.update('4242', { status: 'fixed' })).rejects.toThrow(OpsNotFoundError);
      });

      it('keeps public updates (oldest first, by report and time) apart from internal notes', async () => {
        const store = await fresh();
        const a = (await store.reports.create(newReport())).report;
        const b = (await store.reports.create(newReport())).report;
        const u1 = await store.reports.addUpdate(a.id, { status: 'investigating', description: 'We are looking', updatedAt: T0 + 10, author: 'bob' });
        expect(u1).toEqual({ id: expect.any(String), serviceRequestId: a.id, status: 'investigating', description: 'We are looking', updatedAt: T0 + 10, author: 'bob' });
        const u2 = await store.reports.addUpdate(b.id, { status: 'fixed', updatedAt: T0 + 20, author: 'bob' });
        expect(u2).not.toHaveProperty('description');
        expect((await store.reports.updates()).map((u) => u.id)).toEqual([u1.id, u2.id]);
        expect(await store.reports.updates({ reportId: b.id })).toEqual([u2]);
        expect(await store.reports.updates({ from: T0 + 15, to: T0 + 30 })).toEqual([u2]);
        expect(await store.reports.updates({ limit: 1, offset: 1 })).toEqual([u2]);
        const note = await store.reports.addNote(a.id, 'bob', 'caller sounded worried', T0 + 30);
        expect(note).toEqual({ id: expect.any(Number), reportId: a.id, author: 'bob', text: 'caller sounded worried', at: T0 + 30 });
        expect(await store.reports.notes(a.id)).toEqual([note]);
        expect(await store.reports.notes(b.id)).toEqual([]);
        await expect(store.reports.addUpdate('4242', { status: 'open', updatedAt: T0, author: 'bob' })).rejects.toThrow(OpsNotFoundError);
        await expect(store.reports.addNote('4242', 'bob', 'x')).rejects.toThrow(OpsNotFoundError);
      });

      it('stores photos with random ids in upload order; the bytes only one at a time', async () => {
        const store = await fresh();
        const a = (await store.reports.create(newReport())).report;
        const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
        const p1 = await store.reports.addPhoto(a.id, { contentType: 'image/jpeg', data: jpeg, width: 16, height: 8 }, T0);
        const p2 = await store.reports.addPhoto(a.id, { contentType: 'image/png', data: Buffer.from('png') }, T0);
        expect(p1).toEqual({ id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), reportId: a.id, position: 0, contentType: 'image/jpeg', bytes: 9, width: 16, height: 8, createdAt: T0 });
        expect(p2).toMatchObject({ position: 1, contentType: 'image/png', bytes: 3 });
        expect(p2).not.toHaveProperty('width');
        expect(await store.reports.photos(a.id)).toEqual([p1, p2]);
        expect((await store.reports.get(a.id))!.photoIds).toEqual([p1.id, p2.id]);
        expect(await store.reports.photoData(p1.id)).toEqual({ photo: p1, data: jpeg });
        expect(await store.reports.photoData('B'.repeat(22))).toBeUndefined();
        expect(await store.reports.photoData('../etc/passwd')).toBeUndefined();
        await expect(store.reports.addPhoto('4242', { contentType: 'image/png', data: Buffer.from('x') })).rejects.toThrow(OpsNotFoundError);
      });

      it('links reports to incidents once; 404 for an unknown report or incident', async () => {
        const store = await fresh();
        const a = (await store.reports.create(newReport())).report;
        const incident = await store.incidents.create(newIncident());
        const other = await store.incidents.create(newIncident({ dedupeKey: 'other' }));
        expect(await store.reports.linkIncident(a.id, incident.id, 'bob', T0)).toBe(true);
        expect(await store.reports.linkIncident(a.id, incident.id, 'bob', T0 + 1)).toBe(false);
        expect(await store.reports.linkIncident(a.id, other.id, 'bob', T0 + 2)).toBe(true);
        expect((await store.reports.get(a.id))!.incidentIds).toEqual([incident.id, other.id]);
        await expect(store.reports.linkIncident(a.id, 'INC-999999', 'bob')).rejects.toThrow(OpsNotFoundError);
        await expect(store.reports.linkIncident('4242', incident.id, 'bob')).rejects.toThrow(OpsNotFoundError);
      });
    });

    describe('transactions', () => {
      it('commits every write together, or none when the function throws', async () => {
        const store = await fresh();
        const created = await store.transaction(async (tx) => {
          const incident = await tx.incidents.create(newIncident());
          await tx.audit.append({ actor: 'bob', action: 'incident.open', entityType: 'incident', entityId: incident.id });
          return incident;
        });
        expect(await store.incidents.get(created.id)).toEqual(created);
        expect(await store.audit.list({ entityId: created.id })).toHaveLength(1);

        const failed = store.transaction(async (tx) => {
          const incident = await tx.incidents.create(newIncident({ dedupeKey: 'other' }));
          await tx.audit.append({ actor: 'bob', action: 'incident.open', entityType: 'incident', entityId: incident.id });
          throw new Error('boom');
        });
        await expect(failed).rejects.toThrow('boom');
        expect(await store.incidents.findActiveByDedupeKey('other')).toBeUndefined();
        expect(await store.audit.list()).toHaveLength(1);
        // the store is usable after a rollback
        expect((await store.incidents.create(newIncident({ dedupeKey: 'other' }))).dedupeKey).toBe('other');
      });

      it('keeps writes from outside a transaction out of it', async () => {
        const store = await fresh();
        let outside: Promise<unknown> | undefined;
        // another request's write, arriving while the transaction waits
        setTimeout(() => (outside = store.audit.append({ actor: 'eve', action: 'outside', entityType: 'x', entityId: '2' })), 5);
        const failed = store.transaction(async (tx) => {
          await tx.audit.append({ actor: 'bob', action: 'inside', entityType: 'x', entityId: '1' });
          await new Promise((r) => setTimeout(r, 30));
          expect(outside).toBeDefined();
          throw new Error('boom');
        });
        await expect(failed).rejects.toThrow('boom');
        await outside;
        expect((await store.audit.list()).map((e) => e.action)).toEqual(['outside']);
      });

      it('runs transactions one after another, a nested one joining the outer', async () => {
        const store = await fresh();
        const order: string[] = [];
        const slow = (name: string) =>
          store.transaction(async (tx) => {
            order.push(`${name} start`);
            await tx.audit.append({ actor: name, action: 'a', entityType: 'x', entityId: name });
            await new Promise((r) => setTimeout(r, 10));
            await store.transaction(async (inner) => inner.audit.append({ actor: name, action: 'nested', entityType: 'x', entityId: name }));
            order.push(`${name} end`);
          });
        await Promise.all([slow('one'), slow('two')]);
        expect(order).toEqual(['one start', 'one end', 'two start', 'two end']);
        expect(await store.audit.list()).toHaveLength(4);
      });
    });
  });
}
