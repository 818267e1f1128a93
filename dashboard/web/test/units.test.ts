import { describe, expect, it } from 'vitest';
import { describeMetric, formatAge, formatValue, unitOf } from '../src/core/units.ts';

describe('unitOf', () => {
  it.each([
    ['pm25_ugm3', 'µg/m³'],
    ['noise_peak_dba', 'dBA'],
    ['water_level_cm', 'cm'],
    ['occupied_pct', '%'],
    ['power_w', 'W'],
    ['vehicles_per_min', '/min'],
    ['avg_speed_kmh', 'km/h'],
    ['temperature_c', '°C'],
    ['free_spaces', ''],
    ['lamp_on', ''],
  ])('%s -> %s', (name, unit) => expect(unitOf(name)).toBe(unit));
});

describe('describeMetric', () => {
  it('names pollutants as chemists write them', () => {
    expect(describeMetric('pm25_ugm3')).toEqual({ label: 'PM2.5', unit: 'µg/m³' });
    expect(describeMetric('no2_ugm3')).toEqual({ label: 'NO₂', unit: 'µg/m³' });
  });
  it('turns the rest of the name into words', () => {
    expect(describeMetric('noise_peak_dba')).toEqual({ label: 'Noise peak', unit: 'dBA' });
    expect(describeMetric('vehicles_per_min')).toEqual({ label: 'Vehicles', unit: '/min' });
  });
});

describe('formatValue', () => {
  it('keeps digits sensible and writes the unit', () => {
    expect(formatValue('pm25_ugm3', 12.5432)).toBe('12.5 µg/m³');
    expect(formatValue('occupied_pct', 45)).toBe('45%');
    expect(formatValue('power_w', 1234.4)).toBe('1,234 W');
    expect(formatValue('free_spaces', 3)).toBe('3');
  });
});

describe('formatAge', () => {
  it.each([
    [0, '0 s'],
    [59_999, '59 s'],
    [60_000, '1 min'],
    [3 * 3_600_000, '3 h'],
    [3 * 86_400_000, '3 d'],
    [-5_000, '0 s'],
  ])('%d ms -> %s', (ms, text) => expect(formatAge(ms)).toBe(text));
});
