// Fusion: what else happened near an incident, in space and time. Pure and transparent: every linked
// item says how far away it was, nothing is scored or hidden.
import type { LinkedItem } from '@city/shared/incidents';
import type { Position } from '@city/shared/reading';

export const DEFAULT_FUSION_RADIUS_M = 500;
export const DEFAULT_FUSION_WINDOW_MS = 30 * 60_000;
/** An incident in a dense block would otherwise link every sensor on it. */
export const DEFAULT_FUSION_LIMIT = 50;

/** IUGG mean Earth radius, metres. */
const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in metres. */
export function haversineM(a: Position, b: Position): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface FusionCandidate {
  type: 'incident' | 'report' | 'device';
  id: string;
  position?: Position;
  at: number;
  /** "noise-07 alarm 84 dB(A)" */
  summary: string;
}

export interface FusionOptions {
  radiusM: number;
  windowMs: number;
  /** most items returned, nearest first */
  limit?: number;
}

const distanceText = (m: number) => (m < 1000 ? `${m} m` : `${(m / 1000).toFixed(1)} km`);

/**
 * Candidates within radiusM of the anchor and windowMs of its time (either side), the anchor itself
 * (same id) excluded, nearest first (ties: closer in time, then id). Without positions nothing links.
 */
export function fuseNearby(
  anchor: { id: string; position?: Position; at: number },
  candidates: readonly FusionCandidate[],
  opts: FusionOptions = { radiusM: DEFAULT_FUSION_RADIUS_M, windowMs: DEFAULT_FUSION_WINDOW_MS },
): LinkedItem[] {
  const origin = anchor.position;
  if (!origin) return [];
  const near: { c: FusionCandidate; distanceM: number }[] = [];
  for (const c of candidates) {
    if (c.id === anchor.id || !c.position || Math.abs(c.at - anchor.at) > opts.windowMs) continue;
    const distanceM = haversineM(origin, c.position);
    if (distanceM <= opts.radiusM) near.push({ c, distanceM: Math.round(distanceM) });
  }
  near.sort(
    (x, y) => x.distanceM - y.distanceM || Math.abs(x.c.at - anchor.at) - Math.abs(y.c.at - anchor.at) || (x.c.id < y.c.id ? -1 : x.c.id > y.c.id ? 1 : 0),
  );
  return near.slice(0, opts.limit ?? DEFAULT_FUSION_LIMIT).map(({ c, distanceM }) => ({
    type: c.type,
    id: c.id,
    summary: `${c.summary}, ${distanceText(distanceM)} away`,
    distanceM,
    at: c.at,
    linkedBy: 'fusion',
  }));
}
