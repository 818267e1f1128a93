// The pieces of running several ingest workers: shared subscription filters, their configuration, and the
// lock that keeps two workers out of one journal directory.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvReader } from '@city/shared';
import { track } from '../../test/support/teardown.ts';
import { tmpDir } from '../../test/support/tmp.ts';
import { JournalLock, JournalLockedError, LOCK_FILE } from '../src/adapters/journal-lock.ts';
import { Journal } from '../src/adapters/journal.ts';
import { readIngestConfig } from '../src/config.ts';
import { subscriptionFilters } from '../src/core/shared-subscription.ts';
import { captureLogger } from './support/logs.ts';

describe('subscriptionFilters', () => {
  it('puts every filter in the shared group, or leaves them as they are', () => {
    expect(subscriptionFilters(['city/sensors/+/up', 'frigate/events'], 'ingest')).toEqual([
      '$share/ingest/city/sensors/+/up',
      '$share/ingest/frigate/events',
    ]);
    expect(subscriptionFilters(['city/sensors/+/up'])).toEqual(['city/sensors/+/up']);
  });
});

describe('INGEST_SHARED_GROUP and INGEST_JOURNAL_DIR', () => {
  const read = (env: Record<string, string>) => {
    const reader = new EnvReader({ DATA_DIR: '/data', ...env });
    const config = readIngestConfig(reader);
    return { config, problems: reader.problems };
  };

  it('reads a group with a client id and journal of the worker', () => {
    const { config, problems } = read({ INGEST_SHARED_GROUP: 'ingest', INGEST_CLIENT_ID: 'ingest-2', INGEST_JOURNAL_DIR: '/data/journal-2' });
    expect(problems).toEqual([]);
    expect(config.mqtt.sharedGroup).toBe('ingest');
    expect(config.mqtt.clientId).toBe('ingest-2');
    expect(config.journal.dir).toBe('/data/journal-2');
  });

  it('keeps the single-worker defaults without a group', () => {
    const { config, problems } = read({});
    expect(problems).toEqual([]);
    expect(config.mqtt.sharedGroup).toBeUndefined();
    expect(config.mqtt.clientId).toBe('ingest-1');
    expect(config.journal.dir).toBe(join('/data', 'ingest-journal'));
  });

  it.each(['a/b', 'a+', '#', 'two words', 'x'.repeat(65)])('refuses the share name %j', (group) => {
    const { problems } = read({ INGEST_SHARED_GROUP: group, INGEST_CLIENT_ID: 'ingest-2' });
    expect(problems).toEqual([expect.stringMatching(/^INGEST_SHARED_GROUP: expected a share name/)]);
  });

  it('refuses a group without a client id of its own', () => {
    const { problems } = read({ INGEST_SHARED_GROUP: 'ingest' });
    expect(problems).toEqual([expect.stringMatching(/^INGEST_CLIENT_ID: expected a fixed id of its own/)]);
  });
});

describe('JournalLock', () => {
  /** a live process on this host that is not us */
  function otherProcess(): number {
    const child = track(spawn('sleep', ['60'], { stdio: 'ignore' }), (c) => c.kill('SIGKILL'));
    return child.pid!;
  }
  const writeLock = (dir: string, owner: object, ageMs = 0) => {
    const file = join(dir, LOCK_FILE);
    writeFileSync(file, JSON.stringify(owner));
    const at = new Date(Date.now() - ageMs);
    utimesSync(file, at, at);
  };

  it('refuses a directory held by another live worker, naming it and what to set', () => {
    const dir = tmpDir('lock-');
    const pid = otherProcess();
    writeLock(dir, { host: hostname(), pid, since: new Date().toISOString() });
    let error: unknown;
    try {
      JournalLock.acquire(dir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(JournalLockedError);
    expect((error as Error).message).toContain(`pid ${pid}`);
    expect((error as Error).message).toContain('INGEST_JOURNAL_DIR');
  });

  it('refuses a fresh lock from another host, takes over one whose heartbeat stopped', () => {
    const dir = tmpDir('lock-');
    writeLock(dir, { host: 'ingest-elsewhere', pid: 1, since: '' }, 5_000);
    expect(() => JournalLock.acquire(dir, { staleMs: 30_000 })).toThrow(JournalLockedError);
    writeLock(dir, { host: 'ingest-elsewhere', pid: 1, since: '' }, 60_000);
    const lock = JournalLock.acquire(dir, { staleMs: 30_000 });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ host: hostname(), pid: process.pid });
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('takes over at once the lock of a worker on this host that was killed', async () => {
    const dir = tmpDir('lock-');
    const child = spawn('true', { stdio: 'ignore' });
    await new Promise((resolve) => child.once('exit', resolve));
    writeLock(dir, { host: hostname(), pid: child.pid, since: '' });
    JournalLock.acquire(dir).release();
  });

  it('takes over at once a lock whose pid now belongs to another process (a restarted container)', () => {
    const dir = tmpDir('lock-');
    const pid = otherProcess();
    writeLock(dir, { host: hostname(), pid, startTicks: 1, since: '' });
    JournalLock.acquire(dir).release();
  });

  it('keeps a second journal out of a directory in use, and lets it in once the first is closed', async () => {
    const dir = tmpDir('lock-');
    const pid = otherProcess();
    const logger = captureLogger();
    const options = { dir, maxBytes: 1024 * 1024, segmentBytes: 64 * 1024, fsyncIntervalMs: 0, logger };
    writeLock(dir, { host: hostname(), pid, since: '' });
    expect(() => Journal.open(options)).toThrow(JournalLockedError);
    writeLock(dir, { host: hostname(), pid: process.pid, since: '' });
    const journal = Journal.open(options);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    await journal.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
