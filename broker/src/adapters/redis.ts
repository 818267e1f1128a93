// Redis for a broker cluster: one connection that start-up waits for, then aedes' two Redis-backed
// parts built on it: mqemitter-redis (every published message goes through Redis pub/sub, so a
// subscriber on any broker gets it) and aedes-persistence-redis (sessions, subscriptions, retained
// messages, QoS 1/2 queues and last wills, readable by every broker).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import type { Logger } from '@city/shared';
import { redactedUrl, redisReady } from '@city/shared/redis';
import type { ClusterConfig } from '../config.ts';

/**
 * Resolves once `conn` is ready, or rejects naming the server and the last error once `timeoutMs`
 * passed (ioredis keeps retrying meanwhile: Redis starting a second after the broker is fine).
 */
async function whenReady(conn: Redis, url: URL, timeoutMs: number): Promise<void> {
  await redisReady(conn, timeoutMs).catch((err: Error) => {
    throw new Error(`REDIS_URL: cannot reach ${redactedUrl(url)} within REDIS_CONNECT_TIMEOUT_MS=${timeoutMs} (${err.message})`);
  });
}

/** A connected ioredis client, or an error naming the server and the reason once `timeoutMs` passed. */
export async function connectRedis(url: URL, timeoutMs: number, logger: Logger): Promise<Redis> {
  const redis = new Redis(url.toString(), {
    connectionName: 'city-broker',
    // commands issued while Redis is away wait for it this many reconnects, then fail (logged)
    maxRetriesPerRequest: 20,
  });
  let lastLogMs = 0;
  redis.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLogMs > 10_000) {
      lastLogMs = now;
      logger.error('redis connection error', { url: redactedUrl(url), err: err.message });
    }
  });
  try {
    await whenReady(redis, url, timeoutMs);
  } catch (err) {
    redis.disconnect();
    throw err;
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
  // mqemitter-redis subscribes as soon as aedes starts. ioredis (5.8.2 on, redis/ioredis#2037) writes
  // a PSUBSCRIBE at once while its connection is still in the handshake, before the INFO of its ready
  // check: the connection is then in subscriber mode, the ready check fails, ioredis reconnects and,
  // never having been ready, subscribes to nothing again, while mqemitter-redis believes it did. That
  // broker then hears nothing from the cluster (messages, heartbeats, $SYS/sub/add), and a persistent
  // session's SUBSCRIBE never gets its SUBACK: aedes-persistence-redis waits for its own broadcast.
  // Seen at start-up on a busy machine (the subscriber's handshake loses the race against the
  // persistence's first command). So both connections are ready before mqemitter-redis gets them, and
  // the subscriber has no ready check, which a PSUBSCRIBE during the handshake after a reconnect
  // would fail the same way (PSUBSCRIBE works while Redis loads; autoResubscribe restores the others).
  const subConn = redis.duplicate({ enableReadyCheck: false });
  const pubConn = redis.duplicate();
  try {
    await Promise.all([subConn, pubConn].map((conn) => whenReady(conn, config.redisUrl, config.redisConnectTimeoutMs)));
  } catch (err) {
    for (const conn of [subConn, pubConn, redis]) conn.disconnect();
    throw err;
  }
  const mq = mqemitterRedis({ subConn, pubConn });
  (mq as unknown as { state: NodeJS.EventEmitter }).state.on('error', (err: Error) =>
    logger.error('redis pub/sub error', { url: redactedUrl(config.redisUrl), err: err.message }),
  );
  const persistence = aedesPersistenceRedis({ conn: redis, maxSessionDelivery: ctx.maxQueuedPerSession });
  shareConcurrentAddSubscriptions(persistence as SubscriptionStore);
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

interface SubscriptionStore {
  addSubscriptions(client: { id: string }, subs: object[]): Promise<unknown>;
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<unknown>;
}

/**
 * aedes 1.2 stores a persistent session's SUBSCRIBE once per filter, in parallel, each time with all
 * of the packet's filters (aedes#458). aedes-persistence-redis then waits for its own `$SYS/sub/add`
 * (or `/rm`) broadcast under a key made of the client and the FIRST filter only (aedes-persistence 11
 * broadcastPersistence.js), so a second call with the same first filter replaces the first one's
 * waiter and that promise never settles: a `clean: false` SUBSCRIBE with two or more filters never got
 * its SUBACK (ingest subscribes to six). So the same SUBSCRIBE store while one is in flight shares its
 * promise, and a client's other stores and removals (packets sent together) run one after another, in
 * the order they came.
 */
export function shareConcurrentAddSubscriptions(store: SubscriptionStore): void {
  const add = store.addSubscriptions.bind(store);
  const remove = store.removeSubscriptions.bind(store);
  const inFlight = new Map<string, Promise<unknown>>();
  const lastByClient = new Map<string, Promise<unknown>>();
  const ignore = () => undefined;
  /** `work` after the client's previous store or removal has settled */
  const inTurn = (clientId: string, work: () => Promise<unknown>, done: () => void = ignore): Promise<unknown> => {
    const before = lastByClient.get(clientId);
    const turn: Promise<unknown> = (before ? before.then(ignore, ignore) : Promise.resolve()).then(work).finally(() => {
      done();
      if (lastByClient.get(clientId) === turn) lastByClient.delete(clientId);
    });
    lastByClient.set(clientId, turn);
    return turn;
  };
  store.addSubscriptions = (client, subs) => {
    const key = `${client.id}\u0000${JSON.stringify(subs)}`;
    const shared = inFlight.get(key);
    if (shared) return shared;
    const stored = inTurn(client.id, () => add(client, subs), () => inFlight.delete(key));
    inFlight.set(key, stored);
    return stored;
  };
  store.removeSubscriptions = (client, topics) => inTurn(client.id, () => remove(client, topics));
}
