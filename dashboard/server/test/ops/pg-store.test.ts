// The PostgreSQL operations store: the shared contract against a real server (Debian's postgresql,
// started here in a temporary directory), plus what only PostgreSQL has: migrations under an advisory
// lock, several stores (processes) on one database, the outbox, the services and the dashboard on it.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvReader } from '@city/shared';
import { query, startPostgres, type PostgresServer } from '../../../../test/support/postgres.ts';
import { track } from '../../../../test/support/teardown.ts';
import { readDashboardConfig } from '../../src/config.ts';
import { IncidentService, MIGRATIONS, OpsConflictError, OpsNotFoundError, PgOpsStore, WorkflowError, openOpsStore, type OpsStore } from '../../src/ops/index.ts';
import { PG_MIGRATIONS, migratePg } from '../../src/ops/pg/schema.ts';
import { login, startStack } from '../support/stack.ts';
import { describeOpsStoreContract, newIncident, newReport } from './contract.ts';
import { recordingLogger } from './helpers.ts';

const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);
const PASSWORD = 'correct horse battery';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.destroy();
});

/** A store on a fresh database, closed after the test. */
const open = (databaseUrl: string) => PgOpsStore.open({ databaseUrl }).then((s) => track(s, (store) => store.close()));

describeOpsStoreContract('postgres', async () => PgOpsStore.open({ databaseUrl: await server.createDatabase() }));

describe('PostgreSQL ops store', () => {
  it('has the SQLite migrations, version for version and name for name', () => {
    expect(PG_MIGRATIONS.map((m) => [m.version, m.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
  });

  it('migrates a new database once, and a second open applies nothing', async () => {
    const url = await server.createDatabase();
    const first = await open(url);
    expect(await first.ready()).toEqual([1, 2, 3, 4, 5]);
    await first.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
    await first.close();

    const second = await open(url);
    expect(await second.ready()).toEqual([]);
    expect(await second.users.get('bob')).toMatchObject({ role: 'operator' });
    const { rows } = await query(url, 'SELECT version, name FROM schema_migrations ORDER BY version');
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  it('migrates once when two stores start together on a new database (advisory lock)', async () => {
    const url = await server.createDatabase();
    const [a, b] = await Promise.all([open(url), open(url)]);
    const applied = [...(await a.ready()), ...(await b.ready())].sort();
    expect(applied).toEqual([1, 2, 3, 4, 5]);
  });

  it('applies a migration whole or not at all, and goes on from there once fixed', async () => {
    const url = await server.createDatabase();
    const pool = track(new pg.Pool({ connectionString: url }), (p) => p.end());
    const broken = [
      { version: 1, name: 'one', up: 'CREATE TABLE one (x INTEGER)' },
      { version: 2, name: 'two', up: 'CREATE TABLE two (x INTEGER); INSERT INTO no_such_table VALUES (1);' },
    ];
    await expect(migratePg(pool, broken)).rejects.toThrow(/no_such_table/);
    const tables = async () => (await pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).rows.map((r) => r.tablename);
    expect(await tables()).toEqual(['one', 'schema_migrations']);
    expect(await migratePg(pool, [broken[0]!, { version: 2, name: 'two', up: 'CREATE TABLE two (x INTEGER)' }])).toEqual([2]);
    expect(await tables()).toEqual(['one', 'schema_migrations', 'two']);
    await expect(migratePg(pool, [{ version: 2, name: 'two', up: 'SELECT 1' }])).rejects.toThrow(/expected version 1/);
  });

  it('refuses to open a database it cannot reach, with the reason', async () => {
    const url = `postgres://postgres@127.0.0.1:${server.port}/no_such_database`;
    await expect(PgOpsStore.open({ databaseUrl: url })).rejects.toThrow(/no_such_database/);
  });

  it('two stores on one database: one sequence, one unique rule, the same OpsErrors', async () => {
    const url = await server.createDatabase();
    const a = await open(url);
    const b = await open(url);
    await a.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
    await expect(b.users.create({ username: 'BOB', password: PASSWORD, role: 'viewer' })).rejects.toThrow(OpsConflictError);
    expect(await b.users.verify('bob', PASSWORD)).toMatchObject({ username: 'bob' });

    // the same dedupe key raised by both at once: one incident, one conflict
    const results = await Promise.allSettled([a.incidents.create(newIncident()), b.incidents.create(newIncident())]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(OpsConflictError);
    expect(rejected.reason).toMatchObject({ httpStatus: 409, message: expect.stringMatching(/already has dedupe key/) });
    expect((await b.incidents.create(newIncident({ dedupeKey: 'x' }))).id).toBe('INC-000002');
    await expect(a.incidents.create({ ...newIncident({ dedupeKey: 'y' }), id: 'INC-000002' })).rejects.toThrow(OpsConflictError);
  });

  it("serialises transactions across stores: what one reads cannot change before it writes", async () => {
    const url = await server.createDatabase();
    const a = await open(url);
    const b = await open(url);
    const order: string[] = [];
    const slow = (store: OpsStore, name: string) =>
      store.transaction(async (tx) => {
        order.push(`${name} start`);
        await tx.audit.append({ actor: name, action: 'a', entityType: 'x', entityId: name });
        await new Promise((r) => setTimeout(r, 30));
        order.push(`${name} end`);
      });
    const first = slow(a, 'a');
    // b starts only once a holds its transaction, however slow the machine is
    while (!order.includes('a start')) await new Promise((r) => setTimeout(r, 2));
    await Promise.all([first, slow(b, 'b')]);
    expect(order).toEqual(['a start', 'a end', 'b start', 'b end']);
  });

  it('keeps a transaction usable after a conflict it caught (savepoints)', async () => {
    const store = await open(await server.createDatabase());
    await store.incidents.create(newIncident());
    const result = await store.transaction(async (tx) => {
      const err = await tx.incidents.create(newIncident()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpsConflictError);
      const session = await tx.sessions.create('nobody', 1000).catch((e: unknown) => e);
      expect(session).toBeInstanceOf(OpsNotFoundError);
      return tx.audit.append({ actor: 'bob', action: 'after-conflict', entityType: 'x', entityId: '1' });
    });
    expect(await store.audit.list()).toEqual([result]);
  });

  it('runs the notifications outbox: once per dedupe key, attempts, claims, 404 for unknown reports', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    const { report } = await store.reports.create(newReport());
    const message = { reportId: report.id, kind: 'update', audience: 'citizen', channel: 'email', recipient: 'ada@example.org', subject: 'Your report', body: 'News', dedupeKey: 'update:1:email' } as const;
    const row = await store.notifications.enqueue(message, T0);
    expect(row).toEqual({ id: 1, ...message, status: 'pending', attempts: 0, nextAttemptAt: T0, createdAt: T0 });
    expect(await store.notifications.enqueue({ ...message, body: 'again' }, T0 + 1)).toBeUndefined();
    expect(await store.notifications.hasKey('update:1:email')).toBe(true);
    await expect(store.notifications.enqueue({ ...message, reportId: '9999', dedupeKey: 'x' }, T0)).rejects.toBeInstanceOf(OpsNotFoundError);
    const retry = await store.notifications.recordAttempt(row!.id, { ok: false, error: 'HTTP 500', retryAt: T0 + 60_000 }, T0 + 2);
    expect(retry).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 500', nextAttemptAt: T0 + 60_000 });
    expect(await store.notifications.due(T0 + 2)).toEqual([]);
    // two dashboards claiming at once: every due row goes to exactly one of them
    const more = [];
    for (let i = 0; i < 20; i++) more.push((await store.notifications.enqueue({ ...message, dedupeKey: `more:${i}` }, T0))!.id);
    const other = await open(url);
    const claims = await Promise.all([store, other, store, other].map((s) => s.notifications.claimDue(T0 + 3, T0 + 30_000, 7)));
    expect(claims.flat().map((r) => r.id).sort((a, b) => a - b)).toEqual(more);
    expect(await other.notifications.claimDue(T0 + 4, T0 + 30_000)).toEqual([]);
    const sent = await store.notifications.recordAttempt(row!.id, { ok: true, providerResponse: '250 OK' }, T0 + 60_001);
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, sentAt: T0 + 60_001 });
    expect(sent).not.toHaveProperty('nextAttemptAt');
    await expect(store.notifications.recordAttempt(99, { ok: true, providerResponse: '' })).rejects.toBeInstanceOf(OpsNotFoundError);
    expect(await store.notifications.expectedBetween(T0, T0 + 2 * 3_600_000, ['open'])).toEqual([{ reportId: report.id, expectedAt: T0 + 3_600_000 }]);
    await store.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
    await store.notifications.setOperatorEmail('Bob', 'bob@city.example');
    expect(await store.notifications.operatorEmail('bob')).toBe('bob@city.example');
  });

  it('keeps JSON as written (key order) and epoch ms as numbers', async () => {
    const store = await open(await server.createDatabase());
    const entry = await store.audit.append({ at: T0, actor: 'bob', action: 'x', entityType: 'x', entityId: '1', before: { z: 1, a: [2, { y: null, b: 'c' }] }, after: null as never });
    const [read] = await store.audit.list();
    expect(JSON.stringify(read!.before)).toBe('{"z":1,"a":[2,{"y":null,"b":"c"}]}');
    // a JSON null is a value, as in SQLite: only an absent before/after is left out
    expect(read).toHaveProperty('after', null);
    expect(read).toEqual(entry);
    expect(typeof read!.at).toBe('number');
    expect(typeof read!.id).toBe('number');
  });

  it('runs the incident workflow: each change and its audit row in one transaction, 409 for a second active key', async () => {
    const store = await open(await server.createDatabase());
    await store.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
    const service = new IncidentService({ store, logger: recordingLogger().logger, now: () => T0 });
    const input = { title: 'Smoke at cam-3', category: 'fire_smoke', severity: 'critical', source: 'rule', dedupeKey: 'smoke:cam-3', explanation: 'smoke', evidence: { ruleId: 'smoke', count: 1, firstSeenAt: T0, lastSeenAt: T0 } } as const;
    const [opened, second] = await Promise.allSettled([service.open(input, 'system'), service.open(input, 'system')]);
    expect(opened).toMatchObject({ status: 'fulfilled', value: { id: 'INC-000001', status: 'open' } });
    expect(second).toMatchObject({ status: 'rejected', reason: expect.any(WorkflowError) });
    expect((second as PromiseRejectedResult).reason).toMatchObject({ httpStatus: 409 });
    await service.acknowledge('INC-000001', 'bob');
    await service.assign('INC-000001', 'bob', 'bob');
    const resolved = await service.resolve('INC-000001', 'bob', 'extinguished');
    expect(resolved).toMatchObject({ status: 'resolved', assignee: 'bob' });
    const actions = (await store.audit.list({ entityId: 'INC-000001', order: 'asc' })).map((e) => e.action);
    expect(actions[0]).toBe('incident.open');
    expect(actions.length).toBeGreaterThanOrEqual(4);
    expect(await store.incidents.comments('INC-000001')).toMatchObject([{ author: 'bob', text: expect.stringContaining('extinguished') }]);
  });

  it('is what openOpsStore opens for a postgres:// DATABASE_URL', async () => {
    const url = await server.createDatabase();
    const store = track(openOpsStore('/nonexistent-data-dir', url), (s) => s.close());
    expect(store.kind).toBe('postgres');
    await store.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
    expect(await store.users.count()).toBe(1);
  });
});

describe('the dashboard on DATABASE_URL', () => {
  it('bootstraps the admin, logs in and opens an incident with its audit row in PostgreSQL', async () => {
    const url = await server.createDatabase();
    const stack = await startStack({ DATABASE_URL: url, ADMIN_USER: 'ada', ADMIN_PASSWORD: 'admin password 1234' });
    expect(stack.dashboard.ops.kind).toBe('postgres');
    const admin = await login(stack.base, 'ada', 'admin password 1234');
    const created = await admin.call<{ id: string }>('POST', '/api/incidents', { title: 'Fallen tree', category: 'traffic', severity: 'major', description: 'on Main St' });
    expect(created).toMatchObject({ status: 201, body: { id: 'INC-000001' } });
    expect(await admin.call('GET', '/api/incidents')).toMatchObject({ status: 200, body: { incidents: [{ id: 'INC-000001', title: 'Fallen tree' }] } });
    const { rows } = await query(url, `SELECT actor, action FROM audit_log WHERE entity_id = 'INC-000001'`);
    expect(rows).toEqual([{ actor: 'ada', action: 'incident.open' }]);
  });
});

describe('DATABASE_URL', () => {
  const read = (value: string | undefined) => {
    const env = new EnvReader(value === undefined ? {} : { DATABASE_URL: value });
    const config = readDashboardConfig(env);
    return { databaseUrl: config.databaseUrl?.href, valid: (() => { try { env.assertValid(); return true; } catch { return false; } })() };
  };

  it('selects PostgreSQL with a postgres:// or postgresql:// URL, SQLite without one, and refuses others', () => {
    expect(read(undefined)).toEqual({ databaseUrl: undefined, valid: true });
    expect(read('postgres://ops:secret@db:5432/city_ops')).toEqual({ databaseUrl: 'postgres://ops:secret@db:5432/city_ops', valid: true });
    expect(read('postgresql://db/city_ops')).toMatchObject({ valid: true });
    expect(read('mysql://db/city_ops')).toMatchObject({ valid: false });
    expect(read('db:5432')).toMatchObject({ valid: false });
    expect(() => openOpsStore('/nonexistent-data-dir', 'mysql://db/city_ops')).toThrow(/DATABASE_URL/);
  });
});
