// The notifications outbox in the SQLite operations store: rows written pending, one per dedupe key,
// due rows, each attempt recorded, rows kept across a restart, reminders' report query, operators' email.
import { describe, expect, it } from 'vitest';
import { track } from '../../../../test/support/teardown.ts';
import { tmpDir } from '../../../../test/support/tmp.ts';
import { OpsNotFoundError, OpsValidationError, openOpsStore, type OpsStore } from '../../src/ops/index.ts';
import type { NewNotification } from '../../src/ops/notifications.ts';
import { newReport } from '../ops/contract.ts';

const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);
const HOUR = 3_600_000;
const PASSWORD = 'correct horse battery';

const open = (dir: string): OpsStore => track(openOpsStore(dir), (s) => s.close());

const message = (reportId: string, over: Partial<NewNotification> = {}): NewNotification => ({
  reportId,
  kind: 'update',
  audience: 'citizen',
  channel: 'email',
  recipient: 'ada@example.org',
  subject: 'Your report',
  body: 'News',
  dedupeKey: `update:1:email`,
  ...over,
});

describe('notifications outbox (SQLite)', () => {
  it('writes a pending row due at once, once per dedupe key', async () => {
    const store = open(tmpDir('outbox-'));
    const { report } = await store.reports.create(newReport());
    const row = await store.notifications.enqueue(message(report.id), T0);
    expect(row).toEqual({ id: 1, ...message(report.id), status: 'pending', attempts: 0, nextAttemptAt: T0, createdAt: T0 });
    expect(await store.notifications.enqueue(message(report.id, { body: 'again' }), T0 + 1)).toBeUndefined();
    expect(await store.notifications.hasKey('update:1:email')).toBe(true);
    expect(await store.notifications.hasKey('update:2:email')).toBe(false);
    await expect(store.notifications.enqueue(message('9999', { dedupeKey: 'x' }), T0)).rejects.toBeInstanceOf(OpsNotFoundError);
  });

  it('records attempts: retry at a later time, then sent; or failed', async () => {
    const store = open(tmpDir('outbox-'));
    const { report } = await store.reports.create(newReport());
    const a = (await store.notifications.enqueue(message(report.id, { dedupeKey: 'a' }), T0))!;
    const b = (await store.notifications.enqueue(message(report.id, { dedupeKey: 'b', channel: 'sms', recipient: '+1312', subject: undefined }), T0 + 1))!;
    expect((await store.notifications.due(T0 + 1)).map((r) => r.id)).toEqual([a.id, b.id]);

    const retry = await store.notifications.recordAttempt(a.id, { ok: false, error: 'HTTP 500', retryAt: T0 + 60_000 }, T0 + 2);
    expect(retry).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 500', nextAttemptAt: T0 + 60_000 });
    expect((await store.notifications.due(T0 + 2)).map((r) => r.id)).toEqual([b.id]);
    expect((await store.notifications.due(T0 + 60_000)).map((r) => r.id)).toEqual([b.id, a.id]);

    const sent = await store.notifications.recordAttempt(a.id, { ok: true, providerResponse: '250 OK' }, T0 + 60_001);
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, sentAt: T0 + 60_001, providerResponse: '250 OK', lastError: 'HTTP 500' });
    expect(sent).not.toHaveProperty('nextAttemptAt');
    const failed = await store.notifications.recordAttempt(b.id, { ok: false, error: 'x'.repeat(5000), retryAt: undefined }, T0 + 3);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.lastError).toHaveLength(1000);
    expect(await store.notifications.due(T0 + 10 * HOUR)).toEqual([]);
    expect((await store.notifications.forReport(report.id)).map((r) => r.status)).toEqual(['sent', 'failed']);
    await expect(store.notifications.recordAttempt(99, { ok: true, providerResponse: '' })).rejects.toBeInstanceOf(OpsNotFoundError);
  });

  it('claims due rows for one dispatcher at a time: another store on the same file gets none until the lease ends', async () => {
    const dir = tmpDir('outbox-');
    const one = open(dir);
    const other = open(dir); // a second dashboard process on the same operations file
    const { report } = await one.reports.create(newReport());
    const ids = [];
    for (const key of ['a', 'b', 'c']) ids.push((await one.notifications.enqueue(message(report.id, { dedupeKey: key }), T0))!.id);
    const first = await one.notifications.claimDue(T0 + 1, T0 + 60_000, 2);
    expect(first.map((r) => r.id)).toEqual(ids.slice(0, 2));
    expect(first[0]).toMatchObject({ status: 'pending', nextAttemptAt: T0 + 60_000 });
    // the other dispatcher takes what is left, and nothing twice
    expect((await other.notifications.claimDue(T0 + 2, T0 + 60_000)).map((r) => r.id)).toEqual([ids[2]]);
    expect(await other.notifications.claimDue(T0 + 3, T0 + 60_000)).toEqual([]);
    // settled rows are gone from the queue; one whose sender died is due again once its lease ends
    await one.notifications.recordAttempt(ids[0]!, { ok: true, providerResponse: '250 OK' }, T0 + 4);
    expect(await other.notifications.claimDue(T0 + 59_999, T0 + 120_000)).toEqual([]);
    expect((await other.notifications.claimDue(T0 + 60_000, T0 + 120_000)).map((r) => r.id)).toEqual([ids[1], ids[2]]);
  });

  it('pending rows are still due after the store is reopened', async () => {
    const dir = tmpDir('outbox-');
    const first = openOpsStore(dir);
    const { report } = await first.reports.create(newReport());
    await first.notifications.enqueue(message(report.id), T0);
    await first.close();
    const second = open(dir);
    expect(await second.notifications.due(T0)).toMatchObject([{ reportId: report.id, status: 'pending', attempts: 0 }]);
  });

  it('finds reports of the given statuses expected within a window', async () => {
    const store = open(tmpDir('outbox-'));
    const soon = (await store.reports.create(newReport({ expectedAt: T0 + 2 * HOUR }))).report;
    await store.reports.create(newReport({ expectedAt: T0 + 30 * HOUR }));
    const closed = (await store.reports.create(newReport({ expectedAt: T0 + 3 * HOUR }))).report;
    await store.reports.update(closed.id, { status: 'fixed' });
    await store.reports.create(newReport({ expectedAt: T0 - HOUR }));
    await store.reports.create(newReport({ expectedAt: undefined }));
    expect(await store.notifications.expectedBetween(T0, T0 + 24 * HOUR, ['open', 'in_progress'])).toEqual([{ reportId: soon.id, expectedAt: T0 + 2 * HOUR }]);
  });

  it("keeps operators' email for reminders", async () => {
    const store = open(tmpDir('outbox-'));
    await store.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
    expect(await store.notifications.operatorEmail('bob')).toBeUndefined();
    await store.notifications.setOperatorEmail('Bob', 'bob@city.example');
    expect(await store.notifications.operatorEmail('bob')).toBe('bob@city.example');
    await store.notifications.setOperatorEmail('bob', null);
    expect(await store.notifications.operatorEmail('bob')).toBeUndefined();
    await expect(store.notifications.setOperatorEmail('bob', 'not an address')).rejects.toBeInstanceOf(OpsValidationError);
    await expect(store.notifications.setOperatorEmail('nobody', 'x@y.z')).rejects.toBeInstanceOf(OpsNotFoundError);
    // the operator record itself does not change shape
    expect(await store.users.get('bob')).not.toHaveProperty('email');
  });
});
