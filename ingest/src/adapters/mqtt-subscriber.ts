// The MQTT side of ingest: a persistent session (clean: false, fixed client id) with QoS 1
// subscriptions, TCP no-delay, reconnect with exponential back-off.
//
// Acknowledgement: MQTT.js sends a QoS 1 PUBACK when `handleMessage(packet, cb)` calls back, and reads
// the next packet only after that. We override handleMessage so the PUBACK goes out only once the sink
// has recorded the message (journal, dead-letter log). If the connection drops before the sink is done,
// we call back with an error: no PUBACK is sent (MQTT.js would otherwise queue it and send it on the NEXT
// connection, where that packet id may name another message), and the broker redelivers the message to
// the persistent session.
//
// Group commit: the sink only stages a message; its `flush()` writes everything staged at once. The
// PUBACKs MQTT.js writes meanwhile are held in the corked socket, opened at the group's first message
// and closed with setImmediate, i.e. once MQTT.js has worked through the whole TCP read (it goes from
// packet to packet with process.nextTick). Then flush(), then uncork: every PUBACK of the read leaves in
// one write after one journal write, instead of one syscall each per message. If flush() throws, the
// socket is destroyed with the PUBACKs still in it: none leaves, and the broker redelivers.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '@city/shared';
import { backoffDelayMs } from '../core/backoff.ts';
import { LogLimiter } from '../core/log-limiter.ts';
import { isSharedFilter } from '../core/shared-subscription.ts';

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
}

/**
 * Records one message. Resolve (or return) once it may be acknowledged; reject to withhold the
 * acknowledgement. `connection` aborts when the connection the message came on is gone.
 */
export type MessageSink = (message: IncomingMessage, connection: AbortSignal) => void | Promise<void>;

export interface MqttSubscriberOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  keepaliveS: number;
  reconnectMaxMs: number;
  subscriptions: readonly string[];
  /** filters a persistent session may still hold from an earlier configuration: dropped on the first connect */
  unsubscribeFirst?: readonly string[];
  logger: Logger;
  onMessage: MessageSink;
  /** makes what onMessage recorded since the last call durable; throws when it cannot (nothing is acknowledged) */
  flush: () => void;
}

/** The socket MQTT.js writes to: any Node writable has cork/uncork; destroy() drops what is corked. */
interface AckStream {
  cork(): void;
  uncork(): void;
  destroy(err?: Error): void;
}

const RECONNECT_BASE_MS = 500;

export class MqttSubscriber {
  private client: MqttClient | undefined;
  private connection = new AbortController();
  private attempts = 0;
  private lastError: string | undefined;
  private readonly sinkErrors = new LogLimiter(60_000);
  /** the socket corked for the open acknowledgement group, if one is open */
  private group: AckStream | undefined;

  constructor(private readonly options: MqttSubscriberOptions) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Connects; resolves once subscribed the first time (retrying meanwhile), rejects if stopped first. */
  start(): Promise<void> {
    const { url, clientId, username, password, keepaliveS, logger } = this.options;
    const opts: IClientOptions = {
      clientId,
      username,
      password,
      clean: false,
      keepalive: keepaliveS,
      protocolVersion: 4,
      reconnectPeriod: RECONNECT_BASE_MS,
      // wrong credentials are retried too: the devices CLI may fix them while we run
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
      // subscriptions live in the broker's persistent session; we subscribe when it has none
      resubscribe: false,
    };
    const client = mqtt.connect(url, opts);
    this.client = client;
    client.handleMessage = (packet, callback) => {
      // a packet still queued from a connection that is gone: the broker will redeliver it
      if (!client.connected) return callback(new Error('connection gone'));
      const connection = this.connection.signal;
      const ack = (err?: Error) => {
        if (err && !connection.aborted && this.sinkErrors.check(err.message, Date.now()).log) {
          // never silent: the message stays unacknowledged and the broker redelivers it after a reconnect
          logger.error('message could not be recorded: not acknowledged', { topic: packet.topic, err });
        }
        if (err || connection.aborted || !client.connected) callback(err ?? new Error('connection gone before the message was recorded'));
        else callback();
      };
      const message: IncomingMessage = { topic: packet.topic, payload: packet.payload as Buffer, qos: packet.qos };
      let result: void | Promise<void>;
      try {
        result = this.options.onMessage(message, connection);
      } catch (err) {
        ack(err as Error);
        return;
      }
      if (result instanceof Promise) result.then(() => this.inGroup(client, ack), (err: Error) => ack(err));
      else this.inGroup(client, ack);
    };

    return new Promise<void>((resolve, reject) => {
      let first = true;
      client.on('connect', (connack) => {
        this.attempts = 0;
        client.options.reconnectPeriod = RECONNECT_BASE_MS;
        this.lastError = undefined;
        // no Nagle delay on PUBACKs and dead letters
        (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
        logger.info('connected to the broker', { url: redactUrl(url), clientId, sessionPresent: connack.sessionPresent });
        if (connack.sessionPresent && !first) return;
        const subs = Object.fromEntries(this.options.subscriptions.map((t) => [t, { qos: 1 as const }]));
        const stale = first ? (this.options.unsubscribeFirst ?? []) : [];
        if (stale.length > 0) {
          client.unsubscribe([...stale], (err) => {
            if (err) logger.warn('could not drop earlier subscriptions of this session', { filters: stale, err });
          });
        }
        client.subscribe(subs, (err, granted) => {
          if (err) {
            logger.error('subscribe failed', { err });
            return;
          }
          const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
          if (refused.length > 0) {
            const hint = refused.some(isSharedFilter)
              ? 'the broker may not offer shared subscriptions: unset INGEST_SHARED_GROUP (docs/scale-out.md)'
              : 'check the ingest account role';
            logger.error(`broker refused subscriptions (${hint})`, { refused });
          }
          if (first) {
            first = false;
            resolve();
          }
        });
      });
      client.on('close', () => {
        // messages in progress from this connection must not be acknowledged on the next one
        this.connection.abort(new Error('connection closed'));
        this.connection = new AbortController();
      });
      client.on('reconnect', () => {
        this.attempts += 1;
        client.options.reconnectPeriod = backoffDelayMs(this.attempts, RECONNECT_BASE_MS, this.options.reconnectMaxMs);
      });
      client.on('offline', () => logger.warn('broker connection lost: reconnecting with back-off', { url: redactUrl(url) }));
      client.on('error', (err) => {
        // one line per distinct error, not one per retry
        if (err.message !== this.lastError) logger.error('MQTT error', { err, url: redactUrl(url) });
        this.lastError = err.message;
      });
      client.on('end', () => {
        if (first) reject(new Error('stopped before connecting to the broker'));
      });
    });
  }

  /** Runs `ack` (which makes MQTT.js write a PUBACK) inside the open group, opening one if needed. */
  private inGroup(client: MqttClient, ack: () => void): void {
    const stream = client.stream as unknown as AckStream;
    // a group still open on an earlier connection's socket is closed first (cannot happen within one
    // event-loop turn, but a PUBACK must never leave uncorked ahead of its flush)
    if (this.group && this.group !== stream) this.closeGroup();
    if (!this.group) {
      stream.cork();
      this.group = stream;
      setImmediate(() => this.closeGroup());
    }
    ack();
  }

  /** The sink's flush, then the group's PUBACKs in one write; on failure none of them. */
  private closeGroup(): void {
    const stream = this.group;
    if (!stream) return;
    this.group = undefined;
    try {
      this.options.flush();
    } catch (err) {
      if (this.sinkErrors.check(`flush: ${(err as Error).message}`, Date.now()).log) {
        this.options.logger.error('recording failed: closing the connection so that nothing unrecorded is acknowledged (the broker redelivers)', { err });
      }
      stream.destroy(err as Error);
      return;
    }
    stream.uncork();
  }

  /** Publishes at QoS 0 when connected; dropped otherwise (callers keep their own record). */
  publishQos0(topic: string, payload: string | Buffer): boolean {
    const client = this.client;
    if (!client?.connected) return false;
    client.publish(topic, payload, { qos: 0 });
    return true;
  }

  /** Disconnects. Messages not yet acknowledged stay queued in the broker's persistent session. */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    // end() below uncorks the socket: the open group's records go to the journal first
    this.closeGroup();
    this.connection.abort(new Error('stopping'));
    await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
