import { describe, expect, it } from 'vitest';
import { RuleEngine } from '../../../src/core/rules/engine.ts';
import type { RuleSignal } from '../../../src/core/rules/signals.ts';
import { detection, MIN, reading, rule, SEC, T0 } from './helpers.ts';

const pm25 = (over: Record<string, unknown> = {}) =>
  rule({ id: 'air-pm25-high', type: 'threshold', metric: 'pm25_ugm3', above: 50, clearAt: 40, severity: 'major', category: 'air_quality', ...over });
const fire = () => rule({ id: 'fire', type: 'camera', labels: ['fire'], minScore: 0.7, severity: 'critical', category: 'fire_smoke' });

/** pm25 readings from `deviceId` at [seconds after T0, value]; engine time = observed time */
function feed(engine: RuleEngine, deviceId: string, points: [number, number][]): RuleSignal[] {
  return points.flatMap(([s, v]) => engine.onReading(reading(deviceId, T0 + s * SEC, { pm25_ugm3: v }), {}, T0 + s * SEC));
}

const brief = (s: RuleSignal) => (s.type === 'evidence' ? 'evidence' : s.type === 'clear' ? `clear ${s.dedupeKey}` : `${s.type} ${s.dedupeKey} ${s.evidence.count}`);

describe('RuleEngine', () => {
  it('raise once per rule and device, then update', () => {
    const engine = new RuleEngine({ rules: [pm25()] });
    const signals = [...feed(engine, 'aq-1', [[0, 60], [40, 61], [80, 62]]), ...feed(engine, 'aq-2', [[90, 70]])];
    expect(signals.map(brief)).toEqual(['raise air-pm25-high:aq-1 1', 'update air-pm25-high:aq-1 2', 'update air-pm25-high:aq-1 3', 'raise air-pm25-high:aq-2 1']);
  });

  it('send at most one routine update per 30 s for a 1 Hz sensor in alarm', () => {
    const engine = new RuleEngine({ rules: [pm25()] });
    const signals = feed(engine, 'aq-1', Array.from({ length: 600 }, (_, s): [number, number] => [s, 60 + (s % 5)]));
    expect({ raise: signals.filter((s) => s.type === 'raise').length, update: signals.filter((s) => s.type === 'update').length }).toEqual({ raise: 1, update: 19 });
  });

  it('send held-back updates from tick once they are due', () => {
    const engine = new RuleEngine({ rules: [pm25()] });
    feed(engine, 'aq-1', [[0, 60], [10, 65]]);
    expect([engine.tick(T0 + 29 * SEC).map(brief), engine.tick(T0 + 30 * SEC).map(brief), engine.tick(T0 + 90 * SEC).map(brief)]).toEqual([
      [],
      ['update air-pm25-high:aq-1 2'],
      [],
    ]);
  });

  it('update, not raise, an incident restored after a restart, continuing its count', () => {
    const engine = new RuleEngine({ rules: [pm25()] });
    engine.restoreActive([{ dedupeKey: 'air-pm25-high:aq-1', ruleId: 'air-pm25-high', deviceId: 'aq-1', count: 7, firstSeenAt: T0 - 10 * MIN, peakValue: 80 }]);
    expect(feed(engine, 'aq-1', [[0, 60], [60, 30]]).map(brief)).toEqual(['update air-pm25-high:aq-1 8', 'clear air-pm25-high:aq-1']);
  });

  it('report restored keys whose rule it does not know', () => {
    const engine = new RuleEngine({ rules: [pm25()] });
    expect(engine.restoreActive([{ dedupeKey: 'gone:aq-1', ruleId: 'gone' }, { dedupeKey: 'air-pm25-high:aq-1', ruleId: 'air-pm25-high' }])).toEqual(['gone:aq-1']);
  });

  it('clear a restored silence incident when the device reports', () => {
    const engine = new RuleEngine({ rules: [rule({ id: 'silent', type: 'silence', severity: 'minor', category: 'device_offline' })] });
    engine.restoreActive([{ dedupeKey: 'silent:aq-1', ruleId: 'silent' }]);
    expect(feed(engine, 'aq-1', [[0, 5]]).map(brief)).toEqual(['clear silent:aq-1']);
  });

  it('raise a new camera incident after markClosed, update the open one before', () => {
    const engine = new RuleEngine({ rules: [fire()] });
    const event = (eventId: string, s: number) => engine.onCameraEvent(detection({ eventId, label: 'fire', observedAt: T0 + s * SEC }), {}, T0 + s * SEC);
    const signals = [...event('a', 0), ...event('b', 60)];
    const closed = engine.markClosed('fire:cam-1');
    signals.push(...event('a', 120), ...event('c', 180));
    expect({ closed, signals: signals.map(brief) }).toEqual({ closed: true, signals: ['raise fire:cam-1 1', 'update fire:cam-1 2', 'raise fire:cam-1 1'] });
  });

  it('after markClosed while the condition holds, raise again only once it has ended', () => {
    const engine = new RuleEngine({ rules: [pm25()] });
    const signals = feed(engine, 'aq-1', [[0, 60]]);
    engine.markClosed('air-pm25-high:aq-1');
    signals.push(...feed(engine, 'aq-1', [[10, 60], [20, 45], [30, 60], [40, 30], [50, 60]]));
    expect(signals.map(brief)).toEqual(['raise air-pm25-high:aq-1 1', 'raise air-pm25-high:aq-1 1']);
  });

  it('markClosed of a key it does not hold is false', () => {
    expect(new RuleEngine({ rules: [pm25()] }).markClosed('air-pm25-high:aq-9')).toBe(false);
  });

  it('on a rule without autoResolve, say the condition ended, keep the key, update when it returns', () => {
    const engine = new RuleEngine({ rules: [pm25({ autoResolve: false })] });
    const signals = feed(engine, 'aq-1', [[0, 60], [60, 30], [120, 70]]);
    expect(signals.map((s) => (s.type === 'update' ? `update: ${s.explanation}` : s.type))).toEqual([
      'raise',
      'update: air-pm25-high: pm25_ugm3 at aq-1 went back below 40 µg/m³ (30 µg/m³ at 14:01); peak was 60 µg/m³, above 50 µg/m³ since 14:00. It stays open until an operator closes it.',
      'update: air-pm25-high: pm25_ugm3 at aq-1 is still above the limit (2 readings above 50 µg/m³ since 14:00, last 70 µg/m³ at 14:02, peak 70); clears below 40 µg/m³.',
    ]);
  });

  it('touch no rule for a metric no rule names, among 100 rules', () => {
    const rules = Array.from({ length: 100 }, (_, i) => pm25({ id: `r${i}`, metric: `metric_${i}`, above: 0, clearAt: undefined }));
    const engine = new RuleEngine({ rules });
    const signals = engine.onReading(reading('aq-1', T0, { pm25_ugm3: 999, no2_ugm3: 999 }), {}, T0);
    expect({ signals, pending: engine.stats().pendingConditions }).toEqual({ signals: [], pending: 0 });
  });

  it('drop the state of a removed rule and keep open incidents of a changed one', () => {
    const engine = new RuleEngine({ rules: [pm25(), fire()] });
    feed(engine, 'aq-1', [[0, 60]]);
    engine.onCameraEvent(detection({ label: 'fire', observedAt: T0 }), {}, T0);
    engine.setRules([pm25({ above: 55, title: 'PM2.5 high' })]);
    expect({ active: engine.stats().activeKeys, next: feed(engine, 'aq-1', [[60, 60]]).map(brief) }).toEqual({ active: 1, next: ['update air-pm25-high:aq-1 2'] });
  });

  it('ignore disabled rules', () => {
    const engine = new RuleEngine({ rules: [pm25({ enabled: false })] });
    expect(feed(engine, 'aq-1', [[0, 99]])).toEqual([]);
  });

  it('count what it holds in stats()', () => {
    const engine = new RuleEngine({ rules: [pm25({ forMs: MIN }), rule({ id: 'rise', type: 'rate_of_change', metric: 'pm25_ugm3', risePerWindow: 100, windowMs: MIN, severity: 'minor', category: 'air_quality' })] });
    feed(engine, 'aq-1', [[0, 60], [1, 61]]);
    feed(engine, 'aq-2', [[0, 10]]);
    expect(engine.stats()).toEqual({
      rules: 2,
      pendingConditions: 1,
      activeKeys: 0,
      suppressedKeys: 0,
      trackedDevices: 2,
      silentDevices: 0,
      rateSeries: 2,
      rateSamples: 3,
      evidenceKeys: 0,
    });
  });

  it('refuse a time zone Intl does not know', () => {
    expect(() => new RuleEngine({ rules: [], timeZone: 'Mars/Olympus' })).toThrow(/Mars\/Olympus/);
  });
});
