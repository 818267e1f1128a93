// Our own reading on city/sensors/{deviceId}/up:
// {"observedAt": 1764312000000 | "2025-11-28T06:40:00Z", "metrics": {"pm25_ugm3": 12.5}, "lat"?: n, "lon"?: n}
import { z } from 'zod';
import { inferKind } from '../kinds.ts';
import {
  deviceIdProblem,
  districtFor,
  fail,
  formatIssues,
  isPlainObject,
  makeReading,
  metricNameProblem,
  PARSE_OPTIONS,
  parsePosition,
  parseTime,
  timeRangeProblem,
  tooManyMetrics,
} from './common.ts';
import type { DecodeContext, DecodeResult } from './index.ts';

/** What a device publishes; simulators build it, decoders check it. */
export interface NativeReadingPayload {
  /** epoch ms or ISO 8601 with a zone; the time of receipt when absent */
  observedAt?: number | string;
  /** finite numbers, units in the names */
  metrics: Record<string, number>;
  /** degrees, for mobile sensors; both or neither */
  lat?: number;
  lon?: number;
}

export const NativeReadingSchema = z.object({
  observedAt: z.unknown().optional(),
  metrics: z.record(z.string(), z.number()),
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
});

type NativeReadingFields = z.infer<typeof NativeReadingSchema>;

/**
 * The hot path: a body the schema certainly accepts, checked by hand (the zod parse cost about a
 * quarter of decoding at tens of thousands of messages a second). Anything else goes to the schema,
 * which gives the error message, so this only has to be as strict as the schema, never looser:
 * shared/test/decoders/native.test.ts checks the two agree.
 */
export function plainlyValidNativeReading(body: unknown): NativeReadingFields | undefined {
  if (!isPlainObject(body)) return undefined;
  const { metrics, lat, lon } = body;
  if (!isPlainObject(metrics)) return undefined;
  for (const name in metrics) {
    // inherited names and "__proto__" (which the schema's output drops) are the schema's to judge
    if (!Object.hasOwn(metrics, name) || name === '__proto__') return undefined;
    const value = metrics[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  }
  if (lat !== undefined && !(typeof lat === 'number' && lat >= -90 && lat <= 90)) return undefined;
  if (lon !== undefined && !(typeof lon === 'number' && lon >= -180 && lon <= 180)) return undefined;
  return { observedAt: body.observedAt, metrics: metrics as Record<string, number>, lat, lon };
}

export function parseNativeReading(deviceId: string, body: unknown, ctx: DecodeContext): DecodeResult {
  const idProblem = deviceIdProblem(deviceId);
  if (idProblem) return fail('invalid-schema', idProblem);

  // Names first, on the raw object: a schema's record output drops keys such as "__proto__".
  const rawMetrics = isPlainObject(body) && isPlainObject(body.metrics) ? body.metrics : {};
  for (const name of Object.keys(rawMetrics)) {
    const problem = metricNameProblem(name);
    if (problem) return fail('invalid-metric', `metrics: ${problem}`);
  }
  let fields = plainlyValidNativeReading(body);
  if (!fields) {
    const parsed = NativeReadingSchema.safeParse(body, PARSE_OPTIONS);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const onMetric = first?.path[0] === 'metrics' && first.path.length === 2;
      return fail(onMetric ? 'invalid-metric' : 'invalid-schema', formatIssues(parsed.error.issues));
    }
    fields = parsed.data;
  }
  const { metrics, lat, lon } = fields;

  const names = Object.keys(metrics);
  if (names.length === 0) return fail('invalid-schema', 'metrics: expected at least one metric (got {})');
  const countProblem = tooManyMetrics(names.length);
  if (countProblem) return fail('invalid-metric', countProblem);

  const position = parsePosition(lat, lon);
  if (typeof position === 'string') return fail('invalid-schema', `${position} (lat and lon go together)`);

  let observedAt = ctx.receivedAt;
  if (fields.observedAt !== undefined) {
    const time = parseTime(fields.observedAt);
    if (typeof time === 'string') return fail('invalid-schema', `observedAt: ${time}`);
    observedAt = time;
  }
  const rangeProblem = timeRangeProblem(observedAt, ctx.receivedAt);
  if (rangeProblem) return fail('timestamp-out-of-range', rangeProblem);

  const device = ctx.lookupDevice(deviceId);
  const reading = makeReading({
    deviceId,
    kind: device?.kind ?? inferKind(names),
    observedAt,
    metrics: { ...metrics },
    position,
    district: districtFor(device, position),
  });
  return { ok: true, readings: [reading] };
}
