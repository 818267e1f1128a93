// The time-series storage port. Two adapters implement it: InfluxDB (v1 or v2 API) and the embedded
// SQLite store. The same contract test suite runs against both.
import type { Reading, SensorKind } from '../reading.ts';

export interface HistoryQuery {
  kind: SensorKind;
  deviceId: string;
  /** one metric, e.g. "pm25_ugm3"; all metrics when absent */
  metric?: string;
  /** only points with this label (e.g. camera detections of "person"); all points of the device when absent */
  label?: string;
  /** inclusive, epoch ms */
  fromMs: number;
  /** exclusive, epoch ms */
  toMs: number;
  /** when set, mean per bucket of this many ms (downsampling); raw points otherwise */
  stepMs?: number;
}

export interface HistoryPoint {
  /** epoch ms (bucket start when downsampled) */
  t: number;
  metrics: Record<string, number>;
  /** the reading's label, on raw points only (two points may share t when their labels differ) */
  label?: string;
}

export interface TimeSeriesStore {
  /** "influxdb-v1", "influxdb-v2" or "sqlite": for logs and /metrics */
  readonly name: string;
  /** connects / creates the database; throws a clear error when the store cannot be used */
  start(): Promise<void>;
  /**
   * Writes readings durably; resolves only once the store has accepted all of them and rejects on any
   * failure (the caller retries). Idempotent: writing the same reading twice (same kind, deviceId, label,
   * observedAt) leaves one point, so a replay after a crash never duplicates.
   */
  write(readings: readonly Reading[]): Promise<void>;
  query(query: HistoryQuery): Promise<HistoryPoint[]>;
  /** number of stored points (one per reading) for a kind, optionally one device: for tests and checks */
  countPoints(kind: SensorKind, deviceId?: string): Promise<number>;
  stop(): Promise<void>;
}
