// Every metric ingest exposes, prefixed city_ingest_. Gauges read live values through the given functions.
import { MetricsRegistry } from './metrics.ts';

/** write lag buckets, seconds: receipt -> durable in the store */
const LAG_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];
const BATCH_BUCKETS = [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export interface LiveValues {
  journalPendingBytes(): number;
  journalPendingRecords(): number;
  mqttConnected(): boolean;
  storeHealthy(): boolean;
}

export function createIngestMetrics(live: LiveValues) {
  const registry = new MetricsRegistry('city_ingest_');
  return {
    registry,
    messagesReceived: registry.counter('messages_received_total', 'MQTT messages received'),
    readingsAccepted: registry.counter('readings_accepted_total', 'Readings accepted into the journal'),
    readingsWritten: registry.counter('readings_written_total', 'Readings written to the time-series store'),
    duplicates: registry.counter('duplicates_total', 'Messages dropped as duplicates of a recent uplink (same dedupe key)'),
    lateReadings: registry.counter('late_readings_total', 'Readings observed longer ago than INGEST_LATE_AFTER_MS at receipt (still stored)'),
    deadLetters: registry.counter('dead_letters_total', 'Messages dead-lettered, by reason'),
    snapshots: registry.counter('snapshots_total', 'Camera snapshots stored'),
    storeWriteErrors: registry.counter('store_write_errors_total', 'Failed time-series store writes (each retry counts)'),
    storeRejected: registry.counter('store_rejected_readings_total', 'Readings the store refused as bad data (dead-lettered)'),
    writeLag: registry.histogram('write_lag_seconds', 'Time from receipt to durable in the store, per reading', LAG_BUCKETS_S),
    batchSize: registry.histogram('batch_readings', 'Readings per store write', BATCH_BUCKETS),
    journalPendingBytes: registry.gauge('journal_pending_bytes', 'Journal bytes accepted but not yet in the store', live.journalPendingBytes),
    journalPendingRecords: registry.gauge('journal_pending_records', 'Journal records (messages) accepted but not yet in the store', live.journalPendingRecords),
    mqttConnected: registry.gauge('mqtt_connected', '1 while connected to the broker', () => (live.mqttConnected() ? 1 : 0)),
    storeHealthy: registry.gauge('store_up', '0 while store writes are failing', () => (live.storeHealthy() ? 1 : 0)),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
