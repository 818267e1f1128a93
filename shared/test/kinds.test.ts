import { describe, expect, it } from 'vitest';
import { inferKind } from '../src/kinds.ts';

describe('inferKind', () => {
  it('recognises each kind from typical metric names', () => {
    const cases: Array<[string[], string]> = [
      [['pm25_ugm3', 'no2_ugm3'], 'air_quality'],
      [['co2_ppm', 'temperature_c'], 'air_quality'],
      [['noise_dba', 'noise_lamax_dba'], 'noise'],
      [['laeq'], 'noise'],
      [['vehicles_count', 'avg_speed_kmh'], 'traffic'],
      [['water_level_cm'], 'water_level'],
      [['occupied', 'free_spaces'], 'parking'],
      [['lamp_on', 'dim_level_pct', 'power_w'], 'street_light'],
      [['fill_level_pct', 'temperature_c'], 'waste_bin'],
      [['detection_score'], 'camera'],
    ];
    for (const [names, kind] of cases) expect(inferKind(names), names.join(',')).toBe(kind);
  });

  it('is generic when nothing points anywhere, or for no metrics', () => {
    expect(inferKind(['temperature_c', 'humidity_rh_pct'])).toBe('generic');
    expect(inferKind([])).toBe('generic');
  });

  it('the kind most names point to wins', () => {
    expect(inferKind(['noise_dba', 'pm25_ugm3', 'pm10_ugm3'])).toBe('air_quality');
  });
});
