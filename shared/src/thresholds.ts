// Warning and alarm thresholds per sensor kind and metric, and the state a device shows on the map.
// Pure: the dashboard server computes states with it, the web app may show the same numbers.
import type { DeviceState } from './live-events.ts';
import type { SensorKind } from './reading.ts';

/** A metric is in warning at or above `warn`, in alarm at or above `alarm` (when given). */
export interface MetricThreshold {
  warn: number;
  alarm?: number;
  /** what the number means, for a legend */
  note?: string;
}

export const THRESHOLDS: Readonly<Partial<Record<SensorKind, Readonly<Record<string, MetricThreshold>>>>> = {
  air_quality: {
    // WHO 2021 24-hour PM2.5 guideline is 15 µg/m³; 35 and 55 are the US AQI "unhealthy for sensitive groups" / "unhealthy" breaks
    pm25_ugm3: { warn: 35, alarm: 55, note: 'PM2.5, µg/m³' },
    pm10_ugm3: { warn: 50, alarm: 100, note: 'PM10, µg/m³ (EU daily limit 50)' },
    // EU hourly NO2 limit is 200 µg/m³
    no2_ugm3: { warn: 100, alarm: 200, note: 'NO2, µg/m³' },
  },
  noise: {
    noise_dba: { warn: 70, alarm: 80, note: 'LAeq, dB(A)' },
  },
  water_level: {
    // the demo river sits at 80..240 cm with rain rises of up to 80 cm; a real city sets its gauge's flood marks
    water_level_cm: { warn: 260, alarm: 300, note: 'level above the gauge zero, cm' },
  },
  waste_bin: {
    fill_pct: { warn: 80, alarm: 95, note: 'fill level, %' },
  },
  parking: {
    occupied_pct: { warn: 90, note: 'occupied bays, %' },
  },
};

/**
 * The longest silence per kind before a device counts as offline, ms: a few of its expected reporting
 * intervals (the demo fleet reports every 10 s; field devices every 1..15 min; LoRaWAN bins hourly).
 */
export const SILENCE_LIMIT_MS: Readonly<Record<SensorKind, number>> = {
  air_quality: 15 * 60_000,
  noise: 15 * 60_000,
  traffic: 15 * 60_000,
  water_level: 30 * 60_000,
  parking: 30 * 60_000,
  street_light: 60 * 60_000,
  waste_bin: 3 * 3_600_000,
  // detections are sporadic: a quiet street is not a dead camera
  camera: 6 * 3_600_000,
  generic: 60 * 60_000,
};

export type MetricLevel = 'ok' | 'warning' | 'alarm';

/** ok / warning / alarm of one value; metrics without a threshold are always ok. */
export function metricLevel(kind: SensorKind, metric: string, value: number): MetricLevel {
  const t = THRESHOLDS[kind]?.[metric];
  if (!t || !Number.isFinite(value)) return 'ok';
  if (t.alarm !== undefined && value >= t.alarm) return 'alarm';
  if (value >= t.warn) return 'warning';
  return 'ok';
}

/** Whether a device that last reported at `lastReadingAt` has been silent too long at `nowMs`. */
export function isSilent(kind: SensorKind, lastReadingAt: number | undefined, nowMs: number): boolean {
  return lastReadingAt !== undefined && nowMs - lastReadingAt > SILENCE_LIMIT_MS[kind];
}

/**
 * The state a device shows: offline when its connection is gone or it has been silent longer than its
 * kind's limit, otherwise the worst level of its latest metrics.
 */
export function deviceState(
  kind: SensorKind,
  metrics: Readonly<Record<string, number>>,
  online: boolean,
  lastReadingAt: number | undefined,
  nowMs: number,
): DeviceState {
  if (!online || isSilent(kind, lastReadingAt, nowMs)) return 'offline';
  let worst: MetricLevel = 'ok';
  for (const [metric, value] of Object.entries(metrics)) {
    const level = metricLevel(kind, metric, value);
    if (level === 'alarm') return 'alarm';
    if (level === 'warning') worst = 'warning';
  }
  return worst;
}
