// What one journal record holds: the readings of one accepted MQTT message and when it was received.
import type { Reading } from '@city/shared';

export interface AcceptedRecord {
  /** epoch ms when ingest received the message (for the write-lag metric) */
  receivedAt: number;
  readings: Reading[];
}

export function encodeAccepted(record: AcceptedRecord): Buffer {
  return Buffer.from(JSON.stringify({ t: record.receivedAt, r: record.readings }));
}

export function decodeAccepted(payload: Buffer): AcceptedRecord {
  const value = JSON.parse(payload.toString('utf8')) as { t: number; r: Reading[] };
  return { receivedAt: value.t, readings: value.r };
}
