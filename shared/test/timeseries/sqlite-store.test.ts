import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { track } from '../../../test/support/teardown.ts';
import { tmpDir } from '../../../test/support/tmp.ts';
import { createLogger, setLogLevel } from '../../src/logger.ts';
import { StoreError } from '../../src/timeseries/errors.ts';
import { createSqliteStore, type SqliteStoreOptions } from '../../src/timeseries/sqlite-store.ts';
import { describeStoreContract, series } from './store-contract.ts';

setLogLevel('warn');
const logger = createLogger('test:sqlite-store');

async function openStore(options: Partial<SqliteStoreOptions> = {}) {
  const file = options.file ?? join(tmpDir(), 'timeseries.sqlite');
  const store = track(createSqliteStore({ file, logger, ...options }), (s) => s.stop());
  await store.start();
  return { store, file };
}

describeStoreContract('sqlite', async () => (await openStore()).store);

describe('sqlite store', () => {
  it('a resolved write is in the file, visible to another connection before stop()', async () => {
    const { store, file } = await openStore();
    await store.write(series('aq-1', 100));
    const other = track(new Database(file, { readonly: true }), (d) => d.close());
    expect(other.prepare('SELECT count(*) AS n FROM points').get()).toEqual({ n: 100 });
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('keeps its data across a restart', async () => {
    const dir = tmpDir();
    const file = join(dir, 'nested', 'ts.sqlite');
    const first = createSqliteStore({ file, logger });
    await first.start();
    await first.write(series('aq-1', 42));
    await first.stop();
    const { store } = await openStore({ file });
    expect(await store.countPoints('air_quality', 'aq-1')).toBe(42);
  });

  it('retentionDays deletes older points at start', async () => {
    const file = join(tmpDir(), 'ts.sqlite');
    const now = Date.now();
    const seed = createSqliteStore({ file, logger });
    await seed.start();
    await seed.write([...series('old', 5, 'noise', now - 10 * 86_400_000), ...series('new', 5, 'noise', now - 3_600_000)]);
    await seed.stop();
    const { store } = await openStore({ file, retentionDays: 7 });
    expect(await store.countPoints('noise', 'old')).toBe(0);
    expect(await store.countPoints('noise', 'new')).toBe(5);
  });

  it('fails clearly when the file cannot be opened, and before start()', async () => {
    const dir = tmpDir();
    const store = createSqliteStore({ file: join(dir, 'x.sqlite'), logger });
    await expect(store.write(series('a', 1))).rejects.toThrow(/not started/);
    const bad = createSqliteStore({ file: dir, logger }); // a directory, not a file
    const err = await bad.start().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(new RegExp(`SQLite store ${dir}: opening failed`));
  });
});
