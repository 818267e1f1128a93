// Frigate NVR tracked-object messages on frigate/events (Frigate 0.13-0.16):
// {"type": "new"|"update"|"end", "before": {...}, "after": {"id", "camera", "label", "top_score", ...}}
// "after" is the object's state now; it is what we record.
import { z } from 'zod';
import type { CameraEvent } from '../reading.ts';
import { describe, deviceIdProblem, fail, formatIssues, PARSE_OPTIONS, timeRangeProblem } from './common.ts';
import { CAMERA_EVENT_PHASES, cameraDetection, detectionLabel } from './camera.ts';
import type { DecodeContext, DecodeResult } from './index.ts';

const score = z.number().min(0).max(1);

/** The fields of a tracked object we read; Frigate sends more (box, region, snapshot, attributes, ...). */
export const FrigateObjectSchema = z.object({
  id: z.string().min(1).max(128),
  camera: z.string().min(1).max(64),
  label: z.string().min(1).max(64),
  /** null, a name (before 0.13) or [name, score] */
  sub_label: z.unknown().optional(),
  top_score: score.nullable().optional(),
  score: score.nullable().optional(),
  /** epoch seconds */
  frame_time: z.number(),
  current_zones: z.array(z.string()).optional(),
  entered_zones: z.array(z.string()).optional(),
  has_snapshot: z.boolean().optional(),
  /** Frigate 0.16 license plate recognition */
  recognized_license_plate: z.string().nullable().optional(),
});

export const FrigateEventSchema = z.object({
  type: z.enum(CAMERA_EVENT_PHASES),
  before: z.unknown().optional(),
  after: FrigateObjectSchema,
});
export type FrigateEvent = z.infer<typeof FrigateEventSchema>;

/** Frigate camera names ([A-Za-z0-9_-]) as our camera ids: lowercase, anything else becomes "_". */
export function frigateCameraId(camera: string): string {
  return camera.toLowerCase().replace(/[^a-z0-9_.-]+/g, '_');
}

export function parseFrigateEvent(body: unknown, ctx: DecodeContext): DecodeResult {
  const parsed = FrigateEventSchema.safeParse(body, PARSE_OPTIONS);
  if (!parsed.success) return fail('invalid-schema', formatIssues(parsed.error.issues));
  const { type, after } = parsed.data;

  const cameraId = frigateCameraId(after.camera);
  const idProblem = deviceIdProblem(cameraId, 'after.camera');
  if (idProblem) return fail('invalid-schema', idProblem);
  const label = detectionLabel(after.label);
  if (!label) return fail('invalid-schema', `after.label: expected a word like "person" or "car" (got ${describe(after.label)})`);
  // top_score is the best score over the object's life, what Frigate itself shows; score is this frame's.
  const detectionScore = after.top_score ?? after.score;
  if (detectionScore === undefined || detectionScore === null) {
    return fail('invalid-schema', 'after: expected top_score or score (got neither)');
  }
  const observedAt = Math.round(after.frame_time * 1000);
  const rangeProblem = timeRangeProblem(observedAt, ctx.receivedAt, 'after.frame_time');
  if (rangeProblem) return fail('timestamp-out-of-range', rangeProblem);

  const zones = [...new Set([...(after.current_zones ?? []), ...(after.entered_zones ?? [])])];
  const event: CameraEvent = {
    cameraId,
    eventId: after.id,
    phase: type,
    label,
    score: detectionScore,
    observedAt,
    zones,
    hasSnapshot: after.has_snapshot ?? false,
  };
  const plate = after.recognized_license_plate?.trim();
  if (plate) event.plate = plate;
  return { ok: true, ...cameraDetection(event, ctx, true) };
}
