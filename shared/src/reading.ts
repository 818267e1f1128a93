// The normalised shapes every decoder produces and every store accepts.

/** Sensor kinds the city runs; a kind is the InfluxDB measurement name. */
export const SENSOR_KINDS = [
  'air_quality',
  'noise',
  'traffic',
  'water_level',
  'parking',
  'street_light',
  'waste_bin',
  'camera',
  'generic',
] as const;
export type SensorKind = (typeof SENSOR_KINDS)[number];

export function isSensorKind(value: string): value is SensorKind {
  return (SENSOR_KINDS as readonly string[]).includes(value);
}

/** Device and camera ids: lowercase, they are topic levels and InfluxDB tag values. */
export const DEVICE_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** Metric names carry their unit: pm25_ugm3, noise_dba, water_level_cm. */
export const METRIC_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
/** Readings stamped further ahead than this are refused: a device clock gone wrong. */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** Readings older than this are refused: a replayed or corrupt timestamp. */
export const MAX_PAST_AGE_MS = 365 * 24 * 3_600_000;
/** Most metrics one reading may carry; fields are bounded like tags. */
export const MAX_METRICS_PER_READING = 64;

export interface Position {
  lat: number;
  lon: number;
}

export interface Reading {
  deviceId: string;
  kind: SensorKind;
  /** epoch milliseconds */
  observedAt: number;
  /** numeric values, units in the names */
  metrics: Record<string, number>;
  /** where a mobile sensor was; fixed sensors take their position from the registry */
  position?: Position;
  /** bounded tag set: the district the reading came from */
  district?: string;
  /** bounded extra tag, e.g. a camera detection label ("person", "car") */
  label?: string;
  /**
   * How often the device says it reports, ms (SenML `ut`): the rules engine calls it silent after a
   * few such intervals. Not stored as a time series.
   */
  expectedIntervalMs?: number;
}

/** A camera detection, from our own topic or a Frigate NVR. */
export interface CameraEvent {
  cameraId: string;
  eventId: string;
  phase: 'new' | 'update' | 'end';
  label: string;
  /** 0..1 */
  score: number;
  /** epoch milliseconds */
  observedAt: number;
  zones: string[];
  plate?: string;
  hasSnapshot: boolean;
}
