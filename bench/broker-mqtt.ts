// The load generator's MQTT 3.1.1 client for bench/broker.ts: raw packets on a net.Socket, nothing else.
// MQTT.js spends several µs per message in one event loop; measured against Mosquitto it would be the
// limit, not the broker. Here a PUBLISH is a template copied into a batch buffer and a received one is
// read in place, so one Node process can drive and count well over 100k messages/s for either broker.
// Only what the benchmark uses: CONNECT/CONNACK, PUBLISH (QoS 0, 1), PUBACK, SUBSCRIBE/SUBACK, PINGREQ.
import { connect as tcpConnect, type Socket } from 'node:net';

export const PACKET = { connack: 2, publish: 3, puback: 4, suback: 9, pingresp: 13 } as const;
export const PINGREQ = Buffer.from([0xc0, 0x00]);

function remainingLength(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}
function utf8(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}
function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first, ...remainingLength(body.length)]), body]);
}

/** CONNECT, MQTT 3.1.1, no credentials, no will. */
export function connectPacket(clientId: string, keepaliveS: number, clean = true): Buffer {
  const header = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, clean ? 0x02 : 0x00, keepaliveS >> 8, keepaliveS & 0xff]);
  return packet(0x10, Buffer.concat([header, utf8(clientId)]));
}
export function subscribePacket(packetId: number, filter: string, qos: 0 | 1): Buffer {
  return packet(0x82, Buffer.concat([Buffer.from([packetId >> 8, packetId & 0xff]), utf8(filter), Buffer.from([qos])]));
}

/**
 * A PUBLISH whose topic and payload have fixed lengths, so Remaining Length is constant: `write` copies it
 * into `target` at `offset` and returns where the packet's variable parts are, for the caller to fill in.
 */
export class PublishTemplate {
  readonly bytes: Buffer;
  /** offset of the topic's first byte, of the packet id (QoS 1) and of the payload, within the packet */
  readonly topicAt: number;
  readonly packetIdAt: number;
  readonly payloadAt: number;
  constructor(topic: string, payload: Buffer, readonly qos: 0 | 1) {
    const topicBytes = utf8(topic);
    const id = qos > 0 ? Buffer.from([0, 1]) : Buffer.alloc(0);
    const body = Buffer.concat([topicBytes, id, payload]);
    this.bytes = packet(0x30 | (qos << 1), body);
    const headerLength = this.bytes.length - body.length;
    this.topicAt = headerLength + 2;
    this.packetIdAt = headerLength + topicBytes.length;
    this.payloadAt = this.packetIdAt + id.length;
  }
  get length(): number {
    return this.bytes.length;
  }
}

export interface RawClientEvents {
  /** a PUBLISH from the broker: `payload` is a view into the socket's chunk, valid during the call only */
  onPublish?: (payload: Buffer, qos: number) => void;
  onPuback?: (packetId: number) => void;
  /** after every chunk read from the socket, once its packets are handled */
  onChunk?: () => void;
}

/**
 * One MQTT connection. Splits the byte stream into packets (a packet may span chunks), answers a QoS 1
 * PUBLISH with PUBACK (all of a chunk's PUBACKs in one write) and hands packets to `events`.
 */
export class RawClient {
  events: RawClientEvents = {};
  private pending: Buffer | undefined;
  private waiters = new Map<number, (p: Buffer) => void>();
  private closedByUs = false;

  private constructor(readonly socket: Socket, readonly clientId: string) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => {}); // reported as 'close' below
    socket.on('close', () => {
      if (!this.closedByUs) this.onUnexpectedClose?.(new Error(`${clientId}: connection closed by the broker`));
    });
  }
  onUnexpectedClose?: (err: Error) => void;

  /** Connects and waits for CONNACK 0. */
  static open(port: number, clientId: string, keepaliveS = 60, timeoutMs = 15_000): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ host: '127.0.0.1', port });
      const client = new RawClient(socket, clientId);
      const timer = setTimeout(() => fail(new Error(`${clientId}: no CONNACK within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      client.onUnexpectedClose = fail;
      socket.once('error', (err) => fail(err));
      client.waiters.set(PACKET.connack, (p) => {
        clearTimeout(timer);
        client.onUnexpectedClose = undefined;
        const returnCode = p[p.length - 1];
        if (returnCode !== 0) return fail(new Error(`${clientId}: CONNACK ${returnCode}`));
        resolve(client);
      });
      socket.once('connect', () => socket.write(connectPacket(clientId, keepaliveS)));
    });
  }

  /** SUBSCRIBE one filter; resolves with the granted QoS (0x80 = refused). */
  subscribe(filter: string, qos: 0 | 1): Promise<number> {
    return new Promise((resolve) => {
      this.waiters.set(PACKET.suback, (p) => resolve(p[p.length - 1]!));
      this.socket.write(subscribePacket(1, filter, qos));
    });
  }

  write(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  /** Closes the TCP connection (no DISCONNECT: nothing to tell a broker about a clean session). */
  close(): Promise<void> {
    this.closedByUs = true;
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }

  private read(chunk: Buffer): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let at = 0;
    let acks: Buffer | undefined;
    let ackCount = 0;
    while (at + 2 <= buf.length) {
      // fixed header: type/flags, then Remaining Length (1-4 bytes, 7 bits each)
      let length = 0;
      let multiplier = 1;
      let i = at + 1;
      let complete = false;
      for (; i < buf.length && i < at + 5; i++) {
        const byte = buf[i]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      const start = i + 1;
      const end = start + length;
      if (end > buf.length) break;
      const type = buf[at]! >> 4;
      if (type === PACKET.publish) {
        const qos = (buf[at]! >> 1) & 3;
        const topicLength = buf.readUInt16BE(start);
        let payloadAt = start + 2 + topicLength;
        if (qos > 0) {
          acks ??= Buffer.allocUnsafe(4 * 1024);
          if ((ackCount + 1) * 4 > acks.length) {
            const grown = Buffer.allocUnsafe(acks.length * 2);
            acks.copy(grown);
            acks = grown;
          }
          acks[ackCount * 4] = 0x40;
          acks[ackCount * 4 + 1] = 2;
          acks[ackCount * 4 + 2] = buf[payloadAt]!;
          acks[ackCount * 4 + 3] = buf[payloadAt + 1]!;
          ackCount++;
          payloadAt += 2;
        }
        this.events.onPublish?.(buf.subarray(payloadAt, end), qos);
      } else if (type === PACKET.puback) {
        this.events.onPuback?.(buf.readUInt16BE(start));
      } else {
        const waiter = this.waiters.get(type);
        if (waiter) {
          this.waiters.delete(type);
          waiter(buf.subarray(start, end));
        }
      }
      at = end;
    }
    if (at < buf.length) this.pending = Buffer.from(buf.subarray(at)); // a copy: the chunk is not kept alive
    if (ackCount > 0) this.socket.write(acks!.subarray(0, ackCount * 4));
    this.events.onChunk?.();
  }
}
