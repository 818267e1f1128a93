// Camera detections on city/cameras/{cameraId}/events and JPEG snapshots on .../snapshot (and
// Frigate's frigate/{camera}/{label}/snapshot). A detection is a CameraEvent plus one Reading of kind
// 'camera' whose metric is the detection score and whose label tag is what was detected.
import { z } from 'zod';
import { METRIC_NAME_PATTERN, type CameraEvent } from '../reading.ts';
import { toMetricToken } from '../units.ts';
import {
  describe,
  deviceIdProblem,
  fail,
  formatIssues,
  makeReading,
  PARSE_OPTIONS,
  parseTime,
  timeRangeProblem,
} from './common.ts';
import type { DecodeContext, DecodeResult, Decoded } from './index.ts';

export const CAMERA_EVENT_PHASES = ['new', 'update', 'end'] as const;

/** What a camera (or its bridge) publishes on city/cameras/{cameraId}/events. */
export interface NativeCameraEventPayload {
  /** epoch ms or ISO 8601 with a zone; the time of receipt when absent */
  observedAt?: number | string;
  /** the same id on every phase of one detection; derived from camera, time and label when absent */
  eventId?: string;
  /** what was detected: person, car, bicycle, ... */
  label: string;
  /** 0..1 */
  score: number;
  zones?: string[];
  plate?: string;
  /** 'new' when absent */
  phase?: (typeof CAMERA_EVENT_PHASES)[number];
  hasSnapshot?: boolean;
}

export const NativeCameraEventSchema = z.object({
  observedAt: z.unknown().optional(),
  eventId: z.string().min(1).max(128).optional(),
  label: z.string().min(1).max(64),
  score: z.number().min(0).max(1),
  zones: z.array(z.string().min(1).max(64)).max(32).optional(),
  plate: z.string().min(1).max(32).optional(),
  phase: z.enum(CAMERA_EVENT_PHASES).optional(),
  hasSnapshot: z.boolean().optional(),
});

/** The one JPEG signature every JPEG starts with: SOI (FF D8) then the first marker's FF. */
const JPEG_SOI = [0xff, 0xd8, 0xff] as const;

/** Detection labels are tag values: "License Plate" -> "license_plate". */
export function detectionLabel(raw: string): string | undefined {
  const label = toMetricToken(raw);
  return METRIC_NAME_PATTERN.test(label) ? label : undefined;
}

/**
 * The Decoded of one detection: the event, a 'camera' reading with detection_score and label, the
 * registry's district, and the camera as a seen device when the registry does not list it.
 */
export function cameraDetection(event: CameraEvent, ctx: DecodeContext, announceUnknown: boolean): Decoded {
  const device = ctx.lookupDevice(event.cameraId);
  const reading = makeReading({
    deviceId: event.cameraId,
    kind: 'camera',
    observedAt: event.observedAt,
    metrics: { detection_score: event.score },
    district: device?.district,
    label: event.label,
  });
  const decoded: Decoded = { readings: [reading], cameraEvent: event };
  if (!device && announceUnknown) decoded.seenDevices = [{ id: event.cameraId, kind: 'camera' }];
  return decoded;
}

export function parseCameraEvent(cameraId: string, body: unknown, ctx: DecodeContext): DecodeResult {
  const idProblem = deviceIdProblem(cameraId, 'camera id');
  if (idProblem) return fail('invalid-schema', idProblem);
  const parsed = NativeCameraEventSchema.safeParse(body, PARSE_OPTIONS);
  if (!parsed.success) return fail('invalid-schema', formatIssues(parsed.error.issues));
  const data = parsed.data;

  const label = detectionLabel(data.label);
  if (!label) return fail('invalid-schema', `label: expected a word like "person" or "car" (got ${describe(data.label)})`);
  let observedAt = ctx.receivedAt;
  if (data.observedAt !== undefined) {
    const time = parseTime(data.observedAt);
    if (typeof time === 'string') return fail('invalid-schema', `observedAt: ${time}`);
    observedAt = time;
  }
  const rangeProblem = timeRangeProblem(observedAt, ctx.receivedAt);
  if (rangeProblem) return fail('timestamp-out-of-range', rangeProblem);

  const event: CameraEvent = {
    cameraId,
    eventId: data.eventId ?? `${cameraId}-${observedAt}-${label}`,
    phase: data.phase ?? 'new',
    label,
    score: data.score,
    observedAt,
    zones: data.zones ?? [],
    hasSnapshot: data.hasSnapshot ?? false,
  };
  if (data.plate !== undefined) event.plate = data.plate;
  return { ok: true, ...cameraDetection(event, ctx, false) };
}

/** A camera's latest JPEG; nothing else is checked than the JPEG signature. */
export function parseSnapshot(cameraId: string, payload: Buffer): DecodeResult {
  const idProblem = deviceIdProblem(cameraId, 'camera id');
  if (idProblem) return fail('invalid-schema', idProblem);
  if (payload.length < JPEG_SOI.length || JPEG_SOI.some((byte, i) => payload[i] !== byte)) {
    const head = [...payload.subarray(0, 4)].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
    return fail('not-jpeg', `expected JPEG bytes starting FF D8 FF (got ${head === '' ? 'no bytes' : head}, ${payload.length} bytes)`);
  }
  return { ok: true, readings: [], snapshot: { cameraId, jpeg: payload } };
}
