// One worker per journal directory. Two workers appending to and draining the same journal would
// interleave segments and move each other's checkpoint: readings would be skipped or written twice.
// Nothing in MQTT stops two workers from being pointed at one directory (a shared DATA_DIR volume with
// several replicas), so the journal takes a lock file and refuses to open while another live worker holds it.
//
// The lock is a file created with O_EXCL holding {host, pid, startTicks, since}; its holder touches it
// every `heartbeatMs`. A lock is stale, and taken over, when
// - its holder is on this host and that process is gone (kill -9: restart at once): no process with that
//   pid, or one that started at another time (the pid reused, as in a restarted container), or this very
//   process id, or
// - its heartbeat is older than `staleMs` (a holder on another host sharing the volume, gone or frozen).
// A lock file is advisory and the volume's clock must roughly agree with ours; it is a guard against a
// configuration mistake, not a distributed lock.
import { closeSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'lock.json';

export interface JournalLockOptions {
  /** heartbeat period */
  heartbeatMs?: number;
  /** a lock not touched for this long is stale */
  staleMs?: number;
}

interface LockOwner {
  host: string;
  pid: number;
  /** the process' start time in clock ticks since boot (Linux /proc/PID/stat), to tell a reused pid */
  startTicks?: number;
  since: string;
}

export class JournalLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly owner: Partial<LockOwner>,
    readonly heartbeatAgeMs: number,
  ) {
    super(
      `journal directory ${dir} is in use by another ingest worker (host ${owner.host ?? '?'}, pid ${owner.pid ?? '?'}, ` +
        `last heartbeat ${Math.round(heartbeatAgeMs / 1000)} s ago): give each worker its own INGEST_JOURNAL_DIR ` +
        `(and its own INGEST_CLIENT_ID)`,
    );
    this.name = 'JournalLockedError';
  }
}

export class JournalLock {
  private readonly timer: NodeJS.Timeout;
  private released = false;

  private constructor(
    private readonly file: string,
    heartbeatMs: number,
  ) {
    this.timer = setInterval(() => this.touch(), heartbeatMs);
    this.timer.unref();
  }

  /** Takes the lock on `dir` (which must exist), taking over a stale one; throws JournalLockedError. */
  static acquire(dir: string, options: JournalLockOptions = {}): JournalLock {
    const heartbeatMs = options.heartbeatMs ?? 5_000;
    const staleMs = options.staleMs ?? 30_000;
    const file = join(dir, LOCK_FILE);
    const me: LockOwner = {
      host: hostname(),
      pid: process.pid,
      startTicks: processStartTicks(process.pid),
      since: new Date().toISOString(),
    };
    // two rounds: the second follows removing a stale lock (another starter may win that race: then it holds it)
    for (let round = 0; round < 2; round++) {
      try {
        const fd = openSync(file, 'wx');
        try {
          writeSync(fd, JSON.stringify(me));
        } finally {
          closeSync(fd);
        }
        return new JournalLock(file, heartbeatMs);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const held = readLock(file);
      if (!held) continue; // removed meanwhile
      if (!isStale(held.owner, held.ageMs, staleMs)) throw new JournalLockedError(dir, held.owner, held.ageMs);
      rmSync(file, { force: true });
    }
    const held = readLock(file);
    throw new JournalLockedError(dir, held?.owner ?? {}, held?.ageMs ?? 0);
  }

  private touch(): void {
    if (this.released) return;
    const now = new Date();
    try {
      utimesSync(this.file, now, now);
    } catch {
      // removed by hand or the volume is gone: the journal's own writes will report the real problem
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    rmSync(this.file, { force: true });
  }
}

function readLock(file: string): { owner: Partial<LockOwner>; ageMs: number } | undefined {
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let owner: Partial<LockOwner> = {};
  try {
    owner = JSON.parse(text) as Partial<LockOwner>;
  } catch {
    // torn by a crash between create and write: judged by its age alone
  }
  return { owner, ageMs: Math.max(0, Date.now() - mtimeMs) };
}

function isStale(owner: Partial<LockOwner>, ageMs: number, staleMs: number): boolean {
  if (ageMs > staleMs) return true;
  if (owner.host !== hostname() || typeof owner.pid !== 'number') return false;
  if (owner.pid === process.pid || !processAlive(owner.pid)) return true;
  const startTicks = processStartTicks(owner.pid);
  return owner.startTicks !== undefined && startTicks !== undefined && startTicks !== owner.startTicks;
}

/** Field 22 of /proc/PID/stat; undefined where there is no /proc. */
function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count from after it
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
