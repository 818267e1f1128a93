// The incidents an operator sees: the `/ops` snapshot replaces the table, single changes patch it. Pure.
import { isActive, SEVERITIES, type Incident, type IncidentStatus, type Severity } from '@city/shared/incidents';

export type IncidentTable = Map<string, Incident>;

/** How long a closed incident stays in the queue (greyed) before it drops out, ms. */
export const CLOSED_VISIBLE_MS = 3_600_000;

export function applyIncidentSnapshot(table: IncidentTable, incidents: readonly Incident[]): void {
  table.clear();
  for (const i of incidents) table.set(i.id, i);
}

/** One change; an older copy (updatedAt before ours) never overwrites a newer one. */
export function applyIncidentChange(table: IncidentTable, incident: Incident): 'opened' | 'updated' | 'stale' {
  const known = table.get(incident.id);
  if (known && known.updatedAt > incident.updatedAt) return 'stale';
  table.set(incident.id, incident);
  return known ? 'updated' : 'opened';
}

/** Drops closed incidents older than CLOSED_VISIBLE_MS; returns how many went. */
export function pruneClosed(table: IncidentTable, nowMs: number): number {
  let n = 0;
  for (const [id, i] of table) {
    if (!isActive(i.status) && nowMs - (i.resolvedAt ?? i.updatedAt) > CLOSED_VISIBLE_MS) {
      table.delete(id);
      n++;
    }
  }
  return n;
}

const severityRank = (s: Severity) => SEVERITIES.indexOf(s);

/** The queue order: active before closed, then most severe, then oldest first (waiting longest). */
export function compareQueue(a: Incident, b: Incident): number {
  const active = Number(isActive(b.status)) - Number(isActive(a.status));
  if (active !== 0) return active;
  return severityRank(a.severity) - severityRank(b.severity) || a.openedAt - b.openedAt || a.id.localeCompare(b.id);
}

export interface IncidentFilter {
  severities: ReadonlySet<Severity>;
  /** 'active' = open, acknowledged or in progress */
  statuses: 'active' | 'all';
  /** only incidents assigned to this user */
  assignee?: string;
  text?: string;
}

export function matchesFilter(i: Incident, f: IncidentFilter): boolean {
  if (!f.severities.has(i.severity)) return false;
  if (f.statuses === 'active' && !isActive(i.status)) return false;
  if (f.assignee !== undefined && i.assignee !== f.assignee) return false;
  if (f.text) {
    const needle = f.text.toLowerCase();
    const hay = `${i.id} ${i.title} ${i.category} ${i.deviceId ?? ''} ${i.district ?? ''}`.toLowerCase();
    if (!hay.includes(needle)) return false;
  }
  return true;
}

export function queue(table: ReadonlyMap<string, Incident>, filter: IncidentFilter): Incident[] {
  return [...table.values()].filter((i) => matchesFilter(i, filter)).sort(compareQueue);
}

export type SeverityCounts = Record<Severity, number> & { active: number };

/** Active incidents per severity, for the header and the queue's filter chips. */
export function countActive(incidents: Iterable<Incident>): SeverityCounts {
  const counts = { critical: 0, major: 0, minor: 0, warning: 0, active: 0 } as SeverityCounts;
  for (const i of incidents) {
    if (!isActive(i.status)) continue;
    counts[i.severity] += 1;
    counts.active += 1;
  }
  return counts;
}

/** Critical incidents nobody has acknowledged yet: they draw attention until someone does. */
export function unacknowledgedCritical(incidents: Iterable<Incident>): Incident[] {
  return [...incidents].filter((i) => i.severity === 'critical' && i.status === 'open');
}

export const STATUS_LABELS: Readonly<Record<IncidentStatus, string>> = {
  open: 'Open',
  acknowledged: 'Acknowledged',
  in_progress: 'In progress',
  resolved: 'Resolved',
  dismissed: 'Dismissed',
};

/** "due in 12 min" / "overdue 3 min"; undefined without a due time or once closed. */
export function dueText(i: Incident, nowMs: number): { text: string; overdue: boolean } | undefined {
  if (i.dueAt === undefined || !isActive(i.status)) return undefined;
  const left = i.dueAt - nowMs;
  const mins = Math.round(Math.abs(left) / 60_000);
  const span = mins >= 120 ? `${Math.round(mins / 60)} h` : `${mins} min`;
  return left >= 0 ? { text: `due in ${span}`, overdue: false } : { text: `overdue ${span}`, overdue: true };
}
