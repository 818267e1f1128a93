// The SQLite operations store: the shared contract, plus what only SQLite has (the file, its
// migrations, WAL and a second connection, what the tables hold).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { track } from '../../../../test/support/teardown.ts';
import { tmpDir } from '../../../../test/support/tmp.ts';
import { MIGRATIONS, OPS_DB_FILE, migrate, openOpsDatabase, openOpsStore } from '../../src/ops/index.ts';
import { describeOpsStoreContract, newIncident, newReport } from './contract.ts';

describeOpsStoreContract('sqlite', async () => openOpsStore(tmpDir('ops-store-')));

const open = (dir: string) => track(openOpsStore(dir), (s) => s.close());
const raw = (dir: string) => track(new Database(join(dir, OPS_DB_FILE)), (db) => db.close());

describe('SQLite ops store', () => {
  it('creates ops.sqlite in WAL mode with every migration recorded, and reopens without migrating again', async () => {
    const dir = tmpDir('ops-store-');
    const first = open(dir);
    await first.users.create({ username: 'bob', password: 'correct horse battery', role: 'operator' });
    await first.close();

    const second = open(dir);
    expect(await second.users.get('bob')).toMatchObject({ role: 'operator' });
    const db = raw(dir);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    expect(migrate(db)).toEqual([]);
  });

  it('applies a migration whole or not at all', () => {
    const dir = tmpDir('ops-store-');
    const broken = [
      { version: 1, name: 'one', up: 'CREATE TABLE one (x INTEGER)' },
      { version: 2, name: 'two', up: 'CREATE TABLE two (x INTEGER); INSERT INTO no_such_table VALUES (1);' },
    ];
    expect(() => openOpsDatabase(dir, broken)).toThrow(/no_such_table/);
    const db = raw(dir);
    const tables = () => (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[]).filter((t) => !t.startsWith('sqlite_'));
    expect(tables()).toEqual(['one', 'schema_migrations']);
    expect(db.prepare('SELECT version FROM schema_migrations').pluck().all()).toEqual([1]);

    // fixed, it applies from where it stopped
    expect(migrate(db, [broken[0]!, { version: 2, name: 'two', up: 'CREATE TABLE two (x INTEGER)' }])).toEqual([2]);
    expect(tables()).toEqual(['one', 'schema_migrations', 'two']);
  });

  it('refuses migration lists with gaps', () => {
    const db = track(new Database(':memory:'), (d) => d.close());
    expect(() => migrate(db, [{ version: 2, name: 'two', up: 'SELECT 1' }])).toThrow(/expected version 1/);
  });

  it('shares the file with a second connection (another process, the CLI)', async () => {
    const dir = tmpDir('ops-store-');
    const a = open(dir);
    const b = open(dir);
    await a.users.create({ username: 'bob', password: 'correct horse battery', role: 'operator' });
    expect(await b.users.verify('bob', 'correct horse battery')).toMatchObject({ username: 'bob' });
    const incident = await b.transaction(async (tx) => tx.incidents.create(newIncident()));
    expect(await a.incidents.get(incident.id)).toEqual(incident);
    // one sequence for both
    expect((await a.incidents.create(newIncident({ dedupeKey: 'x' }))).id).toBe('INC-000002');
    // and one dedupe index
    await expect(a.incidents.create(newIncident())).rejects.toThrow(/already has dedupe key/);
  });

  it('stores only the SHA-256 of session ids, and per-user salted scrypt hashes', async () => {
    const dir = tmpDir('ops-store-');
    const store = open(dir);
    await store.users.create({ username: 'bob', password: 'correct horse battery', role: 'operator' });
    await store.users.create({ username: 'eve', password: 'correct horse battery', role: 'operator' });
    const session = await store.sessions.create('bob', 60_000);
    const db = raw(dir);
    const rows = db.prepare('SELECT * FROM sessions').all() as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id_hash).toBe(createHash('sha256').update(session.id).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(session.id);
    const hashes = db.prepare('SELECT password_hash FROM users').pluck().all() as string[];
    expect(hashes.every((h) => h.startsWith('scrypt$16384$8$1$'))).toBe(true);
    expect(hashes[0]).not.toBe(hashes[1]);
    expect(JSON.stringify(hashes)).not.toContain('correct horse');
  });

  it('keeps reporter contact in its own columns and the report token only as its SHA-256', async () => {
    const dir = tmpDir('ops-store-');
    const store = open(dir);
    const { report, token } = await store.reports.create(newReport());
    const row = raw(dir).prepare('SELECT * FROM reports WHERE id = ?').get(report.id) as Record<string, unknown>;
    expect(row).toMatchObject({ reporter_email: 'ada@example.org', reporter_phone: '+13125550100', reporter_first_name: 'Ada', reporter_last_name: 'L.' });
    expect(row.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token);
    // nothing but the reporter columns holds the contact
    const { reporter_email: _e, reporter_phone: _p, reporter_first_name: _f, reporter_last_name: _l, ...rest } = row;
    expect(JSON.stringify(rest)).not.toMatch(/ada@example|5550100/);
  });
});
