// Chooses the time-series store from configuration: InfluxDB when INFLUX_URL is set, the embedded SQLite
// store otherwise.
import { join } from 'node:path';
import type { EnvReader } from '../config.ts';
import type { Logger } from '../logger.ts';
import { createInfluxStore } from './influx-store.ts';
import { createSqliteStore } from './sqlite-store.ts';
import type { TimeSeriesStore } from './store.ts';

export type { HistoryPoint, HistoryQuery, TimeSeriesStore } from './store.ts';
export { StoreError, type StoreErrorReason } from './errors.ts';
export { createInfluxStore, toLineProtocol, type InfluxStoreOptions } from './influx-store.ts';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.ts';

export const DEFAULT_INFLUX_WRITE_TIMEOUT_MS = 10_000;

export type StoreConfig =
  | { type: 'sqlite'; file: string; retentionDays?: number }
  | {
      type: 'influxdb';
      url: string;
      /** v1 API */
      database?: string;
      token?: string;
      /** v2 API, with bucket */
      org?: string;
      bucket?: string;
      writeTimeoutMs: number;
    };

/**
 * Reads the store's variables. Every problem goes into `env.problems` (call env.assertValid() once all
 * of a service's variables are read); the returned config is only meaningful when there are none.
 */
export function readStoreConfig(env: EnvReader, dataDir: string): StoreConfig {
  const rawUrl = env.optionalStr('INFLUX_URL');
  const url = env.optionalUrl('INFLUX_URL', ['http:', 'https:']);
  const database = env.optionalStr('INFLUX_DATABASE');
  const token = env.optionalStr('INFLUX_TOKEN');
  const org = env.optionalStr('INFLUX_ORG');
  const bucket = env.optionalStr('INFLUX_BUCKET');
  const writeTimeoutMs = env.int('INFLUX_WRITE_TIMEOUT_MS', DEFAULT_INFLUX_WRITE_TIMEOUT_MS, { min: 100, max: 600_000 });
  const retentionDays = env.optionalInt('SQLITE_RETENTION_DAYS', { min: 1 });

  if (rawUrl === undefined) {
    const stray = (
      [
        ['INFLUX_DATABASE', database],
        ['INFLUX_TOKEN', token],
        ['INFLUX_ORG', org],
        ['INFLUX_BUCKET', bucket],
      ] as const
    )
      .filter(([, value]) => value !== undefined)
      .map(([name]) => name);
    env.require(
      stray.length === 0,
      `${stray.join(', ')}: set but INFLUX_URL is not; set INFLUX_URL to write to InfluxDB, or unset ${stray.length > 1 ? 'them' : 'it'} to use the embedded SQLite store`,
    );
    return { type: 'sqlite', file: join(dataDir, 'timeseries.sqlite'), ...(retentionDays !== undefined ? { retentionDays } : {}) };
  }

  const v2 = org !== undefined || bucket !== undefined;
  if (database === undefined && !v2) {
    env.require(
      false,
      'INFLUX_URL is set: also set INFLUX_DATABASE (InfluxDB 1.x, v1 API) or INFLUX_ORG and INFLUX_BUCKET with INFLUX_TOKEN (InfluxDB 2.x/3.x, v2 API)',
    );
  } else if (database !== undefined && v2) {
    env.require(false, 'INFLUX_DATABASE and INFLUX_ORG/INFLUX_BUCKET: set one of the two, INFLUX_DATABASE for the v1 API or INFLUX_ORG and INFLUX_BUCKET for the v2 API, not both');
  } else if (v2) {
    env.require(org !== undefined, 'INFLUX_ORG: required with INFLUX_BUCKET (the v2 API needs both)');
    env.require(bucket !== undefined, 'INFLUX_BUCKET: required with INFLUX_ORG (the v2 API needs both)');
    env.require(token !== undefined, 'INFLUX_TOKEN: required with INFLUX_ORG and INFLUX_BUCKET (InfluxDB 2.x/3.x accept only authenticated writes)');
  }
  env.require(retentionDays === undefined, 'SQLITE_RETENTION_DAYS: applies to the embedded SQLite store only; InfluxDB keeps data by its own retention policy');

  return {
    type: 'influxdb',
    url: url?.toString().replace(/\/+$/, '') ?? rawUrl,
    writeTimeoutMs,
    ...(database !== undefined ? { database } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(org !== undefined ? { org } : {}),
    ...(bucket !== undefined ? { bucket } : {}),
  };
}

export function createStore(config: StoreConfig, logger: Logger): TimeSeriesStore {
  if (config.type === 'sqlite') {
    return createSqliteStore({ file: config.file, logger: logger.child('sqlite'), retentionDays: config.retentionDays });
  }
  return createInfluxStore({
    url: config.url,
    database: config.database,
    token: config.token,
    org: config.org,
    bucket: config.bucket,
    writeTimeoutMs: config.writeTimeoutMs,
    logger: logger.child('influx'),
  });
}
