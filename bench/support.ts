// What every benchmark script needs: a progress line, a check that the machine is quiet, a process's
// CPU and memory, and a clean-up that leaves nothing behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/influxd.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let lastProgress = 0;
/** A live line on a terminal; otherwise a line every 2 s at most (or when forced). */
export function progress(text: string, force = false) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else if (text && (force || Date.now() - lastProgress > 2000)) {
    lastProgress = Date.now();
    process.stderr.write(`${text}\n`);
  }
}

/** Share of all CPUs busy over `ms`, from /proc/stat: other work on the machine skews every figure. */
export async function machineBusy(ms = 1000): Promise<number> {
  const sample = () => {
    const t = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { idle: t[3]! + t[4]!, total: t.reduce((a, b) => a + b, 0) };
  };
  const a = sample();
  await sleep(ms);
  const b = sample();
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

/**
 * CPU used by processes outside this one and its descendants (the system under test, the browser), as a
 * share of all CPUs, sampled every `intervalMs` until `stop()`: a benchmark loads the machine itself, so
 * machineBusy() cannot tell, while it runs, whether something else (a test run, another benchmark) did.
 * A process that starts and ends between two samples is missed.
 */
export function watchOtherCpu(intervalMs = 1000): { stop: () => { othersShare: number; oursShare: number } } {
  const ticksOf = (stat: string) => {
    // pid (comm) state ppid ... utime(14) stime(15): fields after the closing parenthesis of comm
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
  };
  const sample = () => {
    const procs = new Map<number, { ppid: number; ticks: number }>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        procs.set(Number(name), ticksOf(readFileSync(`/proc/${name}/stat`, 'utf8')));
      } catch {
        // gone since the listing
      }
    }
    const total = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number).reduce((a, b) => a + b, 0);
    return { procs, total };
  };
  const ours = (procs: Map<number, { ppid: number }>, pid: number) => {
    for (let p = pid, depth = 0; p > 1 && depth < 64; depth++) {
      if (p === process.pid) return true;
      p = procs.get(p)?.ppid ?? 0;
    }
    return false;
  };
  let last = sample();
  const first = last;
  let oursTicks = 0;
  let othersTicks = 0;
  const take = () => {
    const now = sample();
    for (const [pid, p] of now.procs) {
      const delta = p.ticks - (last.procs.get(pid)?.ticks ?? p.ticks);
      if (delta <= 0) continue;
      if (ours(now.procs, pid)) oursTicks += delta;
      else othersTicks += delta;
    }
    last = now;
  };
  const timer = setInterval(take, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      take();
      const all = Math.max(1, last.total - first.total); // ticks of all CPUs together
      return { othersShare: othersTicks / all, oursShare: oursTicks / all };
    },
  };
}

const CLOCK_TICKS_PER_S = 100; // getconf CLK_TCK on Linux

/** CPU-seconds a process has used so far in user space and in the kernel, from /proc/PID/stat. */
export function processCpuTimes(pid: number): { userS: number; systemS: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
  return { userS: Number(fields[11]) / CLOCK_TICKS_PER_S, systemS: Number(fields[12]) / CLOCK_TICKS_PER_S }; // utime(14), stime(15)
}

/** CPU-seconds (user + system) a process has used so far. */
export function processCpuSeconds(pid: number): number {
  const { userS, systemS } = processCpuTimes(pid);
  return userS + systemS;
}

/** Resident memory of a process now (VmRSS) and at its peak (VmHWM), KiB, from /proc/PID/status. */
export function processMemoryKiB(pid: number): { rssKiB: number; peakKiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
  return { rssKiB: kib('VmRSS'), peakKiB: kib('VmHWM') };
}

/**
 * What a bench started and must not leave behind, on a normal end, an error and Ctrl-C: its `closers`
 * (clients, browsers, servers) first, then its child processes (killed), then its temp folders.
 */
export class BenchCleanup {
  readonly children: ChildProcess[] = [];
  readonly dirs: string[] = [];
  private readonly closers: (() => unknown)[] = [];
  private running: Promise<void> | undefined;

  constructor() {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        process.stderr.write(`\n${signal}: cleaning up\n`);
        void this.run().then(() => process.exit(130));
      });
    }
    // last resort (an exception escaping main): no child outlives the bench
    process.once('exit', () => this.killChildren());
  }

  /** True once clean-up began: start no new child, and a child's exit is expected. */
  get stopping(): boolean {
    return this.running !== undefined;
  }

  /** Something to close before the children are killed; its failure is ignored. */
  add(close: () => unknown): void {
    this.closers.push(close);
  }

  /** A fresh temp folder, removed at the end. */
  tmp(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const close of this.closers) await Promise.resolve().then(close).catch(() => {});
      this.killChildren();
      for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    })();
    return this.running;
  }

  /** Runs a bench's main: clean-up, then exit 0; on an error, the error, clean-up, then exit 1. */
  main(main: () => Promise<void>): void {
    main().then(
      async () => {
        await this.run();
        process.exit(0);
      },
      async (err: unknown) => {
        progress('');
        console.error(err);
        await this.run();
        process.exit(1);
      },
    );
  }

  private killChildren(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

/** A bench's own redis-server on a free port and a temp folder, nothing saved; ready once it answers PING. */
export async function startRedisServer(bench: BenchCleanup, binary = 'redis-server'): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  if (bench.stopping) throw new Error('stopping: no new child');
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', bench.tmp('bench-redis-')], { stdio: 'ignore' });
  bench.children.push(child);
  const deadline = Date.now() + 30_000;
  while (!(await redisAnswers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}/0`,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000).then(() => child.kill('SIGKILL'))]);
    },
  };
}

/** Redis answers PING with +PONG. */
function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}
