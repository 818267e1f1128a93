// The offline basemap: GET /tiles/13/{x}/{y}.mvt from @mapbox/mvt-fixtures' Chicago tiles and
// GET /map/style.json pointing at them.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Router } from 'express';
import { BASEMAP_ZOOM, basemapStyle } from '../core/map-style.ts';

/** the folder holding 13-{x}-{y}.mvt */
export function basemapTilesDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@mapbox/mvt-fixtures/package.json')), 'real-world', 'chicago');
}

const TILE_COORD = /^\d{1,7}$/;

export function basemapRouter(tilesDir: string = basemapTilesDir()): Router {
  const router = Router();
  const cache = new Map<string, Buffer | null>();

  router.get('/tiles/:z/:x/:y.mvt', async (req, res) => {
    const { z, x, y } = req.params;
    if (!TILE_COORD.test(z) || !TILE_COORD.test(x) || !TILE_COORD.test(y)) {
      res.status(400).json({ error: 'tile coordinates must be non-negative integers' });
      return;
    }
    const key = `${Number(z)}-${Number(x)}-${Number(y)}`;
    let tile = cache.get(key);
    if (tile === undefined) {
      tile = null;
      if (Number(z) === BASEMAP_ZOOM) {
        try {
          tile = await readFile(join(tilesDir, `${key}.mvt`));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      cache.set(key, tile);
    }
    res.set('cache-control', 'public, max-age=86400');
    // 204: outside the shipped area; maplibre draws an empty tile without an error
    if (!tile) {
      res.status(204).end();
      return;
    }
    res.type('application/vnd.mapbox-vector-tile').send(tile);
  });

  router.get('/map/style.json', (req, res) => {
    const origin = `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    res.json(basemapStyle(`${origin}/tiles/{z}/{x}/{y}.mvt`));
  });

  return router;
}
