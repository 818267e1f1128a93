// Citizen reports on the operators' live link: the `/ops` socket.io namespace that attachOpsNamespace
// (incidents.ts) opens and guards with the session cookie. On connect, a `reports` snapshot (open
// reports and those closed in the last hour, newest first, capped); then one `report` event per
// change, from ReportService.onChange.
//
// Privacy: viewers are on this socket too, so nothing pushed carries the reporter's contact; operators
// read it from GET /api/reports/{id}.
import type { Namespace, Server as SocketServer, Socket } from 'socket.io';
import { REPORT_STATUSES, type Logger } from '@city/shared';
import type { LiveReport, ReportEventsToClient } from '@city/shared/reports';
import { toOperatorReport } from '../core/report-views.ts';
import { isClosedStatus, type Catalogue } from '../open311/index.ts';
import type { OpsStore, ReportRecord, ReportService } from '../ops/index.ts';

export interface ReportsLiveContext {
  store: OpsStore;
  reports: ReportService;
  /** service names */
  catalogue: Catalogue;
  logger: Logger;
}

/** What the snapshot holds besides open reports: those closed within this time, ms. */
const RECENTLY_CLOSED_MS = 3_600_000;
/** Most reports in one snapshot (newest first): a wall lists and draws them all. */
export const REPORTS_SNAPSHOT_MAX = 2000;
const OPEN_STATUSES = REPORT_STATUSES.filter((s) => !isClosedStatus(s));

type OpsNamespace = Namespace<Record<string, never>, ReportEventsToClient>;

/** The pushed view: the operator view without the reporter's contact. */
export const toLiveReport = (record: ReportRecord, catalogue: Catalogue): LiveReport => toOperatorReport(record, { catalogue, withContact: false });

/** Open reports and those closed since `closedSince` (epoch ms), newest first, at most `max`. */
export async function reportsSnapshot(store: OpsStore, closedSince: number, max = REPORTS_SNAPSHOT_MAX): Promise<ReportRecord[]> {
  const [open, recent] = await Promise.all([
    store.reports.list({ statuses: OPEN_STATUSES, limit: max }),
    store.reports.list({ updatedSince: closedSince, limit: max }),
  ]);
  const byId = new Map(open.map((r) => [r.id, r]));
  for (const r of recent) if (isClosedStatus(r.status) && (r.closedAt ?? r.updatedAt) >= closedSince) byId.set(r.id, r);
  return [...byId.values()].sort((a, b) => b.requestedAt - a.requestedAt || Number(b.id) - Number(a.id)).slice(0, max);
}

/**
 * Adds the report events to `/ops`. Call after attachOpsNamespace, which authenticates every handshake
 * of that namespace. Returns the function that stops the pushes.
 */
export function attachReportsLive(io: SocketServer, ctx: ReportsLiveContext): () => void {
  // the same namespace object attachOpsNamespace set up: typed here for the report events
  const ops = io.of('/ops') as unknown as OpsNamespace;
  const onConnection = (socket: Socket<Record<string, never>, ReportEventsToClient>) => {
    reportsSnapshot(ctx.store, Date.now() - RECENTLY_CLOSED_MS).then(
      (records) => socket.emit('reports', { reports: records.map((r) => toLiveReport(r, ctx.catalogue)), serverTime: Date.now() }),
      (err: unknown) => ctx.logger.error('reports snapshot failed', { err }),
    );
  };
  ops.on('connection', onConnection);
  const unsubscribe = ctx.reports.onChange((record, change) => {
    ops.emit('report', { report: toLiveReport(record, ctx.catalogue), change, serverTime: Date.now() });
  });
  return () => {
    unsubscribe();
    ops.off('connection', onConnection);
  };
}
