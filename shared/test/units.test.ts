import { describe, expect, it } from 'vitest';
import { toMetricToken, unitSuffix, withUnitSuffix } from '../src/units.ts';

describe('units', () => {
  it('maps SenML units to metric suffixes', () => {
    const cases: Array<[string, string]> = [
      ['Cel', 'c'], ['%RH', 'rh_pct'], ['ug/m3', 'ugm3'], ['m', 'm'], ['cm', 'cm'], ['/', 'ratio'], ['%', 'pct'],
      ['count', 'count'], ['lx', 'lx'], ['Pa', 'pa'], ['hPa', 'hpa'], ['V', 'v'], ['A', 'a'], ['W', 'w'], ['m/s', 'ms'],
      ['dBA', 'dba'], ['km/h', 'kmh'], ['ppm', 'ppm'], ['%EL', 'pct'],
    ];
    for (const [unit, suffix] of cases) expect(unitSuffix(unit), unit).toBe(suffix);
  });

  it('a decibel is dBA on noise metrics, dB otherwise', () => {
    expect(unitSuffix('dB', 'noise')).toBe('dba');
    expect(unitSuffix('dB', 'street_noise_laeq')).toBe('dba');
    expect(unitSuffix('dB', 'snr')).toBe('db');
  });

  it('unknown units are sanitised, no unit gives no suffix', () => {
    expect(unitSuffix('furlong/fortnight')).toBe('furlong_fortnight');
    expect(unitSuffix(undefined)).toBeUndefined();
    expect(unitSuffix('')).toBeUndefined();
    expect(unitSuffix('%%')).toBeUndefined();
  });

  it('appends the suffix once', () => {
    expect(withUnitSuffix('water_level', 'cm')).toBe('water_level_cm');
    expect(withUnitSuffix('water_level_cm', 'cm')).toBe('water_level_cm');
    expect(withUnitSuffix('noise', 'dB')).toBe('noise_dba');
    expect(withUnitSuffix('vehicles', 'count')).toBe('vehicles_count');
    expect(withUnitSuffix('count', 'count')).toBe('count');
    expect(withUnitSuffix('open', undefined)).toBe('open');
  });

  it('tokens are lowercase snake case', () => {
    expect(toMetricToken('TempC_SHT')).toBe('temp_c_sht');
    expect(toMetricToken('PM2.5')).toBe('pm2_5');
    expect(toMetricToken('  battery--level ')).toBe('battery_level');
    expect(toMetricToken('CO2')).toBe('co2');
  });
});
