import { describe, expect, it } from 'vitest';
import { RuleEngine } from '../../../src/core/rules/engine.ts';
import type { RuleSignal } from '../../../src/core/rules/signals.ts';
import { chicago, MIN, reading, rule, SEC, T0 } from './helpers.ts';

const pm25 = (over: Record<string, unknown> = {}) =>
  rule({ id: 'air-pm25-high', type: 'threshold', metric: 'pm25_ugm3', above: 50, clearAt: 40, forMs: 10 * MIN, severity: 'major', category: 'air_quality', ...over });

/** Feeds [minutes after T0, value] readings from aq-1 (engine time = observed time); returns [minute, signal type]. */
function feed(engine: RuleEngine, points: [number, number][], metric = 'pm25_ugm3', kind: 'air_quality' | 'noise' = 'air_quality'): [number, string][] {
  const out: [number, string][] = [];
  for (const [minute, value] of points) {
    const at = T0 + minute * MIN;
    for (const s of engine.onReading(reading('aq-1', at, { [metric]: value }, kind), {}, at)) out.push([minute, s.type]);
  }
  return out;
}

describe('threshold rules', () => {
  it('raise only once the condition has held for forMs', () => {
    const engine = new RuleEngine({ rules: [pm25()] });
    expect(feed(engine, [[0, 55], [5, 58], [9.99, 60], [10, 61]])).toEqual([[10, 'raise']]);
  });

  it('raise on the first reading when forMs is 0', () => {
    const engine = new RuleEngine({ rules: [pm25({ forMs: 0 })] });
    expect(feed(engine, [[0, 49], [1, 51]])).toEqual([[1, 'raise']]);
  });

  it('start again after a reading under the trigger, even one above clearAt', () => {
    const engine = new RuleEngine({ rules: [pm25()] });
    expect(feed(engine, [[0, 60], [5, 45], [6, 60], [15, 60], [16, 60]])).toEqual([[16, 'raise']]);
  });

  it('start again after a gap longer than the kind may stay silent (15 min for air quality)', () => {
    const engine = new RuleEngine({ rules: [pm25()] });
    expect(feed(engine, [[0, 60], [20, 60], [29, 60], [30, 60]])).toEqual([[30, 'raise']]);
  });

  it('stay active between clearAt and the trigger, clear below clearAt', () => {
    const engine = new RuleEngine({ rules: [pm25({ forMs: 0 })] });
    expect(feed(engine, [[0, 60], [1, 45], [2, 40], [3, 39.9]])).toEqual([[0, 'raise'], [3, 'clear']]);
  });

  it('clear just under the trigger when clearAt is not given', () => {
    const engine = new RuleEngine({ rules: [pm25({ forMs: 0, clearAt: undefined })] });
    expect(feed(engine, [[0, 55], [1, 50], [2, 49.9]])).toEqual([[0, 'raise'], [2, 'clear']]);
  });

  it('a below rule raises under the level, clears above clearAt and keeps the lowest value as peak', () => {
    const engine = new RuleEngine({
      rules: [rule({ id: 'battery-low', type: 'threshold', metric: 'battery_pct', below: 10, clearAt: 15, forMs: 2 * MIN, severity: 'minor', category: 'other' })],
    });
    const signals = [0, 1, 2, 3, 4].flatMap((m, i) => engine.onReading(reading('aq-1', T0 + m * MIN, { battery_pct: [9, 7, 8, 12, 16][i]! }), {}, T0 + m * MIN));
    expect(signals.map((s) => (s.type === 'raise' ? `raise peak ${s.evidence.peakValue}` : s.type))).toEqual(['raise peak 7', 'clear']);
  });

  it('a raise carries the rule, readings and thresholds in words', () => {
    const engine = new RuleEngine({ rules: [pm25({ forMs: 2 * MIN })] });
    const device = { position: { lat: 41.88, lon: -87.63 }, district: 'loop' };
    const signals = [
      ...engine.onReading(reading('aq-1', T0 + 1 * MIN, { pm25_ugm3: 52 }), device, T0 + 1 * MIN),
      ...engine.onReading(reading('aq-1', T0 + 2 * MIN, { pm25_ugm3: 61 }), device, T0 + 2 * MIN),
      ...engine.onReading(reading('aq-1', T0 + 3 * MIN, { pm25_ugm3: 58.2 }), device, T0 + 3 * MIN + 500),
    ];
    expect(signals).toEqual<RuleSignal[]>([
      {
        type: 'raise',
        dedupeKey: 'air-pm25-high:aq-1',
        ruleId: 'air-pm25-high',
        deviceId: 'aq-1',
        deviceKind: 'air_quality',
        title: 'pm25_ugm3 above 50 µg/m³ — aq-1',
        category: 'air_quality',
        severity: 'major',
        position: { lat: 41.88, lon: -87.63 },
        district: 'loop',
        explanation: 'air-pm25-high: pm25_ugm3 at aq-1 was above 50 µg/m³ for 2 min (58.2 µg/m³ at 14:03, peak 61); clears below 40 µg/m³.',
        evidence: {
          ruleId: 'air-pm25-high',
          ruleText: 'pm25_ugm3 above 50 µg/m³ for 2 min (clears below 40 µg/m³)',
          metric: 'pm25_ugm3',
          unit: 'µg/m³',
          firstValue: 52,
          lastValue: 58.2,
          peakValue: 61,
          count: 3,
          firstSeenAt: T0 + 1 * MIN,
          lastSeenAt: T0 + 3 * MIN,
        },
        autoResolve: true,
        at: T0 + 3 * MIN + 500,
      },
    ]);
  });

  it('a clear says what ended it', () => {
    const engine = new RuleEngine({ rules: [pm25({ forMs: 0 })] });
    engine.onReading(reading('aq-1', T0, { pm25_ugm3: 64.1 }), {}, T0);
    expect(engine.onReading(reading('aq-1', T0 + 40 * MIN, { pm25_ugm3: 38.5 }), {}, T0 + 40 * MIN)).toEqual([
      {
        type: 'clear',
        dedupeKey: 'air-pm25-high:aq-1',
        ruleId: 'air-pm25-high',
        explanation: 'air-pm25-high: pm25_ugm3 at aq-1 went back below 40 µg/m³ (38.5 µg/m³ at 14:40); peak was 64.1 µg/m³, above 50 µg/m³ since 14:00.',
        at: T0 + 40 * MIN,
      },
    ]);
  });

  it('escalate at once when the escalation level is passed', () => {
    const engine = new RuleEngine({
      rules: [rule({ id: 'river', type: 'threshold', metric: 'water_level_cm', above: 260, escalate: { value: 300, severity: 'critical' }, severity: 'major', category: 'flooding' })],
    });
    const at = (s: number) => T0 + s * SEC;
    engine.onReading(reading('wl-1', at(0), { water_level_cm: 270 }, 'water_level'), {}, at(0));
    const [update] = engine.onReading(reading('wl-1', at(1), { water_level_cm: 310 }, 'water_level'), {}, at(1));
    expect(update).toMatchObject({ type: 'update', severity: 'critical', evidence: { lastValue: 310, peakValue: 310, count: 2 } });
  });

  it('count only readings within activeHours and clear when the hours end', () => {
    const engine = new RuleEngine({
      rules: [rule({ id: 'noise-night', type: 'threshold', metric: 'noise_dba', above: 80, forMs: 10 * MIN, activeHours: { from: '22:00', to: '07:00' }, severity: 'minor', category: 'noise' })],
    });
    const out: string[] = [];
    for (const [h, m] of [[21, 55], [22, 0], [22, 5], [22, 10], [30, 59], [31, 0]] as const) {
      const at = chicago(h, m);
      for (const s of engine.onReading(reading('n-1', at, { noise_dba: 85 }, 'noise'), { expectedIntervalMs: 24 * 3_600_000 }, at)) out.push(`${h % 24}:${m} ${s.type}`);
    }
    // the reading at 06:59 is a routine update, more than 30 s after the raise
    expect(out).toEqual(['22:10 raise', '6:59 update', '7:0 clear']);
  });

  it('ignore a reading older than one already evaluated', () => {
    const engine = new RuleEngine({ rules: [pm25({ forMs: 0 })] });
    engine.onReading(reading('aq-1', T0 + MIN, { pm25_ugm3: 10 }), {}, T0 + MIN);
    expect(engine.onReading(reading('aq-1', T0, { pm25_ugm3: 99 }), {}, T0 + 2 * MIN)).toEqual([]);
  });

  it('look only at devices in the rule scope', () => {
    const engine = new RuleEngine({ rules: [pm25({ forMs: 0, kinds: ['air_quality'], deviceIds: ['aq-2'] })] });
    expect(feed(engine, [[0, 99]])).toEqual([]);
  });
});
