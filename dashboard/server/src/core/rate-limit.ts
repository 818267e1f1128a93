// At most `maxRequests` per key (a client IP) in any sliding window of `windowMs`: report submissions,
// which anyone may send. Built on the login throttle's bounded sliding window, counting every attempt
// rather than only failures. Pure: the time is passed in.
import { FailureLimiter, type LimiterVerdict } from './login-throttle.ts';

export type { LimiterVerdict };

export interface RateLimiterOptions {
  maxRequests: number;
  windowMs: number;
  /** most keys remembered at once; the least recently seen are forgotten first */
  maxKeys?: number;
}

export class RateLimiter {
  private readonly window: FailureLimiter;

  constructor(options: RateLimiterOptions) {
    this.window = new FailureLimiter({ maxFailures: options.maxRequests, windowMs: options.windowMs, ...(options.maxKeys !== undefined ? { maxKeys: options.maxKeys } : {}) });
  }

  /** Counts one request when allowed; a refused one is not counted, so waiting the answer's retryAfterMs is enough. */
  take(key: string, nowMs: number): LimiterVerdict {
    const verdict = this.window.check(key, nowMs);
    if (verdict.allowed) this.window.fail(key, nowMs);
    return verdict;
  }

  /** keys remembered now */
  get size(): number {
    return this.window.size;
  }
}
