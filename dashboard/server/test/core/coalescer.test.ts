import { describe, expect, it } from 'vitest';
import type { DeviceSnapshot } from '@city/shared';
import { Coalescer, type DeltaBatch } from '../../src/core/coalescer.ts';
import { track } from '../../../../test/support/teardown.ts';

const snap = (id: string, pm25: number): DeviceSnapshot => ({ id, kind: 'air_quality', state: 'ok', online: true, metrics: { pm25_ugm3: pm25 } });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function collect(intervalMs: number) {
  const batches: { at: number; batch: DeltaBatch }[] = [];
  const coalescer = track(new Coalescer({ intervalMs, flush: (batch) => batches.push({ at: Date.now(), batch }) }), (c) => c.stop());
  return { coalescer, batches };
}

describe('Coalescer', () => {
  it('sends the first change at once', async () => {
    const { coalescer, batches } = collect(1000);
    coalescer.push(snap('a', 1));
    await sleep(20);
    expect(batches).toHaveLength(1);
  });

  it('flushes at most once per interval however many changes come', async () => {
    const { coalescer, batches } = collect(100);
    const started = Date.now();
    for (let i = 0; Date.now() - started < 550; i++) {
      coalescer.push(snap(`d${i % 50}`, i));
      await sleep(1);
    }
    await sleep(150);
    // ~550 ms of changes: one immediate flush, then one per 100 ms
    expect(batches.length).toBeGreaterThanOrEqual(4);
    expect(batches.length).toBeLessThanOrEqual(8);
    for (let i = 1; i < batches.length; i++) expect(batches[i]!.at - batches[i - 1]!.at).toBeGreaterThanOrEqual(95);
  });

  it('keeps only the latest snapshot per device', async () => {
    const { coalescer, batches } = collect(100);
    coalescer.push(snap('warmup', 0)); // goes out at once; the rest waits for the interval
    await sleep(10);
    for (let i = 1; i <= 100; i++) coalescer.push(snap('a', i));
    coalescer.push(snap('b', 7));
    await sleep(200);
    expect(batches).toHaveLength(2);
    const devices = batches[1]!.batch.devices;
    expect(devices.map((d) => [d.id, d.metrics.pm25_ugm3])).toEqual([['a', 100], ['b', 7]]);
  });

  it('a removal replaces a pending change, a later change undoes the removal', async () => {
    const { coalescer, batches } = collect(100);
    coalescer.push(snap('warmup', 0));
    await sleep(10);
    coalescer.push(snap('a', 1));
    coalescer.remove('a');
    coalescer.remove('b');
    coalescer.push(snap('b', 2));
    await sleep(200);
    expect(batches[1]!.batch).toEqual({ devices: [snap('b', 2)], removed: ['a'] });
  });

  it('clear drops what waits (a full snapshot went out), stop ends flushing', async () => {
    const { coalescer, batches } = collect(50);
    coalescer.push(snap('warmup', 0));
    await sleep(10);
    coalescer.push(snap('a', 1));
    coalescer.clear();
    await sleep(100);
    expect(batches).toHaveLength(1);
    coalescer.push(snap('a', 2));
    coalescer.stop();
    coalescer.push(snap('a', 3));
    await sleep(100);
    expect(batches.length).toBeLessThanOrEqual(2);
    expect(batches.flatMap((b) => b.batch.devices).some((d) => d.metrics.pm25_ugm3 === 3)).toBe(false);
  });
});
