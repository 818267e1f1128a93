// Citizen reports follow the incident they are linked to: when an operator (or a rule) acknowledges,
// starts, resolves or dismisses an incident, each linked report moves to the mirrored status
// (REPORT_STATUS_FOR_INCIDENT) with a public note in plain words, as the actor 'system', audited by
// ReportService like any status change.
//
// - Forward only: a report is never moved back (in progress -> investigating), and a closed report
//   (fixed, duplicate, closed, ...) is left alone: an operator closed it on purpose.
// - No loops: only incident changes are listened to; nothing here changes an incident.
// - A report linked to an incident already being worked catches up at once (the link is an incident
//   change too).
// - The public note never carries the operator's resolve note or dismiss reason: those are written
//   for colleagues and may name people or internal details.
import type { Incident, IncidentStatus, Logger, ReportStatus } from '@city/shared';
import { REPORT_STATUS_FOR_INCIDENT, isClosedStatus } from '../open311/index.ts';
import type { IncidentService, OpsStore, ReportService } from '../ops/index.ts';

/** Who the public updates and audit rows name. */
export const SYNC_ACTOR = 'system';

/** What a citizen reads when their report follows the incident, by the report status it moves to. */
export const SYNC_NOTES: Readonly<Partial<Record<ReportStatus, string>>> = {
  investigating: 'The city operations centre is looking into this.',
  in_progress: 'Crews are working on this.',
  fixed: 'Fixed: the operations centre has dealt with the problem behind this report. Thank you for reporting it.',
  no_further_action: 'The operations centre looked into this and will take no further action.',
};

/** How far along the work an open status is; closed statuses are past all of them. */
const PROGRESS: Readonly<Record<ReportStatus, number>> = {
  open: 0,
  investigating: 1,
  action_scheduled: 2,
  in_progress: 3,
  fixed: 4,
  duplicate: 4,
  not_councils_responsibility: 4,
  no_further_action: 4,
  internal_referral: 4,
  closed: 4,
};

/**
 * The status a report moves to when its incident is at `incidentStatus`, with the public note; or
 * undefined when it stays: already closed, already that far, or the incident is merely open.
 */
export function mirroredStatus(report: ReportStatus, incidentStatus: IncidentStatus): { status: ReportStatus; note: string } | undefined {
  const target = REPORT_STATUS_FOR_INCIDENT[incidentStatus];
  if (isClosedStatus(report) || PROGRESS[target] <= PROGRESS[report]) return undefined;
  const note = SYNC_NOTES[target];
  return note === undefined ? undefined : { status: target, note };
}

export interface ReportIncidentSyncContext {
  incidents: IncidentService;
  reports: ReportService;
  store: OpsStore;
  logger: Logger;
}

export class ReportIncidentSync {
  private unsubscribe: (() => void) | undefined;
  /** one incident change at a time, in order */
  private queue: Promise<void> = Promise.resolve();
  private readonly counts = { moved: 0, failed: 0 };

  constructor(private readonly ctx: ReportIncidentSyncContext) {}

  start(): void {
    this.unsubscribe ??= this.ctx.incidents.onChange((incident, change) => {
      if (change === 'opened' || !incident.linked.some((l) => l.type === 'report')) return;
      // setImmediate: an incident change can be told inside a report's transaction (linking); this
      // work must run after that commits, not inside it
      this.queue = this.queue.then(() => new Promise<void>((resolve) => setImmediate(() => this.follow(incident).finally(resolve))));
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.queue;
  }

  /** Resolves when every change so far has been followed (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  stats(): { moved: number; failed: number } {
    return { ...this.counts };
  }

  metricsText(): string {
    return [
      '# HELP city_report_sync_total Linked reports moved to their incident\'s status, and attempts that failed',
      '# TYPE city_report_sync_total counter',
      `city_report_sync_total{result="moved"} ${this.counts.moved}`,
      `city_report_sync_total{result="failed"} ${this.counts.failed}`,
      '',
    ].join('\n');
  }

  private async follow(incident: Incident): Promise<void> {
    for (const link of incident.linked) {
      if (link.type !== 'report') continue;
      try {
        // the report as it is now: the incident's copy of its status may be stale
        const report = await this.ctx.store.reports.get(link.id);
        if (!report) continue;
        const next = mirroredStatus(report.status, incident.status);
        if (!next) continue;
        await this.ctx.reports.setStatus(report.id, next.status, next.note, SYNC_ACTOR);
        this.counts.moved++;
      } catch (err) {
        this.counts.failed++;
        this.ctx.logger.error('cannot mirror the incident status onto a linked report', { incidentId: incident.id, reportId: link.id, err });
      }
    }
  }
}
