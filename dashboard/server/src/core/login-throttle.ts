// Counts failed logins per key (a username, a client IP) in a sliding window and says when a key must
// wait. Pure: the time is passed in. Bounded: at most `maxKeys` keys are kept, the least recently
// failed go first, so a flood of made-up usernames costs memory once and then recycles it.

export interface FailureLimiterOptions {
  /** failures allowed within the window; the next attempt is refused */
  maxFailures: number;
  windowMs: number;
  /** most keys remembered at once */
  maxKeys?: number;
}

export type LimiterVerdict = { allowed: true } | { allowed: false; retryAfterMs: number };

export class FailureLimiter {
  /** key -> failure times (epoch ms), oldest first, at most maxFailures of them; Map order = least recently failed first */
  private readonly failures = new Map<string, number[]>();
  private readonly maxKeys: number;

  constructor(private readonly options: FailureLimiterOptions) {
    if (options.maxFailures < 1) throw new RangeError('maxFailures: expected at least 1');
    if (options.windowMs < 1) throw new RangeError('windowMs: expected at least 1');
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  get size(): number {
    return this.failures.size;
  }

  /** Whether `key` may try now; when not, how long until its oldest counted failure leaves the window. */
  check(key: string, nowMs: number): LimiterVerdict {
    const times = this.recent(key, nowMs);
    if (times.length < this.options.maxFailures) return { allowed: true };
    return { allowed: false, retryAfterMs: Math.max(1, times[0]! + this.options.windowMs - nowMs) };
  }

  fail(key: string, nowMs: number): void {
    const times = this.recent(key, nowMs);
    times.push(nowMs);
    if (times.length > this.options.maxFailures) times.shift();
    this.failures.delete(key); // re-insert: most recently failed goes last
    this.failures.set(key, times);
    while (this.failures.size > this.maxKeys) {
      this.failures.delete(this.failures.keys().next().value!);
    }
  }

  /** Takes back one failure recorded at `atMs`: an attempt counted up front that turned out right. */
  forgive(key: string, atMs: number): void {
    const times = this.failures.get(key);
    const i = times?.lastIndexOf(atMs) ?? -1;
    if (i < 0) return;
    times!.splice(i, 1);
    if (times!.length === 0) this.failures.delete(key);
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, nowMs: number): number[] {
    const times = this.failures.get(key);
    if (!times) return [];
    const from = nowMs - this.options.windowMs;
    while (times.length > 0 && times[0]! <= from) times.shift();
    if (times.length === 0) this.failures.delete(key);
    return times;
  }
}
