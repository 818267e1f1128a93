import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRules, validateRule } from '../../../src/core/rules/schema.ts';

const SHIPPED = new URL('../../../config/rules.yaml', import.meta.url);

const threshold = { id: 'pm25', type: 'threshold', metric: 'pm25_ugm3', above: 50, severity: 'major', category: 'air_quality' };
const problemsOf = (input: unknown) => {
  const result = validateRule(input);
  return result.ok ? [] : result.problems;
};

describe('rules schema', () => {
  it('parse the shipped config/rules.yaml', () => {
    const result = parseRules(readFileSync(SHIPPED, 'utf8'), 'yaml');
    expect(result.ok ? result.rules.map((r) => `${r.type} ${r.id}`) : result.problems).toEqual([
      'threshold air-pm25-high',
      'threshold noise-night',
      'rate_of_change water-level-rising',
      'threshold water-level-flood',
      'threshold waste-bin-full',
      'silence device-silent',
      'camera camera-fire-smoke',
      'camera restricted-area-night',
      'camera tunnel-stopped-vehicle',
      'infringement bus-lane-stopping',
    ]);
  });

  it('fill in the defaults', () => {
    const rules = [
      threshold,
      { id: 'cam', type: 'camera', labels: ['fire'], severity: 'critical', category: 'fire_smoke' },
      { id: 'quiet', type: 'silence', severity: 'minor', category: 'device_offline' },
    ].map((input) => validateRule(input));
    expect(rules).toEqual([
      { ok: true, rule: { ...threshold, enabled: true, forMs: 0, autoResolve: true } },
      { ok: true, rule: { id: 'cam', type: 'camera', labels: ['fire'], minScore: 0.5, minDurationMs: 0, severity: 'critical', category: 'fire_smoke', enabled: true, autoResolve: false } },
      { ok: true, rule: { id: 'quiet', type: 'silence', intervalMultiplier: 3, severity: 'minor', category: 'device_offline', enabled: true, autoResolve: true } },
    ]);
  });

  it('list every bad field of a rule with its path, what was expected and what came', () => {
    expect(problemsOf({ ...threshold, id: 'Bad Id', metric: 'PM 2.5', above: '50', forMs: -1, severity: 'high', kinds: ['air'] })).toEqual([
      'id: expected a rule id: 1-64 of a-z, 0-9, _, - starting with a letter or digit (got "Bad Id")',
      'severity: expected one of "critical", "major", "minor", "warning" (got "high")',
      'kinds.0: expected one of "air_quality", "noise", "traffic", "water_level", "parking", "street_light", "waste_bin", "camera", "generic" (got "air")',
      'metric: expected a metric name: a lowercase letter then up to 63 of a-z, 0-9, _ (got "PM 2.5")',
      'above: expected a finite number (got "50")',
      'forMs: expected at least 0 (got -1)',
    ]);
  });

  it('name a missing field', () => {
    expect(problemsOf({ id: 'x', type: 'camera', labels: [], severity: 'major' })).toEqual([
      'category: expected one of "air_quality", "noise", "flooding", "traffic", "parking", "waste", "lighting", "device_offline", "fire_smoke", "security", "infringement", "citizen_report", "other" (got nothing)',
      'labels: expected at least 1 item (got 0 items)',
    ]);
  });

  it('suggest the field an unknown one is close to', () => {
    expect(problemsOf({ ...threshold, clearAT: 40 })).toEqual(['clearAT: expected a known field such as "clearAt" (got unknown field "clearAT")']);
  });

  it('refuse an unknown rule type', () => {
    expect(problemsOf({ ...threshold, type: 'thresold' })).toEqual(['type: expected one of "threshold", "rate_of_change", "silence", "camera", "infringement" (got "thresold")']);
  });

  it('check fields against each other', () => {
    const problems = [
      problemsOf({ ...threshold, below: 10 }),
      problemsOf({ ...threshold, clearAt: 60, escalate: { value: 40, severity: 'minor' } }),
      problemsOf({ id: 'r', type: 'rate_of_change', metric: 'water_level_cm', windowMs: 600000, severity: 'major', category: 'flooding' }),
      problemsOf({ id: 'c', type: 'camera', labels: ['person'], activeHours: { from: '22:00', to: '22:00' }, severity: 'major', category: 'security' }),
    ];
    expect(problems).toEqual([
      ['above: expected exactly one of above or below (got both)'],
      ['clearAt: expected at most the trigger 50 (got 60)', 'escalate.value: expected more than the trigger 50 (got 40)', 'escalate.severity: expected a severity above "major" (got "minor")'],
      ['risePerWindow: expected risePerWindow or fallPerWindow (got neither)'],
      ['activeHours.to: expected a time other than from (got "22:00")'],
    ]);
  });

  it('list the problems of every rule in a file, with duplicate ids', () => {
    const text = JSON.stringify({ version: 1, rules: [threshold, { ...threshold, above: 'x' }, { ...threshold, severity: 'huge', forMs: 1.5 }, threshold] });
    expect(parseRules(text, 'json')).toEqual({
      ok: false,
      problems: [
        'rules.1.above: expected a finite number (got "x")',
        'rules.2.severity: expected one of "critical", "major", "minor", "warning" (got "huge")',
        'rules.2.forMs: expected an integer (got 1.5)',
        'rules.3.id: expected an id no other rule has (got "pm25", also rules.0.id)',
      ],
    });
  });

  it('say where YAML is broken', () => {
    expect(parseRules('rules:\n  - id: a\n   type: silence\n', 'yaml')).toEqual({
      ok: false,
      problems: ['line 3 column 1: expected valid YAML (got Sequence item without - indicator)'],
    });
  });

  it('refuse a file that is not an object with a rules list', () => {
    expect([parseRules('- id: a', 'yaml'), parseRules('{"rules": {}, "version": 2, "extra": true}', 'json')]).toEqual([
      { ok: false, problems: ['file: expected an object with a "rules" list (got an array)'] },
      { ok: false, problems: ['version: expected 1 (got 2)', 'extra: expected "version" or "rules" (got unknown field "extra")', 'rules: expected a list (got an object)'] },
    ]);
  });

  it('read YAML times of day as text', () => {
    const result = parseRules('rules:\n  - {id: c, type: camera, labels: [person], activeHours: {from: "22:00", to: 06:00}, severity: major, category: security}\n', 'yaml');
    expect(result.ok && result.rules[0]?.type === 'camera' && result.rules[0].activeHours).toEqual({ from: '22:00', to: '06:00' });
  });
});
