// The web app end to end: the built app served by `npm start`'s process, in headless Chromium. The map
// renders the demo fleet; a device added with the CLI publishes over MQTT, is clicked on the map, and
// its detail panel follows its next reading live. Leaves docs/screenshots/dashboard.png behind.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import mqtt from 'mqtt';
import { expect, it } from 'vitest';
import { track } from '../../../test/support/teardown.ts';
import { tmpDir } from '../../../test/support/tmp.ts';
import { startSystem } from '../../../test/support/system.ts';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Resolves when the map has drawn everything it has (tiles, sources, images). */
function mapIdle(page: Page): Promise<void> {
  return page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const map = window.__map!;
        if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) resolve();
        else map.once('idle', () => resolve());
        map.triggerRepaint();
        // a map that keeps animating never goes idle: the probes calling this poll again anyway
        setTimeout(resolve, 3000);
      }),
  );
}

const renderedCount = (page: Page, layer: string, id?: string) =>
  page.evaluate(([layer, id]) => window.__map!.queryRenderedFeatures({ layers: [layer!], ...(id ? { filter: ['==', ['get', 'id'], id] } : {}) }).length, [layer, id] as const);

/** Devices drawn: unclustered sensors and cameras plus every cluster's count. */
const devicesDrawn = (page: Page) =>
  page.evaluate(() => {
    const map = window.__map!;
    const singles = map.queryRenderedFeatures({ layers: ['sensors', 'cameras'] }).length;
    const clustered = map.queryRenderedFeatures({ layers: ['device-clusters'] }).reduce((n, f) => n + Number(f.properties.point_count), 0);
    return singles + clustered;
  });

it('renders the live map and follows a new device in the detail panel', async () => {
  // the app as `npm start` serves it
  await build({ configFile: `${repoRoot}dashboard/web/vite.config.ts`, logLevel: 'warn' });

  const dataDir = tmpDir();
  const env = { ...process.env, DATA_DIR: dataDir };
  const { base, mqttPort } = await startSystem(dataDir, { DEMO_INTERVAL_S: '2' });

  const browser = track(await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS }), (b) => b.close());
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));

  await page.goto(base);
  await page.waitForFunction(() => window.__map !== undefined);
  await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
  // the demo fleet on the map: unclustered sensors drawn at the start zoom
  await until('sensors drawn', async () => {
    await mapIdle(page);
    return (await renderedCount(page, 'sensors')) > 0 ? true : undefined;
  });
  expect(await renderedCount(page, 'sensors')).toBeGreaterThan(0);
  // at the basemap's lowest zoom (13) a 1600x900 wall holds about half the 48 demo devices, alone or in clusters
  await until('the central fleet drawn', async () => {
    await mapIdle(page);
    return (await devicesDrawn(page)) >= 15 ? true : undefined;
  });
  expect(pageErrors).toEqual([]);

  // a device added while the system runs, publishing with MQTT.js
  const added = await run(process.execPath, ['--import', 'tsx', 'broker/src/devices-cli.ts', 'add', 'aq-e2e-1', '--kind', 'air_quality', '--lat', '41.8789', '--lon', '-87.6359'], { cwd: repoRoot, env });
  const secret = added.stdout.match(/^secret: (\S+)$/m)![1]!;
  const device = track(await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: 'aq-e2e-1', password: secret, reconnectPeriod: 0 }), (c) => c.endAsync(true));
  const publish = (metrics: Record<string, number>) =>
    device.publishAsync('city/sensors/aq-e2e-1/up', JSON.stringify({ observedAt: Date.now(), metrics }), { qos: 1 });
  await publish({ pm25_ugm3: 12.5, no2_ugm3: 31 });

  // zoom in past clustering and click the device's circle on the map
  await page.evaluate(() => window.__map!.jumpTo({ center: [-87.6359, 41.8789], zoom: 17 }));
  await until('the new device drawn', async () => {
    await mapIdle(page);
    return (await renderedCount(page, 'sensors', 'aq-e2e-1')) > 0 ? true : undefined;
  });
  const at = await page.evaluate(() => {
    const map = window.__map!;
    const p = map.project([-87.6359, 41.8789]);
    const box = map.getCanvas().getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  });
  await page.mouse.click(at.x, at.y);
  await expect.poll(() => page.getByTestId('detail-id').textContent()).toBe('aq-e2e-1');
  const values = page.getByTestId('latest-values');
  await expect.poll(() => values.textContent()).toContain('12.5 µg/m³');

  // the next reading shows up in the open panel without any click
  await publish({ pm25_ugm3: 87.3, no2_ugm3: 44 });
  await expect.poll(() => values.textContent(), { timeout: 10_000 }).toContain('87.3 µg/m³');
  expect(await values.textContent()).toContain('44 µg/m³');

  // the wall as an operator sees it: the overview with the panel open
  await page.evaluate(() => window.__map!.jumpTo({ center: [-87.648, 41.884], zoom: 13 }));
  await mapIdle(page);
  await page.waitForTimeout(300);
  mkdirSync(`${repoRoot}docs/screenshots`, { recursive: true });
  await page.screenshot({ path: `${repoRoot}docs/screenshots/dashboard.png` });
  expect(pageErrors).toEqual([]);
}, 60_000);
