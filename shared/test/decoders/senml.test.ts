import { describe, expect, it } from 'vitest';
import { decodeMessage, parseSenml, resolveSenml, senmlMetricName } from '../../src/decoders/index.ts';
import { MAX_METRICS_PER_READING } from '../../src/reading.ts';
import { topics } from '../../src/topics.ts';
import { accepted, context, device, IN_LOOP, jsonBytes, RECEIVED_AT, refused } from './support.ts';

function decode(deviceId: string, pack: unknown, ctx = context()) {
  return decodeMessage(topics.sensorUp(deviceId), jsonBytes(pack), ctx);
}

// RFC 8428 section 5.1.3 / 5.1.4 timestamps are from 2011 and 2010; receipt is put just after them.
const RFC_513_BT = 1.320067464e9;
const RFC_512_BT = 1.276020076001e9;

const RFC_5_1_3 = [
  { bn: 'urn:dev:ow:10e2073a01080063', bt: 1.320067464e9, bu: '%RH', v: 20 },
  { u: 'lon', v: 24.30621 },
  { u: 'lat', v: 60.07965 },
  { t: 60, v: 20.3 },
  { u: 'lon', t: 60, v: 24.30622 },
  { u: 'lat', t: 60, v: 60.07965 },
  { t: 120, v: 20.7 },
  { u: 'lon', t: 120, v: 24.30623 },
  { u: 'lat', t: 120, v: 60.07966 },
  { u: '%EL', t: 150, v: 98 },
  { t: 180, v: 21.2 },
  { u: 'lon', t: 180, v: 24.30628 },
  { u: 'lat', t: 180, v: 60.07967 },
];

const URN = 'urn:dev:ow:10e2073a01080063';
const RFC_5_1_4 = [
  { n: URN, u: '%RH', t: 1.320067464e9, v: 20 },
  { n: URN, u: 'lon', t: 1.320067464e9, v: 24.30621 },
  { n: URN, u: 'lat', t: 1.320067464e9, v: 60.07965 },
  { n: URN, u: '%RH', t: 1.320067524e9, v: 20.3 },
  { n: URN, u: 'lon', t: 1.320067524e9, v: 24.30622 },
  { n: URN, u: 'lat', t: 1.320067524e9, v: 60.07965 },
  { n: URN, u: '%RH', t: 1.320067584e9, v: 20.7 },
  { n: URN, u: 'lon', t: 1.320067584e9, v: 24.30623 },
  { n: URN, u: 'lat', t: 1.320067584e9, v: 60.07966 },
  { n: URN, u: '%EL', t: 1.320067614e9, v: 98 },
  { n: URN, u: '%RH', t: 1.320067644e9, v: 21.2 },
  { n: URN, u: 'lon', t: 1.320067644e9, v: 24.30628 },
  { n: URN, u: 'lat', t: 1.320067644e9, v: 60.07967 },
];

describe('SenML packs from RFC 8428 section 5', () => {
  it('5.1.1 single datapoint: a device URN alone, the unit names the metric', () => {
    const decoded = accepted(decode('ow-1', [{ n: URN, u: 'Cel', v: 23.1 }]));
    expect(decoded.readings).toEqual([
      { deviceId: 'ow-1', kind: 'generic', observedAt: RECEIVED_AT, metrics: { temperature_c: 23.1 } },
    ]);
  });

  it('5.1.2 multiple datapoints: base name stripped, one reading for one time', () => {
    const pack = [
      { bn: 'urn:dev:ow:10e2073a01080063:', n: 'voltage', u: 'V', v: 120.1 },
      { n: 'current', u: 'A', v: 1.2 },
    ];
    expect(accepted(decode('ow-1', pack)).readings).toEqual([
      { deviceId: 'ow-1', kind: 'generic', observedAt: RECEIVED_AT, metrics: { voltage_v: 120.1, current_a: 1.2 } },
    ]);
  });

  it('5.1.2 with base time, base unit, base version and relative times: one reading per time', () => {
    const pack = [
      { bn: 'urn:dev:ow:10e2073a0108006:', bt: 1.276020076001e9, bu: 'A', bver: 5, n: 'voltage', u: 'V', v: 120.1 },
      { n: 'current', t: -5, v: 1.2 },
      { n: 'current', t: -4, v: 1.3 },
      { n: 'current', t: -3, v: 1.4 },
      { n: 'current', t: -2, v: 1.5 },
      { n: 'current', t: -1, v: 1.6 },
      { n: 'current', v: 1.7 },
    ];
    const ctx = context([], Math.round(RFC_512_BT * 1000) + 2_000);
    const readings = accepted(decode('ow-1', pack, ctx)).readings;
    const bt = 1276020076001;
    expect(readings.map((r) => [r.observedAt, r.metrics])).toEqual([
      [bt, { voltage_v: 120.1, current_a: 1.7 }],
      [bt - 5000, { current_a: 1.2 }],
      [bt - 4000, { current_a: 1.3 }],
      [bt - 3000, { current_a: 1.4 }],
      [bt - 2000, { current_a: 1.5 }],
      [bt - 1000, { current_a: 1.6 }],
    ]);
  });

  it('5.1.3 multiple measurements: lat/lon records become the position, %EL a battery level', () => {
    const ctx = context([], RFC_513_BT * 1000 + 200_000);
    const readings = accepted(decode('ow-1', RFC_5_1_3, ctx)).readings;
    const t0 = RFC_513_BT * 1000;
    expect(readings).toEqual([
      { deviceId: 'ow-1', kind: 'generic', observedAt: t0, metrics: { humidity_rh_pct: 20 }, position: { lat: 60.07965, lon: 24.30621 } },
      { deviceId: 'ow-1', kind: 'generic', observedAt: t0 + 60_000, metrics: { humidity_rh_pct: 20.3 }, position: { lat: 60.07965, lon: 24.30622 } },
      { deviceId: 'ow-1', kind: 'generic', observedAt: t0 + 120_000, metrics: { humidity_rh_pct: 20.7 }, position: { lat: 60.07966, lon: 24.30623 } },
      { deviceId: 'ow-1', kind: 'generic', observedAt: t0 + 150_000, metrics: { battery_pct: 98 } },
      { deviceId: 'ow-1', kind: 'generic', observedAt: t0 + 180_000, metrics: { humidity_rh_pct: 21.2 }, position: { lat: 60.07967, lon: 24.30628 } },
    ]);
  });

  it('5.1.4 resolved data decodes to the same readings as 5.1.3', () => {
    const ctx = context([], RFC_513_BT * 1000 + 200_000);
    expect(accepted(decode('ow-1', RFC_5_1_4, ctx)).readings).toEqual(accepted(decode('ow-1', RFC_5_1_3, ctx)).readings);
  });

  it('5.1.4 resolution: resolveSenml of 5.1.3 gives the names, units, values and times of 5.1.4', () => {
    const resolution = resolveSenml(RFC_5_1_3, 0);
    if (!resolution.ok) expect.fail(resolution.detail);
    expect(resolution.records.map((r) => ({ n: r.name, u: r.unit, t: r.time / 1000, v: r.value }))).toEqual(RFC_5_1_4);
  });

  it('5.1.5 multiple data types: strings and data skipped, booleans as 1/0', () => {
    const pack = [
      { bn: 'urn:dev:ow:10e2073a01080063:', n: 'temp', u: 'Cel', v: 23.1 },
      { n: 'label', vs: 'Machine Room' },
      { n: 'open', vb: false },
      { n: 'nfc-reader', vd: 'aGkgCg' },
    ];
    expect(accepted(decode('ow-1', pack)).readings[0]!.metrics).toEqual({ temp_c: 23.1, open: 0 });
  });

  it('5.1.6-style collection of resources: an address as base name', () => {
    const pack = [
      { bn: 'http://[2001:db8::2]/', bt: 1.320078429e9, n: 'temperature', u: 'Cel', v: 27.2 },
      { n: 'humidity', u: '%RH', v: 80 },
    ];
    const ctx = context([], 1.320078429e12 + 1_000);
    const readings = accepted(decode('env-1', pack, ctx)).readings;
    expect(readings).toEqual([
      { deviceId: 'env-1', kind: 'generic', observedAt: 1.320078429e12, metrics: { temperature_c: 27.2, humidity_rh_pct: 80 } },
    ]);
  });
});

describe('SenML resolution rules', () => {
  it('base value and base sum are added; a sum becomes <name>_sum', () => {
    const pack = [
      { bn: 'meter-9/', bv: 1000, bs: 50, n: 'energy', u: 'kWh', v: 2.5, s: 7, t: -60 },
      { n: 'energy', u: 'kWh', v: 3 },
    ];
    const readings = accepted(decode('meter-9', pack)).readings;
    expect(readings.map((r) => [r.observedAt, r.metrics])).toEqual([
      [RECEIVED_AT - 60_000, { energy_kwh: 1002.5, energy_kwh_sum: 57 }],
      [RECEIVED_AT, { energy_kwh: 1003 }],
    ]);
  });

  it('a record with only a sum is a value', () => {
    const readings = accepted(decode('rain-1', [{ n: 'rain', u: 'mm', s: 12.5 }])).readings;
    expect(readings[0]!.metrics).toEqual({ rain_mm_sum: 12.5 });
  });

  it('relative times are seconds from now; absolute times are epoch seconds', () => {
    const relative = accepted(decode('s-1', [{ n: 'noise', u: 'dB', v: 55, t: -30.5 }])).readings[0]!;
    expect(relative.observedAt).toBe(RECEIVED_AT - 30_500);
    const absolute = accepted(decode('s-1', [{ n: 'noise', u: 'dB', v: 55, t: RECEIVED_AT / 1000 - 2 }])).readings[0]!;
    expect(absolute.observedAt).toBe(RECEIVED_AT - 2_000);
  });

  it('an update time (ut) becomes the expected reporting interval, the shortest in the pack, in ms', () => {
    const pack = [{ bn: 'urn:dev:ow:10e2073a01080063:', ut: 300, n: 'temp', u: 'Cel', v: 23.1 }, { n: 'hum', u: '%RH', v: 40, ut: 60 }];
    expect(accepted(parseSenml('th-1', pack, context())).readings[0]?.expectedIntervalMs).toBe(60_000);
    expect(accepted(parseSenml('th-1', [{ n: 'temp', u: 'Cel', v: 23.1 }], context())).readings[0]).not.toHaveProperty('expectedIntervalMs');
  });

  it('a base unit applies until a record names its own', () => {
    const resolution = resolveSenml([{ bu: 'Cel', n: 'a', v: 1 }, { n: 'b', u: '%RH', v: 2 }, { n: 'c', v: 3 }], RECEIVED_AT);
    if (!resolution.ok) expect.fail(resolution.detail);
    expect(resolution.records.map((r) => r.unit)).toEqual(['Cel', '%RH', 'Cel']);
  });

  it('a new base name applies to later records', () => {
    const pack = [
      { bn: 'urn:dev:mac:0024befffe804ff1/', n: 'temperature', u: 'Cel', v: 21 },
      { bn: 'urn:dev:mac:0024befffe804ff1/air/', n: 'pm10', u: 'ug/m3', v: 14 },
    ];
    expect(accepted(decode('combo-1', pack)).readings[0]!.metrics).toEqual({ temperature_c: 21, pm10_ugm3: 14 });
  });

  it('names are sanitised and carry their unit unless they already end with it', () => {
    expect(senmlMetricName({ name: 'PM2.5', baseName: '', unit: 'ug/m3' })).toBe('pm2_5_ugm3');
    expect(senmlMetricName({ name: 'dev:noise', baseName: 'dev:', unit: 'dB' })).toBe('noise_dba');
    expect(senmlMetricName({ name: 'dev:level', baseName: 'dev:', unit: 'dB' })).toBe('level_db');
    expect(senmlMetricName({ name: 'water_level_cm', baseName: '', unit: 'cm' })).toBe('water_level_cm');
    expect(senmlMetricName({ name: 'batteryVoltage', baseName: '', unit: 'V' })).toBe('battery_voltage_v');
    expect(senmlMetricName({ name: 'sensors/3303/temp', baseName: '', unit: 'Cel' })).toBe('temp_c');
    expect(senmlMetricName({ name: 'occupancy', baseName: '', unit: '/' })).toBe('occupancy_ratio');
    expect(senmlMetricName({ name: 'count', baseName: '', unit: 'count' })).toBe('count');
    expect(senmlMetricName({ name: '', baseName: '', unit: undefined })).toBe('value');
  });

  it('kind: the registry first, else inferred from the metric names', () => {
    const pack = [{ n: 'noise', u: 'dB', v: 55 }, { n: 'noise_lamax', u: 'dB', v: 71 }];
    expect(accepted(decode('anon-9', pack)).readings[0]!.kind).toBe('noise');
    const ctx = context([device('n-1', { kind: 'street_light', district: 'bridgeport' })]);
    expect(accepted(decode('n-1', pack, ctx)).readings[0]).toMatchObject({ kind: 'street_light', district: 'bridgeport' });
  });

  it('a position in the pack gives the district it lies in', () => {
    const pack = [
      { n: 'pm25', u: 'ug/m3', v: 9 },
      { u: 'lat', v: IN_LOOP.lat },
      { u: 'lon', v: IN_LOOP.lon },
    ];
    expect(accepted(parseSenml('bike-3', pack, context())).readings[0]).toMatchObject({
      kind: 'air_quality',
      position: IN_LOOP,
      district: 'loop',
    });
  });
});

describe('SenML refusals', () => {
  const invalid = (pack: unknown) => refused(decode('s-1', pack), 'invalid-senml');

  it('an empty pack', () => {
    expect(invalid([])).toBe('empty pack: no records');
  });

  it('a record that is not an object', () => {
    expect(invalid([{ n: 'a', v: 1 }, 7])).toBe('record 1: expected an object (got 7)');
  });

  it('a field of the wrong type names the record and field', () => {
    expect(invalid([{ n: 'a', v: '12' }])).toBe('record 0: v: expected a finite number (got "12")');
    expect(invalid([{ n: 7, v: 1 }])).toBe('record 0: n: expected a string (got 7)');
    expect(invalid([{ n: 'open', vb: 'yes' }])).toBe('record 0: vb: expected a boolean (got "yes")');
    expect(invalid([{ bt: null, n: 'a', v: 1 }])).toBe('record 0: bt: expected a finite number (got null)');
  });

  it('several value fields, or none', () => {
    expect(invalid([{ n: 'a', v: 1 }, { n: 'b', v: 1, vs: 'x' }])).toBe('record 1: one value field per record (got v and vs)');
    expect(invalid([{ n: 'a', u: 'Cel' }])).toBe('record 0: no value (v, vs, vb, vd or s)');
  });

  it('nothing numeric left once strings and data are skipped', () => {
    expect(invalid([{ n: 'label', vs: 'Machine Room' }])).toBe('no numeric values in the pack: 1 string or data record skipped');
    expect(invalid([{ n: 'a', vs: 'x' }, { n: 'b', vd: 'aGk' }])).toBe(
      'no numeric values in the pack: 2 string or data records skipped',
    );
  });

  it('two records giving the same metric at the same time', () => {
    expect(invalid([{ n: 'temp', u: 'Cel', v: 1 }, { n: 'temp', u: 'Cel', v: 2 }])).toBe(
      'records 0 and 1 both give temp_c at the same time',
    );
  });

  it('a version newer than RFC 8428, or changing within the pack', () => {
    expect(invalid([{ bver: 11, n: 'a', v: 1 }])).toBe('record 0: bver 11 is newer than the supported 10');
    expect(invalid([{ bver: 5, n: 'a', v: 1 }, { bver: 6, n: 'b', v: 1 }])).toBe(
      'record 1: bver 6 differs from 5 earlier in the pack',
    );
  });

  it('an unknown must-understand field (ending in "_")', () => {
    expect(invalid([{ n: 'a', v: 1, rt_: 'x' }])).toBe('record 0: unknown must-understand field "rt_"');
    accepted(decode('s-1', [{ n: 'a', v: 1, rt: 'x' }]));
  });

  it('lat without lon, and a position out of range', () => {
    expect(invalid([{ n: 'a', v: 1 }, { u: 'lat', v: 41.9 }])).toBe('record 1: lat without lon at the same time');
    expect(invalid([{ n: 'a', v: 1 }, { u: 'lat', v: 141.9 }, { u: 'lon', v: 1 }])).toBe(
      'record 1: lat: expected a latitude in -90..90 (got 141.9)',
    );
    expect(invalid([{ n: 'a', v: 1 }, { u: 'lat', vs: 'north' }])).toBe('record 1: a lat record needs a numeric v');
  });

  it('a name that cannot become a metric name', () => {
    const detail = refused(decode('s-1', [{ n: '3303/0/5700', u: 'Cel', v: 21 }]), 'invalid-metric');
    expect(detail).toBe(
      'record 0 (name "3303/0/5700"): metric name "5700_c" must be a lowercase letter then up to 63 of a-z, 0-9, _',
    );
  });

  it('too many metrics at one time', () => {
    const pack = Array.from({ length: MAX_METRICS_PER_READING + 1 }, (_, i) => ({ n: `m${i}`, v: i }));
    expect(refused(decode('s-1', pack), 'invalid-metric')).toBe(
      `record 0: ${MAX_METRICS_PER_READING + 1} metrics in one reading (limit ${MAX_METRICS_PER_READING})`,
    );
  });

  it('a time outside the accepted window', () => {
    const detail = refused(decode('s-1', RFC_5_1_3), 'timestamp-out-of-range');
    expect(detail).toBe('record 0: time 2011-10-31T13:24:24.000Z is 5142 days before receipt (limit 365 days)');
  });

  it('a device id in the topic that cannot be a device id', () => {
    expect(refused(decode('S 1', [{ n: 'a', v: 1 }]), 'invalid-schema')).toContain('device id "S 1"');
  });
});
