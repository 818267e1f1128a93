// The broker's configuration: the only place that reads its environment variables.
import { accessSync, constants, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createSecureContext } from 'node:tls';
import { LOG_LEVELS, type EnvReader, type LogLevel } from '@city/shared';

export interface TlsConfig {
  port: number;
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

export interface BrokerConfig {
  dataDir: string;
  logLevel: LogLevel;
  host: string;
  /** MQTT over TCP; 0 = any free port */
  port: number;
  /** MQTT over WebSocket; undefined = disabled */
  wsPort?: number;
  /** MQTT over TLS; undefined = disabled (no certificate given) */
  tls?: TlsConfig;
  allowAnonymous: boolean;
  limits: BrokerLimits;
  /** standalone runner's /metrics and /healthz; 0 = any free port */
  httpPort: number;
  /** several brokers sharing sessions and messages through Redis; undefined = one broker, in memory */
  cluster?: ClusterConfig;
}

export interface ClusterConfig {
  /** REDIS_URL, e.g. redis://redis:6379/0 (rediss: for TLS); holds a password when one is set: never log it */
  redisUrl: URL;
  /** readable name of this broker in logs and in aedes' id (a fresh suffix is added on every start) */
  brokerName: string;
  /** how long start-up waits for Redis before giving up */
  redisConnectTimeoutMs: number;
  /** aedes' heartbeat: a broker silent for 3 of these is dead and another publishes its clients' last wills */
  heartbeatIntervalMs: number;
}

export interface BrokerLimits {
  /** Largest PUBLISH payload accepted. Camera JPEG snapshots need room; anything bigger is refused. */
  maxPayloadBytes: number;
  /** Authenticated connections at once; beyond it CONNACK 3 (server unavailable). Bounds memory and fds. */
  maxConnections: number;
  /** Largest keepalive a client may ask for; 0 = no limit. Bounds how long a dead device looks online (1.5 x keepalive). */
  keepaliveMaxS: number;
  /** Time a socket may stay open without sending CONNECT. Bounds idle half-opened sockets. */
  connectTimeoutMs: number;
  /** Time a subscriber's socket may stay full before it is disconnected: one stalled reader blocks delivery to all. */
  drainTimeoutMs: number;
  /** QoS 1/2 messages kept per persistent session (e.g. an offline ingest worker); newer ones are dropped and counted. */
  maxQueuedPerSession: number;
}

/** MQTT's own ceiling for a packet's Remaining Length [MQTT-2.2.3]. */
const MQTT_MAX_REMAINING_LENGTH = 268_435_455;

function readableFile(env: EnvReader, name: string, path: string): Buffer | undefined {
  try {
    accessSync(path, constants.R_OK);
    return readFileSync(path);
  } catch (err) {
    env.require(false, `${name}: expected a readable file (got ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? err})`);
    return undefined;
  }
}

function readTls(env: EnvReader): TlsConfig | undefined {
  const port = env.port('MQTT_TLS_PORT', 8883);
  const certFile = env.optionalStr('MQTT_TLS_CERT_FILE');
  const keyFile = env.optionalStr('MQTT_TLS_KEY_FILE');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    env.require(false, 'MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE: expected both or neither (got only one)');
    return undefined;
  }
  const cert = readableFile(env, 'MQTT_TLS_CERT_FILE', certFile);
  const key = readableFile(env, 'MQTT_TLS_KEY_FILE', keyFile);
  if (!cert || !key) return undefined;
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    env.require(false, `MQTT_TLS_CERT_FILE, MQTT_TLS_KEY_FILE: expected a PEM certificate and its private key (got ${(err as Error).message})`);
    return undefined;
  }
  return { port, certFile, keyFile, cert, key };
}

/** aedes' id ends up in Redis keys split on ':' and in $SYS/{id}/... topics: keep it to these. */
const BROKER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function readCluster(env: EnvReader): ClusterConfig | undefined {
  const redisUrl = env.optionalUrl('REDIS_URL', ['redis:', 'rediss:']);
  const fallbackName = hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64) || 'broker';
  const brokerName = env.str('BROKER_NAME', fallbackName);
  env.require(BROKER_NAME.test(brokerName), `BROKER_NAME: expected 1-64 of A-Z a-z 0-9 _ . - (got ${JSON.stringify(brokerName)})`);
  const redisConnectTimeoutMs = env.int('REDIS_CONNECT_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 });
  const heartbeatIntervalMs = env.int('MQTT_CLUSTER_HEARTBEAT_MS', 60_000, { min: 100, max: 3_600_000 });
  if (!redisUrl) return undefined;
  return { redisUrl, brokerName, redisConnectTimeoutMs, heartbeatIntervalMs };
}

export function readBrokerConfig(env: EnvReader): BrokerConfig {
  const port = env.port('MQTT_PORT', 1883);
  const wsEnabled = env.bool('MQTT_WS_ENABLED', true);
  const wsPort = env.port('MQTT_WS_PORT', 9001);
  const tls = readTls(env);
  const config: BrokerConfig = {
    dataDir: env.str('DATA_DIR', './data'),
    logLevel: env.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    host: env.str('MQTT_HOST', '0.0.0.0'),
    port,
    wsPort: wsEnabled ? wsPort : undefined,
    tls,
    allowAnonymous: env.bool('MQTT_ALLOW_ANONYMOUS', false),
    httpPort: env.port('BROKER_HTTP_PORT', 9101),
    cluster: readCluster(env),
    limits: {
      maxPayloadBytes: env.int('MQTT_MAX_PAYLOAD_BYTES', 1_048_576, { min: 1, max: MQTT_MAX_REMAINING_LENGTH }),
      maxConnections: env.int('MQTT_MAX_CONNECTIONS', 10_000, { min: 1 }),
      keepaliveMaxS: env.int('MQTT_KEEPALIVE_MAX_S', 300, { min: 0, max: 65_535 }),
      connectTimeoutMs: env.int('MQTT_CONNECT_TIMEOUT_MS', 10_000, { min: 100 }),
      drainTimeoutMs: env.int('MQTT_DRAIN_TIMEOUT_MS', 30_000, { min: 0 }),
      maxQueuedPerSession: env.int('MQTT_MAX_QUEUED_PER_SESSION', 100_000, { min: 1 }),
    },
  };
  const fixed = [
    ['MQTT_PORT', port],
    ['MQTT_WS_PORT', config.wsPort],
    ['MQTT_TLS_PORT', tls?.port],
  ] as const;
  for (let i = 0; i < fixed.length; i++) {
    for (let j = i + 1; j < fixed.length; j++) {
      const [a, pa] = fixed[i]!;
      const [b, pb] = fixed[j]!;
      env.require(pa === undefined || pa === 0 || pa !== pb, `${a}, ${b}: expected different ports (both ${pa})`);
    }
  }
  return config;
}
