import { describe, expect, it } from 'vitest';
import { defaultRules } from '../../../src/core/rules/defaults.ts';
import { RuleEngine } from '../../../src/core/rules/engine.ts';
import { MIN, reading, T0 } from './helpers.ts';

describe('default rules', () => {
  it('turn every alarm level into a major threshold after 5 min clearing 10% lower, plus one silence rule', () => {
    expect(
      defaultRules().map((r) => (r.type === 'threshold' ? `${r.id}: ${r.metric} > ${r.above} for ${r.forMs / MIN} min, clears < ${r.clearAt}, ${r.severity} ${r.category}` : `${r.id}: ${r.type}`)),
    ).toEqual([
      'default-pm25-ugm3-alarm: pm25_ugm3 > 55 for 5 min, clears < 49.5, major air_quality',
      'default-pm10-ugm3-alarm: pm10_ugm3 > 100 for 5 min, clears < 90, major air_quality',
      'default-no2-ugm3-alarm: no2_ugm3 > 200 for 5 min, clears < 180, major air_quality',
      'default-noise-dba-alarm: noise_dba > 80 for 5 min, clears < 72, major noise',
      'default-water-level-cm-alarm: water_level_cm > 300 for 5 min, clears < 270, major flooding',
      'default-fill-pct-alarm: fill_pct > 95 for 5 min, clears < 85.5, major waste',
      'default-device-silent: silence',
    ]);
  });

  it('run in the engine: a river over its alarm level for 5 min raises', () => {
    const engine = new RuleEngine({ rules: defaultRules() });
    const signals = [0, 2, 5].flatMap((m) => engine.onReading(reading('wl-1', T0 + m * MIN, { water_level_cm: 320 }, 'water_level'), {}, T0 + m * MIN));
    expect(signals.map((s) => (s.type === 'raise' ? `${s.ruleId} ${s.severity}` : s.type))).toEqual(['default-water-level-cm-alarm major']);
  });
});
