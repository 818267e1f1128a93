import { describe, expect, it } from 'vitest';
import { planFleet } from '../../src/core/fleet-plan.ts';
import { localTime, metricsAt, METRICS_BY_KIND, SIMULATED_KINDS, type SimulatedKind } from '../../src/core/patterns.ts';
import { mulberry32 } from '../../src/core/prng.ts';

const HOUR = 3_600_000;
// Tuesday 2025-11-25 00:00 in Chicago (UTC-6)
const MIDNIGHT = Date.UTC(2025, 10, 25, 6);
const plan = planFleet({ seed: 3, sensors: 70, cameras: 0, ttsDevices: 0 });
const devicesOf = (kind: SimulatedKind) => plan.devices.filter((d) => d.kind === kind);

/** mean of a metric over the kind's devices at a local hour of the test day */
function meanAt(kind: SimulatedKind, metric: string, hour: number): number {
  const rand = mulberry32(1);
  const values = devicesOf(kind).map((d) => metricsAt(kind, d.profile, d.seed, MIDNIGHT + hour * HOUR, rand)[metric]!);
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe('daily patterns', () => {
  it('uses the city local time, DST included', () => {
    expect(localTime(MIDNIGHT)).toEqual({ hour: 0, weekday: 2 });
    expect(localTime(Date.UTC(2025, 6, 1, 5)).hour).toBe(0); // July: UTC-5
  });

  it('publishes exactly the documented metrics per kind, all finite', () => {
    const rand = mulberry32(2);
    for (const kind of SIMULATED_KINDS) {
      for (const d of devicesOf(kind)) {
        for (let h = 0; h < 48; h += 1.5) {
          const m = metricsAt(kind, d.profile, d.seed, MIDNIGHT + h * HOUR, rand);
          expect(Object.keys(m).sort()).toEqual([...METRICS_BY_KIND[kind]].sort());
          for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true);
        }
      }
    }
  });

  it('keeps values in realistic ranges over two days', () => {
    const rand = mulberry32(4);
    const seen: Record<string, [number, number]> = {};
    for (const d of plan.devices) {
      for (let minute = 0; minute < 48 * 60; minute += 10) {
        for (const [k, v] of Object.entries(metricsAt(d.kind as SimulatedKind, d.profile, d.seed, MIDNIGHT + minute * 60_000, rand))) {
          const [lo, hi] = seen[k] ?? [Infinity, -Infinity];
          seen[k] = [Math.min(lo, v), Math.max(hi, v)];
        }
      }
    }
    expect(seen.pm25_ugm3![0]).toBeGreaterThanOrEqual(1);
    expect(seen.pm25_ugm3![1]).toBeLessThan(70);
    expect(seen.noise_dba![0]).toBeGreaterThanOrEqual(38);
    expect(seen.noise_dba![1]).toBeLessThanOrEqual(90);
    expect(seen.occupied_pct![0]).toBeGreaterThanOrEqual(0);
    expect(seen.occupied_pct![1]).toBeLessThanOrEqual(100);
    expect(seen.fill_pct![0]).toBeGreaterThanOrEqual(0);
    expect(seen.fill_pct![1]).toBeLessThanOrEqual(100);
    expect(seen.vehicles_per_min![0]).toBeGreaterThanOrEqual(0);
  });

  it('peaks air pollution, noise and traffic at rush hour, not at night', () => {
    expect(meanAt('air_quality', 'pm25_ugm3', 8)).toBeGreaterThan(2 * meanAt('air_quality', 'pm25_ugm3', 3));
    expect(meanAt('noise', 'noise_dba', 17.5)).toBeGreaterThan(meanAt('noise', 'noise_dba', 3) + 10);
    expect(meanAt('traffic', 'vehicles_per_min', 8)).toBeGreaterThan(4 * meanAt('traffic', 'vehicles_per_min', 3));
    expect(meanAt('traffic', 'avg_speed_kmh', 8)).toBeLessThan(meanAt('traffic', 'avg_speed_kmh', 3));
  });

  it('lights street lights at night only, dimmed after 23:00', () => {
    expect(meanAt('street_light', 'lamp_on', 12)).toBe(0);
    expect(meanAt('street_light', 'power_w', 12)).toBe(0.5);
    expect(meanAt('street_light', 'lamp_on', 21)).toBe(1);
    expect(meanAt('street_light', 'power_w', 2)).toBeLessThan(meanAt('street_light', 'power_w', 21));
  });

  it('fills waste bins and empties them', () => {
    const bin = devicesOf('waste_bin')[0]!;
    const rand = mulberry32(5);
    const fills = Array.from({ length: 24 * 8 }, (_, h) => metricsAt('waste_bin', bin.profile, bin.seed, MIDNIGHT + h * HOUR, rand).fill_pct!);
    const emptied = fills.filter((f, i) => i > 0 && f < fills[i - 1]! - 40).length;
    expect(emptied).toBeGreaterThanOrEqual(1);
    expect(Math.max(...fills)).toBeGreaterThan(80);
  });

  it('varies water levels slowly with an occasional rise', () => {
    const rand = mulberry32(6);
    let rises = 0;
    for (const d of devicesOf('water_level')) {
      const levels = Array.from({ length: 24 * 30 }, (_, h) => metricsAt('water_level', d.profile, d.seed, MIDNIGHT + h * HOUR, rand).water_level_cm!);
      for (let i = 1; i < levels.length; i++) {
        expect(Math.abs(levels[i]! - levels[i - 1]!)).toBeLessThan(45); // no jumps between hours
      }
      if (levels.some((l, i) => i > 3 && l - levels[i - 3]! > 20)) rises += 1;
    }
    expect(rises).toBeGreaterThan(0);
  });
});
