// Explicit limits on what one client or all of them may take. Each one has an env var
// (see config.ts for defaults and reasons); connect and drain timeouts are aedes options.
import type { Duplex } from 'node:stream';
import type { Client, ConnectPacket, PublishPacket } from 'aedes';
import type { Logger } from '@city/shared';
import type { AclDecision } from '../core/acl.ts';
import { CONNACK, ConnectRefused } from '../core/connack.ts';
import { FrameSizeGuard } from '../core/frame-guard.ts';
import type { Counter } from '../core/metrics.ts';
import type { BrokerLimits } from '../config.ts';

/** Topic name (2-byte length + up to 65,535 bytes) and packet identifier around a PUBLISH payload. */
const PUBLISH_HEADER_MAX_BYTES = 2 + 65_535 + 2;

export interface LimitsContext {
  limits: BrokerLimits;
  logger: Logger;
  refused: Counter;
  publishDenied: Counter;
  /** clients aedes has registered, i.e. a reconnect with the same client id replaces one */
  isRegistered: (clientId: string) => boolean;
}

export class ConnectionLimits {
  private readonly emptyIdKeepSession = new WeakSet<Client>();
  private readonly keepaliveOutOfRange = new WeakMap<Client, number>();
  /** connections past authentication, until their socket closes */
  private readonly admitted = new Set<Client>();

  constructor(private readonly ctx: LimitsContext) {}

  get admittedCount(): number {
    return this.admitted.size;
  }

  /** Largest Remaining Length of any packet on the wire: a PUBLISH with the largest payload. */
  get maxFrameBytes(): number {
    return this.ctx.limits.maxPayloadBytes + PUBLISH_HEADER_MAX_BYTES;
  }

  /** aedes' preConnect sees the packet before it invents an id for an empty one. */
  preConnect(client: Client, packet: ConnectPacket): void {
    if (packet.clientId === '' && packet.clean === false) this.emptyIdKeepSession.add(client);
    const max = this.ctx.limits.keepaliveMaxS;
    const keepaliveS = packet.keepalive ?? 0;
    if (max > 0 && (keepaliveS === 0 || keepaliveS > max)) this.keepaliveOutOfRange.set(client, keepaliveS);
  }

  /** Before credentials are checked (scrypt costs CPU): refusals that need no identity. */
  checkConnect(client: Client): void {
    if (this.emptyIdKeepSession.has(client)) {
      // [MQTT-3.1.3-8] a zero-byte ClientId with CleanSession 0: CONNACK 2, then close
      this.ctx.refused.inc({ reason: 'identifier_rejected' });
      throw new ConnectRefused(CONNACK.identifierRejected, 'empty client id requires clean session');
    }
    const keepaliveS = this.keepaliveOutOfRange.get(client);
    if (keepaliveS !== undefined) {
      // MQTT 3.1.1 cannot tell a client to use another keepalive. aedes' own keepaliveLimit answers
      // CONNACK 6, undefined in 3.1.1 ("Unknown error" in mosquitto_pub); like Mosquitto's
      // max_keepalive we answer 2, identifier rejected. Keepalive 0 (never expires) is refused too:
      // a half-open connection would keep a dead device "online" forever.
      this.ctx.refused.inc({ reason: 'keepalive' });
      this.ctx.logger.warn('connection refused: keepalive out of range', {
        clientId: client.id,
        keepaliveS,
        keepaliveMaxS: this.ctx.limits.keepaliveMaxS,
      });
      throw new ConnectRefused(CONNACK.identifierRejected, `keepalive ${keepaliveS} s not in 1..${this.ctx.limits.keepaliveMaxS}`);
    }
    this.checkRoom(client);
  }

  /** After credentials: takes a slot, checking again since other CONNECTs finished meanwhile. */
  admit(client: Client): void {
    this.checkRoom(client);
    if (client.closed) return;
    this.admitted.add(client);
    client.conn.once('close', () => this.admitted.delete(client));
  }

  private checkRoom(client: Client): void {
    const takeover = client.id !== null && this.ctx.isRegistered(client.id);
    if (this.admitted.size >= this.ctx.limits.maxConnections && !takeover) {
      this.ctx.refused.inc({ reason: 'server_unavailable' });
      this.ctx.logger.warn('connection refused: MQTT_MAX_CONNECTIONS reached', {
        clientId: client.id,
        maxConnections: this.ctx.limits.maxConnections,
      });
      throw new ConnectRefused(CONNACK.serverUnavailable, 'connection limit reached');
    }
  }

  checkPublish(packet: PublishPacket): AclDecision {
    const bytes = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
    if (bytes <= this.ctx.limits.maxPayloadBytes) return { allowed: true };
    this.ctx.publishDenied.inc({ reason: 'payload_too_large' });
    return { allowed: false, reason: `payload of ${bytes} bytes over MQTT_MAX_PAYLOAD_BYTES=${this.ctx.limits.maxPayloadBytes}` };
  }

  /**
   * Watches the bytes aedes reads from a connection and destroys it at the first fixed header
   * announcing a packet larger than any allowed PUBLISH, before the parser buffers it.
   * A 'data' listener next to aedes' 'readable' one observes read() without changing the flow.
   */
  guardFrames(conn: Duplex, describe: () => Record<string, unknown>): void {
    const guard = new FrameSizeGuard(this.maxFrameBytes);
    const onData = (chunk: Buffer) => {
      const verdict = guard.feed(chunk);
      if (verdict.ok) return;
      conn.off('data', onData);
      this.ctx.publishDenied.inc({ reason: 'payload_too_large' });
      this.ctx.logger.warn('connection closed: packet over the size limit', { ...describe(), reason: verdict.reason });
      conn.destroy();
    };
    conn.on('data', onData);
  }
}
