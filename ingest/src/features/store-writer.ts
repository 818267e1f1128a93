// Drains the journal into the time-series store: reads records from the checkpoint, batches them, writes
// through store.write() (idempotent), then advances the checkpoint. On failure it keeps the batch and
// retries with exponential back-off: one warn when an outage begins, one info when the backlog is drained.
import type { Logger, Reading } from '@city/shared';
import type { TimeSeriesStore } from '@city/shared/timeseries/store';
import { StoreError } from '@city/shared/timeseries/errors';
import { backoffDelayMs } from '../core/backoff.ts';
import { decodeAccepted } from '../core/accepted-record.ts';
import type { IngestMetrics } from '../core/ingest-metrics.ts';
import type { Journal, JournalPosition } from '../adapters/journal.ts';
import { sleep } from '../core/sleep.ts';

export interface StoreWriterContext {
  journal: Journal;
  store: TimeSeriesStore;
  metrics: IngestMetrics;
  logger: Logger;
  batchMaxReadings: number;
  batchMaxWaitMs: number;
  retryMaxMs: number;
  /** readings the store refuses as bad data (never writable): recorded as dead letters, then skipped */
  onRejected(reading: Reading, error: Error): void;
}

interface Batch {
  readings: Reading[];
  records: number;
  end: JournalPosition;
  /** receivedAt and reading count per record, for the lag histogram */
  receipts: [number, number][];
  oldestReceivedAt: number;
  /** readings the store refused (dead-lettered), not written */
  rejected: number;
}

const RETRY_BASE_MS = 100;

class Stopped extends Error {}

export class StoreWriter {
  private running = false;
  private loop: Promise<void> | undefined;
  /** aborts waits (batch wait, retry sleep) when stop() begins */
  private wake = new AbortController();
  private drainDeadlineMs = Infinity;
  private outage: { sinceMs: number; retries: number; firstSuccessMs?: number; drainedReadings: number } | undefined;
  private healthy = true;

  constructor(private readonly ctx: StoreWriterContext) {}

  /** false while store writes are failing */
  get storeHealthy(): boolean {
    return this.healthy;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.supervise();
  }

  /** Restarts the loop from the checkpoint after an unexpected error (a bug, a journal read failure). */
  private async supervise(): Promise<void> {
    let lastError: string | undefined;
    for (;;) {
      try {
        await this.run();
        return;
      } catch (err) {
        // nothing is lost: every reading not yet committed stays in the journal
        const message = (err as Error).message;
        if (message !== lastError) {
          this.ctx.logger.error('store writer failed unexpectedly: restarting from the checkpoint in 1 s', { err });
        }
        lastError = message;
        if (!this.running) return;
        await sleep(1000, this.wake.signal);
        if (!this.running) return;
      }
    }
  }

  /**
   * Stops after draining what the journal holds, for at most `drainMs`; what is left stays in the
   * journal for the next start.
   */
  async stop(drainMs: number): Promise<void> {
    if (!this.running) return;
    this.drainDeadlineMs = Date.now() + drainMs;
    this.running = false;
    this.wake.abort();
    await this.loop;
  }

  /**
   * Fills batches from the journal and writes them, two in flight while the store is healthy (the
   * next batch is read and sent while the store works on the previous one); each is committed in
   * journal order once written. After an unexpected error supervise() starts again from the
   * checkpoint: a batch written but not committed is written again, which the store's idempotent
   * writes absorb.
   */
  private async run(): Promise<void> {
    const { journal } = this.ctx;
    let cursor = journal.checkpoint;
    let inFlight: { batch: Batch; written: Promise<void> } | undefined;
    /** Waits for the batch in flight and commits it; false when stopping cut its write short. */
    const settle = async (): Promise<boolean> => {
      const { batch, written } = inFlight!;
      inFlight = undefined;
      try {
        await written;
      } catch (err) {
        if (err instanceof Stopped) return false;
        throw err;
      }
      journal.commit(batch.end, batch.records);
      this.observe(batch);
      if (this.outage?.firstSuccessMs !== undefined) {
        this.outage.drainedReadings += batch.readings.length;
        // caught up: this batch took everything there was
        if (batch.readings.length < this.ctx.batchMaxReadings && journal.read(journal.checkpoint, 1).length === 0) this.endOutage();
      }
      return true;
    };
    for (;;) {
      const stopping = !this.running;
      if (stopping && Date.now() >= this.drainDeadlineMs) {
        // the write in flight ends soon (writeWithRetry gives up at the deadline): not left running
        if (inFlight) await settle();
        return;
      }
      const batch: Batch = { readings: [], records: 0, end: cursor, receipts: [], oldestReceivedAt: Infinity, rejected: 0 };
      this.fill(batch);
      if (batch.records === 0) {
        if (inFlight) {
          if (!(await settle())) return;
          continue;
        }
        if (stopping) return;
        await journal.waitForAppend(1000, this.wake.signal);
        // the checkpoint, not an old position: a drained segment is gone, the checkpoint names the next one
        cursor = journal.checkpoint;
        continue;
      }
      // a partial batch waits for more, at most batchMaxWaitMs after its oldest reading arrived
      while (this.running && batch.readings.length < this.ctx.batchMaxReadings) {
        const waitMs = batch.oldestReceivedAt + this.ctx.batchMaxWaitMs - Date.now();
        if (waitMs <= 0) break;
        await journal.waitForAppend(waitMs, this.wake.signal);
        this.fill(batch);
      }
      const written = this.writeBatch(batch);
      // settled below or, after an error, dropped with this loop: never an unhandled rejection
      written.catch(() => undefined);
      if (inFlight && !(await settle())) return;
      inFlight = { batch, written };
      cursor = batch.end;
      // one at a time while the store is failing or draining an outage: retries stay in order
      if ((!this.healthy || this.outage) && !(await settle())) return;
    }
  }

  private fill(batch: Batch): void {
    const want = this.ctx.batchMaxReadings - batch.readings.length;
    if (want <= 0) return;
    // every record holds at least one reading, so `want` records can never be too few
    for (const record of this.ctx.journal.read(batch.end, want)) {
      const accepted = decodeAccepted(record.payload);
      for (const r of accepted.readings) batch.readings.push(r);
      batch.records += 1;
      batch.end = record.end;
      batch.receipts.push([accepted.receivedAt, accepted.readings.length]);
      if (accepted.receivedAt < batch.oldestReceivedAt) batch.oldestReceivedAt = accepted.receivedAt;
      if (batch.readings.length >= this.ctx.batchMaxReadings) break;
    }
  }

  private observe(batch: Batch): void {
    const { metrics } = this.ctx;
    const now = Date.now();
    metrics.readingsWritten.inc(batch.readings.length - batch.rejected);
    metrics.batchSize.observe(batch.readings.length);
    for (const [receivedAt, count] of batch.receipts) metrics.writeLag.observe(Math.max(0, now - receivedAt) / 1000, count);
  }

  /** Writes with retries until it succeeds; bad data is isolated by halving and dead-lettered. */
  private async writeBatch(batch: Batch): Promise<void> {
    await this.writeIsolating(batch.readings, batch);
  }

  private async writeIsolating(readings: Reading[], batch: Batch): Promise<void> {
    try {
      await this.writeWithRetry(readings, batch);
    } catch (err) {
      if (!(err instanceof StoreError) || err.reason !== 'bad_data') throw err;
      if (readings.length === 1) {
        this.ctx.metrics.storeRejected.inc();
        batch.rejected += 1;
        this.ctx.onRejected(readings[0]!, err);
        return;
      }
      const half = Math.ceil(readings.length / 2);
      await this.writeIsolating(readings.slice(0, half), batch);
      await this.writeIsolating(readings.slice(half), batch);
    }
  }

  /** Retries everything but the store refusing the data itself (StoreError bad_data, rethrown). */
  private async writeWithRetry(readings: Reading[], batch: Batch): Promise<void> {
    const { store, logger, metrics, journal } = this.ctx;
    for (let attempt = 0; ; attempt++) {
      try {
        await store.write(readings);
        if (this.outage && this.outage.firstSuccessMs === undefined) {
          this.outage.firstSuccessMs = Date.now();
          this.healthy = true;
        }
        return;
      } catch (err) {
        metrics.storeWriteErrors.inc();
        if (err instanceof StoreError && err.reason === 'bad_data') throw err;
        this.healthy = false;
        if (!this.outage || this.outage.firstSuccessMs !== undefined) {
          if (!this.outage) {
            this.outage = { sinceMs: Date.now(), retries: 0, drainedReadings: 0 };
            logger.warn('store writes failing: readings stay in the journal, retrying with back-off', {
              store: store.name,
              error: err instanceof Error ? err.message : String(err),
              reason: err instanceof StoreError ? err.reason : undefined,
              pendingRecords: journal.pendingRecords(),
              pendingBytes: journal.pendingBytes(),
              retryMaxMs: this.ctx.retryMaxMs,
            });
          } else {
            // failed again while draining after a recovery: the same outage continues, no new log
            this.outage.firstSuccessMs = undefined;
          }
        }
        this.outage.retries += 1;
        logger.debug('store write failed', { err, attempt, batchReadings: batch.readings.length });
        const delayMs = backoffDelayMs(attempt, RETRY_BASE_MS, this.ctx.retryMaxMs);
        if (this.running) await sleep(delayMs, this.wake.signal);
        if (!this.running) {
          // stopping: keep retrying only until the drain deadline; the journal keeps the rest
          const leftMs = this.drainDeadlineMs - Date.now();
          if (leftMs <= 0) throw new Stopped();
          await sleep(Math.min(delayMs, leftMs));
          if (Date.now() >= this.drainDeadlineMs) throw new Stopped();
        }
      }
    }
  }

  private endOutage(): void {
    const outage = this.outage!;
    const now = Date.now();
    this.ctx.logger.info('store writes recovered: backlog drained', {
      store: this.ctx.store.name,
      outageMs: outage.firstSuccessMs! - outage.sinceMs,
      drainMs: now - outage.firstSuccessMs!,
      drainedReadings: outage.drainedReadings,
      retries: outage.retries,
    });
    this.outage = undefined;
  }
}
