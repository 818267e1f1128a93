import { describe, expect, it } from 'vitest';
import { RuleEngine } from '../../../src/core/rules/engine.ts';
import { detection, MIN, reading, rule, SEC, T0 } from './helpers.ts';

const silent = (over: Record<string, unknown> = {}) => rule({ id: 'device-silent', type: 'silence', severity: 'warning', category: 'device_offline', ...over });

/** tick at each offset (ms after T0); returns "offset type" per signal */
function ticks(engine: RuleEngine, offsetsMs: number[]): string[] {
  return offsetsMs.flatMap((ms) => engine.tick(T0 + ms).map((s) => `${ms / SEC}s ${s.type}`));
}

describe('silence rules', () => {
  it("raise after the kind's limit (air quality: 15 min)", () => {
    const engine = new RuleEngine({ rules: [silent()] });
    engine.onReading(reading('aq-1', T0, { pm25_ugm3: 5 }), {}, T0);
    expect(ticks(engine, [15 * MIN, 15 * MIN + SEC])).toEqual(['901s raise']);
  });

  it("raise after 3 × the device's update interval when the caller knows it", () => {
    const engine = new RuleEngine({ rules: [silent()] });
    engine.onReading(reading('aq-1', T0, { pm25_ugm3: 5 }), { expectedIntervalMs: 60 * SEC }, T0);
    expect(ticks(engine, [3 * MIN, 3 * MIN + SEC])).toEqual(['181s raise']);
  });

  it('use the rule intervalMultiplier', () => {
    const engine = new RuleEngine({ rules: [silent({ intervalMultiplier: 5 })] });
    engine.onReading(reading('aq-1', T0, { pm25_ugm3: 5 }), { expectedIntervalMs: 60 * SEC }, T0);
    expect(ticks(engine, [3 * MIN + SEC, 5 * MIN, 5 * MIN + SEC])).toEqual(['301s raise']);
  });

  it('use a fixed silentForMs over the interval and the kind', () => {
    const engine = new RuleEngine({ rules: [silent({ silentForMs: 2 * MIN })] });
    engine.onReading(reading('aq-1', T0, { pm25_ugm3: 5 }), { expectedIntervalMs: 60 * MIN }, T0);
    expect(ticks(engine, [2 * MIN, 2 * MIN + SEC])).toEqual(['121s raise']);
  });

  it('raise once however often tick runs', () => {
    const engine = new RuleEngine({ rules: [silent({ silentForMs: MIN })] });
    engine.onReading(reading('aq-1', T0, { pm25_ugm3: 5 }), {}, T0);
    expect(ticks(engine, [61 * SEC, 62 * SEC, 5 * MIN, 60 * MIN])).toEqual(['61s raise']);
  });

  it('clear when the device reports again', () => {
    const engine = new RuleEngine({ rules: [silent()] });
    engine.onReading(reading('aq-1', T0, { pm25_ugm3: 5 }), {}, T0);
    engine.tick(T0 + 16 * MIN);
    expect(engine.onReading(reading('aq-1', T0 + 20 * MIN, { pm25_ugm3: 5 }), {}, T0 + 20 * MIN)).toEqual([
      { type: 'clear', dedupeKey: 'device-silent:aq-1', ruleId: 'device-silent', explanation: 'device-silent: aq-1 reported again at 14:20 after 20 min of silence.', at: T0 + 20 * MIN },
    ]);
  });

  it('explain a raise with the limit it used', () => {
    const engine = new RuleEngine({ rules: [silent()] });
    engine.trackDevice('wl-9', 'water_level', T0 - 40 * MIN, { position: { lat: 41.9, lon: -87.6 }, district: 'near-north' });
    expect(engine.tick(T0)).toEqual([
      {
        type: 'raise',
        dedupeKey: 'device-silent:wl-9',
        ruleId: 'device-silent',
        deviceId: 'wl-9',
        deviceKind: 'water_level',
        title: 'Device silent — wl-9',
        category: 'device_offline',
        severity: 'warning',
        position: { lat: 41.9, lon: -87.6 },
        district: 'near-north',
        explanation: 'device-silent: wl-9 (water_level) has sent nothing for 40 min, longer than the water_level limit of 30 min (last heard at 13:20).',
        evidence: {
          ruleId: 'device-silent',
          ruleText: "no reading for more than 3 × the device's update interval, else its kind's limit (15 min to 6 h)",
          count: 1,
          firstSeenAt: T0 - 40 * MIN,
          lastSeenAt: T0 - 40 * MIN,
        },
        autoResolve: true,
        at: T0,
      },
    ]);
  });

  it('after markClosed, raise again only once the device has reported and gone quiet again', () => {
    const engine = new RuleEngine({ rules: [silent({ silentForMs: MIN })] });
    engine.onReading(reading('aq-1', T0, { pm25_ugm3: 5 }), {}, T0);
    const out = ticks(engine, [61 * SEC]);
    engine.markClosed('device-silent:aq-1');
    out.push(...ticks(engine, [5 * MIN]));
    engine.onReading(reading('aq-1', T0 + 6 * MIN, { pm25_ugm3: 5 }), {}, T0 + 6 * MIN);
    out.push(...ticks(engine, [7 * MIN + SEC]));
    expect(out).toEqual(['61s raise', '421s raise']);
  });

  it('count a registered device never heard from the first tick that tracks it', () => {
    const engine = new RuleEngine({ rules: [silent()] });
    engine.trackDevice('aq-new', 'air_quality', undefined);
    expect(ticks(engine, [0, 15 * MIN, 15 * MIN + SEC])).toEqual(['901s raise']);
  });

  it('count camera events as hearing from the camera', () => {
    const engine = new RuleEngine({ rules: [silent({ silentForMs: MIN })] });
    engine.onCameraEvent(detection({ observedAt: T0 }), {}, T0);
    engine.onCameraEvent(detection({ observedAt: T0 + 50 * SEC, phase: 'update' }), {}, T0 + 50 * SEC);
    expect(ticks(engine, [61 * SEC, 110 * SEC, 111 * SEC])).toEqual(['111s raise']);
  });

  it('look only at the kinds in scope', () => {
    const engine = new RuleEngine({ rules: [silent({ kinds: ['waste_bin'], silentForMs: MIN })] });
    engine.onReading(reading('aq-1', T0, { pm25_ugm3: 5 }), {}, T0);
    expect(ticks(engine, [60 * MIN])).toEqual([]);
  });

  it('stop watching a forgotten device', () => {
    const engine = new RuleEngine({ rules: [silent({ silentForMs: MIN })] });
    engine.onReading(reading('aq-1', T0, { pm25_ugm3: 5 }), {}, T0);
    engine.forgetDevice('aq-1');
    expect(ticks(engine, [60 * MIN])).toEqual([]);
  });
});
