// The report submitter against the real dashboard (broker, SQLite store, Open311 API): its reports
// arrive and read back through GET requests.json; a 429 pauses it and is counted; a wrong key is
// counted as rejected.
import { describe, expect, it } from 'vitest';
import { createLogger } from '@city/shared';
import { startStack, waitFor } from '../../dashboard/server/test/support/stack.ts';
import { track } from '../../test/support/teardown.ts';
import { createReportSubmitter, type ReportSubmitterContext } from '../src/report-submitter.ts';

const KEY = 'sim-key-0123456789abcdef';
const UNDERPASS = { lat: 41.8789, lon: -87.6359 };

interface Open311Request {
  service_request_id: string;
  service_code: string;
  lat: number;
  long: number;
  description: string;
}

const submitter = (ctx: Partial<ReportSubmitterContext> & { open311Url: string }) =>
  track(createReportSubmitter({ apiKey: KEY, reportsPerMin: 6000, logger: createLogger('test-reports'), ...ctx }), (s) => s.stop());

const metres = (a: { lat: number; lon: number }, b: { lat: number; long: number }) =>
  Math.hypot((b.lat - a.lat) * 111_320, (b.long - a.lon) * 111_320 * Math.cos((a.lat * Math.PI) / 180));

describe('report submitter', () => {
  it('its reports arrive through Open311, some next to a hotspot', async () => {
    const stack = await startStack({ RULES_ENGINE: 'false', OPEN311_API_KEYS: KEY, REPORTS_POST_RATE_PER_MIN: '1000' });
    const open311Url = `${stack.base}/open311/v2`;
    const sim = submitter({ open311Url, maxReports: 12, nearHotspotRatio: 0.5, hotspots: async () => [{ position: UNDERPASS, category: 'flooding' }], seed: 4 });
    sim.start();
    const final = await sim.done;
    expect(final).toMatchObject({ created: 12, throttled: 0, rejected: 0, failed: 0, running: false });
    expect(final.nearHotspot).toBeGreaterThan(0);

    const requests = (await (await fetch(`${open311Url}/requests.json`)).json()) as Open311Request[];
    expect(requests).toHaveLength(12);
    const near = requests.filter((r) => metres(UNDERPASS, r) <= 51);
    expect(near.length).toBeGreaterThanOrEqual(final.nearHotspot);
    expect(near.every((r) => r.service_code === '004')).toBe(true);
    expect(requests.every((r) => r.description.length > 0)).toBe(true);
  });

  it('counts a 429 and pauses for its Retry-After; counts a wrong key as rejected', async () => {
    const stack = await startStack({ RULES_ENGINE: 'false', OPEN311_API_KEYS: KEY, REPORTS_POST_RATE_PER_MIN: '3' });
    const open311Url = `${stack.base}/open311/v2`;
    const sim = submitter({ open311Url });
    sim.start();
    await waitFor('throttled', () => (sim.stats().throttled > 0 ? true : undefined));
    // paused: the window's Retry-After is tens of seconds
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.stats()).toMatchObject({ created: 3, throttled: 1, rejected: 0 });
    await sim.stop();

    const other = await startStack({ RULES_ENGINE: 'false', OPEN311_API_KEYS: KEY, REPORTS_POST_RATE_PER_MIN: '1000' });
    const wrong = submitter({ open311Url: `${other.base}/open311/v2`, apiKey: 'not-the-key-0123456789' });
    wrong.start();
    await waitFor('rejected', () => (wrong.stats().rejected >= 3 ? true : undefined));
    await wrong.stop();
    expect(wrong.stats()).toMatchObject({ created: 0, rejectedByStatus: { '403': wrong.stats().rejected } });
  });
});
