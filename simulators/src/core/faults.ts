// Faults on demand: malformed payloads at a ratio (each labelled with its kind), devices that go
// silent after a while, bursts that multiply the rate for a period.
import type { FleetPlan, PlannedDevice } from './fleet-plan.ts';
import { hashSeed, mulberry32, shuffled } from './prng.ts';

/**
 * - not-json: bytes that are not JSON
 * - wrong-type: numbers sent as strings (a classic firmware bug)
 * - unknown-metric: a metric name no decoder can accept ("10min.PM2.5")
 * - future-timestamp: observed a day ahead of now (a device clock gone wrong)
 */
export const FAULT_KINDS = ['not-json', 'wrong-type', 'unknown-metric', 'future-timestamp'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How far ahead a future-timestamp fault stamps its reading: well past any clock-skew allowance. */
export const FUTURE_SKEW_MS = 24 * 3_600_000;
/** A metric name that is not a metric name: starts with a digit and carries dots and capitals. */
export const UNKNOWN_METRIC_NAME = '10min.PM2.5';

export interface FaultOptions {
  /** share of sensor messages that are malformed, 0..1; default 0 */
  badRatio?: number;
  /** which kinds to use, in rotation; default all */
  badKinds?: readonly FaultKind[];
  /** devices that stop publishing after silentAfterS */
  silentDevices?: number;
  /** seconds after start when the silent devices stop; default 30 */
  silentAfterS?: number;
  /** a period when the rate is multiplied */
  burst?: Burst;
}

export interface Burst {
  multiplier: number;
  durationS: number;
  /** seconds after start; default 10 */
  startS: number;
}

/**
 * Exactly `ratio` of calls return a fault (error diffusion, not coin flips), kinds in rotation:
 * counts are predictable for tests and benchmarks.
 */
export class FaultPicker {
  private acc = 0;
  private next = 0;

  constructor(
    private readonly ratio: number,
    private readonly kinds: readonly FaultKind[] = FAULT_KINDS,
  ) {
    if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`badRatio: expected 0..1 (got ${ratio})`);
    if (kinds.length === 0 && ratio > 0) throw new RangeError('badKinds: expected at least one kind');
  }

  pick(): FaultKind | undefined {
    if (this.ratio === 0) return undefined;
    this.acc += this.ratio;
    if (this.acc < 1 - 1e-9) return undefined;
    this.acc -= 1;
    const kind = this.kinds[this.next % this.kinds.length]!;
    this.next += 1;
    return kind;
  }
}

/** The ids of `n` devices that will go silent, chosen by the plan's seed. */
export function pickSilent(plan: FleetPlan, n: number): Set<string> {
  const ids = shuffled(mulberry32(hashSeed(plan.seed, 'silent')), plan.devices.map((d) => d.id));
  return new Set(ids.slice(0, Math.max(0, Math.min(n, ids.length))));
}

/** Rate multiplier at `elapsedS` after start. */
export function rateMultiplier(burst: Burst | undefined, elapsedS: number): number {
  if (!burst) return 1;
  return elapsedS >= burst.startS && elapsedS < burst.startS + burst.durationS ? burst.multiplier : 1;
}

/** Messages due after `elapsedS` at `ratePerS`, the burst included (the integral of the rate). */
export function messagesDue(ratePerS: number, burst: Burst | undefined, elapsedS: number): number {
  if (!burst) return ratePerS * elapsedS;
  const start = Math.min(elapsedS, burst.startS);
  const inBurst = Math.max(0, Math.min(elapsedS, burst.startS + burst.durationS) - burst.startS);
  const after = Math.max(0, elapsedS - burst.startS - burst.durationS);
  return ratePerS * (start + inBurst * burst.multiplier + after);
}

/** "5x30" (5x the rate for 30 s from 10 s) or "5x30@60" (from 60 s); a problem string when invalid. */
export function parseBurst(text: string): Burst | string {
  const m = /^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)(?:@(\d+(?:\.\d+)?))?$/.exec(text.trim());
  if (!m) return `expected <multiplier>x<seconds>[@<start seconds>], e.g. 5x30 or 5x30@60 (got ${JSON.stringify(text)})`;
  const burst = { multiplier: Number(m[1]), durationS: Number(m[2]), startS: m[3] === undefined ? 10 : Number(m[3]) };
  if (burst.multiplier <= 0 || burst.durationS <= 0) return `expected a multiplier and seconds above 0 (got ${JSON.stringify(text)})`;
  return burst;
}

/** A malformed payload of `kind` for a device, shaped like what that device normally sends. */
export function malformedPayload(kind: FaultKind, device: PlannedDevice, valid: () => { observedAt: number; metrics: Record<string, number> }, build: (observedAt: number, metrics: Record<string, number>) => Buffer): Buffer {
  switch (kind) {
    case 'not-json':
      return Buffer.from(`${device.id} pm25=12.5;no2=31 <EOF`);
    case 'wrong-type': {
      const { observedAt, metrics } = valid();
      const stringly = Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, String(v)]));
      return build(observedAt, stringly as unknown as Record<string, number>);
    }
    case 'unknown-metric': {
      const { observedAt, metrics } = valid();
      return build(observedAt, { ...metrics, [UNKNOWN_METRIC_NAME]: 12.5 });
    }
    case 'future-timestamp': {
      const { observedAt, metrics } = valid();
      return build(observedAt + FUTURE_SKEW_MS, metrics);
    }
  }
}
