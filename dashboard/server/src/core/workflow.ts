// The incident workflow as pure rules: which status may follow which, how long each category and
// severity may wait for an operator (SLA), and the order of the operators' queue. No I/O.
import {
  SEVERITIES,
  STATUS_TRANSITIONS,
  isActive,
  type Incident,
  type IncidentCategory,
  type IncidentStatus,
  type Severity,
} from '@city/shared';

/** A refused workflow step; `httpStatus` is what the REST layer answers with. */
export class WorkflowError extends Error {
  constructor(
    readonly httpStatus: 400 | 403 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'WorkflowError';
  }

  static badRequest = (message: string) => new WorkflowError(400, message);
  static notFound = (message: string) => new WorkflowError(404, message);
  static conflict = (message: string) => new WorkflowError(409, message);
}

export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return STATUS_TRANSITIONS[from].includes(to);
}

/** Throws a 409 WorkflowError naming the incident, both statuses and what is allowed instead. */
export function assertTransition(incident: Pick<Incident, 'id' | 'status'>, to: IncidentStatus): void {
  if (canTransition(incident.status, to)) return;
  const allowed = STATUS_TRANSITIONS[incident.status];
  throw WorkflowError.conflict(
    `incident ${incident.id} is ${incident.status}: cannot become ${to}` +
      (allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (it is closed)'),
  );
}

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * How long an incident may stay open before an operator acknowledges it, by category and severity.
 * Life safety first; a blind spot or an overflowing bin can wait longer than a fire.
 */
export const SLA_MS: Readonly<Record<IncidentCategory, Readonly<Record<Severity, number>>>> = {
  //                critical       major          minor          warning
  fire_smoke:     { critical: 15 * MIN, major: 30 * MIN, minor: 2 * HOUR, warning: 4 * HOUR },  // life safety
  security:       { critical: 15 * MIN, major: 30 * MIN, minor: 2 * HOUR, warning: 4 * HOUR },  // people at risk
  flooding:       { critical: 15 * MIN, major: 1 * HOUR, minor: 4 * HOUR, warning: 8 * HOUR },  // water rises fast
  air_quality:    { critical: 30 * MIN, major: 1 * HOUR, minor: 4 * HOUR, warning: 8 * HOUR },  // public health alerts
  traffic:        { critical: 30 * MIN, major: 1 * HOUR, minor: 4 * HOUR, warning: 8 * HOUR },
  citizen_report: { critical: 30 * MIN, major: 2 * HOUR, minor: 8 * HOUR, warning: 24 * HOUR }, // a person is waiting
  other:          { critical: 30 * MIN, major: 2 * HOUR, minor: 8 * HOUR, warning: 24 * HOUR },
  noise:          { critical: 1 * HOUR, major: 2 * HOUR, minor: 8 * HOUR, warning: 24 * HOUR },
  device_offline: { critical: 1 * HOUR, major: 4 * HOUR, minor: 8 * HOUR, warning: 24 * HOUR },  // a blind spot, no direct harm
  infringement:   { critical: 1 * HOUR, major: 4 * HOUR, minor: 24 * HOUR, warning: 72 * HOUR }, // evidence review
  lighting:       { critical: 1 * HOUR, major: 4 * HOUR, minor: 24 * HOUR, warning: 72 * HOUR },
  parking:        { critical: 1 * HOUR, major: 4 * HOUR, minor: 24 * HOUR, warning: 72 * HOUR },
  waste:          { critical: 2 * HOUR, major: 8 * HOUR, minor: 24 * HOUR, warning: 72 * HOUR },
};

/** When an incident opened at `openedAt` (epoch ms) must be acknowledged by (epoch ms). */
export function dueAt(category: IncidentCategory, severity: Severity, openedAt: number): number {
  return openedAt + SLA_MS[category][severity];
}

/** Open and past its acknowledge deadline. */
export function isOverdue(incident: Pick<Incident, 'status' | 'dueAt'>, nowMs: number): boolean {
  return incident.status === 'open' && incident.dueAt !== undefined && nowMs > incident.dueAt;
}

export const severityRank = (severity: Severity): number => SEVERITIES.indexOf(severity);

/** The operators' queue: active before closed, then most severe, then oldest first (id breaks ties). */
export function compareQueue(
  a: Pick<Incident, 'id' | 'status' | 'severity' | 'openedAt'>,
  b: Pick<Incident, 'id' | 'status' | 'severity' | 'openedAt'>,
): number {
  const active = Number(isActive(b.status)) - Number(isActive(a.status));
  if (active !== 0) return active;
  const severity = severityRank(a.severity) - severityRank(b.severity);
  if (severity !== 0) return severity;
  if (a.openedAt !== b.openedAt) return a.openedAt - b.openedAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
