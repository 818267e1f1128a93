// One MQTT message in: size check -> decode -> register devices seen behind gateways -> dedupe ->
// journal (staged; or dead-letter log) -> acknowledged by the caller once this returns/resolves AND the
// caller's next flush() returned (group commit: the journal writes a whole TCP read at once).
import { topics, type DeviceRegistry, type Device, type Logger } from '@city/shared';
import { decodeMessage } from '@city/shared/decoders/index';
import { BoundedKeySet } from '../core/bounded-key-set.ts';
import { encodeAccepted } from '../core/accepted-record.ts';
import { toDeadLetter } from '../core/dead-letter.ts';
import type { IngestMetrics } from '../core/ingest-metrics.ts';
import { LogLimiter } from '../core/log-limiter.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import { JournalFullError, type Journal } from '../adapters/journal.ts';
import type { DeadLetterLog } from '../adapters/dead-letter-log.ts';
import type { IncomingMessage } from '../adapters/mqtt-subscriber.ts';
import type { SnapshotStore } from '../adapters/snapshot-store.ts';
import { sleep } from '../core/sleep.ts';

export interface MessageHandlerContext {
  registry: DeviceRegistry;
  journal: Journal;
  deadLetters: DeadLetterLog;
  snapshots: SnapshotStore;
  metrics: IngestMetrics;
  logger: Logger;
  /** publishes a dead letter at QoS 0 (best effort; the log is the record) */
  publish(topic: string, payload: string): void;
  maxPayloadBytes: number;
  lateAfterMs: number;
  deviceCacheTtlMs: number;
  dedupeMaxKeys: number;
}

/** How long one (reason, topic) pair stays quiet in the log after a line. */
const DEAD_LETTER_LOG_INTERVAL_MS = 60_000;
/** Retry period while the journal cannot be written (disk full, I/O error). */
const APPEND_RETRY_MS = 1000;

export class MessageHandler {
  private readonly devices: TtlCache<Device>;
  private readonly dedupe: BoundedKeySet;
  private readonly deadLetterLogLimiter = new LogLimiter(DEAD_LETTER_LOG_INTERVAL_MS);
  private backPressureSinceMs: number | undefined;
  private appendFailingSinceMs: number | undefined;

  constructor(private readonly ctx: MessageHandlerContext) {
    this.devices = new TtlCache<Device>(ctx.deviceCacheTtlMs, 50_000);
    this.dedupe = new BoundedKeySet(ctx.dedupeMaxKeys);
  }

  /**
   * Records one message. Returns (synchronously on the fast path, the record staged in the journal) once
   * it may be acknowledged after the next flush(); a returned promise rejects if `connection` aborts
   * first (then it must not be acknowledged).
   */
  handle(message: IncomingMessage, connection: AbortSignal): void | Promise<void> {
    const { ctx } = this;
    const receivedAt = Date.now();
    ctx.metrics.messagesReceived.inc();
    if (message.payload.length > ctx.maxPayloadBytes) {
      return this.deadLetter(message, receivedAt, 'payload-too-large', `${message.payload.length} bytes > INGEST_MAX_PAYLOAD_BYTES ${ctx.maxPayloadBytes}`);
    }
    let decoded: ReturnType<typeof decodeMessage>;
    try {
      decoded = decodeMessage(message.topic, message.payload, {
        receivedAt,
        lookupDevice: (id) => this.devices.get(id, Date.now(), (key) => ctx.registry.get(key)),
      });
    } catch (err) {
      // decoders never throw by contract; if one does, the message is still recorded, not lost
      ctx.logger.error('decoder threw (a bug): dead-lettering the message', { topic: message.topic, err });
      decoded = { ok: false, reason: 'invalid-schema', detail: `decoder error: ${(err as Error).message}` };
    }
    if (!decoded.ok) return this.deadLetter(message, receivedAt, decoded.reason, decoded.detail);

    if (decoded.dedupeKey !== undefined && this.dedupe.has(decoded.dedupeKey)) {
      ctx.metrics.duplicates.inc();
      return;
    }
    for (const seen of decoded.seenDevices ?? []) this.registerSeen(seen.id, seen.kind, seen.position);
    if (decoded.snapshot) {
      ctx.snapshots.save(decoded.snapshot.cameraId, decoded.snapshot.jpeg);
      ctx.metrics.snapshots.inc();
    }
    if (decoded.readings.length === 0) {
      if (decoded.dedupeKey !== undefined) this.dedupe.add(decoded.dedupeKey);
      return;
    }
    let late = 0;
    for (const r of decoded.readings) if (receivedAt - r.observedAt > ctx.lateAfterMs) late += 1;
    const record = encodeAccepted({ receivedAt, readings: decoded.readings });
    const accepted = () => {
      // remembered once staged: if that group's write fails, the record stays staged for the next
      // flush and the redelivery is rightly a duplicate
      if (decoded.dedupeKey !== undefined) this.dedupe.add(decoded.dedupeKey);
      ctx.metrics.readingsAccepted.inc(decoded.readings.length);
      if (late > 0) ctx.metrics.lateReadings.inc(late);
    };
    try {
      ctx.journal.stage(record);
      accepted();
      return;
    } catch (err) {
      if (!(err instanceof JournalFullError)) this.appendFailed(err);
    }
    return this.appendSlow(record, connection).then(accepted);
  }

  /**
   * Writes the staged records in one go; the subscriber calls it before it acknowledges what handle()
   * took since the last call. Throws when the journal cannot be written (nothing may be acknowledged).
   */
  flush(): void {
    try {
      this.ctx.journal.flush();
    } catch (err) {
      this.appendFailed(err);
      throw err;
    }
    this.appended();
  }

  /** Back-pressure and I/O failure: no acknowledgement until the record is written to the journal. */
  private async appendSlow(record: Buffer, connection: AbortSignal): Promise<void> {
    const { journal, logger } = this.ctx;
    let staged = false;
    for (;;) {
      if (connection.aborted) throw connection.reason ?? new Error('connection gone');
      if (!staged) {
        if (!journal.hasSpaceFor(record.length)) {
          if (this.backPressureSinceMs === undefined) {
            this.backPressureSinceMs = Date.now();
            logger.warn('journal full: holding acknowledgements until the store catches up (the broker queues for our session)', {
              pendingBytes: journal.pendingBytes(),
              pendingRecords: journal.pendingRecords(),
            });
          }
          await journal.waitForSpace(record.length, connection);
          continue;
        }
        journal.stage(record);
        staged = true;
      }
      try {
        this.flush();
        return;
      } catch {
        // logged once per episode by flush(); the record stays staged
        await sleep(APPEND_RETRY_MS, connection);
      }
    }
  }

  /** Closes a back-pressure or failure episode: one log line each way, not one per refill. */
  private appended(): void {
    const { journal, logger } = this.ctx;
    // hysteresis: the episode ends once the journal is half empty, not at the first free byte
    if (this.backPressureSinceMs !== undefined && journal.pendingBytes() < journal.maxBytes / 2) {
      logger.info('journal has room again: acknowledging as usual', { episodeMs: Date.now() - this.backPressureSinceMs });
      this.backPressureSinceMs = undefined;
    }
    if (this.appendFailingSinceMs !== undefined) {
      logger.info('journal writes work again', { failingMs: Date.now() - this.appendFailingSinceMs });
      this.appendFailingSinceMs = undefined;
    }
  }

  private appendFailed(err: unknown): void {
    if (this.appendFailingSinceMs !== undefined) return;
    this.appendFailingSinceMs = Date.now();
    this.ctx.logger.error('journal write failed: holding acknowledgements and retrying', { err });
  }

  private registerSeen(id: string, kind: Device['kind'], position?: Device['position']): void {
    if (this.devices.get(id, Date.now(), (key) => this.ctx.registry.get(key))) return;
    try {
      this.ctx.registry.registerSeen(id, kind, position);
      this.devices.delete(id);
    } catch (err) {
      // not worth losing the reading for: it is registered on a later message
      this.ctx.logger.warn('could not register a device seen behind a gateway', { id, err });
    }
  }

  private deadLetter(message: IncomingMessage, receivedAt: number, reason: string, detail: string): void {
    const { ctx } = this;
    const letter = toDeadLetter({ reason, detail, topic: message.topic, receivedAt, payload: message.payload });
    // recorded before the acknowledgement; if the log itself fails, the error withholds the ack
    ctx.deadLetters.append(letter);
    ctx.metrics.deadLetters.inc(1, { reason });
    try {
      ctx.publish(topics.deadLetter(reason), JSON.stringify(letter));
    } catch (err) {
      ctx.logger.debug('dead-letter publish failed', { err });
    }
    const gate = this.deadLetterLogLimiter.check(`${reason} ${message.topic}`, receivedAt);
    if (gate.log) {
      ctx.logger.warn('message dead-lettered', {
        reason,
        topic: message.topic,
        detail,
        payloadBytes: message.payload.length,
        ...(gate.suppressed > 0 ? { sameSinceLastLog: gate.suppressed } : {}),
      });
    }
  }
}
