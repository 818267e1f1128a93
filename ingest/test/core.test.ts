import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../src/core/backoff.ts';
import { BoundedKeySet } from '../src/core/bounded-key-set.ts';
import { decodeAccepted, encodeAccepted } from '../src/core/accepted-record.ts';
import { toDeadLetter } from '../src/core/dead-letter.ts';
import { LogLimiter } from '../src/core/log-limiter.ts';
import { MetricsRegistry } from '../src/core/metrics.ts';
import { TtlCache } from '../src/core/ttl-cache.ts';

describe('BoundedKeySet', () => {
  it('forgets the least recently seen key beyond its bound', () => {
    const keys = new BoundedKeySet(2);
    keys.add('a');
    keys.add('b');
    expect(keys.has('a')).toBe(true); // refreshes a
    keys.add('c'); // evicts b
    expect(keys.has('b')).toBe(false);
    expect(keys.has('a')).toBe(true);
    expect(keys.size).toBe(2);
  });
});

describe('TtlCache', () => {
  it('keeps values (and misses) for the TTL, then loads again', () => {
    const cache = new TtlCache<number>(100, 10);
    let loads = 0;
    const load = () => (++loads > 1 ? 7 : undefined);
    expect(cache.get('x', 0, load)).toBeUndefined();
    expect(cache.get('x', 50, load)).toBeUndefined();
    expect(cache.get('x', 100, load)).toBe(7);
    expect(loads).toBe(2);
  });
});

describe('LogLimiter', () => {
  it('logs the first occurrence per key, then once per interval with the count suppressed', () => {
    const limiter = new LogLimiter(1000);
    expect(limiter.check('k', 0)).toEqual({ log: true, suppressed: 0 });
    expect(limiter.check('k', 10).log).toBe(false);
    expect(limiter.check('k', 20).log).toBe(false);
    expect(limiter.check('other', 30).log).toBe(true);
    expect(limiter.check('k', 1000)).toEqual({ log: true, suppressed: 2 });
  });
});

describe('backoffDelayMs', () => {
  it('doubles up to the cap, jittered within the upper half', () => {
    expect(backoffDelayMs(0, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelayMs(3, 100, 10_000, () => 1)).toBe(800);
    expect(backoffDelayMs(20, 100, 10_000, () => 1)).toBe(10_000);
    expect(backoffDelayMs(20, 100, 10_000, () => 0)).toBe(5000);
  });
});

describe('records and dead letters', () => {
  it('round-trips an accepted record', () => {
    const record = { receivedAt: 5, readings: [{ deviceId: 'a', kind: 'noise' as const, observedAt: 4, metrics: { noise_dba: 50 } }] };
    expect(decodeAccepted(encodeAccepted(record))).toEqual(record);
  });

  it('keeps the first 4 KiB of a payload and its full size', () => {
    const letter = toDeadLetter({ reason: 'not-json', detail: 'x', topic: 't', receivedAt: 1, payload: Buffer.alloc(10_000, 0x61) });
    expect(Buffer.from(letter.payloadBase64, 'base64').length).toBe(4096);
    expect(letter.payloadBytes).toBe(10_000);
  });
});

describe('metrics', () => {
  it('renders counters with labels, gauges and histograms in Prometheus text', () => {
    const registry = new MetricsRegistry('city_ingest_');
    const c = registry.counter('dead_letters_total', 'Dead letters');
    c.inc(2, { reason: 'not-json' });
    c.inc(1, { reason: 'not-json' });
    registry.gauge('journal_pending_bytes', 'Pending', () => 42);
    const h = registry.histogram('write_lag_seconds', 'Lag', [0.1, 1]);
    h.observe(0.05, 3);
    h.observe(5);
    const text = registry.render();
    expect(text).toContain('# TYPE city_ingest_dead_letters_total counter');
    expect(text).toContain('city_ingest_dead_letters_total{reason="not-json"} 3');
    expect(text).toContain('city_ingest_journal_pending_bytes 42');
    expect(text).toContain('city_ingest_write_lag_seconds_bucket{le="0.1"} 3');
    expect(text).toContain('city_ingest_write_lag_seconds_bucket{le="1"} 3');
    expect(text).toContain('city_ingest_write_lag_seconds_bucket{le="+Inf"} 4');
    expect(text).toContain('city_ingest_write_lag_seconds_count 4');
    expect(h.quantile(0.5)).toBe(0.1);
    expect(h.quantile(0.99)).toBe(Infinity);
  });
});
