// Simulated citizens sending reports through the city's Open311 API at a rate (a Poisson process,
// seeded), some of them clustered around hotspots (active incidents, devices in alarm). A 429 pauses
// submitting until its Retry-After; other 4xx answers are counted as rejected and the first of each
// status is logged. Nothing runs at import time; createReportSubmitter returns start(), stop(), stats().
import type { Logger } from '@city/shared';
import { nextGapMs, planReport, type Hotspot } from './core/citizen-reports.ts';
import { hashSeed, mulberry32 } from './core/prng.ts';
import { Open311Client } from './adapters/open311-client.ts';

export interface ReportSubmitterContext {
  /** the Open311 endpoint, e.g. http://localhost:8080/open311/v2 */
  open311Url: string;
  apiKey: string;
  /** reports per minute on average, above 0 */
  reportsPerMin: number;
  /** share of reports placed within ~50 m of a hotspot, 0..1; default 0.3 */
  nearHotspotRatio?: number;
  /** where things are going on now; absent = reports anywhere in the districts */
  hotspots?: () => Promise<Hotspot[]>;
  /** default 1 */
  seed?: number;
  /** stop after this many reports were created; default no limit */
  maxReports?: number;
  /** stop after this many seconds; absent or 0 = until stop() */
  durationS?: number;
  logger: Logger;
}

export interface ReportSubmitterStats {
  /** reports the city accepted (201) */
  created: number;
  /** of those, placed next to a hotspot */
  nearHotspot: number;
  /** 429 answers; submitting paused for their Retry-After */
  throttled: number;
  /** other 4xx answers, by status */
  rejected: number;
  rejectedByStatus: Record<string, number>;
  /** 5xx answers and network errors */
  failed: number;
  running: boolean;
}

export interface ReportSubmitter {
  start(): void;
  /** idempotent; waits for a submission in flight */
  stop(): Promise<void>;
  stats(): ReportSubmitterStats;
  /** resolves with the final stats once stopped (maxReports, duration or stop()) */
  readonly done: Promise<ReportSubmitterStats>;
}

/** How stale the hotspot list may be, ms: one read per this long, not one per report. */
const HOTSPOTS_MAX_AGE_MS = 15_000;

export function createReportSubmitter(ctx: ReportSubmitterContext): ReportSubmitter {
  if (!(ctx.reportsPerMin > 0)) throw new RangeError(`reportsPerMin: expected a number above 0 (got ${ctx.reportsPerMin})`);
  const ratio = ctx.nearHotspotRatio ?? 0.3;
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`nearHotspotRatio: expected 0..1 (got ${ratio})`);
  const client = new Open311Client({ url: ctx.open311Url, apiKey: ctx.apiKey });
  const rand = mulberry32(hashSeed(ctx.seed ?? 1, 'citizen-reports'));
  const log = ctx.logger;
  const counts = { created: 0, nearHotspot: 0, throttled: 0, rejected: 0, failed: 0 };
  const rejectedByStatus: Record<string, number> = {};
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let hotspots: { atMs: number; spots: Hotspot[] } = { atMs: 0, spots: [] };
  let hotspotsFailing = false;
  let resolveDone!: (stats: ReportSubmitterStats) => void;
  const done = new Promise<ReportSubmitterStats>((resolve) => (resolveDone = resolve));
  let stopPromise: Promise<void> | undefined;

  const stats = (): ReportSubmitterStats => ({ ...counts, rejectedByStatus: { ...rejectedByStatus }, running });

  /** Sleeps ms, or less when stopped. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  async function currentHotspots(): Promise<Hotspot[]> {
    if (!ctx.hotspots || ratio === 0) return [];
    if (Date.now() - hotspots.atMs < HOTSPOTS_MAX_AGE_MS) return hotspots.spots;
    try {
      hotspots = { atMs: Date.now(), spots: await ctx.hotspots() };
      if (hotspotsFailing) log.info('hotspots readable again');
      hotspotsFailing = false;
    } catch (err) {
      // reports go on, placed anywhere; said once per outage
      if (!hotspotsFailing) log.warn('cannot read hotspots: reports are placed anywhere meanwhile', { err });
      hotspotsFailing = true;
      hotspots = { atMs: Date.now(), spots: [] };
    }
    return hotspots.spots;
  }

  async function run(): Promise<void> {
    const limit = ctx.maxReports ?? Infinity;
    while (running && counts.created < limit) {
      await pause(nextGapMs(rand, ctx.reportsPerMin));
      if (!running) break;
      const report = planReport(rand, { nearHotspotRatio: ratio, hotspots: await currentHotspots() });
      const result = await client.submit(report.fields);
      switch (result.kind) {
        case 'created':
          counts.created++;
          if (report.nearHotspot) counts.nearHotspot++;
          log.debug('report submitted', { id: result.id, serviceCode: report.serviceCode, nearHotspot: report.nearHotspot });
          break;
        case 'throttled':
          counts.throttled++;
          log.info('throttled by the city: pausing', { retryAfterMs: result.retryAfterMs });
          if (running) await pause(result.retryAfterMs);
          break;
        case 'rejected': {
          counts.rejected++;
          const key = String(result.status);
          rejectedByStatus[key] = (rejectedByStatus[key] ?? 0) + 1;
          if (rejectedByStatus[key] === 1) log.warn('report rejected', { status: result.status, description: result.description, serviceCode: report.serviceCode });
          break;
        }
        case 'failed':
          if (counts.failed === 0) log.warn('report submission failed', { description: result.description });
          counts.failed++;
          break;
      }
    }
  }

  function finish(): Promise<void> {
    running = false;
    if (timer) clearTimeout(timer);
    wake?.();
    return (loop ?? Promise.resolve()).then(() => {
      const final = stats();
      log.info('report submitter stopped', { created: final.created, throttled: final.throttled, rejected: final.rejected, failed: final.failed });
      resolveDone(final);
    });
  }

  function stop(): Promise<void> {
    stopPromise ??= finish();
    return stopPromise;
  }

  return {
    done,
    stats,
    stop,
    start() {
      if (running || stopPromise) throw new Error('report submitter already started');
      running = true;
      log.info('submitting citizen reports', { open311Url: ctx.open311Url, reportsPerMin: ctx.reportsPerMin, nearHotspotRatio: ratio });
      loop = run().catch((err: unknown) => log.error('report loop failed', { err }));
      if (ctx.durationS && ctx.durationS > 0) setTimeout(() => void stop(), ctx.durationS * 1000).unref();
      void loop.then(() => {
        if (!stopPromise) void stop();
      });
    },
  };
}
