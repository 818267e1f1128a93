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
