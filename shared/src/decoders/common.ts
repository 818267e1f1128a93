// Helpers every decoder shares: results, human descriptions of bad values, time and position checks.
import type { z } from 'zod';
import { districtAt } from '../city.ts';
import type { Device } from '../device-registry.ts';
import {
  DEVICE_ID_PATTERN,
  MAX_FUTURE_SKEW_MS,
  MAX_METRICS_PER_READING,
  MAX_PAST_AGE_MS,
  METRIC_NAME_PATTERN,
  type Position,
  type Reading,
  type SensorKind,
} from '../reading.ts';
import type { DeadLetterReason } from './index.ts';

export type Failure = { ok: false; reason: DeadLetterReason; detail: string };

export function fail(reason: DeadLetterReason, detail: string): Failure {
  return { ok: false, reason, detail };
}

/** A value as a short phrase for a detail: "abc" (quoted), 12, null, an object, an array. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}

const TYPE_PHRASES: Record<string, string> = {
  number: 'a finite number',
  string: 'a string',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  int: 'an integer',
  record: 'an object',
};

function issueText(issue: z.core.$ZodIssue): string {
  const got = issue.input === undefined ? '' : ` (got ${describe(issue.input)})`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${TYPE_PHRASES[issue.expected] ?? issue.expected}${got}`;
    case 'too_small':
      if (issue.origin === 'array') return `expected at least ${issue.minimum} items`;
      if (issue.origin === 'string') return `expected at least ${issue.minimum} characters${got}`;
      return `expected ${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}${got}`;
    case 'too_big':
      if (issue.origin === 'array') return `expected at most ${issue.maximum} items`;
      if (issue.origin === 'string') return `expected at most ${issue.maximum} characters${got}`;
      return `expected ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    case 'invalid_format':
      return `expected ${issue.format}${got}`;
    default:
      return `${issue.message}${got}`;
  }
}

/** Zod issues as "path: expected X (got Y)", the first three joined by "; ". */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): string {
  const parts = issues.slice(0, 3).map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
    return `${path === '' ? 'payload' : path}: ${issueText(issue)}`;
  });
  if (issues.length > 3) parts.push(`and ${issues.length - 3} more`);
  return parts.join('; ');
}

/** Parse options for every schema: issues carry the input so details can say what was sent. */
export const PARSE_OPTIONS = { reportInput: true } as const;

function timeText(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

function durationText(ms: number): string {
  if (ms >= 2 * 86_400_000) return `${Math.round(ms / 86_400_000)} days`;
  if (ms >= 2 * 3_600_000) return `${Math.round(ms / 3_600_000)} h`;
  if (ms >= 2 * 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

function inRange(observedAt: number, receivedAt: number): boolean {
  const ahead = observedAt - receivedAt;
  return ahead <= MAX_FUTURE_SKEW_MS && -ahead <= MAX_PAST_AGE_MS;
}

/** Why observedAt is out of range, or undefined when it is accepted. */
export function timeRangeProblem(observedAt: number, receivedAt: number, what = 'observedAt'): string | undefined {
  if (inRange(observedAt, receivedAt)) return undefined;
  const ahead = observedAt - receivedAt;
  const side =
    ahead > 0
      ? `${durationText(ahead)} after receipt (limit ${durationText(MAX_FUTURE_SKEW_MS)})`
      : `${durationText(-ahead)} before receipt (limit ${durationText(MAX_PAST_AGE_MS)})`;
  const hint = observedAt > 0 && inRange(observedAt * 1000, receivedAt) ? ' (looks like epoch seconds: send epoch milliseconds)' : '';
  return `${what} ${timeText(observedAt)} is ${side}${hint}`;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** epoch ms from epoch ms or an ISO 8601 time with a zone; a string detail when it is neither. */
export function parseTime(value: unknown): number | string {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? Math.round(value) : `expected epoch milliseconds (got ${describe(value)})`;
  }
  if (typeof value === 'string' && ISO_8601.test(value)) {
    const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isFinite(ms)) return ms;
  }
  return `expected epoch milliseconds or an ISO 8601 time with a zone (got ${describe(value)})`;
}

/** A position, or a detail why lat/lon are not one. Both absent is no position. */
export function parsePosition(lat: unknown, lon: unknown, where = ''): Position | undefined | string {
  if (lat === undefined && lon === undefined) return undefined;
  const at = (field: string) => (where === '' ? field : `${where}.${field}`);
  if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90) {
    return `${at('lat')}: expected a latitude in -90..90 (got ${describe(lat)})`;
  }
  if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180) {
    return `${at('lon')}: expected a longitude in -180..180 (got ${describe(lon)})`;
  }
  return { lat, lon };
}

/** Why an id cannot be a device id (a topic level and a tag value), or undefined. */
export function deviceIdProblem(id: string, what = 'device id'): string | undefined {
  return DEVICE_ID_PATTERN.test(id)
    ? undefined
    : `${what} ${describe(id)} must be 1-64 of a-z, 0-9, _, ., - starting with a letter or digit`;
}

/** A metric name problem, or undefined when the name is acceptable. */
export function metricNameProblem(name: string): string | undefined {
  if (METRIC_NAME_PATTERN.test(name)) return undefined;
  return `metric name ${describe(name)} must be a lowercase letter then up to 63 of a-z, 0-9, _`;
}

export function tooManyMetrics(count: number): string | undefined {
  return count > MAX_METRICS_PER_READING
    ? `${count} metrics in one reading (limit ${MAX_METRICS_PER_READING})`
    : undefined;
}

/** The district of a reading: where a mobile sensor is, else where the registry puts the device. */
export function districtFor(device: Device | undefined, position: Position | undefined): string | undefined {
  return (position ? districtAt(position) : undefined) ?? device?.district;
}

/** A Reading with no undefined keys (they would travel as nulls through JSON and socket.io). */
export function makeReading(fields: {
  deviceId: string;
  kind: SensorKind;
  observedAt: number;
  metrics: Record<string, number>;
  position?: Position | undefined;
  district?: string | undefined;
  label?: string | undefined;
  expectedIntervalMs?: number | undefined;
}): Reading {
  const reading: Reading = {
    deviceId: fields.deviceId,
    kind: fields.kind,
    observedAt: fields.observedAt,
    metrics: fields.metrics,
  };
  if (fields.position) reading.position = fields.position;
  if (fields.district !== undefined) reading.district = fields.district;
  if (fields.label !== undefined) reading.label = fields.label;
  if (fields.expectedIntervalMs !== undefined) reading.expectedIntervalMs = fields.expectedIntervalMs;
  return reading;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

