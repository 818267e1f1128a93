// The dashboard's REST API: devices as the map sees them, history from the time-series store, camera
// snapshots, districts and the map configuration. Errors are JSON `{error}`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Router } from 'express';
import {
  DEMO_CITY,
  DEVICE_ID_PATTERN,
  HISTORY_RANGES,
  HISTORY_RANGE_SPECS,
  METRIC_NAME_PATTERN,
  type DeviceHistory,
  type HistoryRange,
  type MapConfig,
  type TimeSeriesStore,
} from '@city/shared';
import { snapshotsDir, type DashboardConfig } from '../config.ts';
import type { LiveState } from '../core/live-state.ts';

export interface ApiContext {
  config: DashboardConfig;
  store: TimeSeriesStore;
  state: LiveState;
}

/** The basemap has z13 tiles only: below 12 it would be a blank background, above 18 too blurry. */
export const MAP_ZOOM = { min: 12, max: 18 } as const;

const isRange = (value: unknown): value is HistoryRange => typeof value === 'string' && (HISTORY_RANGES as readonly string[]).includes(value);

/** The window of a history request: aligned to the step so buckets are whole and stable between calls. */
export function historyWindow(range: HistoryRange, nowMs: number): { fromMs: number; toMs: number; stepMs: number } {
  const { spanMs, stepMs } = HISTORY_RANGE_SPECS[range];
  const toMs = (Math.floor(nowMs / stepMs) + 1) * stepMs;
  return { fromMs: toMs - spanMs, toMs, stepMs };
}

export function apiRouter(ctx: ApiContext): Router {
  const router = Router();

  router.get('/devices', (_req, res) => {
    res.json(ctx.state.all(Date.now()));
  });

  router.get('/devices/:id', (req, res) => {
    const device = ctx.state.get(req.params.id, Date.now());
    if (!device) {
      res.status(404).json({ error: `unknown device ${JSON.stringify(req.params.id)}` });
      return;
    }
    res.json(device);
  });

  router.get('/devices/:id/history', async (req, res) => {
    const id = req.params.id;
    const device = ctx.state.get(id, Date.now());
    if (!device) {
      res.status(404).json({ error: `unknown device ${JSON.stringify(id)}` });
      return;
    }
    const range = req.query.range ?? '1h';
    if (!isRange(range)) {
      res.status(400).json({ error: `range: expected one of ${HISTORY_RANGES.join(', ')} (got ${JSON.stringify(range)})` });
      return;
    }
    const metric = req.query.metric;
    if (metric !== undefined && (typeof metric !== 'string' || !METRIC_NAME_PATTERN.test(metric))) {
      res.status(400).json({ error: `metric: expected a metric name like pm25_ugm3 (got ${JSON.stringify(metric)})` });
      return;
    }
    const window = historyWindow(range, Date.now());
    let points;
    try {
      points = await ctx.store.query({ kind: device.kind, deviceId: id, ...(metric ? { metric } : {}), ...window });
    } catch (err) {
      res.status(503).json({ error: `time-series store unavailable: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    const body: DeviceHistory = {
      deviceId: id,
      kind: device.kind,
      ...window,
      points: points.map((p) => ({ t: p.t, metrics: p.metrics })),
    };
    res.json(body);
  });

  router.get('/cameras/:id/snapshot.jpg', async (req, res) => {
    const id = req.params.id;
    // the id is a path component: only registry-shaped ids, never "../x"
    if (!DEVICE_ID_PATTERN.test(id)) {
      res.status(400).json({ error: `camera id ${JSON.stringify(id)}: expected lowercase letters, digits, _ . - (1-64)` });
      return;
    }
    let jpeg: Buffer;
    try {
      jpeg = await readFile(join(snapshotsDir(ctx.config), `${id}.jpg`));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      res.status(404).json({ error: `no snapshot for camera ${id}` });
      return;
    }
    res.set('cache-control', 'no-cache').type('image/jpeg').send(jpeg);
  });

  router.get('/districts', (_req, res) => {
    res.json({
      type: 'FeatureCollection',
      features: DEMO_CITY.districts.map((d) => {
        const [w, s, e, n] = d.bbox;
        return {
          type: 'Feature',
          id: d.id,
          properties: { id: d.id, name: d.name },
          geometry: { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] },
        };
      }),
    });
  });

  router.get('/config', (_req, res) => {
    const body: MapConfig = {
      mapStyleUrl: ctx.config.mapStyleUrl,
      center: DEMO_CITY.center,
      bounds: DEMO_CITY.bounds,
      minZoom: MAP_ZOOM.min,
      maxZoom: MAP_ZOOM.max,
      timeZone: ctx.config.incidents.timeZone,
    };
    res.json(body);
  });

  router.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  return router;
}
