// The operators' reports desk in headless Chromium, as a step of the end-to-end test: a citizen report
// drawn on the map's reports layer, opened from the Reports tab, moved to in progress with a public
// note, given an internal note, both then shown in its detail; leaves `reports.png` in screenshotDir.
//
// Before calling: `page` shows the dashboard (window.__map defined) with an operator (or admin) logged
// in, and the report `reportId` exists with a position (e.g. POST /api/reports, multipart
// service_code, lat, long, description). Plain playwright and thrown Errors: no test-runner state.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { OperatorReportDetail } from '@city/shared/reports';
import { mapIdle, renderedCount, until } from './map-page.ts';

export interface ReportsDeskOptions {
  reportId: string;
  /** where reports.png goes */
  screenshotDir: string;
  /** the public note sent with the status change */
  publicNote?: string;
  internalNote?: string;
  timeoutMs?: number;
}

const textOf = async (page: Page, testId: string) => (await page.getByTestId(testId).textContent({ timeout: 1000 })) ?? '';

export async function reportsDeskScenario(page: Page, options: ReportsDeskOptions): Promise<void> {
  const { reportId, screenshotDir, timeoutMs = 20_000 } = options;
  const publicNote = options.publicNote ?? 'A crew is on the way';
  const internalNote = options.internalNote ?? 'Crew 7 has the ladder truck';

  // where the report is: the operators' API, with the page's own session
  const position = await page.evaluate(async (id) => {
    const res = await fetch(`/api/reports/${encodeURIComponent(id)}`, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`GET /api/reports/${id}: ${res.status}`);
    return ((await res.json()) as OperatorReportDetail).position;
  }, reportId);
  if (!position) throw new Error(`report ${reportId} has no position: it cannot be on the map`);

  // on the map, pushed over /ops
  await page.evaluate(([lon, lat]) => window.__map!.jumpTo({ center: [lon!, lat!], zoom: 16 }), [position.lon, position.lat] as const);
  await until(
    'the report drawn on the reports layer',
    async () => {
      await mapIdle(page);
      return (await renderedCount(page, 'reports', reportId)) > 0 ? true : undefined;
    },
    timeoutMs,
  );

  // in the Reports tab, opened from its row
  await page.getByTestId('tab-reports').click();
  const row = page.locator(`[data-testid="report-row"][data-report-id="${reportId}"]`);
  await row.waitFor({ timeout: timeoutMs });
  await row.locator('button').click();
  const detail = page.locator(`[data-testid="report-detail"][data-report-id="${reportId}"]`);
  await detail.waitFor({ timeout: timeoutMs });
  // the selected one is highlighted on the map
  await until(
    'the selected report highlighted',
    async () => {
      await mapIdle(page);
      return (await renderedCount(page, 'reports-selected', reportId)) > 0 ? true : undefined;
    },
    timeoutMs,
  );

  // in progress, with a public note
  await detail.getByLabel('New status').selectOption('in_progress');
  await detail.getByLabel('Public note with the status').fill(publicNote);
  await detail.getByRole('button', { name: 'Set status' }).click();
  await until('the status in progress', async () => ((await textOf(page, 'report-status')) === 'In progress' ? true : undefined), timeoutMs);
  await until('the public note in the updates', async () => ((await textOf(page, 'report-updates')).includes(publicNote) ? true : undefined), timeoutMs);

  // an internal note
  await detail.getByLabel('Note', { exact: true }).fill(internalNote);
  await detail.getByRole('button', { name: 'Add internal note' }).click();
  await until('the internal note listed', async () => ((await textOf(page, 'report-notes')).includes(internalNote) ? true : undefined), timeoutMs);
  await until(
    'both in the timeline',
    async () => {
      const timeline = await textOf(page, 'report-timeline');
      return timeline.includes('In progress') && timeline.includes(internalNote) ? true : undefined;
    },
    timeoutMs,
  );
  const errors = await detail.getByTestId('report-error').count();
  if (errors > 0) throw new Error(`reports desk: the detail shows an error: ${await textOf(page, 'report-error')}`);

  // the map follows the live push
  await until(
    'the report drawn as in progress',
    async () => {
      const statuses = await page.evaluate(
        (id) => window.__map!.queryRenderedFeatures({ layers: ['reports'], filter: ['==', ['get', 'id'], id] }).map((f) => f.properties.status as string),
        reportId,
      );
      return statuses.includes('in_progress') ? true : undefined;
    },
    timeoutMs,
  );

  // the wall: the report with its neighbours, left of the detail panel
  await page.evaluate(([lon, lat]) => window.__map!.jumpTo({ center: [lon! + 0.008, lat!], zoom: 14.5 }), [position.lon, position.lat] as const);
  await mapIdle(page);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(screenshotDir, 'reports.png') });
}
