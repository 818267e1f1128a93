// The dashboard's view of the broker: a clean session at QoS 0 for the live map (the present, not a
// replay), or a persistent QoS 1 session for the rules engine; TCP no-delay, reconnect forever.
// Messages go to `onMessage` raw.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '@city/shared';

/** What the live map listens to: readings, camera events and snapshots, Frigate, LoRaWAN, device status. */
export const DASHBOARD_SUBSCRIPTIONS = [
  'city/sensors/+/up',
  'city/cameras/+/events',
  'city/cameras/+/snapshot',
  'frigate/events',
  'v3/+/devices/+/up',
  'city/devices/+/status',
] as const;

export interface MqttFeedOptions {
  url: string;
  username?: string;
  password?: string;
  logger: Logger;
  onMessage: (topic: string, payload: Buffer) => void;
  /**
   * Absent: a clean session at QoS 0 under a random client id (the live map wants the present).
   * Given: a persistent session at QoS 1 under this fixed id, so the broker queues what arrives while
   * we are away and we miss nothing across a restart (the rules engine).
   */
  durableClientId?: string;
}

const RECONNECT_PERIOD_MS = 1000;

export class MqttFeed {
  private client: MqttClient | undefined;
  private subscribedNow = false;
  private lastError: string | undefined;

  constructor(private readonly options: MqttFeedOptions) {}

  /** connected and subscribed */
  get subscribed(): boolean {
    return this.subscribedNow && (this.client?.connected ?? false);
  }

  /** Starts connecting; does not wait (the dashboard serves while the broker is away). */
  start(): void {
    const { url, username, password, logger } = this.options;
    const opts: IClientOptions = {
      // several dashboards may run: each its own clean session (unless durable)
      clientId: this.options.durableClientId ?? `dashboard-${randomBytes(4).toString('hex')}`,
      username,
      password,
      clean: this.options.durableClientId === undefined,
      protocolVersion: 4,
      keepalive: 30,
      reconnectPeriod: RECONNECT_PERIOD_MS,
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
      resubscribe: false,
    };
    const client = mqtt.connect(url, opts);
    this.client = client;
    client.on('connect', () => {
      // small messages, latency matters more than packets: no Nagle
      (client.stream as Partial<Socket>).setNoDelay?.(true);
      logger.info('live feed connected', { url });
      this.lastError = undefined;
      client.subscribe(
        DASHBOARD_SUBSCRIPTIONS.map((t) => t),
        { qos: this.options.durableClientId === undefined ? 0 : 1 },
        (err, granted) => {
          if (err) return logger.error('live feed cannot subscribe', { err });
          const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
          if (refused.length) logger.error('live feed subscriptions refused (is the account a service?)', { refused });
          this.subscribedNow = true;
        },
      );
    });
    client.on('close', () => {
      this.subscribedNow = false;
    });
    client.on('error', (err) => {
      // once per distinct error, not at every reconnect attempt
      if (err.message !== this.lastError) logger.warn('live feed connection problem', { url, err });
      this.lastError = err.message;
    });
    client.on('message', (topic, payload) => {
      try {
        this.options.onMessage(topic, payload);
      } catch (err) {
        logger.error('live feed message handler failed', { topic, err });
      }
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.subscribedNow = false;
    if (client) await client.endAsync(true);
  }
}
