// Redis for a broker cluster: one connection that start-up waits for, then aedes' two Redis-backed
// parts built on it: mqemitter-redis (every published message goes through Redis pub/sub, so a
// subscriber on any broker gets it) and aedes-persistence-redis (sessions, subscriptions, retained
// messages, QoS 1/2 queues and last wills, readable by every broker).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import type { Logger } from '@city/shared';
import type { ClusterConfig } from '../config.ts';

/** REDIS_URL for logs and errors: never the password. */
export function redactedUrl(url: URL): string {
  const copy = new URL(url.toString());
  if (copy.password) copy.password = '***';
  return copy.toString();
}

/**
 * A connected ioredis client, or an error naming the server and the reason once `timeoutMs` passed
 * (ioredis keeps retrying meanwhile: Redis starting a second after the broker is fine).
 */
export async function connectRedis(url: URL, timeoutMs: number, logger: Logger): Promise<Redis> {
  const redis = new Redis(url.toString(), {
    connectionName: 'city-broker',
    // commands issued while Redis is away wait for it this many reconnects, then fail (logged)
    maxRetriesPerRequest: 20,
  });
  let lastError: Error | undefined;
  let lastLogMs = 0;
  redis.on('error', (err: Error) => {
    lastError = err;
    const now = Date.now();
    if (now - lastLogMs > 10_000) {
      lastLogMs = now;
      logger.error('redis connection error', { url: redactedUrl(url), err: err.message });
    }
  });
  if (redis.status !== 'ready') {
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!ready) {
      redis.disconnect();
      throw new Error(
        `REDIS_URL: cannot reach ${redactedUrl(url)} within REDIS_CONNECT_TIMEOUT_MS=${timeoutMs} (${lastError?.message ?? 'no answer'})`,
      );
    }
  }
  return redis;
}

/** What aedes takes to run as one broker of a cluster. */
export interface RedisCluster {
  /** aedes' `id`: BROKER_NAME plus a fresh suffix (see below) */
  brokerId: string;
  mq: unknown;
  persistence: unknown;
  /** the persistence's connection, for the queue limit's LLEN */
  redis: Redis;
  /** closes the persistence (the emitter is closed by aedes.close()) */
  close(): Promise<void>;
}

export interface RedisClusterContext {
  config: ClusterConfig;
  /** MQTT_MAX_QUEUED_PER_SESSION: the whole queue goes out on reconnect (the persistence's default is 1,000) */
  maxQueuedPerSession: number;
  logger: Logger;
}

export async function createRedisCluster(ctx: RedisClusterContext): Promise<RedisCluster> {
  const { config, logger } = ctx;
  const redis = await connectRedis(config.redisUrl, config.redisConnectTimeoutMs, logger);
  // aedes-persistence-redis keys each stored packet by (broker id, that broker's counter), and the
  // counter starts at 0 in every process: a broker restarted under the same id would overwrite the
  // packets still queued from its previous run. So every start gets a new id.
  const brokerId = `${config.brokerName}-${randomUUID().slice(0, 8)}`;
  const mq = mqemitterRedis({ subConn: redis.duplicate(), pubConn: redis.duplicate() });
  (mq as unknown as { state: NodeJS.EventEmitter }).state.on('error', (err: Error) =>
    logger.error('redis pub/sub error', { url: redactedUrl(config.redisUrl), err: err.message }),
  );
  const persistence = aedesPersistenceRedis({ conn: redis, maxSessionDelivery: ctx.maxQueuedPerSession });
  logger.info('cluster through Redis', { url: redactedUrl(config.redisUrl), brokerId });
  let closed = false;
  return {
    brokerId,
    mq,
    persistence,
    redis,
    async close() {
      if (closed) return;
      closed = true;
      // unsubscribes from $SYS/sub/+ and disconnects `redis`
      await (persistence as { destroy(): Promise<void> }).destroy().catch((err: unknown) => {
        logger.warn('closing the Redis persistence failed', { err });
        redis.disconnect();
      });
    },
  };
}
