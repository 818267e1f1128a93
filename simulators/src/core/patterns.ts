// Daily patterns per sensor kind: pure functions of (device profile, time, prng) -> metrics, with
// units in the metric names. Local time is the demo city's (America/Chicago, DST included).
import { between, clamp, gaussian, hashSeed, intBetween, mulberry32, round, type Rand } from './prng.ts';

export const SIMULATED_KINDS = [
  'air_quality',
  'noise',
  'traffic',
  'water_level',
  'parking',
  'street_light',
  'waste_bin',
] as const;
export type SimulatedKind = (typeof SIMULATED_KINDS)[number];

/** Every metric each kind publishes: what ingest and the dashboard can expect. */
export const METRICS_BY_KIND: Record<SimulatedKind, readonly string[]> = {
  air_quality: ['pm25_ugm3', 'pm10_ugm3', 'no2_ugm3', 'temperature_c', 'humidity_pct'],
  noise: ['noise_dba', 'noise_peak_dba'],
  traffic: ['vehicles_per_min', 'avg_speed_kmh'],
  water_level: ['water_level_cm', 'battery_v'],
  parking: ['occupied_pct', 'free_spaces', 'battery_v'],
  street_light: ['lamp_on', 'power_w', 'dim_pct'],
  waste_bin: ['fill_pct', 'temperature_c', 'battery_v'],
};

/** Per-device constants (baselines, capacities, phases), drawn once when the fleet is planned. */
export type Profile = Record<string, number>;

export function profileFor(kind: SimulatedKind, rand: Rand): Profile {
  switch (kind) {
    case 'air_quality':
      return { pm25Base: between(rand, 4, 9), pm25Rush: between(rand, 20, 42), no2Base: between(rand, 10, 20), no2Rush: between(rand, 18, 40), tempOffset: between(rand, -1, 1) };
    case 'noise':
      return { quietDba: between(rand, 44, 50), busyDba: between(rand, 24, 32) };
    case 'traffic':
      return { capacityPerMin: between(rand, 15, 45), speedLimitKmh: intBetween(rand, 4, 6) * 10 };
    case 'water_level':
      return { baseCm: between(rand, 80, 220), swingCm: between(rand, 5, 15), periodH: between(rand, 30, 60), phase: rand(), riseChance: 0.06, battery: between(rand, 3.3, 3.65) };
    case 'parking':
      return { capacity: intBetween(rand, 20, 200), business: rand() < 0.6 ? 1 : 0, battery: between(rand, 3.3, 3.65) };
    case 'street_light':
      return { ratedW: intBetween(rand, 6, 15) * 10, photocellH: between(rand, -0.15, 0.15) };
    case 'waste_bin':
      return { periodH: between(rand, 36, 96), phase: rand(), battery: between(rand, 3.3, 3.65) };
  }
}

// ---- local time ------------------------------------------------------------------------------

const HOUR_MS = 3_600_000;
const chicagoOffset = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', timeZoneName: 'longOffset' });
let cachedHour = NaN;
let cachedOffsetMs = -6 * HOUR_MS;

/** UTC offset of the demo city at that instant (ms), cached per hour: formatting is not cheap. */
function cityOffsetMs(timeMs: number): number {
  const hour = Math.floor(timeMs / HOUR_MS);
  if (hour !== cachedHour) {
    const name = chicagoOffset.formatToParts(timeMs).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT-06:00';
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
    cachedOffsetMs = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * HOUR_MS + Number(m[3]) * 60_000) : -6 * HOUR_MS;
    cachedHour = hour;
  }
  return cachedOffsetMs;
}

export interface LocalTime {
  /** hour of day with fraction, 0..24 */
  hour: number;
  /** 0 = Sunday */
  weekday: number;
}

export function localTime(timeMs: number): LocalTime {
  const local = timeMs + cityOffsetMs(timeMs);
  const day = Math.floor(local / (24 * HOUR_MS));
  return { hour: (local / HOUR_MS) % 24, weekday: (day + 4) % 7 }; // 1970-01-01 was a Thursday
}

// ---- daily shapes, 0..1 -----------------------------------------------------------------------

const bell = (h: number, centre: number, width: number) => Math.exp(-((h - centre) ** 2) / (2 * width * width));

/** Commute peaks: 8:00 and 17:30, a weekend has a late-morning hump instead. */
export function commute({ hour, weekday }: LocalTime): number {
  if (weekday === 0 || weekday === 6) return 0.35 * bell(hour, 13, 3);
  return Math.min(1, bell(hour, 8, 1.2) + 0.9 * bell(hour, 17.5, 1.5));
}

/** Daytime activity: low at night, high 8:00-20:00. */
export function daytime({ hour }: LocalTime): number {
  const rise = 1 / (1 + Math.exp(-(hour - 6.5) * 1.6));
  const fall = 1 / (1 + Math.exp((hour - 21.5) * 1.2));
  return rise * fall;
}

// ---- metrics ----------------------------------------------------------------------------------

/** The readings of one device at one instant. `rand` adds the measurement noise. */
export function metricsAt(kind: SimulatedKind, profile: Profile, seed: number, timeMs: number, rand: Rand): Record<string, number> {
  const t = localTime(timeMs);
  const p = profile as Record<string, number>;
  const n = () => gaussian(rand);
  switch (kind) {
    case 'air_quality': {
      const c = commute(t);
      const pm25 = clamp(p.pm25Base! + p.pm25Rush! * c + 1.5 * n(), 1, 250);
      const diurnal = Math.sin((2 * Math.PI * (t.hour - 9)) / 24);
      return {
        pm25_ugm3: round(pm25, 1),
        pm10_ugm3: round(pm25 * 1.6 + 3 + 2 * rand(), 1),
        no2_ugm3: round(clamp(p.no2Base! + p.no2Rush! * c + 2 * n(), 1, 400), 1),
        temperature_c: round(12 + 7 * diurnal + p.tempOffset! + 0.3 * n(), 1),
        humidity_pct: round(clamp(62 - 14 * diurnal + 2 * n(), 15, 100), 1),
      };
    }
    case 'noise': {
      const activity = Math.min(1, 0.6 * daytime(t) + 0.5 * commute(t));
      const dba = clamp(p.quietDba! + p.busyDba! * activity + 2.5 * n(), 35, 95);
      return { noise_dba: round(dba, 1), noise_peak_dba: round(dba + 6 + 8 * rand(), 1) };
    }
    case 'traffic': {
      const c = commute(t);
      const flow = p.capacityPerMin! * (0.04 + 0.3 * daytime(t) + 0.66 * c);
      const vehicles = Math.max(0, Math.round(flow + Math.sqrt(flow) * n()));
      const speed = clamp(p.speedLimitKmh! * (1 - 0.55 * c) + 3 * n(), 5, p.speedLimitKmh! + 15);
      return { vehicles_per_min: vehicles, avg_speed_kmh: round(speed, 1) };
    }
    case 'water_level': {
      const hours = timeMs / HOUR_MS;
      const slow = p.swingCm! * Math.sin(2 * Math.PI * (hours / p.periodH! + p.phase!));
      return { water_level_cm: round(p.baseCm! + slow + rainRiseCm(seed, hours, p.riseChance!) + 0.4 * n(), 1), battery_v: battery(p, timeMs) };
    }
    case 'parking': {
      const occ = p.business
        ? 12 + 80 * daytime(t) * (t.weekday === 0 || t.weekday === 6 ? 0.55 : 1)
        : 88 - 45 * daytime(t) + 10 * commute(t);
      const pct = clamp(occ + 4 * n(), 0, 100);
      return { occupied_pct: round(pct, 1), free_spaces: Math.round(p.capacity! * (1 - pct / 100)), battery_v: battery(p, timeMs) };
    }
    case 'street_light': {
      const h = t.hour + p.photocellH!;
      const on = h >= 17.6 || h < 6.6;
      const dim = on && (t.hour >= 23 || t.hour < 5) ? 60 : on ? 100 : 0;
      return { lamp_on: on ? 1 : 0, power_w: on ? round((p.ratedW! * dim) / 100 + 1.2 * n(), 1) : 0.5, dim_pct: dim };
    }
    case 'waste_bin': {
      const cycle = (timeMs / HOUR_MS / p.periodH! + p.phase!) % 1;
      const fill = clamp(3 + 94 * cycle ** 1.15 + 1.2 * n(), 0, 100);
      const diurnal = Math.sin((2 * Math.PI * (t.hour - 9)) / 24);
      return { fill_pct: round(fill, 1), temperature_c: round(14 + 8 * diurnal + 0.4 * n(), 1), battery_v: battery(p, timeMs) };
    }
  }
}

/**
 * Occasional rises (a storm upstream): each 6-hour window has `chance` of one, whose height and
 * shape depend only on the device and window, so a rise develops consistently across readings.
 */
export function rainRiseCm(seed: number, hours: number, chance: number): number {
  let total = 0;
  const window = Math.floor(hours / 6);
  // a rise lasts up to 12 h: the current window's and the previous one's can both contribute
  for (const w of [window - 1, window]) {
    const r = mulberry32(hashSeed(seed, 'rain', w));
    if (r() >= chance) continue;
    const heightCm = 25 + 55 * r();
    const since = hours - w * 6;
    const rise = clamp(since / 2, 0, 1); // up over 2 h
    const fall = since > 2 ? Math.exp(-(since - 2) / 3) : 1; // down over a few hours
    total += heightCm * rise * fall;
  }
  return total;
}

/** Slow battery discharge: ~0.1 V a year from the device's starting level. */
function battery(p: Record<string, number>, timeMs: number): number {
  const years = (timeMs - Date.UTC(2025, 0, 1)) / (365 * 24 * HOUR_MS);
  return round(clamp(p.battery! - 0.1 * Math.max(0, years), 2.8, 3.7), 2);
}
