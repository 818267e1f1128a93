import { describe, expect, it } from 'vitest';
import { RuleEngine } from '../../../src/core/rules/engine.ts';
import { MAX_RATE_SAMPLES } from '../../../src/core/rules/rate-of-change.ts';
import { MIN, reading, rule, SEC, T0 } from './helpers.ts';

const rising = (over: Record<string, unknown> = {}) =>
  rule({ id: 'water-level-rising', type: 'rate_of_change', metric: 'water_level_cm', risePerWindow: 20, windowMs: 10 * MIN, clearFraction: 0.5, severity: 'major', category: 'flooding', ...over });

/** Feeds [minutes after T0, level] from wl-1; returns [minute, signal type] without the routine updates. */
function feed(engine: RuleEngine, points: [number, number][]): [number, string][] {
  const out: [number, string][] = [];
  for (const [minute, value] of points) {
    const at = T0 + minute * MIN;
    for (const s of engine.onReading(reading('wl-1', at, { water_level_cm: value }, 'water_level'), {}, at)) if (s.type !== 'update') out.push([minute, s.type]);
  }
  return out;
}

const minutes = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('rate-of-change rules', () => {
  it('raise when the level rises more than 20 cm within 10 min', () => {
    const engine = new RuleEngine({ rules: [rising()] });
    expect(feed(engine, minutes(0, 8).map((m) => [m, 100 + 3 * m]))).toEqual([[7, 'raise']]);
  });

  it('let a slow steady rise be', () => {
    const engine = new RuleEngine({ rules: [rising()] });
    expect(feed(engine, minutes(0, 60).map((m) => [m, 100 + m]))).toEqual([]);
  });

  it('clear once the rise within the window is under the clear fraction (10 cm)', () => {
    const engine = new RuleEngine({ rules: [rising()] });
    const points: [number, number][] = [...minutes(0, 10).map((m): [number, number] => [m, 100 + 3 * m]), ...minutes(11, 20).map((m): [number, number] => [m, 130])];
    expect(feed(engine, points)).toEqual([[7, 'raise'], [17, 'clear']]);
  });

  it('raise on a fall with fallPerWindow', () => {
    const engine = new RuleEngine({ rules: [rising({ risePerWindow: undefined, fallPerWindow: 15 })] });
    expect(feed(engine, [[0, 200], [5, 190], [9, 184]])).toEqual([[9, 'raise']]);
  });

  it('not extrapolate two close readings', () => {
    const engine = new RuleEngine({ rules: [rising()] });
    const signals = [0, 10].flatMap((s, i) => engine.onReading(reading('wl-1', T0 + s * SEC, { water_level_cm: [100, 105][i]! }, 'water_level'), {}, T0 + s * SEC));
    expect(signals).toEqual([]);
  });

  it('scale a change over a longer span down to one window, and say so', () => {
    const engine = new RuleEngine({ rules: [rising()] });
    engine.onReading(reading('wl-1', T0, { water_level_cm: 100 }, 'water_level'), {}, T0);
    const [raise] = engine.onReading(reading('wl-1', T0 + 15 * MIN, { water_level_cm: 133 }, 'water_level'), {}, T0 + 15 * MIN);
    expect(raise?.type === 'raise' && raise.explanation).toBe(
      'water-level-rising: water_level_cm at wl-1 rose 33 cm in 15 min (100 cm at 14:00 to 133 cm at 14:15): 22 cm per 10 min, more than 20 cm; clears at a rise under 10 cm per 10 min.',
    );
  });

  it('keep at most MAX_RATE_SAMPLES per device and rule at 1 Hz for an hour', () => {
    const engine = new RuleEngine({ rules: [rising()] });
    for (let s = 0; s < 3600; s++) engine.onReading(reading('wl-1', T0 + s * SEC, { water_level_cm: 100 + (s % 7) }, 'water_level'), {}, T0 + s * SEC);
    expect(engine.stats().rateSamples).toBeLessThanOrEqual(MAX_RATE_SAMPLES);
  });
});
