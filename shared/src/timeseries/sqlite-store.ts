// TimeSeriesStore embedded in one SQLite file (better-sqlite3): the zero-install default.
//
// Schema: one row per reading, metrics as a JSON object, keyed like an InfluxDB point:
//   points(kind, device_id, observed_at, label, district, metrics) PRIMARY KEY (kind, device_id, observed_at, label)
//   WITHOUT ROWID
// - One row per reading keeps writes cheap (one insert per reading, not per metric) and countPoints a count.
// - The key order serves the one query the dashboard makes, a device's time range: (kind, device_id) then
//   a range on observed_at, all inside the clustered primary key (WITHOUT ROWID: no second lookup).
// - label is '' when absent (primary-key columns of a WITHOUT ROWID table cannot be NULL).
// - Idempotent like InfluxDB: the same (kind, device, time, label) again merges its metrics into the row
//   (json_patch), so a replay never duplicates and both adapters agree on what a rewrite means.
// - Downsampling in SQL: bucket = observed_at - observed_at % stepMs (aligned to the epoch, like InfluxQL's
//   GROUP BY time()), mean per metric over the rows that carry it, through json_each.
//
// Durability: WAL with synchronous=FULL fsyncs the WAL at every commit, and each write() is one transaction,
// so write() resolves only once its readings are on disk. The caller batches (~1000s of readings per call),
// so one fsync per call is affordable (see the throughput figures in the report / bench).
//
// Retention: with retentionDays, rows older than that are deleted at start and then hourly (an index on
// observed_at keeps the delete from scanning the table). Without it, data is kept forever.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../logger.ts';
import type { Reading, SensorKind } from '../reading.ts';
import { StoreError } from './errors.ts';
import type { HistoryPoint, HistoryQuery, TimeSeriesStore } from './store.ts';

export interface SqliteStoreOptions {
  /** the database file; its directory is created when missing */
  file: string;
  logger: Logger;
  /** delete rows older than this many days, at start and every hour; keep everything when absent */
  retentionDays?: number;
}

const RETENTION_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS points (
  kind        TEXT    NOT NULL,
  device_id   TEXT    NOT NULL,
  observed_at INTEGER NOT NULL, -- epoch ms
  label       TEXT    NOT NULL DEFAULT '',
  district    TEXT,
  metrics     TEXT    NOT NULL, -- JSON object of finite numbers
  PRIMARY KEY (kind, device_id, observed_at, label)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS points_by_time ON points (observed_at);
`;

/** Only finite numbers are stored (JSON has no NaN/Infinity); a reading without one is not a point. */
function finiteMetrics(metrics: Record<string, number>): string | undefined {
  let out: Record<string, number> | undefined;
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value === 'number' && Number.isFinite(value)) (out ??= {})[name] = value;
  }
  return out && JSON.stringify(out);
}

export function createSqliteStore(options: SqliteStoreOptions): TimeSeriesStore {
  const { file, logger, retentionDays } = options;
  let db: Database.Database | undefined;
  let retentionTimer: NodeJS.Timeout | undefined;
  let statements: ReturnType<typeof prepare> | undefined;

  function prepare(d: Database.Database) {
    const upsert = d.prepare<[string, string, number, string, string | null, string]>(
      `INSERT INTO points (kind, device_id, observed_at, label, district, metrics) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (kind, device_id, observed_at, label)
       DO UPDATE SET metrics = json_patch(points.metrics, excluded.metrics), district = excluded.district`,
    );
    return {
      upsert,
      writeMany: d.transaction((readings: readonly Reading[]) => {
        for (const r of readings) {
          const metrics = finiteMetrics(r.metrics);
          if (!metrics) continue;
          upsert.run(r.kind, r.deviceId, Math.floor(r.observedAt), r.label ?? '', r.district ?? null, metrics);
        }
      }),
      countKind: d.prepare<[string], { n: number }>('SELECT count(*) AS n FROM points WHERE kind = ?'),
      countDevice: d.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM points WHERE kind = ? AND device_id = ?'),
      deleteBefore: d.prepare<[number]>('DELETE FROM points WHERE observed_at < ?'),
    };
  }

  function open(): NonNullable<typeof statements> {
    if (!statements) throw new StoreError(`SQLite store ${file} is not started (call start() first) or already stopped`, 'local', false);
    return statements;
  }

  function wrap(err: unknown, action: string): StoreError {
    if (err instanceof StoreError) return err;
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message : String(err);
    const hint =
      code === 'SQLITE_FULL' ? ': the disk is full' :
      code === 'SQLITE_READONLY' ? ': the file or its directory is read-only' :
      code === 'SQLITE_BUSY' ? ': another process holds the database' :
      code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' ? ': the file is damaged or not a SQLite database' : '';
    return new StoreError(`SQLite store ${file}: ${action} failed (${code ?? 'error'}: ${message})${hint}`, 'local', code === 'SQLITE_BUSY', undefined, {
      cause: err,
    });
  }

  function applyRetention() {
    if (!retentionDays || !statements) return;
    try {
      const { changes } = statements.deleteBefore.run(Date.now() - retentionDays * DAY_MS);
      if (changes > 0) logger.info('retention: deleted old points', { changes, retentionDays });
    } catch (err) {
      logger.error('retention: delete failed', { err: wrap(err, 'retention delete') });
    }
  }

  return {
    name: 'sqlite',

    async start() {
      if (db) return;
      try {
        mkdirSync(dirname(file), { recursive: true });
        const d = new Database(file);
        try {
          d.pragma('journal_mode = WAL');
          // FULL: every commit (one per write()) is fsynced, so write() resolving means durable.
          d.pragma('synchronous = FULL');
          d.pragma('busy_timeout = 5000');
          d.exec(SCHEMA);
          statements = prepare(d);
        } catch (err) {
          d.close();
          throw err;
        }
        db = d;
      } catch (err) {
        throw wrap(err, 'opening');
      }
      applyRetention();
      if (retentionDays) {
        retentionTimer = setInterval(applyRetention, RETENTION_INTERVAL_MS);
        retentionTimer.unref();
      }
      logger.info('SQLite store ready', { file, retentionDays: retentionDays ?? 'forever' });
    },

    async write(readings) {
      const s = open();
      try {
        s.writeMany(readings);
      } catch (err) {
        throw wrap(err, `writing ${readings.length} readings`);
      }
    },

    async query(q: HistoryQuery): Promise<HistoryPoint[]> {
      const d = db;
      open();
      const params: (string | number)[] = [q.kind, q.deviceId, Math.floor(q.fromMs), Math.floor(q.toMs)];
      let filter = 'kind = ? AND device_id = ? AND observed_at >= ? AND observed_at < ?';
      if (q.label !== undefined) {
        filter += ' AND label = ?';
        params.push(q.label);
      }
      try {
        if (q.stepMs !== undefined) {
          const step = Math.max(1, Math.floor(q.stepMs));
          let metricFilter = '';
          if (q.metric !== undefined) {
            metricFilter = ' AND m.key = ?';
            params.push(q.metric);
          }
          const rows = d!
            .prepare<(string | number)[], { t: number; metric: string; mean: number }>(
              `SELECT observed_at - (observed_at % ${step}) AS t, m.key AS metric, avg(m.value) AS mean
               FROM points, json_each(points.metrics) AS m
               WHERE ${filter}${metricFilter}
               GROUP BY t, metric ORDER BY t`,
            )
            .all(...params);
          const points: HistoryPoint[] = [];
          for (const row of rows) {
            const last = points[points.length - 1];
            if (last && last.t === row.t) last.metrics[row.metric] = row.mean;
            else points.push({ t: row.t, metrics: { [row.metric]: row.mean } });
          }
          return points;
        }
        const rows = d!
          .prepare<(string | number)[], { t: number; label: string; metrics: string }>(
            `SELECT observed_at AS t, label, metrics FROM points WHERE ${filter} ORDER BY observed_at, label`,
          )
          .all(...params);
        const points: HistoryPoint[] = [];
        for (const row of rows) {
          let metrics = JSON.parse(row.metrics) as Record<string, number>;
          if (q.metric !== undefined) {
            const value = metrics[q.metric];
            if (value === undefined) continue;
            metrics = { [q.metric]: value };
          }
          points.push(row.label ? { t: row.t, metrics, label: row.label } : { t: row.t, metrics });
        }
        return points;
      } catch (err) {
        throw wrap(err, 'query');
      }
    },

    async countPoints(kind: SensorKind, deviceId?: string) {
      const s = open();
      try {
        const row = deviceId === undefined ? s.countKind.get(kind) : s.countDevice.get(kind, deviceId);
        return row?.n ?? 0;
      } catch (err) {
        throw wrap(err, 'count');
      }
    },

    async stop() {
      if (retentionTimer) clearInterval(retentionTimer);
      retentionTimer = undefined;
      statements = undefined;
      const d = db;
      db = undefined;
      d?.close();
    },
  };
}
