// The citizen reports an operator sees: the `/ops` snapshot replaces the table, single changes patch it;
// the list's filters, order and counts; the status colours the list and the map share. Pure.
import { REPORT_STATUS_OPEN311, REPORT_STATUSES, type ReportStatus } from '@city/shared/open311';
import type { LiveReport } from '@city/shared/reports';

export type ReportTable = Map<string, LiveReport>;

/** How long a closed report stays listed (greyed) before it drops out, ms: the server's snapshot window. */
export const CLOSED_REPORT_VISIBLE_MS = 3_600_000;

export const isOpenReport = (status: ReportStatus) => REPORT_STATUS_OPEN311[status] === 'open';

/**
 * One colour per status: violet for new, teal to green-blue while being worked, slate once closed.
 * Distinct from the device states (green, amber, red, grey) and incident severities (red, orange,
 * yellow, light blue). reports.css has the same values.
 */
export const REPORT_STATUS_COLORS: Readonly<Record<ReportStatus, string>> = {
  open: '#b56cff',
  investigating: '#e879f9',
  action_scheduled: '#22d3ee',
  in_progress: '#2dd4bf',
  fixed: '#94a3b8',
  duplicate: '#64748b',
  not_councils_responsibility: '#64748b',
  no_further_action: '#64748b',
  internal_referral: '#94a3b8',
  closed: '#64748b',
};

export function applyReportSnapshot(table: ReportTable, reports: readonly LiveReport[]): void {
  table.clear();
  for (const r of reports) table.set(r.id, r);
}

/**
 * One change; an older copy (updatedAt before ours) never overwrites a newer one. Equal times replace:
 * internal notes and incident links change a report without touching updatedAt.
 */
export function applyReportChange(table: ReportTable, report: LiveReport): 'created' | 'updated' | 'stale' {
  const known = table.get(report.id);
  if (known && known.updatedAt > report.updatedAt) return 'stale';
  table.set(report.id, report);
  return known ? 'updated' : 'created';
}

/** Drops reports closed longer than CLOSED_REPORT_VISIBLE_MS ago; returns how many went. */
export function pruneClosedReports(table: ReportTable, nowMs: number): number {
  let n = 0;
  for (const [id, r] of table) {
    if (!isOpenReport(r.status) && nowMs - (r.closedAt ?? r.updatedAt) > CLOSED_REPORT_VISIBLE_MS) {
      table.delete(id);
      n++;
    }
  }
  return n;
}

export interface ReportFilter {
  /** 'open' = every open-ish status (open, investigating, scheduled, in progress); or one status */
  status: 'open' | 'all' | ReportStatus;
  /** a catalogue category, or undefined for all */
  category?: string;
  text?: string;
}

export function matchesReportFilter(r: LiveReport, f: ReportFilter): boolean {
  if (f.status === 'open' ? !isOpenReport(r.status) : f.status !== 'all' && r.status !== f.status) return false;
  if (f.category !== undefined && r.category !== f.category) return false;
  if (f.text) {
    const hay = `${r.id} ${r.serviceName ?? ''} ${r.serviceCode} ${r.category} ${r.district ?? ''} ${r.address ?? ''} ${r.description ?? ''}`.toLowerCase();
    if (!hay.includes(f.text.toLowerCase())) return false;
  }
  return true;
}

/** The list: newest first. */
export function reportList(table: ReadonlyMap<string, LiveReport>, filter: ReportFilter): LiveReport[] {
  return [...table.values()].filter((r) => matchesReportFilter(r, filter)).sort((a, b) => b.requestedAt - a.requestedAt || Number(b.id) - Number(a.id));
}

/** Categories present, for the filter's choices. */
export function reportCategories(reports: Iterable<LiveReport>): string[] {
  return [...new Set([...reports].map((r) => r.category))].sort();
}

/** New reports: status open, nobody has taken them up yet (the header count). */
export function countNewReports(reports: Iterable<LiveReport>): number {
  let n = 0;
  for (const r of reports) if (r.status === 'open') n++;
  return n;
}

/** Open-ish reports (the tab's count). */
export function countOpenReports(reports: Iterable<LiveReport>): number {
  let n = 0;
  for (const r of reports) if (isOpenReport(r.status)) n++;
  return n;
}

/** The status choices in workflow order (duplicate has its own action). */
export const SETTABLE_REPORT_STATUSES: readonly ReportStatus[] = REPORT_STATUSES.filter((s) => s !== 'duplicate');

/** A description cut to a list row, on a word boundary. */
export function excerpt(text: string | undefined, maxChars = 110): string {
  if (!text) return '';
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= maxChars) return flat;
  const cut = flat.slice(0, maxChars);
  const space = cut.lastIndexOf(' ');
  return `${(space > maxChars * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
