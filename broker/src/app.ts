// Composes the broker: aedes with our handlers (features/), the listeners (adapters/) and metrics.
// Nothing runs at import time; createBroker builds, start() listens, stop() closes everything.
import { Aedes, type Client } from 'aedes';
import type { DeviceRegistry, Logger } from '@city/shared';
import type { BrokerConfig } from './config.ts';
import { ConnectRefused } from './core/connack.ts';
import { Counter, Gauge, renderMetrics } from './core/metrics.ts';
import { tcpListener, tlsListener, wsListener, type ConnectionHandler, type Listener } from './adapters/listeners.ts';
import { createRedisCluster, type RedisCluster } from './adapters/redis.ts';
import { AccessControl } from './features/acl.ts';
import { Authenticator } from './features/auth.ts';
import { remoteOf } from './features/clients.ts';
import { ConnectionLimits } from './features/limits.ts';
import { limitQueuedPerSession, limitQueuedPerSessionInRedis, type OutgoingPersistence } from './features/session-queue.ts';
import { DeviceStatus } from './features/status.ts';

export interface BrokerPorts {
  tcp: number;
  ws?: number;
  tls?: number;
}

export interface Broker {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** the ports actually bound, known after start() */
  readonly ports: BrokerPorts;
  /** Prometheus text exposition of the city_broker_* metrics */
  metricsText(): string;
  /** the aedes instance, for in-process services (ingest, dashboard) that want to publish directly */
  readonly aedes: Aedes;
  /** aedes' id: with REDIS_URL, BROKER_NAME and a suffix new on every start */
  readonly id: string;
}

export interface BrokerContext {
  config: BrokerConfig;
  registry: DeviceRegistry;
  logger: Logger;
}

export async function createBroker(ctx: BrokerContext): Promise<Broker> {
  const { config, registry } = ctx;
  const { logger } = ctx;
  const { limits } = config;

  const metrics = {
    connectionsTotal: new Counter('city_broker_connections_total', 'Connections accepted (CONNACK 0).'),
    authFailures: new Counter('city_broker_auth_failures_total', 'CONNECTs refused for missing or wrong credentials (CONNACK 4).'),
    refused: new Counter('city_broker_connections_refused_total', 'CONNECTs refused for other reasons, by reason.'),
    publishesReceived: new Counter('city_broker_publishes_received_total', 'PUBLISH packets accepted from clients.'),
    publishDenied: new Counter('city_broker_publish_denied_total', 'PUBLISH packets refused and not delivered, by reason.'),
    subscribeDenied: new Counter('city_broker_subscribe_denied_total', 'Subscriptions refused by the ACL (SUBACK 0x80).'),
    queueDropped: new Counter(
      'city_broker_queue_dropped_total',
      'QoS 1/2 messages not stored for a session because it held MQTT_MAX_QUEUED_PER_SESSION.',
    ),
  };

  // REDIS_URL: messages, sessions, retained messages and queues shared with the other brokers
  const cluster: RedisCluster | undefined = config.cluster
    ? await createRedisCluster({ config: config.cluster, maxQueuedPerSession: limits.maxQueuedPerSession, logger: logger.child('redis') })
    : undefined;
  let aedes: Aedes;
  try {
    aedes = await Aedes.createBroker({
      connectTimeout: limits.connectTimeoutMs,
      // keepaliveMaxS is enforced in features/limits.ts (CONNACK 2) rather than by aedes' keepaliveLimit (CONNACK 6)
      drainTimeout: limits.drainTimeoutMs,
      ...(cluster
        ? { id: cluster.brokerId, mq: cluster.mq, persistence: cluster.persistence, heartbeatInterval: config.cluster!.heartbeatIntervalMs }
        : {}),
    });
  } catch (err) {
    await cluster?.close();
    throw err;
  }
  // a persistence that fails (Redis away longer than its retries) is reported here, not thrown
  (aedes as unknown as NodeJS.EventEmitter).on('error', (err: Error) => logger.error('broker error', { err: err.message }));

  // wrapped before any client can connect
  const { persistence } = aedes as unknown as { persistence: OutgoingPersistence };
  let lastDropLogMs = 0;
  const onDrop = (clientId: string, topic: string) => {
    metrics.queueDropped.inc();
    const now = Date.now();
    if (now - lastDropLogMs > 10_000) {
      lastDropLogMs = now;
      logger.warn('session queue full: dropping new messages for it', { clientId, topic, maxQueuedPerSession: limits.maxQueuedPerSession });
    }
  };
  if (cluster) limitQueuedPerSessionInRedis(persistence, cluster.redis, limits.maxQueuedPerSession, onDrop);
  else limitQueuedPerSession(persistence, limits.maxQueuedPerSession, onDrop);

  const auth = new Authenticator({
    registry,
    logger: logger.child('auth'),
    allowAnonymous: config.allowAnonymous,
    authFailures: metrics.authFailures,
  });
  const identityOf = (client: Client | null) => auth.identityOf(client);
  const gate = new ConnectionLimits({
    limits,
    logger: logger.child('limits'),
    refused: metrics.refused,
    publishDenied: metrics.publishDenied,
    isRegistered: (clientId) => clientId in (aedes as unknown as { clients: Record<string, Client> }).clients,
  });
  const acl = new AccessControl({
    logger: logger.child('acl'),
    identityOf,
    publishDenied: metrics.publishDenied,
    subscribeDenied: metrics.subscribeDenied,
  });
  const status = new DeviceStatus({ aedes, registry, logger: logger.child('status'), identityOf, clustered: cluster !== undefined });

  const willTopics = new WeakMap<Client, string>();
  aedes.preConnect = (client, packet, done) => {
    gate.preConnect(client, packet);
    if (packet.will) willTopics.set(client, packet.will.topic);
    done(null, true);
  };
  aedes.authenticate = (client, username, password, done) => {
    (async () => {
      gate.checkConnect(client);
      const who = await auth.authenticate(client, username, password);
      acl.checkWill(client, who, willTopics.get(client));
      gate.admit(client);
    })().then(
      () => done(null, true),
      (err: unknown) => {
        if (err instanceof ConnectRefused) return done(err, false);
        logger.error('authentication failed unexpectedly', { clientId: client.id, err });
        done(Object.assign(new Error('server unavailable'), { returnCode: 3 as const }), false);
      },
    );
  };
  aedes.authorizePublish = (client, packet, done) => {
    const decision = gate.checkPublish(packet);
    const allowed = decision.allowed ? acl.checkPublish(client, packet) : decision;
    if (!allowed.allowed) {
      if (!decision.allowed) logger.warn('publish refused', { clientId: client?.id, topic: packet.topic, reason: decision.reason });
      return done(new Error(allowed.reason));
    }
    done(null);
  };
  aedes.authorizeSubscribe = (client, sub, done) => done(null, acl.checkSubscribe(client, sub));

  aedes.on('clientReady', (client) => {
    metrics.connectionsTotal.inc();
    logger.debug('client connected', { clientId: client.id, id: identityOf(client)?.id, remote: remoteOf(client) });
    status.onReady(client);
  });
  aedes.on('clientDisconnect', (client) => {
    logger.debug('client disconnected', { clientId: client.id, id: identityOf(client)?.id });
    status.onDisconnect(client);
  });
  aedes.on('publish', (_packet, client) => {
    if (client) metrics.publishesReceived.inc();
  });
  aedes.on('keepaliveTimeout', (client) => logger.info('keepalive expired', { clientId: client.id, id: identityOf(client)?.id }));
  aedes.on('clientError', (client, err) => logger.debug('client error', { clientId: client.id, err }));
  aedes.on('connectionError', (client, err) => logger.debug('connection error', { remote: remoteOf(client), err }));

  const handle: ConnectionHandler = (stream, req) => {
    const client = aedes.handle(stream, req);
    gate.guardFrames(stream, () => ({ clientId: client.id, remote: remoteOf(client) }));
  };
  const listeners: Listener[] = [tcpListener(config.host, config.port, handle)];
  if (config.wsPort !== undefined) listeners.push(wsListener(config.host, config.wsPort, gate.maxFrameBytes, handle));
  if (config.tls) listeners.push(tlsListener(config.host, config.tls, handle));

  const ports: BrokerPorts = { tcp: 0 };
  const gauges = [
    new Gauge('city_broker_connected_clients', 'Clients connected now.', () => aedes.connectedClients),
  ];
  let started = false;

  return {
    aedes,
    id: aedes.id,
    ports,
    metricsText: () => renderMetrics([...gauges, ...Object.values(metrics)]),
    async start() {
      auth.start();
      status.start();
      try {
        for (const listener of listeners) {
          ports[listener.name === 'tcp' ? 'tcp' : listener.name] = await listener.start();
        }
      } catch (err) {
        await Promise.all(listeners.map((l) => l.stop()));
        throw err;
      }
      started = true;
      logger.info('broker listening', { host: config.host, ...ports, maxConnections: limits.maxConnections, ...(cluster ? { brokerId: aedes.id } : {}) });
    },
    async stop() {
      // closes every client (their wills and offline status go out) and the emitter
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await Promise.all(listeners.map((l) => l.stop()));
      await cluster?.close();
      if (started) logger.info('broker stopped');
      started = false;
    },
  };
}
