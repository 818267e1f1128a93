// The durable journal between "accepted" (PUBACK sent) and "in the store": append-only segment files
// under one directory plus a checkpoint file naming the first record not yet written to the store.
//
// Durability, honestly:
// - Records are written in groups: stage() holds a record in memory, flush() writes every staged record
//   with one synchronous write(2). The subscriber acknowledges a group's messages only after its flush
//   returned (group commit: one write per TCP read instead of one per message), so an acknowledged
//   record is in the operating system's page cache: it survives the process crashing or being killed
//   (kill -9, OOM killer), because the kernel still writes it out. append() = stage() + flush().
// - It is fsync'd (fdatasync) in small groups every `fsyncIntervalMs` (default 20 ms). A power loss or
//   kernel panic can therefore take the records acknowledged in the last interval (plus the device's
//   write cache if it lies about flushes). `fsyncIntervalMs = 0` fdatasyncs every flush before it
//   returns (one per group, not per message), for deployments that prefer that.
// - The checkpoint is replaced atomically (write a temporary file, rename it). It is not fsync'd: a
//   checkpoint lost or torn by a power loss only makes the next start replay from an older position, and
//   the store's writes are idempotent, so a replay never duplicates.
// - Recovery checks every record after the checkpoint (length + CRC-32) and cuts a torn tail.
//
// Bounds: records are read back from disk, never all held in memory; the bytes not yet in the store
// (staged ones included) are capped at `maxBytes`. When the cap is reached stage()/append() refuse and
// waitForSpace() lets the caller hold its acknowledgement until the writer has drained enough.
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  fsyncSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@city/shared';
import {
  encodeFrame,
  parseCheckpoint,
  parseFrame,
  parseSegmentFileName,
  segmentFileName,
  type JournalPosition,
} from '../core/journal-format.ts';
import { JournalLock } from './journal-lock.ts';

export type { JournalPosition } from '../core/journal-format.ts';

export interface JournalOptions {
  dir: string;
  /** cap on bytes appended but not yet committed (written to the store) */
  maxBytes: number;
  /** a segment file is closed and a new one started beyond this size */
  segmentBytes: number;
  /** fdatasync period; 0 = fdatasync before every append returns */
  fsyncIntervalMs: number;
  logger: Logger;
}

export interface JournalRecord {
  payload: Buffer;
  /** the position just after this record: commit it once the record is in the store */
  end: JournalPosition;
}

const CHECKPOINT_FILE = 'checkpoint.json';
const READ_CHUNK_BYTES = 1024 * 1024;

export class JournalFullError extends Error {
  constructor(readonly pendingBytes: number, readonly maxBytes: number) {
    super(`journal full: ${pendingBytes} bytes pending of ${maxBytes}`);
    this.name = 'JournalFullError';
  }
}

export class Journal {
  /** sizes of the live segment files, by segment number (ascending insertion) */
  private readonly sizes = new Map<number, number>();
  private active!: number;
  private fd!: number;
  private readFds = new Map<number, number>();
  private checkpointPos!: JournalPosition;
  private liveBytes = 0;
  private pending = 0;
  /** frames staged but not yet written (flush) */
  private staged: Buffer[] = [];
  private stagedBytes = 0;
  private dirty = false;
  private syncing = false;
  private retiredFds: number[] = [];
  private fsyncTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private appendWaiters: (() => void)[] = [];
  private spaceWaiters: (() => void)[] = [];
  private fsyncErrorLogged = false;
  /** one worker per journal directory (see journal-lock.ts) */
  private readonly lock: JournalLock;

  private constructor(private readonly options: JournalOptions) {
    const { dir } = options;
    mkdirSync(dir, { recursive: true });
    this.lock = JournalLock.acquire(dir);
    try {
      this.recover();
    } catch (err) {
      this.lock.release();
      throw err;
    }
  }

  /** Finds the checkpoint, checks every record after it, cuts a torn tail, opens a fresh segment. */
  private recover(): void {
    const { dir, logger } = this.options;
    const stored = readCheckpoint(dir, logger);
    const segments = readdirSync(dir)
      .map(parseSegmentFileName)
      .filter((n): n is number => n !== undefined)
      .sort((a, b) => a - b);

    // segments wholly before the checkpoint were drained; a crash may have left them behind
    for (const s of segments.filter((s) => stored && s < stored.segment)) rmSync(join(dir, segmentFileName(s)), { force: true });
    const live = segments.filter((s) => !stored || s >= stored.segment);
    let start: JournalPosition;
    if (stored && live[0] === stored.segment) start = stored;
    else if (live.length > 0) start = { segment: live[0]!, offset: 0 };
    else start = { segment: (stored?.segment ?? 0) + 1, offset: 0 };

    // check every record from the start position; cut a torn or corrupt tail
    for (const s of live) {
      const file = join(dir, segmentFileName(s));
      const fd = openSync(file, 'r+');
      try {
        let size = fstatSync(fd).size;
        let offset = s === start.segment ? start.offset : 0;
        if (offset > size) {
          logger.warn('journal checkpoint is beyond the end of its segment (its tail was lost after reaching the store)', {
            segment: s,
            checkpointOffset: offset,
            segmentBytes: size,
          });
          offset = size;
          start = { segment: s, offset };
        }
        const scan = scanSegment(fd, offset, size);
        this.pending += scan.records;
        if (scan.validEnd < size) {
          logger.warn('journal segment has a torn or corrupt tail: cut (records after it were never acknowledged, or a power loss took them)', {
            segment: s,
            validBytes: scan.validEnd,
            cutBytes: size - scan.validEnd,
            problem: scan.problem,
          });
          ftruncateSync(fd, scan.validEnd);
          size = scan.validEnd;
        }
        this.sizes.set(s, size);
        this.liveBytes += size;
      } finally {
        closeSync(fd);
      }
    }

    // always append to a fresh segment: never after a tail that recovery may just have cut
    this.active = Math.max(start.segment, (live.at(-1) ?? 0) + 1);
    this.fd = openSync(join(dir, segmentFileName(this.active)), 'a');
    this.sizes.set(this.active, fstatSync(this.fd).size);
    this.liveBytes += this.sizes.get(this.active)!;
    fsyncDir(dir);
    this.checkpointPos = this.normalise(start);
    this.writeCheckpoint();
    if (this.pending > 0) {
      logger.info('journal has records not yet in the store: replaying them', {
        records: this.pending,
        bytes: this.pendingBytes(),
      });
    }
    if (this.options.fsyncIntervalMs > 0) {
      this.fsyncTimer = setInterval(() => this.fsyncTick(), this.options.fsyncIntervalMs);
      this.fsyncTimer.unref();
    }
  }

  /** Opens (creating) the journal in `options.dir` and recovers what a previous run left. */
  static open(options: JournalOptions): Journal {
    return new Journal(options);
  }

  get checkpoint(): JournalPosition {
    return { ...this.checkpointPos };
  }

  /** Bytes staged or appended but not yet committed. */
  pendingBytes(): number {
    return this.liveBytes - this.checkpointPos.offset + this.stagedBytes;
  }

  /** The cap on pending bytes. */
  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /** Records staged or appended but not yet committed. */
  pendingRecords(): number {
    return this.pending + this.staged.length;
  }

  /** Records staged and not yet written by flush(). */
  stagedRecords(): number {
    return this.staged.length;
  }

  /** Whether a record of `payloadBytes` fits under the cap now. An empty journal takes any record. */
  hasSpaceFor(payloadBytes: number): boolean {
    const pending = this.pendingBytes();
    return pending === 0 || pending + payloadBytes + 8 <= this.options.maxBytes;
  }

  /**
   * Holds one record for the next flush(): nothing is written yet, so nothing may be acknowledged yet.
   * Throws JournalFullError when over the cap (see waitForSpace).
   */
  stage(payload: Buffer): void {
    if (this.closed) throw new Error('journal closed');
    if (!this.hasSpaceFor(payload.length)) throw new JournalFullError(this.pendingBytes(), this.options.maxBytes);
    const frame = encodeFrame(payload);
    this.staged.push(frame);
    this.stagedBytes += frame.length;
  }

  /**
   * Writes every staged record with one write(2); when it returns they are in the OS (on disk once the
   * next fsync ran, or already with fsyncIntervalMs 0). Throws the I/O error when the write failed (disk
   * full, I/O error): then the records stay staged, nothing of them was acknowledged, and the next
   * flush() tries again.
   */
  flush(): void {
    if (this.staged.length === 0) return;
    if (this.closed) throw new Error('journal closed');
    const group = this.staged.length === 1 ? this.staged[0]! : Buffer.concat(this.staged, this.stagedBytes);
    let size = this.sizes.get(this.active)!;
    if (size > 0 && size + group.length > this.options.segmentBytes) {
      this.rotate();
      size = 0;
    }
    let written = 0;
    try {
      // a short write (rare, disk full) continues where it stopped
      while (written < group.length) written += writeSync(this.fd, group, written, group.length - written);
    } catch (err) {
      if (written > 0) {
        // cut the partial group so the segment stays a clean sequence of records
        try {
          ftruncateSync(this.fd, size);
        } catch {
          // recovery cuts it at the next start (CRC)
        }
      }
      throw err;
    }
    const records = this.staged.length;
    this.staged = [];
    this.stagedBytes = 0;
    this.sizes.set(this.active, size + group.length);
    this.liveBytes += group.length;
    this.pending += records;
    if (this.options.fsyncIntervalMs === 0) fdatasyncSync(this.fd);
    else this.dirty = true;
    const waiters = this.appendWaiters;
    if (waiters.length > 0) {
      this.appendWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** stage() and flush(): one record written (after any staged before it) when it returns. */
  append(payload: Buffer): void {
    this.stage(payload);
    this.flush();
  }

  /** Resolves after the next append, or after `timeoutMs`, or when `signal` aborts. */
  waitForAppend(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.waitOn(this.appendWaiters, timeoutMs, signal);
  }

  /** Resolves once a record of `payloadBytes` fits, or when `signal` aborts (then rejects). */
  async waitForSpace(payloadBytes: number, signal?: AbortSignal): Promise<void> {
    while (!this.hasSpaceFor(payloadBytes)) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      if (this.closed) throw new Error('journal closed');
      await this.waitOn(this.spaceWaiters, 1000, signal);
    }
  }

  private waitOn(list: (() => void)[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        const i = list.indexOf(done);
        if (i >= 0) list.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      list.push(done);
    });
  }

  /**
   * Reads up to `maxRecords` records starting at `from` (a position given by open() as `checkpoint` or
   * by a previous record's `end`). Returns fewer, possibly none, when the journal has no more yet.
   */
  read(from: JournalPosition, maxRecords: number): JournalRecord[] {
    const out: JournalRecord[] = [];
    // behind the checkpoint (e.g. the end of a segment deleted on commit): all of that is in the store
    let pos = this.normalise(from.segment < this.checkpointPos.segment ? this.checkpointPos : from);
    while (out.length < maxRecords) {
      const size = this.sizes.get(pos.segment);
      if (size === undefined) throw new Error(`journal segment ${pos.segment} is not live (read position behind the checkpoint?)`);
      if (pos.offset >= size) {
        const next = this.normalise(pos);
        if (next.segment === pos.segment) break; // the end of the active segment: nothing more yet
        pos = next;
        continue;
      }
      const fd = this.readFd(pos.segment);
      const want = Math.min(READ_CHUNK_BYTES, size - pos.offset);
      let buf = Buffer.allocUnsafe(want);
      let got = readFully(fd, buf, pos.offset);
      let first = parseFrame(buf.subarray(0, got), 0);
      if (first.type === 'incomplete' && first.frameBytes !== undefined && first.frameBytes > got) {
        // one record larger than the chunk: read exactly that record
        buf = Buffer.allocUnsafe(first.frameBytes);
        got = readFully(fd, buf, pos.offset);
        first = parseFrame(buf.subarray(0, got), 0);
      }
      let offset = 0;
      while (out.length < maxRecords) {
        const frame = offset === 0 ? first : parseFrame(buf.subarray(0, got), offset);
        if (frame.type === 'record') {
          offset += frame.frameBytes;
          out.push({ payload: frame.payload, end: { segment: pos.segment, offset: pos.offset + offset } });
          continue;
        }
        if (frame.type === 'corrupt' || offset === 0) {
          // checked at open and written by us since: only outside interference gets here
          throw new Error(`journal segment ${pos.segment} at ${pos.offset + offset}: ${frame.type === 'corrupt' ? frame.detail : 'truncated record'}`);
        }
        break;
      }
      pos = { segment: pos.segment, offset: pos.offset + offset };
    }
    return out;
  }

  /**
   * Records everything before `upTo` as written to the store (`records` of them): persists the
   * checkpoint, deletes fully drained segments and wakes appenders waiting for space.
   */
  commit(upTo: JournalPosition, records: number): void {
    const pos = this.normalise(upTo);
    this.checkpointPos = pos;
    this.pending = Math.max(0, this.pending - records);
    this.writeCheckpoint();
    for (const [segment, size] of this.sizes) {
      if (segment >= pos.segment) continue;
      const fd = this.readFds.get(segment);
      if (fd !== undefined) closeSync(fd);
      this.readFds.delete(segment);
      rmSync(join(this.options.dir, segmentFileName(segment)), { force: true });
      this.sizes.delete(segment);
      this.liveBytes -= size;
    }
    const waiters = this.spaceWaiters;
    if (waiters.length > 0 && this.hasSpaceFor(0)) {
      this.spaceWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Live segment numbers, oldest first (for tests and diagnostics). */
  segments(): number[] {
    return [...this.sizes.keys()].sort((a, b) => a - b);
  }

  /** Writes what is staged, flushes to disk and closes the files. The journal keeps everything not committed. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.flush();
    } catch (err) {
      // never acknowledged (the subscriber stops first): the broker redelivers them
      this.options.logger.error('journal: staged records could not be written at close', { records: this.staged.length, err });
    }
    this.closed = true;
    clearInterval(this.fsyncTimer);
    while (this.syncing) await new Promise((r) => setTimeout(r, 1));
    fdatasyncSync(this.fd);
    closeSync(this.fd);
    for (const fd of this.retiredFds) closeSync(fd);
    for (const fd of this.readFds.values()) closeSync(fd);
    this.readFds.clear();
    for (const wake of [...this.appendWaiters, ...this.spaceWaiters]) wake();
    this.lock.release();
  }

  /** A position at the end of a sealed segment becomes the start of the next live one. */
  private normalise(pos: JournalPosition): JournalPosition {
    const size = this.sizes.get(pos.segment);
    if (size === undefined || pos.offset < size || pos.segment >= this.active) return pos;
    const next = this.segments().find((s) => s > pos.segment);
    return next === undefined ? pos : { segment: next, offset: 0 };
  }

  private rotate(): void {
    // seal the full segment: on disk before any record of the next one
    fdatasyncSync(this.fd);
    if (this.syncing) this.retiredFds.push(this.fd);
    else closeSync(this.fd);
    this.dirty = false;
    this.active += 1;
    this.fd = openSync(join(this.options.dir, segmentFileName(this.active)), 'a');
    this.sizes.set(this.active, 0);
    fsyncDir(this.options.dir);
  }

  private fsyncTick(): void {
    if (this.syncing || !this.dirty || this.closed) return;
    this.dirty = false;
    this.syncing = true;
    // off the event loop: the thread pool runs it while messages keep coming
    fdatasync(this.fd, (err) => {
      this.syncing = false;
      for (const fd of this.retiredFds) closeSync(fd);
      this.retiredFds = [];
      if (err) {
        this.dirty = true;
        if (!this.fsyncErrorLogged) this.options.logger.error('journal fsync failed: retrying; a power loss could take recent records', { err });
        this.fsyncErrorLogged = true;
      } else {
        this.fsyncErrorLogged = false;
      }
    });
  }

  private readFd(segment: number): number {
    let fd = this.readFds.get(segment);
    if (fd === undefined) {
      fd = openSync(join(this.options.dir, segmentFileName(segment)), 'r');
      this.readFds.set(segment, fd);
    }
    return fd;
  }

  private writeCheckpoint(): void {
    const file = join(this.options.dir, CHECKPOINT_FILE);
    writeFileSync(`${file}.tmp`, JSON.stringify(this.checkpointPos));
    renameSync(`${file}.tmp`, file);
  }
}

function readCheckpoint(dir: string, logger: Logger): JournalPosition | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, CHECKPOINT_FILE), 'utf8');
  } catch {
    return undefined; // a new journal
  }
  const pos = parseCheckpoint(text);
  // replaying from the oldest segment is safe (idempotent store writes), only slower
  if (!pos) logger.warn('journal checkpoint unreadable: replaying every retained segment', { file: join(dir, CHECKPOINT_FILE) });
  return pos;
}

function readFully(fd: number, buf: Buffer, position: number): number {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** Validates the records of one segment from `offset`; returns where the valid records end. */
function scanSegment(fd: number, offset: number, size: number): { records: number; validEnd: number; problem?: string } {
  let records = 0;
  let pos = offset;
  while (pos < size) {
    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, size - pos));
    const got = readFully(fd, buf, pos);
    let at = 0;
    let frame = parseFrame(buf.subarray(0, got), 0);
    if (frame.type === 'incomplete' && frame.frameBytes !== undefined && pos + frame.frameBytes <= size) {
      const big = Buffer.allocUnsafe(frame.frameBytes);
      readFully(fd, big, pos);
      frame = parseFrame(big, 0);
      if (frame.type === 'record') {
        records += 1;
        pos += frame.frameBytes;
        continue;
      }
    }
    for (;;) {
      if (frame.type !== 'record') break;
      records += 1;
      at += frame.frameBytes;
      frame = parseFrame(buf.subarray(0, got), at);
    }
    if (at === 0) {
      return { records, validEnd: pos, problem: frame.type === 'corrupt' ? frame.detail : 'truncated record' };
    }
    pos += at;
  }
  return { records, validEnd: pos };
}

function fsyncDir(dir: string): void {
  // the new file's directory entry must survive a power loss too
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some filesystems refuse fsync on a directory; the data fsyncs still apply
  }
}
