// Composes ingest: MQTT subscriber -> message handler -> journal -> store writer -> time-series store.
// Nothing runs at import time; createIngest builds, start() opens and connects, stop() closes.
import { topics, type DeviceRegistry, type Logger, type Reading } from '@city/shared';
import type { TimeSeriesStore } from '@city/shared/timeseries/store';
import { INGEST_SUBSCRIPTIONS } from '@city/shared';
import type { IngestConfig } from './config.ts';
import { toDeadLetter } from './core/dead-letter.ts';
import { subscriptionFilters } from './core/shared-subscription.ts';
import { createIngestMetrics } from './core/ingest-metrics.ts';
import { DeadLetterLog } from './adapters/dead-letter-log.ts';
import { Journal } from './adapters/journal.ts';
import { MqttSubscriber } from './adapters/mqtt-subscriber.ts';
import { probeSharedSubscriptions } from './adapters/shared-subscription-probe.ts';
import { SnapshotStore } from './adapters/snapshot-store.ts';
import { MessageHandler } from './features/message-handler.ts';
import { StoreWriter } from './features/store-writer.ts';

export interface IngestContext {
  config: IngestConfig;
  registry: DeviceRegistry;
  /** started and stopped by the caller */
  store: TimeSeriesStore;
  logger: Logger;
}

export interface IngestStats {
  messagesReceived: number;
  readingsAccepted: number;
  readingsWritten: number;
  duplicates: number;
  lateReadings: number;
  deadLetters: Record<string, number>;
  snapshots: number;
  storeWriteErrors: number;
  storeRejected: number;
  journalPendingBytes: number;
  journalPendingRecords: number;
  mqttConnected: boolean;
  storeHealthy: boolean;
  /** bucket upper bounds (seconds) of the write-lag histogram; undefined before any write */
  writeLagP50S?: number;
  writeLagP99S?: number;
}

export interface Ingest {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Prometheus text exposition of the city_ingest_* metrics */
  metricsText(): string;
  stats(): IngestStats;
}

export function createIngest(ctx: IngestContext): Ingest {
  const { config, registry, store } = ctx;
  const logger = ctx.logger;
  let journal: Journal | undefined;
  let deadLetters: DeadLetterLog | undefined;
  let subscriber: MqttSubscriber | undefined;
  let writer: StoreWriter | undefined;
  let started = false;
  /** aborts waits of start() (the shared subscription probe) when stop() comes first */
  let starting = new AbortController();

  const metrics = createIngestMetrics({
    journalPendingBytes: () => journal?.pendingBytes() ?? 0,
    journalPendingRecords: () => journal?.pendingRecords() ?? 0,
    mqttConnected: () => subscriber?.connected ?? false,
    storeHealthy: () => writer?.storeHealthy ?? true,
  });

  async function start(): Promise<void> {
    if (started) return;
    started = true;
    try {
      journal = Journal.open({ ...config.journal, logger: logger.child('journal') });
      deadLetters = new DeadLetterLog(config.deadLetter.file, config.deadLetter.maxRows);
      const snapshots = new SnapshotStore(config.snapshotsDir);
      const deadLetterLog = deadLetters;
      writer = new StoreWriter({
        journal,
        store,
        metrics,
        logger: logger.child('writer'),
        batchMaxReadings: config.batch.maxReadings,
        batchMaxWaitMs: config.batch.maxWaitMs,
        retryMaxMs: config.retryMaxMs,
        onRejected: (reading: Reading, error: Error) => {
          const letter = toDeadLetter({
            reason: 'store-rejected',
            detail: error.message,
            topic: topics.sensorUp(reading.deviceId),
            receivedAt: Date.now(),
            payload: Buffer.from(JSON.stringify(reading)),
          });
          deadLetterLog.append(letter);
          metrics.deadLetters.inc(1, { reason: 'store-rejected' });
          subscriber?.publishQos0(topics.deadLetter('store-rejected'), JSON.stringify(letter));
          logger.warn('the store refused a reading: dead-lettered', { deviceId: reading.deviceId, kind: reading.kind, error: error.message });
        },
      });
      // replay what a previous run left before taking new messages (they queue behind it in the journal)
      writer.start();
      const handler = new MessageHandler({
        registry,
        journal,
        deadLetters,
        snapshots,
        metrics,
        logger: logger.child('messages'),
        publish: (topic, payload) => void subscriber?.publishQos0(topic, payload),
        maxPayloadBytes: config.maxPayloadBytes,
        lateAfterMs: config.lateAfterMs,
        deviceCacheTtlMs: config.deviceCacheTtlMs,
        dedupeMaxKeys: config.dedupeMaxKeys,
      });
      if (config.mqtt.sharedGroup !== undefined) {
        // a broker without $share would grant the filters and deliver nothing: ask before subscribing
        await probeSharedSubscriptions({ ...config.mqtt, logger: logger.child('mqtt'), signal: starting.signal });
      }
      subscriber = new MqttSubscriber({
        ...config.mqtt,
        subscriptions: subscriptionFilters(INGEST_SUBSCRIPTIONS, config.mqtt.sharedGroup),
        // a session that subscribed before joining the group would otherwise get every message twice
        unsubscribeFirst: config.mqtt.sharedGroup !== undefined ? INGEST_SUBSCRIPTIONS : [],
        logger: logger.child('mqtt'),
        onMessage: (message, connection) => handler.handle(message, connection),
        flush: () => handler.flush(),
      });
      await subscriber.start();
      logger.info('ingest running', {
        store: store.name,
        clientId: config.mqtt.clientId,
        ...(config.mqtt.sharedGroup !== undefined ? { sharedGroup: config.mqtt.sharedGroup } : {}),
        journalDir: config.journal.dir,
        journalFsyncMs: config.journal.fsyncIntervalMs,
      });
    } catch (err) {
      await stop();
      throw err;
    }
  }

  async function stop(): Promise<void> {
    if (!started) return;
    started = false;
    starting.abort(new Error('stopped during start-up'));
    starting = new AbortController();
    // 1. no new messages (unacknowledged ones stay queued in the broker's session)
    await subscriber?.stop();
    // 2. drain the journal into the store for a while; what is left is replayed at the next start
    await writer?.stop(config.stopDrainMs);
    await journal?.close();
    deadLetters?.close();
    const left = journal?.pendingRecords() ?? 0;
    logger.info('ingest stopped', left > 0 ? { journalRecordsLeft: left } : {});
  }

  function stats(): IngestStats {
    const deadLetterCounts: Record<string, number> = {};
    for (const { labels, value } of metrics.deadLetters.entries()) deadLetterCounts[labels.reason ?? ''] = value;
    return {
      messagesReceived: metrics.messagesReceived.get(),
      readingsAccepted: metrics.readingsAccepted.get(),
      readingsWritten: metrics.readingsWritten.get(),
      duplicates: metrics.duplicates.get(),
      lateReadings: metrics.lateReadings.get(),
      deadLetters: deadLetterCounts,
      snapshots: metrics.snapshots.get(),
      storeWriteErrors: metrics.storeWriteErrors.get(),
      storeRejected: metrics.storeRejected.get(),
      journalPendingBytes: metrics.journalPendingBytes.get(),
      journalPendingRecords: metrics.journalPendingRecords.get(),
      mqttConnected: subscriber?.connected ?? false,
      storeHealthy: writer?.storeHealthy ?? true,
      writeLagP50S: metrics.writeLag.quantile(0.5),
      writeLagP99S: metrics.writeLag.quantile(0.99),
    };
  }

  return { start, stop, metricsText: () => metrics.registry.render(), stats };
}
