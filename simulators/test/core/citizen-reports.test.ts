import { describe, expect, it } from 'vitest';
import { DEMO_CITY, districtAt } from '@city/shared';
import { defaultCatalogue, validateServiceRequest } from '../../../dashboard/server/src/open311/index.ts';
import { NEAR_HOTSPOT_M, REPORT_TEMPLATES, nextGapMs, offsetPosition, planReport, positionInDistricts, retryAfterMs } from '../../src/core/citizen-reports.ts';
import { mulberry32 } from '../../src/core/prng.ts';

/** metres between two nearby points (equirectangular: exact enough at 50 m) */
function metres(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const dy = (b.lat - a.lat) * 111_320;
  const dx = (b.lon - a.lon) * 111_320 * Math.cos((a.lat * Math.PI) / 180);
  return Math.hypot(dx, dy);
}

const UNDERPASS = { lat: 41.8789, lon: -87.6359 };

describe('planReport', () => {
  it('every planned report passes the city\'s own Open311 validation with the shipped catalogue', () => {
    const rand = mulberry32(7);
    const catalogue = defaultCatalogue();
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const report = planReport(rand, { nearHotspotRatio: 0.3, hotspots: [{ position: UNDERPASS, category: 'flooding' }] });
      seen.add(report.serviceCode);
      const result = validateServiceRequest({ ...report.fields, api_key: 'k' }, { catalogue, area: DEMO_CITY, timeZone: 'America/Chicago' });
      expect(result.ok ? 'ok' : JSON.stringify(result.errors)).toBe('ok');
    }
    expect([...seen].sort()).toEqual(REPORT_TEMPLATES.map((t) => t.serviceCode).sort());
  });

  it('without hotspots every report lands inside a district', () => {
    const rand = mulberry32(3);
    for (let i = 0; i < 500; i++) {
      const { position, nearHotspot } = planReport(rand, { nearHotspotRatio: 1, hotspots: [] });
      expect(nearHotspot).toBe(false);
      expect(districtAt(position)).toBeDefined();
    }
  });

  it('about the given share lands within 50 m of a hotspot, with a service that fits its category', () => {
    const rand = mulberry32(11);
    const reports = Array.from({ length: 2000 }, () => planReport(rand, { nearHotspotRatio: 0.3, hotspots: [{ position: UNDERPASS, category: 'flooding' }] }));
    const near = reports.filter((r) => r.nearHotspot);
    expect(near.length / reports.length).toBeGreaterThan(0.26);
    expect(near.length / reports.length).toBeLessThan(0.34);
    for (const r of near) {
      expect(metres(UNDERPASS, r.position)).toBeLessThanOrEqual(NEAR_HOTSPOT_M + 0.5);
      expect(r.serviceCode).toBe('004');
    }
  });

  it('a hotspot of a category no service is about gets any service', () => {
    const rand = mulberry32(5);
    const codes = new Set(Array.from({ length: 300 }, () => planReport(rand, { nearHotspotRatio: 1, hotspots: [{ position: UNDERPASS, category: 'air_quality' }] }).serviceCode));
    expect(codes.size).toBeGreaterThan(4);
  });

  it('the same seed plans the same reports', () => {
    const plan = (seed: number) => Array.from({ length: 20 }, ((rand) => () => planReport(rand, { nearHotspotRatio: 0.5, hotspots: [{ position: UNDERPASS }] }))(mulberry32(seed)));
    expect(plan(9)).toEqual(plan(9));
    expect(plan(9)).not.toEqual(plan(10));
  });
});

describe('positions', () => {
  it('offsetPosition stays within the radius and covers it', () => {
    const rand = mulberry32(1);
    const distances = Array.from({ length: 1000 }, () => metres(UNDERPASS, offsetPosition(rand, UNDERPASS, 50)));
    expect(Math.max(...distances)).toBeLessThanOrEqual(50.5);
    expect(Math.max(...distances)).toBeGreaterThan(45);
  });

  it('positionInDistricts weights districts by area', () => {
    const rand = mulberry32(2);
    const counts = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const d = districtAt(positionInDistricts(rand))!;
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    expect(counts.size).toBe(DEMO_CITY.districts.length);
    // Near West Side is about 2.4 times the Loop
    expect(counts.get('near-west')! / counts.get('loop')!).toBeGreaterThan(1.8);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-28T09:00:00Z');
  it.each([
    ['30', 30_000],
    ['0', 0],
    ['Sat, 28 Nov 2026 09:00:45 GMT', 45_000],
    ['Sat, 28 Nov 2026 08:00:00 GMT', 0],
    [null, 60_000],
    ['', 60_000],
    ['soon', 60_000],
  ] as const)('%s -> %i ms', (header, expected) => {
    expect(retryAfterMs(header, now, 60_000)).toBe(expected);
  });
});

describe('nextGapMs', () => {
  it('averages 60 s / rate and never waits more than 4 times that', () => {
    const rand = mulberry32(4);
    const gaps = Array.from({ length: 5000 }, () => nextGapMs(rand, 2));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThan(27_000);
    expect(mean).toBeLessThan(31_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(120_000);
  });
});
