// Which citizen reports belong with which incident: near in space (FUSION_RADIUS_M) and time
// (FUSION_WINDOW_MS), about a related kind of problem, and not already with another incident. Pure:
// the feature reads the store and links what this decides.
//
// Related: a report's category (its service's) and the incident's category are the same, or one of
// the pairs below. A pothole report does not belong with an air-quality alarm 50 m away; a flooding
// report belongs with the water-level alarm in the same underpass.
import { isActive, type Incident, type IncidentCategory } from '@city/shared/incidents';
import type { Position } from '@city/shared/reading';
import { haversineM } from './rules/fusion.ts';

/** Besides the same category: what else a report of a category may be about. */
export const RELATED_CATEGORIES: Readonly<Partial<Record<IncidentCategory, readonly IncidentCategory[]>>> = {
  traffic: ['parking'],
  parking: ['traffic'],
  air_quality: ['fire_smoke'],
  fire_smoke: ['air_quality'],
  security: ['infringement'],
};

export const isRelatedCategory = (report: IncidentCategory, incident: IncidentCategory): boolean =>
  report === incident || (RELATED_CATEGORIES[report]?.includes(incident) ?? false);

/** The parts of a report fusion reads. */
export interface FusionReport {
  id: string;
  category: IncidentCategory;
  position?: Position;
  /** epoch ms */
  requestedAt: number;
  /** closed reports (fixed, duplicate, ...) are never gathered */
  closed: boolean;
  /** incidents it is linked to already: one is enough (its status follows that incident) */
  incidentIds: readonly string[];
}

export interface ReportFusionOptions {
  radiusM: number;
  windowMs: number;
  /** most reports one incident gathers, nearest first; default 50 */
  limit?: number;
}

export interface ReportMatch {
  reportId: string;
  incidentId: string;
  /** rounded to the metre */
  distanceM: number;
}

const DEFAULT_LIMIT = 50;

/** When an incident last showed signs of life: its latest evidence or change, epoch ms. */
export const incidentActivityAt = (incident: Pick<Incident, 'evidence' | 'updatedAt'>): number => Math.max(incident.evidence.lastSeenAt, incident.updatedAt);

/**
 * A new incident gathers the open reports within radiusM made within windowMs of its first evidence
 * (either side), of a related category and not linked to an incident yet; nearest first, then newest.
 */
export function reportsForIncident(
  incident: Pick<Incident, 'id' | 'category' | 'position' | 'evidence'>,
  reports: readonly FusionReport[],
  opts: ReportFusionOptions,
): ReportMatch[] {
  const origin = incident.position;
  if (!origin) return [];
  const at = incident.evidence.firstSeenAt;
  const matches: (ReportMatch & { requestedAt: number })[] = [];
  for (const r of reports) {
    if (r.closed || r.incidentIds.length > 0 || !r.position || !isRelatedCategory(r.category, incident.category)) continue;
    if (Math.abs(r.requestedAt - at) > opts.windowMs) continue;
    const exactM = haversineM(origin, r.position);
    if (exactM <= opts.radiusM) matches.push({ reportId: r.id, incidentId: incident.id, distanceM: Math.round(exactM), requestedAt: r.requestedAt });
  }
  matches.sort((a, b) => a.distanceM - b.distanceM || b.requestedAt - a.requestedAt || (a.reportId < b.reportId ? -1 : 1));
  return matches.slice(0, opts.limit ?? DEFAULT_LIMIT).map(({ reportId, incidentId, distanceM }) => ({ reportId, incidentId, distanceM }));
}

/**
 * A new report joins the nearest active incident of a related category within radiusM that showed
 * activity (evidence or a change) within windowMs of the report; ties: the most recently active, then
 * the lower id. One incident only: the report's status follows it, and two incidents would pull it
 * two ways. Undefined when none fits (or the report is closed or linked already).
 */
export function incidentForReport(
  report: FusionReport,
  incidents: readonly Pick<Incident, 'id' | 'category' | 'status' | 'position' | 'evidence' | 'updatedAt'>[],
  opts: ReportFusionOptions,
): ReportMatch | undefined {
  const origin = report.position;
  if (!origin || report.closed || report.incidentIds.length > 0) return undefined;
  let best: (ReportMatch & { activeAt: number }) | undefined;
  for (const incident of incidents) {
    if (!isActive(incident.status) || !incident.position || !isRelatedCategory(report.category, incident.category)) continue;
    const activeAt = incidentActivityAt(incident);
    if (Math.abs(report.requestedAt - activeAt) > opts.windowMs) continue;
    const exactM = haversineM(origin, incident.position);
    if (exactM > opts.radiusM) continue;
    const distanceM = Math.round(exactM);
    const better =
      !best || distanceM < best.distanceM || (distanceM === best.distanceM && (activeAt > best.activeAt || (activeAt === best.activeAt && incident.id < best.incidentId)));
    if (better) best = { reportId: report.id, incidentId: incident.id, distanceM, activeAt };
  }
  return best && { reportId: best.reportId, incidentId: best.incidentId, distanceM: best.distanceM };
}
