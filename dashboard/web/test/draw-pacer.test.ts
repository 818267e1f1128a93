import { describe, expect, it } from 'vitest';
import { DrawPacer } from '../src/core/draw-pacer.ts';

const pacer = () => new DrawPacer({ minIntervalMs: 500, maxDrawShare: 1 / 3, maxWaitMs: 5000 });

describe('DrawPacer', () => {
  it('lets the first update go at once', () => {
    expect(pacer().delayMs(1000)).toBe(0);
  });

  it('keeps the minimum interval when drawing is quick (a GPU)', () => {
    const p = pacer();
    p.started(1000);
    p.drawn(1040);
    expect(p.delayMs(1040)).toBe(460);
    expect(p.delayMs(1600)).toBe(0);
  });

  it('waits while an update is being drawn, then twice the drawing time for a third of the time', () => {
    const p = pacer();
    p.started(1000);
    expect(p.drawing).toBe(true);
    // not drawn yet: asks again when the wait would run out (the caller reschedules when drawn)
    expect(p.delayMs(1100)).toBe(4900);
    p.drawn(1450);
    expect(p.drawing).toBe(false);
    // drawn in 450 ms: the next one 900 ms after that
    expect(p.delayMs(1450)).toBe(900);
    expect(p.delayMs(2350)).toBe(0);
  });

  it('stops waiting for a draw that does not come (a hidden tab)', () => {
    const p = pacer();
    p.started(1000);
    expect(p.delayMs(6000)).toBeGreaterThan(0);
    expect(p.drawing).toBe(false);
    // counted as drawn at 6000 after 5000 ms: a third of the time means 10 s more
    expect(p.delayMs(6000)).toBe(10_000);
  });

  it('ignores a draw report without an update', () => {
    const p = pacer();
    p.drawn(1000);
    expect(p.delayMs(1000)).toBe(0);
  });
});
