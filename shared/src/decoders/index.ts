// Payload decoders: pure functions from (topic, bytes, context) to normalised readings and
// camera events, or to a dead-letter reason. No I/O here.
import type { Device } from '../device-registry.ts';
import type { CameraEvent, Position, Reading, SensorKind } from '../reading.ts';
import { parseTopic } from '../topics.ts';
import { parseCameraEvent, parseSnapshot } from './camera.ts';
import { fail, type Failure } from './common.ts';
import { frigateCameraId, parseFrigateEvent } from './frigate.ts';
import { parseNativeReading } from './native.ts';
import { parseSenml } from './senml.ts';
import { parseTtsUplink } from './tts.ts';

export * from './camera.ts';
export { deviceIdProblem, districtFor, formatIssues, parseTime, timeRangeProblem } from './common.ts';
export * from './frigate.ts';
export * from './native.ts';
export * from './senml.ts';
export * from './tts.ts';

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
  // not from a decoder: the store refused the reading as bad data (e.g. a field type conflict in InfluxDB)
  'store-rejected',
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

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The payload as JSON, or the parser's complaint. */
function parseJson(payload: Buffer): { ok: true; value: unknown } | Failure {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return fail('not-json', `not UTF-8 text (${payload.length} bytes)`);
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return fail('not-json', err instanceof Error ? err.message : String(err));
  }
}

/** Decodes one MQTT message. Never throws: every failure is a reason and a human-readable detail. */
export function decodeMessage(topic: string, payload: Buffer, ctx: DecodeContext): DecodeResult {
  try {
    const parsed = parseTopic(topic);
    switch (parsed.type) {
      case 'camera-snapshot':
        return parseSnapshot(parsed.cameraId, payload);
      case 'frigate-snapshot':
        return parseSnapshot(frigateCameraId(parsed.camera), payload);
      case 'sensor-up':
      case 'camera-events':
      case 'frigate-events':
      case 'tts-uplink': {
        const json = parseJson(payload);
        if (!json.ok) return json;
        if (parsed.type === 'sensor-up') {
          // A SenML pack is a JSON array; our own reading is an object (RFC 8428 section 5).
          return Array.isArray(json.value)
            ? parseSenml(parsed.deviceId, json.value, ctx)
            : parseNativeReading(parsed.deviceId, json.value, ctx);
        }
        if (parsed.type === 'camera-events') return parseCameraEvent(parsed.cameraId, json.value, ctx);
        if (parsed.type === 'frigate-events') return parseFrigateEvent(json.value, ctx);
        return parseTtsUplink(parsed, json.value, ctx);
      }
      default:
        return fail('unknown-topic', `no decoder for topic ${JSON.stringify(topic)}`);
    }
  } catch (err) {
    // A decoder bug must not take ingest down: the message is dead-lettered with what went wrong.
    return fail('invalid-schema', `decoder error: ${err instanceof Error ? err.message : String(err)}`);
  }
}
