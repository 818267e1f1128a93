// core/login-throttle: failures per key in a sliding window, bounded in keys. Time is passed in.
import { describe, expect, it } from 'vitest';
import { FailureLimiter } from '../../src/core/login-throttle.ts';

const T0 = 1_000_000;

describe('FailureLimiter', () => {
  it('allows maxFailures failures, then refuses until the oldest leaves the window', () => {
    const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 1000 });
    for (let i = 0; i < 3; i++) {
      expect(limiter.check('bob', T0 + i * 100)).toEqual({ allowed: true });
      limiter.fail('bob', T0 + i * 100);
    }
    expect(limiter.check('bob', T0 + 300)).toEqual({ allowed: false, retryAfterMs: 700 });
    expect(limiter.check('bob', T0 + 999)).toEqual({ allowed: false, retryAfterMs: 1 });
    // the first failure left the window: one more try
    expect(limiter.check('bob', T0 + 1000)).toEqual({ allowed: true });
    limiter.fail('bob', T0 + 1000);
    expect(limiter.check('bob', T0 + 1000)).toEqual({ allowed: false, retryAfterMs: 100 });
    expect(limiter.check('eve', T0 + 1000)).toEqual({ allowed: true });
  });

  it('forgets a key on reset and when its failures have all expired', () => {
    const limiter = new FailureLimiter({ maxFailures: 1, windowMs: 1000 });
    limiter.fail('bob', T0);
    expect(limiter.check('bob', T0).allowed).toBe(false);
    limiter.reset('bob');
    expect(limiter.check('bob', T0).allowed).toBe(true);
    limiter.fail('eve', T0);
    expect(limiter.size).toBe(1);
    expect(limiter.check('eve', T0 + 1000).allowed).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it('keeps at most maxKeys keys, dropping the least recently failed', () => {
    const limiter = new FailureLimiter({ maxFailures: 1, windowMs: 60_000, maxKeys: 3 });
    for (const key of ['a', 'b', 'c']) limiter.fail(key, T0);
    limiter.fail('a', T0 + 1); // a is now the most recent
    limiter.fail('d', T0 + 2);
    expect(limiter.size).toBe(3);
    expect(limiter.check('b', T0 + 3).allowed).toBe(true); // dropped
    expect(limiter.check('a', T0 + 3).allowed).toBe(false);
    expect(limiter.check('c', T0 + 3).allowed).toBe(false);
    expect(limiter.check('d', T0 + 3).allowed).toBe(false);
  });

  it('takes back one failure counted up front', () => {
    const limiter = new FailureLimiter({ maxFailures: 2, windowMs: 1000 });
    limiter.fail('ip', T0);
    limiter.fail('ip', T0 + 1);
    expect(limiter.check('ip', T0 + 1).allowed).toBe(false);
    limiter.forgive('ip', T0 + 1);
    expect(limiter.check('ip', T0 + 1).allowed).toBe(true);
    limiter.forgive('ip', T0 + 5); // none at that time: nothing changes
    limiter.forgive('ip', T0);
    expect(limiter.size).toBe(0);
  });

  it('refuses nonsense limits', () => {
    expect(() => new FailureLimiter({ maxFailures: 0, windowMs: 1 })).toThrow(RangeError);
    expect(() => new FailureLimiter({ maxFailures: 1, windowMs: 0 })).toThrow(RangeError);
  });
});
