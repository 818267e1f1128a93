import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/core/rate-limit.ts';

const T0 = 1_800_000_000_000;

describe('RateLimiter', () => {
  it('allows maxRequests in a window, refuses the next with the time until the oldest leaves it', () => {
    const limiter = new RateLimiter({ maxRequests: 3, windowMs: 60_000 });
    expect(limiter.take('1.2.3.4', T0)).toEqual({ allowed: true });
    expect(limiter.take('1.2.3.4', T0 + 10_000)).toEqual({ allowed: true });
    expect(limiter.take('1.2.3.4', T0 + 20_000)).toEqual({ allowed: true });
    expect(limiter.take('1.2.3.4', T0 + 30_000)).toEqual({ allowed: false, retryAfterMs: 30_000 });
  });

  it('does not count refused requests: waiting retryAfterMs is enough', () => {
    const limiter = new RateLimiter({ maxRequests: 1, windowMs: 60_000 });
    limiter.take('a', T0);
    for (let i = 1; i <= 5; i++) expect(limiter.take('a', T0 + i * 1000).allowed).toBe(false);
    expect(limiter.take('a', T0 + 60_000)).toEqual({ allowed: true });
  });

  it('slides: a request leaves the window windowMs after it was made', () => {
    const limiter = new RateLimiter({ maxRequests: 2, windowMs: 1000 });
    limiter.take('a', T0);
    limiter.take('a', T0 + 500);
    expect(limiter.take('a', T0 + 999).allowed).toBe(false);
    expect(limiter.take('a', T0 + 1000).allowed).toBe(true);
    expect(limiter.take('a', T0 + 1001).allowed).toBe(false);
    expect(limiter.take('a', T0 + 1500).allowed).toBe(true);
  });

  it('counts each key on its own', () => {
    const limiter = new RateLimiter({ maxRequests: 1, windowMs: 60_000 });
    expect(limiter.take('a', T0).allowed).toBe(true);
    expect(limiter.take('b', T0).allowed).toBe(true);
    expect(limiter.take('a', T0).allowed).toBe(false);
  });

  it('remembers at most maxKeys keys, forgetting the least recently seen', () => {
    const limiter = new RateLimiter({ maxRequests: 1, windowMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`, T0);
    expect(limiter.size).toBe(100);
    // the first key was forgotten: it may send again; a recent one may not
    expect(limiter.take('10.0.0.0', T0 + 1).allowed).toBe(true);
    expect(limiter.take('10.0.3.231', T0 + 1).allowed).toBe(false);
  });
});
