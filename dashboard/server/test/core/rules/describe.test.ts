import { describe, expect, it } from 'vitest';
import { describeRule, durationText, inActiveHours, unitOf, valueText } from '../../../src/core/rules/describe.ts';
import { chicago, rule } from './helpers.ts';

describe('rule words', () => {
  it('take units from metric names through the SenML unit table', () => {
    expect(['pm25_ugm3', 'noise_dba', 'water_level_cm', 'fill_pct', 'temperature_c', 'humidity_rh_pct', 'vehicles_count', 'detection_score'].map(unitOf)).toEqual([
      'µg/m³',
      'dB(A)',
      'cm',
      '%',
      '°C',
      '%RH',
      undefined,
      undefined,
    ]);
  });

  it('write values and durations for people', () => {
    expect([valueText(58.234, 'µg/m³'), valueText(96, '%'), valueText(3, undefined), durationText(45_000), durationText(600_000), durationText(5_400_000), durationText(30 * 86_400_000)]).toEqual([
      '58.23 µg/m³',
      '96%',
      '3',
      '45 s',
      '10 min',
      '1.5 h',
      '30 days',
    ]);
  });

  it('treat a window with from after to as wrapping midnight, to exclusive', () => {
    const hours = { from: '22:00', to: '06:00' };
    expect([chicago(21, 59), chicago(22), chicago(24), chicago(29, 59), chicago(30)].map((at) => inActiveHours(hours, at, 'America/Chicago'))).toEqual([false, true, true, true, false]);
  });

  it('describe each rule type in one line', () => {
    const rules = [
      rule({ id: 'a', type: 'threshold', metric: 'water_level_cm', above: 260, clearAt: 240, forMs: 120_000, escalate: { value: 300, severity: 'critical' }, kinds: ['water_level'], severity: 'major', category: 'flooding' }),
      rule({ id: 'b', type: 'rate_of_change', metric: 'water_level_cm', risePerWindow: 20, fallPerWindow: 30, windowMs: 600_000, severity: 'major', category: 'flooding' }),
      rule({ id: 'c', type: 'silence', silentForMs: 1_800_000, deviceIds: ['aq-1', 'aq-2', 'aq-3', 'aq-4'], severity: 'minor', category: 'device_offline' }),
      rule({ id: 'd', type: 'camera', labels: ['person'], minScore: 0.6, zones: ['restricted'], activeHours: { from: '22:00', to: '06:00' }, severity: 'major', category: 'security' }),
    ];
    expect(rules.map(describeRule)).toEqual([
      'water_level_cm above 260 cm for 2 min (clears below 240 cm; critical above 300 cm) on water_level devices',
      'water_level_cm rising more than 20 cm per 10 min or falling more than 30 cm per 10 min (clears at a rise under 20 cm and a fall under 30 cm per 10 min)',
      'no reading for more than 30 min on aq-1, aq-2, aq-3 and 1 more',
      'person with score ≥ 0.6 in zone restricted between 22:00 and 06:00',
    ]);
  });
});
