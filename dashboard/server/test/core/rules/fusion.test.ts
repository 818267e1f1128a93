import { describe, expect, it } from 'vitest';
import { DEFAULT_FUSION_RADIUS_M, DEFAULT_FUSION_WINDOW_MS, fuseNearby, haversineM, type FusionCandidate } from '../../../src/core/rules/fusion.ts';
import { MIN, T0 } from './helpers.ts';

const anchor = { id: 'inc-1', position: { lat: 41.8819, lon: -87.6278 }, at: T0 };
/** `dNorthM` metres north of the anchor (1° of latitude ≈ 111,195 m on the mean sphere) */
const north = (dNorthM: number) => ({ lat: anchor.position.lat + dNorthM / 111_195, lon: anchor.position.lon });
const candidate = (id: string, dNorthM: number, minutes: number, type: FusionCandidate['type'] = 'device'): FusionCandidate => ({
  type,
  id,
  position: north(dNorthM),
  at: T0 + minutes * MIN,
  summary: `${id} alarm`,
});

describe('fusion', () => {
  it('measure great-circle distance: one degree of latitude is ~111 km, Loop to O’Hare ~25 km', () => {
    expect([Math.round(haversineM({ lat: 0, lon: 0 }, { lat: 1, lon: 0 })), Math.round(haversineM(anchor.position, { lat: 41.9742, lon: -87.9073 }) / 1000)]).toEqual([111_195, 25]);
  });

  it('gather candidates within the radius and window, nearest first, with their distance', () => {
    const candidates = [candidate('far', 501, 0), candidate('b', 300, -20, 'report'), candidate('a', 120, 5, 'incident'), candidate('late', 10, 31), candidate('early', 10, -31)];
    expect(fuseNearby(anchor, candidates, { radiusM: 500, windowMs: 30 * MIN })).toEqual([
      { type: 'incident', id: 'a', summary: 'a alarm, 120 m away', distanceM: 120, at: T0 + 5 * MIN, linkedBy: 'fusion' },
      { type: 'report', id: 'b', summary: 'b alarm, 300 m away', distanceM: 300, at: T0 - 20 * MIN, linkedBy: 'fusion' },
    ]);
  });

  it('leave out the anchor itself and candidates without a position', () => {
    const candidates: FusionCandidate[] = [{ ...candidate('inc-1', 0, 0), type: 'incident' }, { type: 'report', id: 'r-1', at: T0, summary: 'no place' }, candidate('d-1', 50, 0)];
    expect(fuseNearby(anchor, candidates, { radiusM: 500, windowMs: 30 * MIN }).map((l) => l.id)).toEqual(['d-1']);
  });

  it('order equal distances by time, then id', () => {
    const candidates = [candidate('z', 100, 10), candidate('y', 100, 1), candidate('x', 100, 10)];
    expect(fuseNearby(anchor, candidates, { radiusM: 500, windowMs: 30 * MIN }).map((l) => l.id)).toEqual(['y', 'x', 'z']);
  });

  it('default to 500 m and 30 min', () => {
    expect({ radiusM: DEFAULT_FUSION_RADIUS_M, windowMs: DEFAULT_FUSION_WINDOW_MS, linked: fuseNearby(anchor, [candidate('edge', 499, 30)]).map((l) => l.id) }).toEqual({
      radiusM: 500,
      windowMs: 30 * MIN,
      linked: ['edge'],
    });
  });

  it('link nothing to an anchor without a position', () => {
    expect(fuseNearby({ id: 'x', at: T0 }, [candidate('a', 10, 0)])).toEqual([]);
  });
});
