import { describe, expect, it } from 'vitest';
import { deviceState, metricLevel, SILENCE_LIMIT_MS, THRESHOLDS } from '@city/shared/thresholds';
import { METRICS_BY_KIND } from '@city/simulators/core/patterns';

const NOW = Date.UTC(2026, 10, 28, 9, 0, 0);

describe('thresholds', () => {
  it.each([
    ['air_quality', 'pm25_ugm3', 34.9, 'ok'],
    ['air_quality', 'pm25_ugm3', 35, 'warning'],
    ['air_quality', 'pm25_ugm3', 55, 'alarm'],
    ['air_quality', 'no2_ugm3', 150, 'warning'],
    ['air_quality', 'no2_ugm3', 200, 'alarm'],
    ['noise', 'noise_dba', 69, 'ok'],
    ['noise', 'noise_dba', 72, 'warning'],
    ['noise', 'noise_dba', 85, 'alarm'],
    ['waste_bin', 'fill_pct', 80, 'warning'],
    ['waste_bin', 'fill_pct', 96, 'alarm'],
    ['parking', 'occupied_pct', 100, 'warning'],
    ['water_level', 'water_level_cm', 120, 'ok'],
    ['water_level', 'water_level_cm', 320, 'alarm'],
    ['traffic', 'vehicles_per_min', 1e6, 'ok'],
    ['air_quality', 'temperature_c', 45, 'ok'],
  ] as const)('%s %s = %d is %s', (kind, metric, value, level) => {
    expect(metricLevel(kind, metric, value)).toBe(level);
  });

  it('names only metrics the simulators send', () => {
    for (const [kind, metrics] of Object.entries(THRESHOLDS)) {
      const simulated = METRICS_BY_KIND[kind as keyof typeof METRICS_BY_KIND] as readonly string[];
      for (const metric of Object.keys(metrics)) expect(simulated, `${kind}.${metric}`).toContain(metric);
    }
  });
});

describe('deviceState', () => {
  it('is the worst level of the latest metrics', () => {
    expect(deviceState('air_quality', { pm25_ugm3: 10, no2_ugm3: 20 }, true, NOW - 1000, NOW)).toBe('ok');
    expect(deviceState('air_quality', { pm25_ugm3: 40, no2_ugm3: 20 }, true, NOW - 1000, NOW)).toBe('warning');
    expect(deviceState('air_quality', { pm25_ugm3: 40, no2_ugm3: 250 }, true, NOW - 1000, NOW)).toBe('alarm');
  });

  it('is ok for a connected device that has not reported yet', () => {
    expect(deviceState('noise', {}, true, undefined, NOW)).toBe('ok');
  });

  it('is offline when disconnected, whatever the values', () => {
    expect(deviceState('air_quality', { pm25_ugm3: 80 }, false, NOW - 1000, NOW)).toBe('offline');
  });

  it('is offline after a silence longer than the kind allows', () => {
    const limit = SILENCE_LIMIT_MS.air_quality;
    expect(deviceState('air_quality', { pm25_ugm3: 5 }, true, NOW - limit, NOW)).toBe('ok');
    expect(deviceState('air_quality', { pm25_ugm3: 5 }, true, NOW - limit - 1, NOW)).toBe('offline');
    expect(SILENCE_LIMIT_MS.camera).toBeGreaterThan(limit);
  });
});
