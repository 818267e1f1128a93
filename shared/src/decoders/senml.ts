// SenML JSON packs (RFC 8428) on city/sensors/{deviceId}/up: a JSON array of records.
// resolveSenml applies base fields and times (section 4.6); parseSenml turns resolved records into
// readings, one per distinct time, with unit-suffixed metric names.
import { inferKind } from '../kinds.ts';
import type { Position, Reading } from '../reading.ts';
import { toMetricToken, UNIT_DEFAULT_NAMES, withUnitSuffix } from '../units.ts';
import {
  describe,
  deviceIdProblem,
  districtFor,
  fail,
  isPlainObject,
  makeReading,
  metricNameProblem,
  parsePosition,
  timeRangeProblem,
  tooManyMetrics,
} from './common.ts';
import type { DecodeContext, DecodeResult } from './index.ts';

/** One record as sent; every field optional (RFC 8428 section 4.2). */
export interface SenmlRecord {
  bn?: string;
  bt?: number;
  bu?: string;
  bv?: number;
  bs?: number;
  bver?: number;
  n?: string;
  u?: string;
  v?: number;
  vs?: string;
  vb?: boolean;
  vd?: string;
  s?: number;
  t?: number;
  ut?: number;
}

/** A record with its base fields applied and its time made absolute (section 4.6). */
export interface ResolvedSenmlRecord {
  /** position in the pack, for details */
  index: number;
  /** base name + name */
  name: string;
  /** the base name in effect for this record ('' when none) */
  baseName: string;
  unit?: string;
  /** base value + value */
  value?: number;
  stringValue?: string;
  boolValue?: boolean;
  dataValue?: string;
  /** base sum + sum */
  sum?: number;
  /** epoch ms */
  time: number;
  /** seconds */
  updateTime?: number;
}

export type SenmlResolution = { ok: true; records: ResolvedSenmlRecord[] } | { ok: false; detail: string };

const FIELD_TYPES: Readonly<Record<keyof SenmlRecord, 'string' | 'number' | 'boolean'>> = {
  bn: 'string',
  bt: 'number',
  bu: 'string',
  bv: 'number',
  bs: 'number',
  bver: 'number',
  n: 'string',
  u: 'string',
  v: 'number',
  vs: 'string',
  vb: 'boolean',
  vd: 'string',
  s: 'number',
  t: 'number',
  ut: 'number',
};
const VALUE_FIELDS = ['v', 'vs', 'vb', 'vd'] as const;
/** Version 10 is RFC 8428 itself; higher versions announce features (RFC 9100) we do not implement. */
const SUPPORTED_VERSION = 10;
/** Times below 2^28 s are relative to now (RFC 8428 section 4.5.3). */
const RELATIVE_TIME_LIMIT_S = 2 ** 28;

function checkRecord(raw: unknown, index: number): SenmlRecord | string {
  const at = `record ${index}`;
  if (!isPlainObject(raw)) return `${at}: expected an object (got ${describe(raw)})`;
  for (const [label, value] of Object.entries(raw)) {
    const type = FIELD_TYPES[label as keyof SenmlRecord];
    if (type === undefined) {
      // Labels ending in "_" must be understood or the pack rejected (section 4.4).
      if (label.endsWith('_')) return `${at}: unknown must-understand field ${describe(label)}`;
      continue;
    }
    if (typeof value !== type || (type === 'number' && !Number.isFinite(value))) {
      const expected = type === 'number' ? 'a finite number' : `a ${type}`;
      return `${at}: ${label}: expected ${expected} (got ${describe(value)})`;
    }
  }
  const record = raw as SenmlRecord;
  const values = VALUE_FIELDS.filter((f) => record[f] !== undefined);
  if (values.length > 1) return `${at}: one value field per record (got ${values.join(' and ')})`;
  if (values.length === 0 && record.s === undefined) return `${at}: no value (v, vs, vb, vd or s)`;
  return record;
}

/** Applies base fields in order and makes times absolute; receivedAt (epoch ms) is "now". */
export function resolveSenml(pack: unknown, receivedAt: number): SenmlResolution {
  if (!Array.isArray(pack)) return { ok: false, detail: `expected a JSON array of records (got ${describe(pack)})` };
  if (pack.length === 0) return { ok: false, detail: 'empty pack: no records' };
  let baseName = '';
  let baseTime = 0;
  let baseUnit: string | undefined;
  let baseValue = 0;
  let baseSum = 0;
  let version: number | undefined;
  const records: ResolvedSenmlRecord[] = [];
  for (const [index, raw] of pack.entries()) {
    const record = checkRecord(raw, index);
    if (typeof record === 'string') return { ok: false, detail: record };
    if (record.bver !== undefined) {
      if (!Number.isInteger(record.bver) || record.bver < 1) {
        return { ok: false, detail: `record ${index}: bver: expected a positive integer (got ${record.bver})` };
      }
      if (record.bver > SUPPORTED_VERSION) {
        return { ok: false, detail: `record ${index}: bver ${record.bver} is newer than the supported ${SUPPORTED_VERSION}` };
      }
      if (version !== undefined && version !== record.bver) {
        return { ok: false, detail: `record ${index}: bver ${record.bver} differs from ${version} earlier in the pack` };
      }
      version = record.bver;
    }
    if (record.bn !== undefined) baseName = record.bn;
    if (record.bt !== undefined) baseTime = record.bt;
    if (record.bu !== undefined) baseUnit = record.bu;
    if (record.bv !== undefined) baseValue = record.bv;
    if (record.bs !== undefined) baseSum = record.bs;

    const seconds = baseTime + (record.t ?? 0);
    const time = seconds < RELATIVE_TIME_LIMIT_S ? receivedAt + seconds * 1000 : seconds * 1000;
    const resolved: ResolvedSenmlRecord = { index, name: baseName + (record.n ?? ''), baseName, time: Math.round(time) };
    const unit = record.u ?? baseUnit;
    if (unit !== undefined) resolved.unit = unit;
    if (record.v !== undefined) resolved.value = baseValue + record.v;
    if (record.vs !== undefined) resolved.stringValue = record.vs;
    if (record.vb !== undefined) resolved.boolValue = record.vb;
    if (record.vd !== undefined) resolved.dataValue = record.vd;
    if (record.s !== undefined) resolved.sum = baseSum + record.s;
    if (record.ut !== undefined) resolved.updateTime = record.ut;
    records.push(resolved);
  }
  return { ok: true, records };
}

/** A device URN alone names the device, not a measurement: urn:dev:ow:10e2073a01080063. */
const DEVICE_URN = /^urn:dev:[a-z]+:[^:/]+$/i;

/** The measurement part of a resolved name: the base name stripped, else the last ':' or '/' segment. */
export function senmlMetricStem(record: Pick<ResolvedSenmlRecord, 'name' | 'baseName'>): string {
  let rest = record.name;
  if (record.baseName !== '' && rest.startsWith(record.baseName)) rest = rest.slice(record.baseName.length);
  else if (DEVICE_URN.test(rest)) rest = '';
  const cut = Math.max(rest.lastIndexOf(':'), rest.lastIndexOf('/'));
  return toMetricToken(rest.slice(cut + 1));
}

/** The metric name of a resolved record: stem (or what its unit measures) + unit suffix. */
export function senmlMetricName(record: Pick<ResolvedSenmlRecord, 'name' | 'baseName' | 'unit'>): string {
  const stem = senmlMetricStem(record);
  const base = stem !== '' ? stem : ((record.unit !== undefined ? UNIT_DEFAULT_NAMES[record.unit] : undefined) ?? 'value');
  return withUnitSuffix(base, record.unit);
}

interface TimeGroup {
  time: number;
  firstIndex: number;
  metrics: Record<string, number>;
  /** which record gave each metric, for duplicate details */
  sources: Map<string, number>;
  lat?: { value: number; index: number };
  lon?: { value: number; index: number };
}

type Outcome = { ok: false; reason: 'invalid-senml' | 'invalid-metric'; detail: string };

function addMetric(group: TimeGroup, name: string, value: number, record: ResolvedSenmlRecord): Outcome | undefined {
  const index = record.index;
  const problem = metricNameProblem(name);
  if (problem) return { ok: false, reason: 'invalid-metric', detail: `record ${index} (name ${describe(record.name)}): ${problem}` };
  const earlier = group.sources.get(name);
  if (earlier !== undefined) {
    return { ok: false, reason: 'invalid-senml', detail: `records ${earlier} and ${index} both give ${name} at the same time` };
  }
  group.metrics[name] = value;
  group.sources.set(name, index);
  return undefined;
}

function addCoordinate(group: TimeGroup, axis: 'lat' | 'lon', record: ResolvedSenmlRecord): Outcome | undefined {
  if (record.value === undefined) {
    return { ok: false, reason: 'invalid-senml', detail: `record ${record.index}: a ${axis} record needs a numeric v` };
  }
  const earlier = group[axis];
  if (earlier) {
    return { ok: false, reason: 'invalid-senml', detail: `records ${earlier.index} and ${record.index} both give ${axis} at the same time` };
  }
  group[axis] = { value: record.value, index: record.index };
  return undefined;
}

function groupPosition(group: TimeGroup): Position | undefined | Outcome {
  if (!group.lat && !group.lon) return undefined;
  if (!group.lat || !group.lon) {
    const [has, lacks] = group.lat ? ['lat', 'lon'] : ['lon', 'lat'];
    const index = (group.lat ?? group.lon)!.index;
    return { ok: false, reason: 'invalid-senml', detail: `record ${index}: ${has} without ${lacks} at the same time` };
  }
  const position = parsePosition(group.lat.value, group.lon.value);
  if (typeof position === 'string') {
    return { ok: false, reason: 'invalid-senml', detail: `record ${group.lat.index}: ${position}` };
  }
  return position;
}

/** Readings from a SenML pack published by deviceId: one reading per distinct resolved time. */
export function parseSenml(deviceId: string, pack: unknown, ctx: DecodeContext): DecodeResult {
  const idProblem = deviceIdProblem(deviceId);
  if (idProblem) return fail('invalid-schema', idProblem);
  const resolution = resolveSenml(pack, ctx.receivedAt);
  if (!resolution.ok) return fail('invalid-senml', resolution.detail);

  const groups = new Map<number, TimeGroup>();
  let skipped = 0;
  // the shortest update time announced in the pack (seconds): how often the device means to report
  let updateTimeS: number | undefined;
  for (const record of resolution.records) {
    if (record.updateTime !== undefined && record.updateTime > 0) updateTimeS = Math.min(updateTimeS ?? Infinity, record.updateTime);
    let group = groups.get(record.time);
    if (!group) {
      group = { time: record.time, firstIndex: record.index, metrics: {}, sources: new Map() };
      groups.set(record.time, group);
    }
    if (record.unit === 'lat' || record.unit === 'lon') {
      const problem = addCoordinate(group, record.unit, record);
      if (problem) return problem;
      continue;
    }
    const name = senmlMetricName(record);
    // Strings and data are not time series: skipped, not refused.
    if (record.stringValue !== undefined || record.dataValue !== undefined) skipped += 1;
    const value = record.value ?? (record.boolValue === undefined ? undefined : record.boolValue ? 1 : 0);
    if (value !== undefined) {
      const problem = addMetric(group, name, value, record);
      if (problem) return problem;
    }
    if (record.sum !== undefined) {
      const problem = addMetric(group, `${name}_sum`, record.sum, record);
      if (problem) return problem;
    }
  }

  const withMetrics = [...groups.values()].filter((g) => Object.keys(g.metrics).length > 0);
  if (withMetrics.length === 0) {
    const why = skipped > 0 ? `: ${skipped} string or data record${skipped === 1 ? '' : 's'} skipped` : '';
    return fail('invalid-senml', `no numeric values in the pack${why}`);
  }

  const device = ctx.lookupDevice(deviceId);
  const kind = device?.kind ?? inferKind(withMetrics.flatMap((g) => Object.keys(g.metrics)));
  const readings: Reading[] = [];
  for (const group of groups.values()) {
    const position = groupPosition(group);
    if (position && 'ok' in position) return position;
    if (Object.keys(group.metrics).length === 0) continue;
    const countProblem = tooManyMetrics(Object.keys(group.metrics).length);
    if (countProblem) return fail('invalid-metric', `record ${group.firstIndex}: ${countProblem}`);
    const rangeProblem = timeRangeProblem(group.time, ctx.receivedAt, 'time');
    if (rangeProblem) return fail('timestamp-out-of-range', `record ${group.firstIndex}: ${rangeProblem}`);
    readings.push(
      makeReading({
        deviceId,
        kind,
        observedAt: group.time,
        metrics: group.metrics,
        position,
        district: districtFor(device, position),
        expectedIntervalMs: updateTimeS === undefined ? undefined : Math.round(updateTimeS * 1000),
      }),
    );
  }
  return { ok: true, readings };
}
