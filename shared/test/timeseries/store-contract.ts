// One contract for every TimeSeriesStore adapter: each adapter's test file calls describeStoreContract with a
// factory that opens a fresh, started store and registers its teardown with track().
import { describe, expect, it } from 'vitest';
import type { Reading, SensorKind } from '../../src/reading.ts';
import type { TimeSeriesStore } from '../../src/timeseries/store.ts';

/** A fixed, recent-enough epoch so buckets are predictable: 2025-01-01T00:00:00Z. */
export const T0 = Date.UTC(2025, 0, 1);

export function reading(deviceId: string, observedAt: number, metrics: Record<string, number>, extra: Partial<Reading> = {}): Reading {
  return { deviceId, kind: 'air_quality', observedAt, metrics, ...extra };
}

/** n readings one second apart, three metrics each, values derived from the index. */
export function series(deviceId: string, n: number, kind: SensorKind = 'air_quality', startMs = T0): Reading[] {
  return Array.from({ length: n }, (_, i) =>
    reading(deviceId, startMs + i * 1000, { pm25_ugm3: i, no2_ugm3: 2 * i, temp_c: 20 + (i % 5) / 4 }, { kind, district: 'centre' }),
  );
}

export function describeStoreContract(name: string, makeStore: () => Promise<TimeSeriesStore>): void {
  describe(`TimeSeriesStore contract: ${name}`, () => {
    it('stores one point per reading', async () => {
      const store = await makeStore();
      await store.write(series('aq-1', 500));
      expect(await store.countPoints('air_quality')).toBe(500);
      expect(await store.countPoints('air_quality', 'aq-1')).toBe(500);
    });

    it('is idempotent: the same readings written twice stay one point each', async () => {
      const store = await makeStore();
      const readings = series('aq-1', 200);
      await store.write(readings);
      await store.write(readings);
      await store.write(readings.slice(50, 150));
      expect(await store.countPoints('air_quality', 'aq-1')).toBe(200);
    });

    it('a rewrite of the same reading keeps one point with the latest values', async () => {
      const store = await makeStore();
      await store.write([reading('aq-1', T0, { pm25_ugm3: 1, no2_ugm3: 5 })]);
      await store.write([reading('aq-1', T0, { pm25_ugm3: 2, no2_ugm3: 6 })]);
      expect(await store.countPoints('air_quality', 'aq-1')).toBe(1);
      const points = await store.query({ kind: 'air_quality', deviceId: 'aq-1', fromMs: T0, toMs: T0 + 1 });
      expect(points).toEqual([{ t: T0, metrics: { pm25_ugm3: 2, no2_ugm3: 6 } }]);
    });

    it('counts points, not fields, when readings carry different metrics', async () => {
      const store = await makeStore();
      await store.write([
        reading('aq-1', T0, { pm25_ugm3: 1 }),
        reading('aq-1', T0 + 1000, { no2_ugm3: 2 }),
        reading('aq-1', T0 + 2000, { pm25_ugm3: 3, no2_ugm3: 4 }),
        reading('aq-1', T0 + 3000, { o3_ugm3: 5 }),
      ]);
      expect(await store.countPoints('air_quality', 'aq-1')).toBe(4);
    });

    it('keeps devices and kinds apart', async () => {
      const store = await makeStore();
      await store.write([...series('aq-1', 30), ...series('aq-2', 20), ...series('aq-1', 10, 'noise')]);
      expect(await store.countPoints('air_quality')).toBe(50);
      expect(await store.countPoints('air_quality', 'aq-1')).toBe(30);
      expect(await store.countPoints('air_quality', 'aq-2')).toBe(20);
      expect(await store.countPoints('noise')).toBe(10);
      expect(await store.countPoints('noise', 'aq-2')).toBe(0);
      expect(await store.countPoints('water_level')).toBe(0);
      const aq2 = await store.query({ kind: 'air_quality', deviceId: 'aq-2', fromMs: T0, toMs: T0 + 3_600_000 });
      expect(aq2).toHaveLength(20);
      const noise = await store.query({ kind: 'noise', deviceId: 'aq-1', fromMs: T0, toMs: T0 + 3_600_000 });
      expect(noise).toHaveLength(10);
    });

    it('queries raw points in [from, to) with their metrics, oldest first', async () => {
      const store = await makeStore();
      await store.write(series('aq-1', 20).reverse());
      const points = await store.query({ kind: 'air_quality', deviceId: 'aq-1', fromMs: T0 + 5000, toMs: T0 + 8000 });
      expect(points).toEqual([
        { t: T0 + 5000, metrics: { pm25_ugm3: 5, no2_ugm3: 10, temp_c: 20 } },
        { t: T0 + 6000, metrics: { pm25_ugm3: 6, no2_ugm3: 12, temp_c: 20.25 } },
        { t: T0 + 7000, metrics: { pm25_ugm3: 7, no2_ugm3: 14, temp_c: 20.5 } },
      ]);
      const one = await store.query({ kind: 'air_quality', deviceId: 'aq-1', metric: 'no2_ugm3', fromMs: T0 + 5000, toMs: T0 + 7000 });
      expect(one).toEqual([
        { t: T0 + 5000, metrics: { no2_ugm3: 10 } },
        { t: T0 + 6000, metrics: { no2_ugm3: 12 } },
      ]);
      expect(await store.query({ kind: 'air_quality', deviceId: 'nobody', fromMs: T0, toMs: T0 + 60_000 })).toEqual([]);
    });

    it('downsamples to the mean per bucket, buckets aligned to the epoch', async () => {
      const store = await makeStore();
      // 30 readings at 1 s: buckets of 10 s hold i = 0..9, 10..19, 20..29
      await store.write(series('aq-1', 30));
      const points = await store.query({ kind: 'air_quality', deviceId: 'aq-1', fromMs: T0, toMs: T0 + 30_000, stepMs: 10_000 });
      expect(points.map((p) => p.t)).toEqual([T0, T0 + 10_000, T0 + 20_000]);
      expect(points.map((p) => p.metrics.pm25_ugm3)).toEqual([4.5, 14.5, 24.5]);
      expect(points.map((p) => p.metrics.no2_ugm3)).toEqual([9, 29, 49]);
      const one = await store.query({ kind: 'air_quality', deviceId: 'aq-1', metric: 'pm25_ugm3', fromMs: T0 + 5000, toMs: T0 + 20_000, stepMs: 10_000 });
      expect(one).toEqual([
        { t: T0, metrics: { pm25_ugm3: 7 } },
        { t: T0 + 10_000, metrics: { pm25_ugm3: 14.5 } },
      ]);
    });

    it('a mean covers only the readings that carry the metric', async () => {
      const store = await makeStore();
      await store.write([
        reading('aq-1', T0, { pm25_ugm3: 2 }),
        reading('aq-1', T0 + 1000, { pm25_ugm3: 4, no2_ugm3: 10 }),
        reading('aq-1', T0 + 2000, { no2_ugm3: 20 }),
      ]);
      const points = await store.query({ kind: 'air_quality', deviceId: 'aq-1', fromMs: T0, toMs: T0 + 60_000, stepMs: 60_000 });
      expect(points).toEqual([{ t: T0, metrics: { pm25_ugm3: 3, no2_ugm3: 15 } }]);
    });

    it('a reading with a label and one without, same device and time, are two points', async () => {
      const store = await makeStore();
      const camera: Partial<Reading> = { kind: 'camera' };
      await store.write([
        reading('cam-1', T0, { detections: 3 }, { ...camera, label: 'person' }),
        reading('cam-1', T0, { detections: 1 }, { ...camera, label: 'car' }),
        reading('cam-1', T0, { fps: 12 }, camera),
      ]);
      expect(await store.countPoints('camera', 'cam-1')).toBe(3);
      const all = await store.query({ kind: 'camera', deviceId: 'cam-1', fromMs: T0, toMs: T0 + 1 });
      expect(all).toEqual([
        { t: T0, metrics: { fps: 12 } },
        { t: T0, metrics: { detections: 1 }, label: 'car' },
        { t: T0, metrics: { detections: 3 }, label: 'person' },
      ]);
      const person = await store.query({ kind: 'camera', deviceId: 'cam-1', label: 'person', fromMs: T0, toMs: T0 + 1 });
      expect(person).toEqual([{ t: T0, metrics: { detections: 3 }, label: 'person' }]);
      const unlabelled = await store.query({ kind: 'camera', deviceId: 'cam-1', label: '', fromMs: T0, toMs: T0 + 1 });
      expect(unlabelled).toEqual([{ t: T0, metrics: { fps: 12 } }]);
    });

    it('names needing escaping round-trip', async () => {
      const store = await makeStore();
      const deviceId = 'st-01.north_2';
      const metrics = { 'pm2.5-raw_ugm3': 1.5, 'odd name,with=chars': 2, 'quote"and\\slash': 3, normal_db: 4 };
      await store.write([
        reading(deviceId, T0, metrics, { district: 'old town, east=1', label: 'fire truck' }),
        reading(deviceId, T0 + 1000, { 'pm2.5-raw_ugm3': 2.5 }),
      ]);
      expect(await store.countPoints('air_quality', deviceId)).toBe(2);
      const points = await store.query({ kind: 'air_quality', deviceId, fromMs: T0, toMs: T0 + 2000 });
      expect(points).toEqual([
        { t: T0, metrics, label: 'fire truck' },
        { t: T0 + 1000, metrics: { 'pm2.5-raw_ugm3': 2.5 } },
      ]);
      const one = await store.query({ kind: 'air_quality', deviceId, metric: 'pm2.5-raw_ugm3', fromMs: T0, toMs: T0 + 2000, stepMs: 2000 });
      expect(one).toEqual([{ t: T0, metrics: { 'pm2.5-raw_ugm3': 2 } }]);
      const label = await store.query({ kind: 'air_quality', deviceId, label: 'fire truck', fromMs: T0, toMs: T0 + 2000 });
      expect(label).toHaveLength(1);
    });

    it('keeps full float precision and skips values that are not finite', async () => {
      const store = await makeStore();
      await store.write([
        reading('aq-1', T0, { a: 0.1 + 0.2, b: -1e-300, c: 123456789.123456789, bad: Number.NaN, worse: Number.POSITIVE_INFINITY }),
        reading('aq-1', T0 + 1000, { only_bad: Number.NaN }),
      ]);
      expect(await store.countPoints('air_quality', 'aq-1')).toBe(1);
      const points = await store.query({ kind: 'air_quality', deviceId: 'aq-1', fromMs: T0, toMs: T0 + 2000 });
      expect(points).toEqual([{ t: T0, metrics: { a: 0.1 + 0.2, b: -1e-300, c: 123456789.123456789 } }]);
    });

    it('an empty write resolves and stores nothing', async () => {
      const store = await makeStore();
      await store.write([]);
      expect(await store.countPoints('air_quality')).toBe(0);
    });

    it('concurrent writes all land', async () => {
      const store = await makeStore();
      await Promise.all(['d-1', 'd-2', 'd-3', 'd-4'].map((id) => store.write(series(id, 250))));
      expect(await store.countPoints('air_quality')).toBe(1000);
      for (const id of ['d-1', 'd-2', 'd-3', 'd-4']) expect(await store.countPoints('air_quality', id)).toBe(250);
    });
  });
}
