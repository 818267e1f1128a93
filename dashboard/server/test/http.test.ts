// The REST API, the offline basemap and the web app fallback against a running dashboard.
import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_CITY, type DeviceHistory, type DeviceSnapshot, type MapConfig } from '@city/shared';
import { historyWindow } from '../src/features/api.ts';
import { startStack, waitFor } from './support/stack.ts';

const getJson = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as unknown };
};

describe('history', () => {
  it('returns stored points downsampled per range, 400 on a bad range or metric, 404 for an unknown device', async () => {
    const stack = await startStack({ DASHBOARD_STATE_REFRESH_MS: '100' });
    await stack.registry.add({ id: 'aq-h', kind: 'air_quality', position: { lat: 41.88, lon: -87.63 } });
    await waitFor('aq-h listed', async () => (await fetch(`${stack.base}/api/devices/aq-h`)).status === 200);

    // one reading per second over the last 2 minutes, and one 3 hours ago
    const now = Date.now();
    const { fromMs, toMs, stepMs } = historyWindow('1h', now);
    const start = Math.floor((now - 120_000) / stepMs) * stepMs;
    const readings = Array.from({ length: 100 }, (_, i) => ({
      deviceId: 'aq-h',
      kind: 'air_quality' as const,
      observedAt: start + i * 1000,
      metrics: { pm25_ugm3: i, no2_ugm3: 2 * i },
    }));
    await stack.store.write([...readings, { deviceId: 'aq-h', kind: 'air_quality', observedAt: now - 3 * 3_600_000, metrics: { pm25_ugm3: 500, no2_ugm3: 1 } }]);

    const hour = await getJson(`${stack.base}/api/devices/aq-h/history?range=1h`);
    expect(hour.status).toBe(200);
    const h = hour.body as DeviceHistory;
    expect(h).toMatchObject({ deviceId: 'aq-h', kind: 'air_quality', stepMs: 10_000 });
    expect(h.toMs - h.fromMs).toBe(3_600_000);
    expect(h.fromMs).toBeGreaterThanOrEqual(fromMs);
    expect(h.toMs).toBeGreaterThanOrEqual(toMs);
    // 100 s of readings in 10 s buckets: 10 points, each the mean of 10 readings
    expect(h.points).toHaveLength(10);
    expect(h.points[0]).toEqual({ t: start, metrics: { pm25_ugm3: 4.5, no2_ugm3: 9 } });
    expect(h.points.every((p, i) => i === 0 || p.t - h.points[i - 1]!.t === 10_000)).toBe(true);

    const day = (await getJson(`${stack.base}/api/devices/aq-h/history?range=1d&metric=pm25_ugm3`)).body as DeviceHistory;
    expect(day.stepMs).toBe(240_000);
    expect(day.points.length).toBeGreaterThanOrEqual(2); // the old reading and the recent ones
    expect(day.points.length).toBeLessThanOrEqual(3);
    expect(day.points.every((p) => Object.keys(p.metrics).join() === 'pm25_ugm3')).toBe(true);
    expect(day.points[0]!.metrics.pm25_ugm3).toBe(500);

    const week = (await getJson(`${stack.base}/api/devices/aq-h/history?range=7d`)).body as DeviceHistory;
    expect(week.stepMs).toBe(1_800_000);
    expect(Math.round((week.toMs - week.fromMs) / week.stepMs)).toBe(336);

    for (const query of ['range=2h', 'range=1h&metric=PM25!', 'range=1h&range=1d', 'range=1h&metric=a&metric=b']) {
      const bad = await getJson(`${stack.base}/api/devices/aq-h/history?${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.type).toContain('application/json');
      expect((bad.body as { error: string }).error).toMatch(/range|metric/);
    }
    expect((await getJson(`${stack.base}/api/devices/nope/history?range=1h`)).status).toBe(404);
    expect(await getJson(`${stack.base}/api/devices/nope`)).toMatchObject({ status: 404, body: { error: expect.any(String) } });
    expect(await getJson(`${stack.base}/api/nothing/here`)).toMatchObject({ status: 404, body: { error: 'not found' } });
  });
});

describe('map data', () => {
  it('districts, config, tiles, style and camera snapshots', async () => {
    const stack = await startStack();

    const districts = (await getJson(`${stack.base}/api/districts`)).body as { type: string; features: { properties: { id: string }; geometry: { type: string; coordinates: number[][][] } }[] };
    expect(districts.type).toBe('FeatureCollection');
    expect(districts.features.map((f) => f.properties.id)).toEqual(DEMO_CITY.districts.map((d) => d.id));
    expect(districts.features[0]!.geometry.type).toBe('Polygon');
    expect(districts.features[0]!.geometry.coordinates[0]).toHaveLength(5);

    const config = (await getJson(`${stack.base}/api/config`)).body as MapConfig;
    expect(config).toMatchObject({ mapStyleUrl: '/map/style.json', center: DEMO_CITY.center, bounds: DEMO_CITY.bounds, timeZone: 'America/Chicago' });
    expect(config.minZoom).toBeLessThan(config.maxZoom);

    const tile = await fetch(`${stack.base}/tiles/13/2099/3044.mvt`);
    expect(tile.status).toBe(200);
    expect(tile.headers.get('content-type')).toBe('application/vnd.mapbox-vector-tile');
    expect((await tile.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    expect((await fetch(`${stack.base}/tiles/13/1/1.mvt`)).status).toBe(204);
    expect((await fetch(`${stack.base}/tiles/12/1049/1522.mvt`)).status).toBe(204);
    expect((await fetch(`${stack.base}/tiles/13/x/3044.mvt`)).status).toBe(400);
    expect((await fetch(`${stack.base}/tiles/13/-1/3044.mvt`)).status).toBe(400);

    const style = await getJson(`${stack.base}/map/style.json`);
    expect(style.status).toBe(200);
    const s = style.body as { version: number; glyphs?: string; sources: Record<string, { type: string; tiles: string[]; minzoom: number; maxzoom: number; bounds: number[]; attribution: string }>; layers: { id: string; type: string; source?: string; 'source-layer'?: string; layout?: Record<string, unknown> }[] };
    expect(s.version).toBe(8);
    expect(s).not.toHaveProperty('glyphs');
    const [sourceId, source] = Object.entries(s.sources)[0]!;
    expect(source).toEqual({
      type: 'vector',
      tiles: [`${stack.base}/tiles/{z}/{x}/{y}.mvt`],
      minzoom: 13,
      maxzoom: 13,
      bounds: DEMO_CITY.bounds,
      attribution: '© OpenStreetMap contributors',
    });
    expect(s.layers[0]).toMatchObject({ id: 'background', type: 'background' });
    for (const layer of s.layers.slice(1)) {
      expect(layer.source).toBe(sourceId);
      expect(['landuse', 'landuse_overlay', 'water', 'waterway', 'building', 'road', 'road_label', 'place_label']).toContain(layer['source-layer']);
      expect(layer.layout ?? {}).not.toHaveProperty('text-font');
    }
    expect(s.layers.map((l) => l['source-layer'])).toEqual(expect.arrayContaining(['water', 'landuse', 'building', 'road', 'road_label', 'place_label']));
    // the tile URL the style gives is one the server answers
    expect((await fetch(source.tiles[0]!.replace('{z}', '13').replace('{x}', '2100').replace('{y}', '3045'))).status).toBe(200);

    // camera snapshots: ingest writes DATA_DIR/snapshots/{id}.jpg
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    mkdirSync(`${stack.dataDir}/snapshots`, { recursive: true });
    writeFileSync(`${stack.dataDir}/snapshots/cam-1.jpg`, jpeg);
    const snap = await fetch(`${stack.base}/api/cameras/cam-1/snapshot.jpg`);
    expect(snap.status).toBe(200);
    expect(snap.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await snap.arrayBuffer())).toEqual(jpeg);
    expect((await getJson(`${stack.base}/api/cameras/cam-2/snapshot.jpg`)).status).toBe(404);
    expect((await getJson(`${stack.base}/api/cameras/CAM_1/snapshot.jpg`)).status).toBe(400);
    expect((await getJson(`${stack.base}/api/cameras/..%2Fdevices.sqlite/snapshot.jpg`)).status).toBe(400);
  });

  it('status page at /status, and at / without a built web app; the web app with its fallback when built', async () => {
    const stack = await startStack();
    for (const path of ['/', '/status']) {
      const page = await (await fetch(`${stack.base}${path}`)).text();
      expect(page, path).toContain('City operations control centre');
    }
    const health = await getJson(`${stack.base}/healthz`);
    expect(health.body).toMatchObject({ status: 'ok', mqtt: 'subscribed' });
    expect(await (await fetch(`${stack.base}/metrics`)).text()).toMatch(/^city_dashboard_clients 0$/m);

    const webDir = `${stack.dataDir}/web`;
    mkdirSync(`${webDir}/assets`, { recursive: true });
    writeFileSync(`${webDir}/index.html`, '<!doctype html><title>web app</title>');
    writeFileSync(`${webDir}/assets/app.js`, 'console.log(1)');
    const withWeb = await startStack({ DASHBOARD_WEB_DIR: webDir });
    expect(await (await fetch(`${withWeb.base}/`)).text()).toContain('web app');
    expect(await (await fetch(`${withWeb.base}/devices/aq-1`)).text()).toContain('web app');
    expect(await (await fetch(`${withWeb.base}/assets/app.js`)).text()).toBe('console.log(1)');
    expect(await (await fetch(`${withWeb.base}/status`)).text()).toContain('City operations control centre');
    expect((await getJson(`${withWeb.base}/api/unknown`)).status).toBe(404);
    expect(((await getJson(`${withWeb.base}/api/devices`)).body as DeviceSnapshot[])).toEqual([]);
  });
});
