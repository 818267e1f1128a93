import { describe, expect, it } from 'vitest';
import { decodeMessage, parseNativeReading } from '../../src/decoders/index.ts';
import { NativeReadingSchema, plainlyValidNativeReading } from '../../src/decoders/native.ts';
import { MAX_METRICS_PER_READING } from '../../src/reading.ts';
import { topics } from '../../src/topics.ts';
import { accepted, context, device, IN_LOOP, IN_NEAR_NORTH, jsonBytes, RECEIVED_AT, refused } from './support.ts';

const OBSERVED_AT = Date.parse('2025-11-28T06:40:00Z');

function decode(deviceId: string, body: unknown, ctx = context()) {
  return decodeMessage(topics.sensorUp(deviceId), jsonBytes(body), ctx);
}

describe('native reading on city/sensors/{deviceId}/up', () => {
  it('decodes a registered device with its kind and district', () => {
    const ctx = context([device('air-loop-01', { kind: 'air_quality', district: 'loop', position: IN_LOOP })]);
    const decoded = accepted(decode('air-loop-01', { observedAt: OBSERVED_AT, metrics: { pm25_ugm3: 12.5, no2_ugm3: 31 } }, ctx));
    expect(decoded.readings).toEqual([
      {
        deviceId: 'air-loop-01',
        kind: 'air_quality',
        observedAt: OBSERVED_AT,
        metrics: { pm25_ugm3: 12.5, no2_ugm3: 31 },
        district: 'loop',
      },
    ]);
    expect(decoded.seenDevices).toBeUndefined();
    expect(decoded.cameraEvent).toBeUndefined();
  });

  it('accepts observedAt as ISO 8601 with Z, an offset, or fractional seconds', () => {
    for (const observedAt of ['2025-11-28T06:40:00Z', '2025-11-28T07:40:00+01:00', '2025-11-28T06:40:00.000Z']) {
      const decoded = accepted(decode('noise-1', { observedAt, metrics: { noise_dba: 61 } }));
      expect(decoded.readings[0]!.observedAt, observedAt).toBe(OBSERVED_AT);
    }
  });

  it('uses the time of receipt when observedAt is absent', () => {
    const decoded = accepted(decode('noise-1', { metrics: { noise_dba: 61 } }));
    expect(decoded.readings[0]!.observedAt).toBe(RECEIVED_AT);
  });

  it('infers the kind from metric names when the device is not registered', () => {
    expect(accepted(decode('anon-1', { metrics: { noise_dba: 61, noise_lamax_dba: 70 } })).readings[0]!.kind).toBe('noise');
    expect(accepted(decode('anon-2', { metrics: { water_level_cm: 140 } })).readings[0]!.kind).toBe('water_level');
    expect(accepted(decode('anon-3', { metrics: { temperature_c: 4 } })).readings[0]!.kind).toBe('generic');
  });

  it('takes a mobile position and the district it lies in', () => {
    const ctx = context([device('bus-7-air', { kind: 'air_quality', district: 'loop' })]);
    const decoded = accepted(decode('bus-7-air', { metrics: { pm10_ugm3: 20 }, ...IN_NEAR_NORTH }, ctx));
    expect(decoded.readings[0]).toMatchObject({ position: IN_NEAR_NORTH, district: 'near-north' });
  });

  it('keeps the registry district when a position lies outside every district', () => {
    const ctx = context([device('bus-7-air', { kind: 'air_quality', district: 'loop' })]);
    const decoded = accepted(decode('bus-7-air', { metrics: { pm10_ugm3: 20 }, lat: 48.85, lon: 2.35 }, ctx));
    expect(decoded.readings[0]).toMatchObject({ position: { lat: 48.85, lon: 2.35 }, district: 'loop' });
  });

  it('leaves district out when neither registry nor position gives one', () => {
    const reading = accepted(decode('anon-1', { metrics: { noise_dba: 61 } })).readings[0]!;
    expect('district' in reading).toBe(false);
    expect('position' in reading).toBe(false);
  });

  it('is callable directly with a parsed body', () => {
    const result = parseNativeReading('anon-1', { metrics: { noise_dba: 61 } }, context());
    expect(accepted(result).readings).toHaveLength(1);
  });

  it('accepts MAX_METRICS_PER_READING metrics and refuses one more', () => {
    const metrics = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`m${i}`, i]));
    accepted(decode('wide-1', { metrics: metrics(MAX_METRICS_PER_READING) }));
    const detail = refused(decode('wide-1', { metrics: metrics(MAX_METRICS_PER_READING + 1) }), 'invalid-metric');
    expect(detail).toBe(`${MAX_METRICS_PER_READING + 1} metrics in one reading (limit ${MAX_METRICS_PER_READING})`);
  });
});

describe('native reading refusals', () => {
  it('a non-numeric metric value names the metric and what was sent', () => {
    const detail = refused(decode('air-1', { metrics: { pm25_ugm3: 'abc' } }), 'invalid-metric');
    expect(detail).toBe('metrics.pm25_ugm3: expected a finite number (got "abc")');
  });

  it('a boolean or null metric value is refused', () => {
    expect(refused(decode('air-1', { metrics: { lamp_on: true } }), 'invalid-metric')).toBe(
      'metrics.lamp_on: expected a finite number (got true)',
    );
    expect(refused(decode('air-1', { metrics: { pm25_ugm3: null } }), 'invalid-metric')).toContain('(got null)');
  });

  it('a number JSON cannot hold (1e400 parses as Infinity) is refused', () => {
    const payload = Buffer.from('{"metrics":{"pm25_ugm3":1e400}}');
    const detail = refused(decodeMessage(topics.sensorUp('air-1'), payload, context()), 'invalid-metric');
    expect(detail).toBe('metrics.pm25_ugm3: expected a finite number (got Infinity)');
  });

  it('a metric name with capitals, spaces or a leading digit is refused', () => {
    for (const name of ['PM25', 'pm 25', '25pm', 'pm-25', '']) {
      const detail = refused(decode('air-1', { metrics: { [name]: 1 } }), 'invalid-metric');
      expect(detail).toBe(`metrics: metric name ${JSON.stringify(name)} must be a lowercase letter then up to 63 of a-z, 0-9, _`);
    }
  });

  it('a "__proto__" metric is refused, not silently dropped', () => {
    const payload = Buffer.from('{"metrics":{"__proto__":5,"pm25_ugm3":1}}');
    expect(refused(decodeMessage(topics.sensorUp('air-1'), payload, context()), 'invalid-metric')).toBe(
      'metrics: metric name "__proto__" must be a lowercase letter then up to 63 of a-z, 0-9, _',
    );
  });

  it('missing or empty metrics', () => {
    expect(refused(decode('air-1', { observedAt: OBSERVED_AT }), 'invalid-schema')).toBe('metrics: required');
    expect(refused(decode('air-1', { metrics: {} }), 'invalid-schema')).toBe('metrics: expected at least one metric (got {})');
    expect(refused(decode('air-1', { metrics: [1, 2] }), 'invalid-schema')).toBe('metrics: expected an object (got an array)');
  });

  it('a payload that is not an object', () => {
    expect(refused(decode('air-1', 42), 'invalid-schema')).toBe('payload: expected an object (got 42)');
    expect(refused(decode('air-1', 'hello'), 'invalid-schema')).toBe('payload: expected an object (got "hello")');
    expect(refused(decode('air-1', null), 'invalid-schema')).toBe('payload: expected an object (got null)');
  });

  it('an observedAt that is neither epoch ms nor ISO 8601 with a zone', () => {
    for (const observedAt of ['2025-11-28T06:40:00', 'yesterday', true, '']) {
      const detail = refused(decode('air-1', { observedAt, metrics: { pm25_ugm3: 1 } }), 'invalid-schema');
      expect(detail).toMatch(/^observedAt: expected epoch milliseconds or an ISO 8601 time with a zone \(got .+\)$/);
    }
  });

  it('an observedAt too far ahead or too old', () => {
    const ahead = refused(decode('air-1', { observedAt: RECEIVED_AT + 6 * 60_000, metrics: { pm25_ugm3: 1 } }), 'timestamp-out-of-range');
    expect(ahead).toBe('observedAt 2025-11-28T06:46:05.000Z is 6 min after receipt (limit 5 min)');
    const old = refused(decode('air-1', { observedAt: '2024-01-01T00:00:00Z', metrics: { pm25_ugm3: 1 } }), 'timestamp-out-of-range');
    expect(old).toBe('observedAt 2024-01-01T00:00:00.000Z is 697 days before receipt (limit 365 days)');
  });

  it('an observedAt in epoch seconds gets a hint', () => {
    const detail = refused(decode('air-1', { observedAt: OBSERVED_AT / 1000, metrics: { pm25_ugm3: 1 } }), 'timestamp-out-of-range');
    expect(detail).toContain('looks like epoch seconds: send epoch milliseconds');
  });

  it('accepts the edges of the time window', () => {
    accepted(decode('air-1', { observedAt: RECEIVED_AT + 5 * 60_000, metrics: { pm25_ugm3: 1 } }));
    accepted(decode('air-1', { observedAt: RECEIVED_AT - 365 * 86_400_000, metrics: { pm25_ugm3: 1 } }));
  });

  it('lat without lon, and coordinates out of range', () => {
    expect(refused(decode('bus-1', { metrics: { pm25_ugm3: 1 }, lat: 41.9 }), 'invalid-schema')).toBe(
      'lon: expected a longitude in -180..180 (got nothing) (lat and lon go together)',
    );
    expect(refused(decode('bus-1', { metrics: { pm25_ugm3: 1 }, lat: 91, lon: 0 }), 'invalid-schema')).toBe(
      'lat: expected at most 90 (got 91)',
    );
    expect(refused(decode('bus-1', { metrics: { pm25_ugm3: 1 }, lat: 0, lon: '-87.6' }), 'invalid-schema')).toBe(
      'lon: expected a finite number (got "-87.6")',
    );
  });

  it('a device id in the topic that cannot be a device id', () => {
    const detail = refused(decode('Air_01', { metrics: { pm25_ugm3: 1 } }), 'invalid-schema');
    expect(detail).toBe('device id "Air_01" must be 1-64 of a-z, 0-9, _, ., - starting with a letter or digit');
  });
});

describe('native reading hot path', () => {
  it('takes by hand only bodies the schema accepts, with the same fields', () => {
    const bodies: unknown[] = [
      { metrics: { pm25_ugm3: 1 } },
      { observedAt: OBSERVED_AT, metrics: { pm25_ugm3: 1.5, no2_ugm3: -3 }, lat: 41.88, lon: -87.63, extra: 'ignored' },
      { observedAt: 'yesterday', metrics: { a: 0 } },
      { metrics: { a: 1 }, lat: 90, lon: -180 },
      { metrics: { a: 1 }, lat: 90.0001 },
      { metrics: { a: 1 }, lon: -180.5 },
      { metrics: { a: 1 }, lat: '41' },
      { metrics: { a: 1 }, lat: null },
      { metrics: { a: Infinity } },
      { metrics: { a: NaN } },
      { metrics: { a: '1' } },
      { metrics: { a: null } },
      { metrics: [1] },
      { metrics: null },
      {},
      [],
      null,
      42,
      'x',
      JSON.parse('{"metrics":{"__proto__":5}}'),
      Object.assign(Object.create({ inherited: 1 }), { metrics: { a: 1 } }),
      { metrics: Object.assign(Object.create({ inherited: 'x' }), { a: 1 }) },
    ];
    for (const body of bodies) {
      const byHand = plainlyValidNativeReading(body);
      const bySchema = NativeReadingSchema.safeParse(body);
      if (byHand) {
        expect(bySchema.success, JSON.stringify(body)).toBe(true);
        expect(byHand.metrics).toEqual(bySchema.data!.metrics);
        expect([byHand.lat, byHand.lon, byHand.observedAt]).toEqual([bySchema.data!.lat, bySchema.data!.lon, bySchema.data!.observedAt]);
      }
    }
    // and it does take the everyday body (else the hot path is never hot)
    expect(plainlyValidNativeReading({ observedAt: OBSERVED_AT, metrics: { pm25_ugm3: 12 } })).toBeDefined();
  });
});
