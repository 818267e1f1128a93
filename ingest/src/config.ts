// Ingest's configuration: the only place that reads its environment variables. Problems are added to the
// reader; the caller calls env.assertValid() once every service has read its part.
import { join } from 'node:path';
import { DEVICE_ID_PATTERN, type EnvReader } from '@city/shared';
import { readStoreConfig, type StoreConfig } from '@city/shared/timeseries/index';

export interface IngestConfig {
  dataDir: string;
  mqtt: {
    /** mqtt://host:port (or mqtts://, ws://) */
    url: string;
    /** fixed: the broker keeps this client's persistent session (and queued messages) across restarts */
    clientId: string;
    /**
     * MQTT shared subscription group: subscribe to `$share/{group}/{filter}` so the workers of one
     * group split the messages. Only for brokers that offer `$share` (not aedes): docs/scale-out.md.
     */
    sharedGroup?: string;
    /** the registry account ingest logs in with (role service) */
    username: string;
    password?: string;
    keepaliveS: number;
    reconnectMaxMs: number;
  };
  /** larger payloads are dead-lettered as payload-too-large */
  maxPayloadBytes: number;
  batch: { maxReadings: number; maxWaitMs: number };
  /** longest wait between store write retries */
  retryMaxMs: number;
  journal: {
    /** this worker's alone: two workers never share a journal (a lock file refuses it) */
    dir: string;
    maxBytes: number;
    segmentBytes: number;
    /** 0 = fsync before each acknowledgement */
    fsyncIntervalMs: number;
  };
  /** readings observed longer ago than this at receipt are counted as late (and stored) */
  lateAfterMs: number;
  /** registry lookups are cached this long, so devices CLI changes are seen within it */
  deviceCacheTtlMs: number;
  /** recent dedupe keys remembered (TTS uplinks seen twice) */
  dedupeMaxKeys: number;
  deadLetter: { file: string; maxRows: number };
  snapshotsDir: string;
  /** HTTP port of the standalone runner's /metrics and /healthz; 0 = any free port */
  httpPort: number;
  /** on stop, time allowed to drain the journal into the store (the rest stays for the next start) */
  stopDrainMs: number;
  store: StoreConfig;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SHARE_NAME_PATTERN = /^[^/+#\s]{1,64}$/;

export function readIngestConfig(env: EnvReader): IngestConfig {
  const dataDir = env.str('DATA_DIR', './data');
  const mqttUrl = env.optionalUrl('MQTT_URL', ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:']);
  const clientId = env.str('INGEST_CLIENT_ID', 'ingest-1');
  const sharedGroup = env.optionalStr('INGEST_SHARED_GROUP');
  if (sharedGroup !== undefined) {
    // [MQTT-4.8.2-2] a ShareName is at least one character and contains no "/", "+" or "#"
    env.require(
      SHARE_NAME_PATTERN.test(sharedGroup),
      `INGEST_SHARED_GROUP: expected a share name of 1 to 64 characters without / + # or spaces (got ${JSON.stringify(sharedGroup)})`,
    );
    // workers of a group on the default id would take each other's session over, round and round
    env.require(
      env.optionalStr('INGEST_CLIENT_ID') !== undefined,
      'INGEST_CLIENT_ID: expected a fixed id of its own for each worker when INGEST_SHARED_GROUP is set (got none: the default ingest-1 would be shared)',
    );
  }
  const username = env.str('INGEST_MQTT_USERNAME', 'ingest');
  env.require(DEVICE_ID_PATTERN.test(username), `INGEST_MQTT_USERNAME: expected a registry id: lowercase letters, digits, _ . - (got ${JSON.stringify(username)})`);
  const maxPayloadBytes = env.int('INGEST_MAX_PAYLOAD_BYTES', 1 * MiB, { min: 1024, max: 256 * MiB });
  const maxBytes = env.int('INGEST_JOURNAL_MAX_BYTES', 1 * GiB, { min: 1 * MiB });
  const segmentBytes = env.int('INGEST_JOURNAL_SEGMENT_BYTES', Math.min(64 * MiB, Math.floor(maxBytes / 8)), { min: 64 * 1024 });
  // a record holds one message's readings; the cap must leave room for many of the largest
  env.require(
    maxBytes >= 4 * maxPayloadBytes,
    `INGEST_JOURNAL_MAX_BYTES: expected at least 4 × INGEST_MAX_PAYLOAD_BYTES (got ${maxBytes} < 4 × ${maxPayloadBytes})`,
  );
  const journalDir = env.str('INGEST_JOURNAL_DIR', join(dataDir, 'ingest-journal'));
  return {
    dataDir,
    mqtt: {
      url: mqttUrl?.toString() ?? 'mqtt://localhost:1883',
      clientId,
      sharedGroup,
      username,
      password: env.optionalStr('INGEST_MQTT_PASSWORD'),
      keepaliveS: env.int('INGEST_MQTT_KEEPALIVE_S', 30, { min: 5, max: 3600 }),
      reconnectMaxMs: env.int('INGEST_MQTT_RECONNECT_MAX_MS', 30_000, { min: 500, max: 600_000 }),
    },
    maxPayloadBytes,
    batch: {
      maxReadings: env.int('INGEST_BATCH_MAX_READINGS', 5000, { min: 1, max: 100_000 }),
      maxWaitMs: env.int('INGEST_BATCH_MAX_WAIT_MS', 100, { min: 0, max: 60_000 }),
    },
    retryMaxMs: env.int('INGEST_RETRY_MAX_MS', 10_000, { min: 100, max: 600_000 }),
    journal: {
      dir: journalDir,
      maxBytes,
      segmentBytes,
      fsyncIntervalMs: env.int('INGEST_JOURNAL_FSYNC_MS', 20, { min: 0, max: 10_000 }),
    },
    lateAfterMs: env.int('INGEST_LATE_AFTER_MS', 60_000, { min: 0 }),
    deviceCacheTtlMs: env.int('INGEST_DEVICE_CACHE_TTL_MS', 5000, { min: 0, max: 3_600_000 }),
    dedupeMaxKeys: env.int('INGEST_DEDUPE_MAX_KEYS', 100_000, { min: 1, max: 10_000_000 }),
    deadLetter: {
      file: join(dataDir, 'deadletter.sqlite'),
      maxRows: env.int('INGEST_DEADLETTER_MAX_ROWS', 100_000, { min: 1 }),
    },
    snapshotsDir: join(dataDir, 'snapshots'),
    httpPort: env.port('INGEST_HTTP_PORT', 9100),
    stopDrainMs: env.int('INGEST_STOP_DRAIN_MS', 5000, { min: 0, max: 600_000 }),
    store: readStoreConfig(env, dataDir),
  };
}
