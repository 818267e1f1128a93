// The socket.io contract between the dashboard server and the web app: declared once, used on both sides.
import type { Device } from './device-registry.ts';
import type { Position, SensorKind } from './reading.ts';

/** ok / warning / alarm from the latest values and the thresholds; offline from connection or silence. */
export const DEVICE_STATES = ['ok', 'warning', 'alarm', 'offline'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/** What the map and the detail panel know of one device right now. */
export interface DeviceSnapshot {
  id: string;
  kind: SensorKind;
  position?: Position;
  district?: string;
  state: DeviceState;
  online: boolean;
  /** epoch ms of the latest reading */
  lastReadingAt?: number;
  /** latest value per metric, units in the names */
  metrics: Record<string, number>;
  /** for cameras: the latest detection label and whether a snapshot exists */
  lastDetection?: { label: string; score: number; at: number };
  hasSnapshot?: boolean;
}

export interface ServerToClientEvents {
  /** the full state, on connect and on reconnect */
  snapshot: (payload: { devices: DeviceSnapshot[]; serverTime: number }) => void;
  /** coalesced changes since the last message: the latest per device wins */
  deltas: (payload: { devices: DeviceSnapshot[]; removed: string[]; serverTime: number }) => void;
}

export interface ClientToServerEvents {
  /** asks for a fresh full snapshot (e.g. after a long background tab) */
  resync: () => void;
}

export type { Device };

// ---- the dashboard server's HTTP API (REST), next to the live events it complements ----

/** GET /api/devices/:id/history?range=… */
export const HISTORY_RANGES = ['1h', '1d', '7d'] as const;
export type HistoryRange = (typeof HISTORY_RANGES)[number];

/** Per range: the span and the bucket size (mean per bucket), about 360 points each. */
export const HISTORY_RANGE_SPECS: Readonly<Record<HistoryRange, { spanMs: number; stepMs: number }>> = {
  '1h': { spanMs: 3_600_000, stepMs: 10_000 },
  '1d': { spanMs: 86_400_000, stepMs: 240_000 },
  '7d': { spanMs: 7 * 86_400_000, stepMs: 1_800_000 },
};

export interface DeviceHistory {
  deviceId: string;
  kind: SensorKind;
  /** inclusive, epoch ms */
  fromMs: number;
  /** exclusive, epoch ms */
  toMs: number;
  stepMs: number;
  /** t = bucket start (epoch ms), metrics = mean per bucket */
  points: { t: number; metrics: Record<string, number> }[];
}

/** GET /api/config */
export interface MapConfig {
  mapStyleUrl: string;
  center: Position;
  /** [west, south, east, north] */
  bounds: [number, number, number, number];
  minZoom: number;
  maxZoom: number;
  /** CITY_TIMEZONE (IANA): the clock times in rule explanations are the city's */
  timeZone: string;
}

/** Every /api error: 4xx/5xx with this body. */
export interface ApiError {
  error: string;
}
