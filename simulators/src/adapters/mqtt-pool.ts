// MQTT connections for the simulators (MQTT.js): one per device, or a few shared by a gateway.
// TCP no-delay on every connection: with Nagle's algorithm on (MQTT.js's default) small publishes
// waited 21-25 ms; MQTT.js has no option for it, so it is set on the socket after each (re)connect.
import type { Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '@city/shared';
import type { Credentials } from './provision.ts';

export interface ConnectionSpec {
  /** how messages are routed to it */
  key: string;
  clientId: string;
  /** absent: connect without credentials (a broker that allows anonymous clients) */
  credentials?: Credentials;
}

export interface MqttPoolContext {
  url: string;
  connections: readonly ConnectionSpec[];
  qos: 0 | 1;
  logger: Logger;
  /** CONNECTs in progress at once: the broker verifies each secret with scrypt (~50 ms); default 16 */
  connectConcurrency?: number;
  /** how long start() waits for each CONNACK, ms; default 15000 */
  connectTimeoutMs?: number;
  /** how long stop() waits for outstanding acks before closing hard, ms; default 3000 */
  closeTimeoutMs?: number;
}

export class ConnectError extends Error {
  constructor(
    message: string,
    readonly clientId: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

function noDelay(client: MqttClient): void {
  (client.stream as Partial<Socket> | undefined)?.setNoDelay?.(true);
}

export class MqttPool {
  private readonly clients = new Map<string, MqttClient>();

  constructor(private readonly ctx: MqttPoolContext) {}

  get size(): number {
    return this.clients.size;
  }

  /** Connects every connection; rejects (and closes what it opened) on the first refusal or timeout. */
  async start(): Promise<void> {
    const specs = [...this.ctx.connections];
    let next = 0;
    let failure: Error | undefined;
    const worker = async () => {
      while (next < specs.length && !failure) {
        const spec = specs[next++]!;
        try {
          this.clients.set(spec.key, await this.connect(spec));
        } catch (err) {
          failure ??= err as Error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.ctx.connectConcurrency ?? 16, specs.length)) }, worker));
    if (failure) {
      await this.stop();
      throw failure;
    }
  }

  private connect(spec: ConnectionSpec): Promise<MqttClient> {
    const timeoutMs = this.ctx.connectTimeoutMs ?? 15_000;
    const options: IClientOptions = {
      clientId: spec.clientId,
      protocolVersion: 4, // aedes speaks MQTT 3.1.1
      clean: true,
      keepalive: 30,
      reconnectPeriod: 1000,
      connectTimeout: timeoutMs,
    };
    if (spec.credentials) {
      options.username = spec.credentials.username;
      options.password = spec.credentials.password;
    }
    const client = mqtt.connect(this.ctx.url, options);
    noDelay(client);
    const log = this.ctx.logger;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new ConnectError(`${spec.clientId}: no CONNACK from ${this.ctx.url} within ${timeoutMs} ms`, spec.clientId)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        client.end(true);
        reject(err);
      };
      client.once('connect', () => {
        clearTimeout(timer);
        client.removeListener('error', onFirstError);
        let up = true;
        client.on('connect', () => {
          noDelay(client);
          if (!up) log.info('reconnected', { clientId: spec.clientId });
          up = true;
        });
        client.on('offline', () => {
          if (up) log.warn('connection lost, reconnecting', { clientId: spec.clientId });
          up = false;
        });
        client.on('error', (err) => log.warn('connection error', { clientId: spec.clientId, err }));
        noDelay(client);
        resolve(client);
      });
      const onFirstError = (err: Error & { code?: unknown }) => {
        const refused = err.code === 4 || err.code === 5 || /not authori[sz]ed|bad user/i.test(err.message);
        const hint = refused ? (spec.credentials ? ' (was the fleet provisioned into the registry the broker reads?)' : ' (the broker wants credentials: pass a registry)') : '';
        fail(new ConnectError(`${spec.clientId}: ${this.ctx.url} refused the connection: ${err.message}${hint}`, spec.clientId));
      };
      client.once('error', onFirstError);
    });
  }

  connected(key: string): boolean {
    return this.clients.get(key)?.connected ?? false;
  }

  /** Publishes; resolves when written (QoS 0) or acknowledged (QoS 1). */
  publish(key: string, topic: string, payload: Buffer): Promise<void> {
    const client = this.clients.get(key);
    if (!client) return Promise.reject(new Error(`no connection ${key}`));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, { qos: this.ctx.qos }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Closes every connection: politely (waiting for in-flight acks), then hard after closeTimeoutMs. */
  async stop(): Promise<void> {
    const timeoutMs = this.ctx.closeTimeoutMs ?? 3000;
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(
      clients.map(
        (client) =>
          new Promise<void>((resolve) => {
            // end(true) is ignored once a polite end is under way: destroy the socket instead
            const timer = setTimeout(() => {
              client.options.reconnectPeriod = 0;
              client.stream?.destroy();
              resolve();
            }, timeoutMs);
            client.end(false, () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }
}
