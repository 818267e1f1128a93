// Citizen reports join the incidents they are about, both ways, through ReportService.linkIncident
// (the report and the incident each record the link, each audited, linkedBy 'fusion'):
//
// - an incident opens (rules engine, camera or operator) with a position: the open reports nearby,
//   made within the fusion window and about a related problem, are linked to it;
// - a report arrives with a position: it is linked to the nearest active related incident that was
//   active within the window.
//
// Which ones is decided by core/report-fusion.ts (pure); radius and window are FUSION_RADIUS_M and
// FUSION_WINDOW_MS, the same as incident-to-incident fusion. Each process fuses the changes it makes,
// so several dashboards never link the same pair twice (and linking twice changes nothing anyway).
import type { Incident, Logger } from '@city/shared';
import { incidentForReport, reportsForIncident, type FusionReport, type ReportFusionOptions } from '../core/report-fusion.ts';
import { isClosedStatus } from '../open311/index.ts';
import type { IncidentService, OpsStore, ReportRecord, ReportService } from '../ops/index.ts';

/** The actor of fusion's links: what the audit trail and the incident's linked items name. */
export const FUSION_ACTOR = 'fusion';
/** Candidate reports read around a new incident at most (the nearest are kept). */
const MAX_CANDIDATES = 500;
const METRES_PER_DEGREE_LAT = 111_320;

export interface ReportFusionContext {
  store: OpsStore;
  incidents: IncidentService;
  reports: ReportService;
  options: ReportFusionOptions;
  logger: Logger;
}

export const toFusionReport = (r: ReportRecord): FusionReport => ({
  id: r.id,
  category: r.category,
  ...(r.position ? { position: r.position } : {}),
  requestedAt: r.requestedAt,
  closed: isClosedStatus(r.status),
  incidentIds: r.incidentIds,
});

export class ReportFusion {
  private unsubscribe: (() => void)[] = [];
  /** one decision at a time: a report and an incident arriving together are linked once */
  private queue: Promise<void> = Promise.resolve();
  private readonly counts = { linked: 0, failed: 0 };

  constructor(private readonly ctx: ReportFusionContext) {}

  start(): void {
    if (this.unsubscribe.length > 0) return;
    this.unsubscribe.push(
      this.ctx.incidents.onChange((incident, change) => {
        if (change === 'opened' && incident.position) this.enqueue(() => this.gatherReports(incident));
      }),
      this.ctx.reports.onChange((report, change) => {
        if (change === 'created' && report.position) this.enqueue(() => this.joinIncident(report.id));
      }),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    await this.queue;
  }

  /** Resolves when every change so far has been fused (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  stats(): { linked: number; failed: number } {
    return { ...this.counts };
  }

  metricsText(): string {
    return [
      '# HELP city_report_fusion_total Reports linked to nearby incidents by fusion, and fusion attempts that failed',
      '# TYPE city_report_fusion_total counter',
      `city_report_fusion_total{result="linked"} ${this.counts.linked}`,
      `city_report_fusion_total{result="failed"} ${this.counts.failed}`,
      '',
    ].join('\n');
  }

  private enqueue(work: () => Promise<void>): void {
    // setImmediate: never inside the transaction whose change is being told
    this.queue = this.queue.then(
      () =>
        new Promise<void>((resolve) =>
          setImmediate(() =>
            work()
              .catch((err: unknown) => {
                this.counts.failed++;
                this.ctx.logger.error('report fusion failed', { err });
              })
              .finally(resolve),
          ),
        ),
    );
  }

  private async gatherReports(incident: Incident): Promise<void> {
    const { radiusM, windowMs } = this.ctx.options;
    const { lat, lon } = incident.position!;
    // a box around the circle narrows the query; the pure decision checks the exact distance
    const dLat = radiusM / METRES_PER_DEGREE_LAT;
    const dLon = radiusM / (METRES_PER_DEGREE_LAT * Math.max(0.01, Math.cos((lat * Math.PI) / 180)));
    const at = incident.evidence.firstSeenAt;
    const candidates = await this.ctx.store.reports.list({
      requestedFrom: at - windowMs,
      requestedTo: at + windowMs,
      bbox: [lon - dLon, lat - dLat, lon + dLon, lat + dLat],
      limit: MAX_CANDIDATES,
    });
    for (const match of reportsForIncident(incident, candidates.map(toFusionReport), this.ctx.options)) {
      await this.link(match.reportId, match.incidentId, match.distanceM);
    }
  }

  private async joinIncident(reportId: string): Promise<void> {
    const report = await this.ctx.store.reports.get(reportId);
    if (!report) return;
    const match = incidentForReport(toFusionReport(report), await this.ctx.store.incidents.listActive(), this.ctx.options);
    if (match) await this.link(match.reportId, match.incidentId, match.distanceM);
  }

  private async link(reportId: string, incidentId: string, distanceM: number): Promise<void> {
    await this.ctx.reports.linkIncident(reportId, incidentId, FUSION_ACTOR);
    this.counts.linked++;
    this.ctx.logger.info('report linked to incident', { reportId, incidentId, distanceM });
  }
}
