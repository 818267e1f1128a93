// Waiting on the app in headless Chromium, for the end-to-end test and the scenarios it calls: a probe
// polled until it answers, the map drawn, features counted on a layer. Plain playwright, thrown Errors.
import type { Page } from 'playwright-core';

/** Polls `probe` until it gives a value (a throw counts as "not yet"); fails naming `what`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Resolves when the map has drawn everything it has (tiles, sources, images), or after 3 s. */
export function mapIdle(page: Page): Promise<void> {
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

/** Features drawn on `layer` (with that `id` property, when given). */
export const renderedCount = (page: Page, layer: string, id?: string) =>
  page.evaluate(([layer, id]) => window.__map!.queryRenderedFeatures({ layers: [layer!], ...(id ? { filter: ['==', ['get', 'id'], id] } : {}) }).length, [layer, id] as const);
