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

export function parseNativeReading(deviceId: string, body: unknown, ctx: DecodeContext): DecodeResult {
  const idProblem = deviceIdProblem(deviceId);
  if (idProblem) return fail('invalid-schema', idProblem);

  // Names first, on the raw object: a schema's record output drops keys such as "__proto__".
  const rawMetrics = isPlainObject(body) && isPlainObject(body.metrics) ? body.metrics : {};
  for (const name of Object.keys(rawMetrics)) {
    const problem = metricNameProblem(name);
    if (problem) return fail('invalid-metric', `metrics: ${problem}`);
  }
  const parsed = NativeReadingSchema.safeParse(body, PARSE_OPTIONS);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const onMetric = first?.path[0] === 'metrics' && first.path.length === 2;
    return fail(onMetric ? 'invalid-metric' : 'invalid-schema', formatIssues(parsed.error.issues));
  }
  const { metrics, lat, lon } = parsed.data;

  const names = Object.keys(metrics);
  if (names.length === 0) return fail('invalid-schema', 'metrics: expected at least one metric (got {})');
  const countProblem = tooManyMetrics(names.length);
  if (countProblem) return fail('invalid-metric', countProblem);

  const position = parsePosition(lat, lon);
  if (typeof position === 'string') return fail('invalid-schema', `${position} (lat and lon go together)`);

  let observedAt = ctx.receivedAt;
  if (parsed.data.observedAt !== undefined) {
    const time = parseTime(parsed.data.observedAt);
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
