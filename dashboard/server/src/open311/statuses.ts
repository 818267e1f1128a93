// Rich report statuses (FixMyStreet's extended states) and how they show to the two kinds of client:
// a plain GeoReport v2 client sees open/closed, a FixMyStreet client sees IN_PROGRESS, FIXED, ... in
// servicerequestupdates and in `extended_attributes.status`. Pure.
import type { IncidentStatus } from '@city/shared/incidents';
import {
  REPORT_STATUSES,
  REPORT_STATUS_OPEN311,
  type FmsStatus,
  type Open311Status,
  type ReportStatus,
} from '@city/shared/open311';

export const toOpen311Status = (status: ReportStatus): Open311Status => REPORT_STATUS_OPEN311[status];

/** 'action_scheduled' -> 'ACTION_SCHEDULED', the form the FixMyStreet docs and client use. */
export const toFmsStatus = (status: ReportStatus): FmsStatus => status.toUpperCase() as FmsStatus;

export const isClosedStatus = (status: ReportStatus) => REPORT_STATUS_OPEN311[status] === 'closed';

/**
 * A status as other systems write it, or undefined when unknown. Case does not matter and spaces
 * stand for underscores, as in FixMyStreet's own reader: 'IN_PROGRESS', 'in progress',
 * 'Action Scheduled'.
 */
export function parseReportStatus(text: string): ReportStatus | undefined {
  const normal = text.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return (REPORT_STATUSES as readonly string[]).includes(normal) ? (normal as ReportStatus) : undefined;
}

/**
 * The report status that mirrors the incident a report was turned into, for when an operator works
 * the incident: acknowledged means someone is looking (investigating); a dismissed incident means
 * the city will take no further action.
 */
export const REPORT_STATUS_FOR_INCIDENT: Readonly<Record<IncidentStatus, ReportStatus>> = {
  open: 'open',
  acknowledged: 'investigating',
  in_progress: 'in_progress',
  resolved: 'fixed',
  dismissed: 'no_further_action',
};
