// The live map feed: MQTT messages -> LiveState -> per-client coalesced `deltas` over socket.io; a full
// `snapshot` on connect and on `resync`. A timer re-reads the registry (devices added by the CLI) and
// re-evaluates states that change with time alone (a silent device goes offline).
//
// REDIS_URL (several dashboard servers behind one address): socket.io gets its Redis adapter, so a
// broadcast one server emits (the `/ops` namespace's incident and report changes, made by the server
// whose REST call made them) reaches the clients of every server. The live map itself does not need
// it: each server subscribes to MQTT and pushes its own coalesced `deltas` to its own sockets
// (socket.emit to one socket stays local), so a reading reaches every client once.
import { existsSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { redactedUrl, redisReady } from '@city/shared/redis';
import { Server as SocketServer, type Socket } from 'socket.io';
import {
  decodeMessage,
  parseTopic,
  type ClientToServerEvents,
  type Device,
  type DeviceRegistry,
  type DeviceSnapshot,
  type Logger,
  type ServerToClientEvents,
} from '@city/shared';
import { MqttFeed } from '../adapters/mqtt-feed.ts';
import { snapshotsDir, type DashboardConfig } from '../config.ts';
import { Coalescer } from '../core/coalescer.ts';
import { LiveState } from '../core/live-state.ts';

export interface LiveMapContext {
  config: DashboardConfig;
  registry: DeviceRegistry;
  logger: Logger;
}

type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** How long start() waits for Redis (REDIS_URL) before it rejects; ioredis keeps retrying after. */
const REDIS_READY_TIMEOUT_MS = 10_000;

export class LiveMap {
  readonly state = new LiveState();
  private io: SocketServer<ClientToServerEvents, ServerToClientEvents> | undefined;
  private readonly clients = new Map<string, Coalescer>();
  private readonly feed: MqttFeed;
  private timer: ReturnType<typeof setInterval> | undefined;
  private devicesById = new Map<string, Device>();
  private readonly counts = { deltas: 0, messages: 0, undecodable: 0 };
  /** the socket.io Redis adapter's publishing and subscribing connections (REDIS_URL) */
  private redis: { pub: Redis; sub: Redis } | undefined;

  constructor(private readonly ctx: LiveMapContext) {
    const { mqtt } = ctx.config;
    this.feed = new MqttFeed({
      url: mqtt.url,
      username: mqtt.username,
      ...(mqtt.password !== undefined ? { password: mqtt.password } : {}),
      logger: ctx.logger.child('mqtt'),
      onMessage: (topic, payload) => this.handleMessage(topic, payload),
    });
  }

  /** the socket.io server, once started: other features add their namespaces to it */
  get socketServer(): SocketServer | undefined {
    return this.io as unknown as SocketServer | undefined;
  }

  get mqttSubscribed(): boolean {
    return this.feed.subscribed;
  }

  /**
   * Attaches socket.io to the dashboard's HTTP server and starts the feed. With REDIS_URL, first waits
   * for both Redis connections (rejects with the reason after REDIS_READY_TIMEOUT_MS).
   */
  async start(server: HttpServer): Promise<void> {
    this.refresh();
    const { redisUrl } = this.ctx.config;
    if (redisUrl) {
      this.redis = this.openRedis(redisUrl);
      // the adapter subscribes at once: only on connections that are ready (see openRedis)
      await Promise.all([this.redis.pub, this.redis.sub].map((c) => redisReady(c, REDIS_READY_TIMEOUT_MS))).catch(async (err: Error) => {
        const redis = this.redis!;
        this.redis = undefined;
        redis.pub.disconnect();
        redis.sub.disconnect();
        const message = `REDIS_URL: cannot reach ${redactedUrl(redisUrl)} within ${REDIS_READY_TIMEOUT_MS} ms (${err.message})`;
        this.ctx.logger.error('socket.io Redis adapter not ready', { err: message });
        throw new Error(message);
      });
      this.ctx.logger.info('socket.io shares broadcasts through Redis', { url: redactedUrl(redisUrl) });
    }
    const io = new SocketServer<ClientToServerEvents, ServerToClientEvents>(server, {
      serveClient: false,
      ...(this.redis ? { adapter: createAdapter(this.redis.pub, this.redis.sub) } : {}),
    });
    this.io = io;
    io.on('connection', (socket) => this.onConnection(socket));
    this.feed.start();
    this.timer = setInterval(() => this.refresh(), this.ctx.config.stateRefreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const c of this.clients.values()) c.stop();
    this.clients.clear();
    await this.feed.stop();
    // io.close() would close the HTTP server too: the dashboard does that itself. `local`: with the
    // Redis adapter a plain disconnectSockets() would disconnect the other servers' clients too.
    this.io?.local.disconnectSockets(true);
    this.io = undefined;
    const redis = this.redis;
    this.redis = undefined;
    if (redis) await Promise.all([redis.pub, redis.sub].map((c) => c.quit().catch(() => c.disconnect())));
  }

  private openRedis(url: URL): { pub: Redis; sub: Redis } {
    const pub = new Redis(url.toString(), { connectionName: 'city-dashboard' });
    // no ready check on the subscriber: ioredis sends INFO for it, which a connection in subscriber mode
    // refuses, and after that failed check it never subscribes again (ioredis#2037)
    const sub = pub.duplicate({ enableReadyCheck: false });
    let lastLogMs = 0;
    const onError = (err: Error) => {
      const now = Date.now();
      if (now - lastLogMs < 10_000) return;
      lastLogMs = now;
      this.ctx.logger.error('redis connection error', { url: redactedUrl(url), err: err.message });
    };
    pub.on('error', onError);
    sub.on('error', onError);
    return { pub, sub };
  }

  metricsText(): string {
    return [
      '# HELP city_dashboard_clients Live map clients connected (socket.io)',
      '# TYPE city_dashboard_clients gauge',
      `city_dashboard_clients ${this.clients.size}`,
      '# HELP city_dashboard_deltas_total Coalesced deltas messages sent to live map clients',
      '# TYPE city_dashboard_deltas_total counter',
      `city_dashboard_deltas_total ${this.counts.deltas}`,
      '# HELP city_dashboard_mqtt_messages_total MQTT messages the live feed received',
      '# TYPE city_dashboard_mqtt_messages_total counter',
      `city_dashboard_mqtt_messages_total ${this.counts.messages}`,
      '# HELP city_dashboard_mqtt_undecodable_total Messages the live feed ignored (ingest dead-letters them)',
      '# TYPE city_dashboard_mqtt_undecodable_total counter',
      `city_dashboard_mqtt_undecodable_total ${this.counts.undecodable}`,
      '# HELP city_dashboard_devices Devices on the live map',
      '# TYPE city_dashboard_devices gauge',
      `city_dashboard_devices ${this.state.size}`,
      '',
    ].join('\n');
  }

  /** One MQTT message. Bad ones are ignored: ingest counts and dead-letters them. */
  handleMessage(topic: string, payload: Buffer): void {
    this.counts.messages++;
    const now = Date.now();
    const parsed = parseTopic(topic);
    if (parsed.type === 'device-status') {
      const text = payload.toString('utf8').trim();
      if (text !== 'online' && text !== 'offline') return;
      this.publish(this.state.setConnected(parsed.deviceId, text === 'online', now));
      return;
    }
    const decoded = decodeMessage(topic, payload, {
      receivedAt: now,
      lookupDevice: (id) => this.devicesById.get(id) ?? this.ctx.registry.get(id),
    });
    if (!decoded.ok) {
      this.counts.undecodable++;
      return;
    }
    for (const reading of decoded.readings) this.publish(this.state.applyReading(reading, now));
    if (decoded.cameraEvent) this.publish(this.state.applyCameraEvent(decoded.cameraEvent, now));
    if (decoded.snapshot) this.publish(this.state.noteSnapshot(decoded.snapshot.cameraId, now));
  }

  private onConnection(socket: LiveSocket): void {
    const coalescer = new Coalescer({
      intervalMs: this.ctx.config.pushIntervalMs,
      flush: (batch) => {
        this.counts.deltas++;
        socket.emit('deltas', { ...batch, serverTime: Date.now() });
      },
    });
    this.clients.set(socket.id, coalescer);
    const sendSnapshot = () => {
      coalescer.clear();
      socket.emit('snapshot', { devices: this.state.all(Date.now()), serverTime: Date.now() });
    };
    socket.on('resync', sendSnapshot);
    socket.on('disconnect', () => {
      coalescer.stop();
      this.clients.delete(socket.id);
    });
    sendSnapshot();
  }

  private publish(snapshot: DeviceSnapshot | undefined): void {
    if (!snapshot) return;
    for (const c of this.clients.values()) c.push(snapshot);
  }

  /** Re-reads the registry and re-evaluates time-dependent states. */
  private refresh(): void {
    const now = Date.now();
    let devices: Device[];
    try {
      devices = this.ctx.registry.list();
    } catch (err) {
      this.ctx.logger.error('cannot read the device registry', { err });
      return;
    }
    this.devicesById = new Map(devices.map((d) => [d.id, d]));
    const { changed, removed } = this.state.syncRegistry(devices, now);
    for (const s of changed) {
      // a camera whose JPEG ingest stored before we started
      if (s.kind === 'camera' && !s.hasSnapshot && existsSync(join(snapshotsDir(this.ctx.config), `${s.id}.jpg`))) {
        this.publish(this.state.noteSnapshot(s.id, now) ?? s);
      } else {
        this.publish(s);
      }
    }
    for (const id of removed) for (const c of this.clients.values()) c.remove(id);
    for (const s of this.state.sweep(now)) this.publish(s);
  }
}

/** Resolves when `client` is ready; rejects with its last error (or a timeout) after `timeoutMs`. */
