// The Things Stack v3 uplinks on v3/{app}@{tenant}/devices/{device}/up, as its MQTT integration
// publishes them. Measurements come from the application's payload formatter (decoded_payload).
import { z } from 'zod';
import { inferKind } from '../kinds.ts';
import type { Position } from '../reading.ts';
import { toMetricToken } from '../units.ts';
import {
  describe,
  deviceIdProblem,
  districtFor,
  fail,
  type Failure,
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
import type { DecodeContext, DecodeResult, SeenDevice } from './index.ts';

const LocationSchema = z.object({
  latitude: z.number(),
  longitude: z.number(),
  altitude: z.number().optional(),
  source: z.string().optional(),
});

/** The fields we read; TTS sends many more (settings, network_ids, consumed_airtime, ...). */
export const TtsUplinkSchema = z.object({
  end_device_ids: z.object({
    device_id: z.string(),
    application_ids: z.object({ application_id: z.string() }).optional(),
    dev_eui: z.string().optional(),
    join_eui: z.string().optional(),
    dev_addr: z.string().optional(),
  }),
  correlation_ids: z.array(z.string()).optional(),
  received_at: z.unknown().optional(),
  uplink_message: z.object({
    f_port: z.number().int().optional(),
    // proto3 JSON leaves out zero values: the first uplink of a session has no f_cnt.
    f_cnt: z.number().int().min(0).optional(),
    frm_payload: z.string().optional(),
    decoded_payload: z.record(z.string(), z.unknown()).optional(),
    rx_metadata: z.array(z.object({ time: z.unknown().optional() })).optional(),
    received_at: z.unknown().optional(),
    locations: z.record(z.string(), LocationSchema).optional(),
  }),
  simulated: z.boolean().optional(),
});
export type TtsUplink = z.infer<typeof TtsUplinkSchema>;

/** Where TTS uplinks are addressed: the parts of v3/{app}@{tenant}/devices/{device}/up. */
export interface TtsTopic {
  app: string;
  tenant: string;
  device: string;
}

const MAX_FLATTEN_DEPTH = 8;

/** Numeric leaves of decoded_payload, nested keys joined with "_"; strings, booleans, arrays skipped. */
export function flattenDecodedPayload(payload: Record<string, unknown>): Array<[path: string, value: number]> {
  const out: Array<[string, number]> = [];
  const walk = (obj: Record<string, unknown>, prefix: string, depth: number) => {
    for (const [key, value] of Object.entries(obj)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (typeof value === 'number') out.push([path, value]);
      else if (isPlainObject(value) && depth < MAX_FLATTEN_DEPTH) walk(value, path, depth + 1);
    }
  };
  walk(payload, '', 0);
  return out;
}

/** Gateway time first (closest to the radio), then the network's receipt times; the first in range wins. */
function observedAtOf(uplink: TtsUplink, receivedAt: number): number | Failure {
  const candidates: Array<[string, unknown]> = [
    ['uplink_message.rx_metadata[0].time', uplink.uplink_message.rx_metadata?.[0]?.time],
    ['uplink_message.received_at', uplink.uplink_message.received_at],
    ['received_at', uplink.received_at],
  ];
  let firstProblem: Failure | undefined;
  for (const [path, value] of candidates) {
    if (value === undefined) continue;
    const time = parseTime(value);
    if (typeof time === 'string') {
      firstProblem ??= fail('invalid-schema', `${path}: ${time}`);
      continue;
    }
    const problem = timeRangeProblem(time, receivedAt, path);
    if (!problem) return time;
    firstProblem ??= fail('timestamp-out-of-range', problem);
  }
  return firstProblem ?? receivedAt;
}

function positionOf(uplink: TtsUplink): Position | undefined | string {
  const locations = uplink.uplink_message.locations;
  // A tracker's own fix (decoded from the payload) is fresher than the location set in the console.
  for (const source of ['frm-payload', 'user']) {
    const location = locations?.[source];
    if (location) return parsePosition(location.latitude, location.longitude, `uplink_message.locations.${source}`);
  }
  return undefined;
}

export function parseTtsUplink(topic: TtsTopic, body: unknown, ctx: DecodeContext): DecodeResult {
  const parsed = TtsUplinkSchema.safeParse(body, PARSE_OPTIONS);
  if (!parsed.success) return fail('invalid-schema', formatIssues(parsed.error.issues));
  const uplink = parsed.data;
  const ids = uplink.end_device_ids;

  const deviceId = ids.device_id;
  const idProblem = deviceIdProblem(deviceId, 'end_device_ids.device_id');
  if (idProblem) return fail('invalid-schema', idProblem);
  if (deviceId !== topic.device) {
    return fail('invalid-schema', `end_device_ids.device_id ${describe(deviceId)} differs from the topic's ${describe(topic.device)}`);
  }
  const appId = ids.application_ids?.application_id;
  if (appId !== undefined && appId !== topic.app) {
    return fail('invalid-schema', `end_device_ids.application_ids.application_id ${describe(appId)} differs from the topic's ${describe(topic.app)}`);
  }

  const decoded = uplink.uplink_message.decoded_payload;
  if (decoded === undefined) {
    const port = uplink.uplink_message.f_port;
    return fail(
      'invalid-schema',
      `uplink_message: no decoded_payload: set a payload formatter in The Things Stack${port === undefined ? '' : ` (f_port ${port})`}`,
    );
  }

  const metrics: Record<string, number> = {};
  const sources = new Map<string, string>();
  for (const [path, value] of flattenDecodedPayload(decoded)) {
    const at = `uplink_message.decoded_payload.${path}`;
    if (!Number.isFinite(value)) return fail('invalid-metric', `${at}: expected a finite number (got ${describe(value)})`);
    const name = toMetricToken(path);
    const problem = metricNameProblem(name);
    if (problem) return fail('invalid-metric', `${at}: ${problem}`);
    const earlier = sources.get(name);
    if (earlier !== undefined) {
      return fail('invalid-metric', `${at}: gives metric ${name}, like uplink_message.decoded_payload.${earlier}`);
    }
    metrics[name] = value;
    sources.set(name, path);
  }
  const names = Object.keys(metrics);
  if (names.length === 0) {
    const keys = Object.keys(decoded);
    return fail(
      'invalid-schema',
      `uplink_message.decoded_payload: no numeric fields (got ${keys.length === 0 ? 'an empty object' : `keys ${keys.slice(0, 8).join(', ')}`})`,
    );
  }
  const countProblem = tooManyMetrics(names.length);
  if (countProblem) return fail('invalid-metric', `uplink_message.decoded_payload: ${countProblem}`);

  const position = positionOf(uplink);
  if (typeof position === 'string') return fail('invalid-schema', position);

  const observedAt = observedAtOf(uplink, ctx.receivedAt);
  if (typeof observedAt !== 'number') return observedAt;

  const device = ctx.lookupDevice(deviceId);
  const kind = device?.kind ?? inferKind(names);
  const reading = makeReading({
    deviceId,
    kind,
    observedAt,
    metrics,
    position,
    district: districtFor(device, position),
  });
  const fCnt = uplink.uplink_message.f_cnt ?? 0;
  const result: DecodeResult = {
    ok: true,
    readings: [reading],
    dedupeKey: `tts:${topic.app}@${topic.tenant}:${deviceId}:${fCnt}`,
  };
  if (!device) {
    const seen: SeenDevice = { id: deviceId, kind };
    if (position) seen.position = position;
    result.seenDevices = [seen];
  }
  return result;
}
