// Payload decoders: pure functions from (topic, bytes, context) to normalised readings and
// camera events, or to a dead-letter reason. No I/O here.
import type { Device } from '../device-registry.ts';
import type { CameraEvent, Position, Reading, SensorKind } from '../reading.ts';

/** Why a message could not be accepted; each is a dead-letter topic level and a counter label. */
export const DEAD_LETTER_REASONS = [
  'unknown-topic',
  'payload-too-large',
  'not-json',
  'invalid-schema',
  'invalid-senml',
  'unknown-device',
  'timestamp-out-of-range',
  'invalid-metric',
  'not-jpeg',
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export interface DecodeContext {
  /** epoch ms when ingest received the message: the default observedAt */
  receivedAt: number;
  /** the registry entry for an id, if listed */
  lookupDevice(id: string): Device | undefined;
}

/** A device behind a gateway seen for the first time: registered with this kind and position. */
export interface SeenDevice {
  id: string;
  kind: SensorKind;
  position?: Position;
}

export interface Decoded {
  readings: Reading[];
  cameraEvent?: CameraEvent;
  /** the latest JPEG of a camera */
  snapshot?: { cameraId: string; jpeg: Buffer };
  /** devices to register on this first accepted message */
  seenDevices?: SeenDevice[];
  /** same key = same uplink seen twice (e.g. TTS correlation id / f_cnt): count as duplicate, store once */
  dedupeKey?: string;
}

export type DecodeResult = ({ ok: true } & Decoded) | { ok: false; reason: DeadLetterReason; detail: string };

/** Decodes one MQTT message. Never throws: every failure is a reason and a human-readable detail. */
export declare function decodeMessage(topic: string, payload: Buffer, ctx: DecodeContext): DecodeResult;
