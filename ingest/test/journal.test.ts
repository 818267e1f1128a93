import { appendFileSync, existsSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { track } from '../../test/support/teardown.ts';
import { tmpDir } from '../../test/support/tmp.ts';
import { Journal, JournalFullError, type JournalOptions, type JournalPosition } from '../src/adapters/journal.ts';
import { encodeFrame, parseFrame, segmentFileName } from '../src/core/journal-format.ts';
import { captureLogger, logged } from './support/logs.ts';

function open(dir: string, options: Partial<JournalOptions> = {}) {
  const logger = captureLogger();
  const journal = track(
    Journal.open({ dir, maxBytes: 1024 * 1024, segmentBytes: 64 * 1024, fsyncIntervalMs: 5, logger, ...options }),
    (j) => j.close(),
  );
  return { journal, logs: logger.entries };
}

const rec = (i: number, size = 0) => Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(size) }));
const idOf = (payload: Buffer) => (JSON.parse(payload.toString()) as { i: number }).i;

/** Reads everything from `from`, in chunks of `chunk` records. */
function readAll(journal: Journal, from: JournalPosition, chunk = 1000) {
  const out: number[] = [];
  let pos = from;
  for (;;) {
    const records = journal.read(pos, chunk);
    if (records.length === 0) return { ids: out, end: pos };
    for (const r of records) out.push(idOf(r.payload));
    pos = records.at(-1)!.end;
  }
}

describe('journal framing', () => {
  it('round-trips a record and refuses a flipped byte', () => {
    const frame = encodeFrame(Buffer.from('hello'));
    const parsed = parseFrame(frame, 0);
    expect(parsed.type === 'record' && parsed.payload.toString()).toBe('hello');
    frame[frame.length - 1]! ^= 0xff;
    expect(parseFrame(frame, 0).type).toBe('corrupt');
    expect(parseFrame(frame.subarray(0, 6), 0)).toEqual({ type: 'incomplete' });
  });
});

describe('journal', () => {
  it('reads back appended records in order from the checkpoint', async () => {
    const { journal } = open(tmpDir());
    for (let i = 0; i < 100; i++) journal.append(rec(i));
    expect(journal.pendingRecords()).toBe(100);
    const { ids } = readAll(journal, journal.checkpoint, 7);
    expect(ids).toEqual([...Array(100).keys()]);
  });

  it('writes staged records only at flush, in one group, and counts them as pending before that', () => {
    const dir = tmpDir();
    const { journal } = open(dir);
    for (let i = 0; i < 50; i++) journal.stage(rec(i));
    expect(journal.stagedRecords()).toBe(50);
    expect(journal.pendingRecords()).toBe(50);
    expect(journal.read(journal.checkpoint, 100)).toEqual([]); // nothing written yet
    const segment = join(dir, segmentFileName(journal.segments().at(-1)!));
    expect(statSync(segment).size).toBe(0);
    journal.flush();
    expect(journal.stagedRecords()).toBe(0);
    expect(readAll(journal, journal.checkpoint).ids).toEqual([...Array(50).keys()]);
    journal.flush(); // nothing staged: nothing written
    expect(journal.pendingRecords()).toBe(50);
  });

  it('counts staged bytes against the cap and writes staged records at close', async () => {
    const dir = tmpDir();
    const first = open(dir, { maxBytes: 2048 }).journal;
    first.stage(rec(0, 1000));
    expect(() => first.stage(rec(1, 1100))).toThrow(JournalFullError);
    await first.close();
    const { journal } = open(dir);
    expect(readAll(journal, journal.checkpoint).ids).toEqual([0]);
  });

  it('advances the checkpoint on commit and keeps it across a reopen', async () => {
    const dir = tmpDir();
    const first = open(dir).journal;
    for (let i = 0; i < 10; i++) first.append(rec(i));
    const records = first.read(first.checkpoint, 4);
    first.commit(records.at(-1)!.end, 4);
    expect(first.pendingRecords()).toBe(6);
    await first.close();

    const { journal, logs } = open(dir);
    expect(journal.pendingRecords()).toBe(6);
    expect(readAll(journal, journal.checkpoint).ids).toEqual([4, 5, 6, 7, 8, 9]);
    expect(logged(logs, 'replaying')).toHaveLength(1);
  });

  it('rotates segments and deletes those drained', () => {
    const dir = join(tmpDir(), 'j');
    const { journal } = open(dir, { segmentBytes: 4096 });
    for (let i = 0; i < 200; i++) journal.append(rec(i, 100));
    const segments = journal.segments();
    expect(segments.length).toBeGreaterThan(5);
    for (const s of segments) expect(statSync(join(dir, segmentFileName(s))).size).toBeLessThanOrEqual(4096);

    // drain all but the last few records: every segment before the checkpoint's is gone
    const all = journal.read(journal.checkpoint, 1000);
    expect(all.map((r) => idOf(r.payload))).toEqual([...Array(200).keys()]);
    journal.commit(all[194]!.end, 195);
    const left = journal.segments();
    expect(left[0]).toBe(all[194]!.end.segment);
    const files = readdirSync(dir).filter((f) => f.endsWith('.seg'));
    expect(files).toHaveLength(left.length);
    expect(readAll(journal, journal.checkpoint).ids).toEqual([195, 196, 197, 198, 199]);
    expect(journal.pendingRecords()).toBe(5);
  });

  it('reads on from the end of a segment that a commit deleted', () => {
    const { journal } = open(tmpDir(), { segmentBytes: 1024 });
    for (let i = 0; i < 30; i++) journal.append(rec(i, 100));
    const all = journal.read(journal.checkpoint, 1000);
    const lastOfFirst = all.filter((r) => r.end.segment === all[0]!.end.segment).at(-1)!;
    const count = all.indexOf(lastOfFirst) + 1;
    journal.commit(lastOfFirst.end, count);
    expect(journal.segments()).not.toContain(lastOfFirst.end.segment);
    expect(readAll(journal, lastOfFirst.end).ids).toEqual([...Array(30).keys()].slice(count));
  });

  it('replays after a crash: records appended but never committed come back, none twice', async () => {
    const dir = tmpDir();
    const first = open(dir, { segmentBytes: 2048 }).journal;
    for (let i = 0; i < 50; i++) first.append(rec(i, 50));
    const done = first.read(first.checkpoint, 20);
    first.commit(done.at(-1)!.end, 20);
    for (let i = 50; i < 60; i++) first.append(rec(i, 50));
    // no close(): the process "dies" here; the writes are in the OS
    const { journal } = open(dir, { segmentBytes: 2048 });
    expect(readAll(journal, journal.checkpoint).ids).toEqual([...Array(40).keys()].map((i) => i + 20));
    // new records go after the replayed ones
    journal.append(rec(60));
    expect(readAll(journal, journal.checkpoint).ids.at(-1)).toBe(60);
    await first.close();
  });

  it('cuts a torn tail at reopen and keeps every complete record', async () => {
    const dir = tmpDir();
    const first = open(dir).journal;
    for (let i = 0; i < 5; i++) first.append(rec(i));
    const segment = first.segments().at(-1)!;
    await first.close();
    const file = join(dir, segmentFileName(segment));
    const size = statSync(file).size;
    // half a record (a power loss in the middle of a write)
    appendFileSync(file, encodeFrame(rec(5)).subarray(0, 10));

    const { journal, logs } = open(dir);
    expect(readAll(journal, journal.checkpoint).ids).toEqual([0, 1, 2, 3, 4]);
    expect(statSync(file).size).toBe(size);
    expect(logged(logs, 'torn or corrupt tail', 'warn')).toHaveLength(1);
  });

  it('replays every retained segment when the checkpoint is unreadable', async () => {
    const dir = tmpDir();
    const first = open(dir).journal;
    for (let i = 0; i < 3; i++) first.append(rec(i));
    await first.close();
    writeFileSync(join(dir, 'checkpoint.json'), '{"segm');
    const { journal, logs } = open(dir);
    expect(readAll(journal, journal.checkpoint).ids).toEqual([0, 1, 2]);
    expect(logged(logs, 'checkpoint unreadable', 'warn')).toHaveLength(1);
  });

  it('treats a checkpoint beyond a lost tail as the end of that segment', async () => {
    const dir = tmpDir();
    const first = open(dir).journal;
    for (let i = 0; i < 4; i++) first.append(rec(i));
    const all = first.read(first.checkpoint, 10);
    first.commit(all.at(-1)!.end, 4);
    const segment = first.segments()[0]!;
    await first.close();
    // a power loss took the segment's tail after the store had it and the checkpoint said so
    truncateSync(join(dir, segmentFileName(segment)), 10);
    const { journal } = open(dir);
    expect(journal.pendingRecords()).toBe(0);
    journal.append(rec(9));
    expect(readAll(journal, journal.checkpoint).ids).toEqual([9]);
  });

  it('refuses appends beyond maxBytes and lets a waiter in once the writer commits (back-pressure)', async () => {
    const { journal } = open(tmpDir(), { maxBytes: 2000, segmentBytes: 1000 });
    const payload = rec(0, 180); // ~200 bytes a frame
    let appended = 0;
    for (;;) {
      try {
        journal.append(payload);
        appended += 1;
      } catch (err) {
        expect(err).toBeInstanceOf(JournalFullError);
        break;
      }
    }
    expect(appended).toBeGreaterThan(5);
    expect(journal.pendingBytes()).toBeLessThanOrEqual(2000);
    expect(journal.hasSpaceFor(payload.length)).toBe(false);

    let admitted = false;
    const waiting = journal.waitForSpace(payload.length).then(() => (admitted = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(admitted).toBe(false);
    const some = journal.read(journal.checkpoint, 3);
    journal.commit(some.at(-1)!.end, 3);
    await waiting;
    expect(admitted).toBe(true);
    journal.append(payload);
  });

  it('aborts a space wait when the connection goes', async () => {
    const { journal } = open(tmpDir(), { maxBytes: 500, segmentBytes: 300 });
    while (journal.hasSpaceFor(100)) journal.append(rec(0, 80));
    const connection = new AbortController();
    const waiting = journal.waitForSpace(100, connection.signal);
    connection.abort(new Error('connection closed'));
    await expect(waiting).rejects.toThrow('connection closed');
  });

  it('with fsyncIntervalMs 0 syncs each append and still reads back', () => {
    const { journal } = open(tmpDir(), { fsyncIntervalMs: 0 });
    for (let i = 0; i < 20; i++) journal.append(rec(i));
    expect(readAll(journal, journal.checkpoint).ids).toHaveLength(20);
  });

  it('reads a record larger than the read chunk', () => {
    const { journal } = open(tmpDir(), { maxBytes: 16 * 1024 * 1024, segmentBytes: 8 * 1024 * 1024 });
    journal.append(rec(1, 10));
    journal.append(rec(2, 3 * 1024 * 1024));
    journal.append(rec(3, 10));
    expect(readAll(journal, journal.checkpoint, 1).ids).toEqual([1, 2, 3]);
  });

  it('starts a fresh directory', () => {
    const dir = join(tmpDir(), 'nested', 'journal');
    const { journal } = open(dir);
    expect(existsSync(join(dir, 'checkpoint.json'))).toBe(true);
    expect(journal.pendingRecords()).toBe(0);
    expect(journal.read(journal.checkpoint, 10)).toEqual([]);
  });
});
