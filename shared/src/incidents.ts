// Incidents and the operators who work them: the shapes the rules engine, the operations store, the
// REST API, socket.io and the web app share. Declared once here.
import type { Position, SensorKind } from './reading.ts';

/** Most urgent first: the queue sorts by this order. */
export const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * open -> acknowledged -> in_progress -> resolved, or dismissed from any open state.
 * resolved and dismissed are final; a rule that matches again opens a new incident.
 */
export const INCIDENT_STATUSES = ['open', 'acknowledged', 'in_progress', 'resolved', 'dismissed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export const ACTIVE_STATUSES: readonly IncidentStatus[] = ['open', 'acknowledged', 'in_progress'];
export const isActive = (status: IncidentStatus) => ACTIVE_STATUSES.includes(status);

/** Which status may follow which; anything else is refused with 409. */
export const STATUS_TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  open: ['acknowledged', 'in_progress', 'resolved', 'dismissed'],
  acknowledged: ['in_progress', 'resolved', 'dismissed'],
  in_progress: ['resolved', 'dismissed'],
  resolved: [],
  dismissed: [],
};

export const INCIDENT_CATEGORIES = [
  'air_quality',
  'noise',
  'flooding',
  'traffic',
  'parking',
  'waste',
  'lighting',
  'device_offline',
  'fire_smoke',
  'security',
  'infringement',
  'citizen_report',
  'other',
] as const;
export type IncidentCategory = (typeof INCIDENT_CATEGORIES)[number];

/** Where an incident came from. */
export const INCIDENT_SOURCES = ['rule', 'camera', 'operator', 'reports'] as const;
export type IncidentSource = (typeof INCIDENT_SOURCES)[number];

/** What the incident rests on, so it explains itself. */
export interface IncidentEvidence {
  ruleId?: string;
  /** "pm25_ugm3 above 50 for 10 min (clears below 40)" */
  ruleText?: string;
  metric?: string;
  unit?: string;
  firstValue?: number;
  lastValue?: number;
  /** the worst value seen while active (highest for 'above' rules, lowest for 'below') */
  peakValue?: number;
  /** how many matching readings or events were folded into this incident */
  count: number;
  firstSeenAt: number;
  lastSeenAt: number;
  /** camera events: label, score, zones, plate, event id */
  camera?: { cameraId: string; eventId: string; label: string; score: number; zones: string[]; plate?: string };
}

/** Another signal gathered by fusion (nearby in space and time) or linked by an operator. */
export interface LinkedItem {
  type: 'incident' | 'report' | 'device';
  id: string;
  /** short human text: "noise-07 alarm 84 dB(A), 120 m away" */
  summary: string;
  distanceM?: number;
  at: number;
  /** 'fusion' when the rule gathered it, else the operator's username */
  linkedBy: string;
}

export interface IncidentComment {
  id: number;
  incidentId: string;
  author: string;
  text: string;
  at: number;
}

export interface Incident {
  id: string;
  title: string;
  category: IncidentCategory;
  severity: Severity;
  status: IncidentStatus;
  source: IncidentSource;
  /** the device or camera it is about, when one */
  deviceId?: string;
  deviceKind?: SensorKind;
  position?: Position;
  district?: string;
  /** rule id + device id: at most one active incident per key */
  dedupeKey?: string;
  /** one sentence: which rule, which readings or event, thresholds */
  explanation: string;
  evidence: IncidentEvidence;
  linked: LinkedItem[];
  openedAt: number;
  updatedAt: number;
  acknowledgedAt?: number;
  resolvedAt?: number;
  /** username */
  assignee?: string;
  /** from the category's SLA */
  dueAt?: number;
  /** the rule resolves it when its condition clears */
  autoResolve: boolean;
}

/** What the queue shows and the map plots: the incident without comments (those come with the detail). */
export type IncidentSummary = Incident;

export interface IncidentDetail extends Incident {
  comments: IncidentComment[];
  /** status changes, assignments, comments and rule updates, oldest first, from the audit trail */
  timeline: AuditEntry[];
}

// ---- operators ----

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** What each role may do, cumulative: an admin may do everything an operator may. */
export const roleAtLeast = (role: Role, needed: Role) => ROLES.indexOf(role) >= ROLES.indexOf(needed);

export interface Operator {
  username: string;
  displayName: string;
  role: Role;
  /** may read infringement evidence (admins always may) */
  evidenceAccess: boolean;
  createdAt: number;
  disabled: boolean;
}

export interface AuditEntry {
  id: number;
  at: number;
  /** username, or 'system' for the rules engine and retention */
  actor: string;
  /** 'incident.acknowledge', 'incident.comment', 'rule.update', 'user.create', 'evidence.read', ... */
  action: string;
  /** 'incident', 'rule', 'user', 'evidence', 'report' */
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

/** A recorded infringement: evidence with restricted access and a retention limit. */
export interface EvidenceRecord {
  id: string;
  cameraId: string;
  eventId: string;
  ruleId: string;
  /** 'vehicle stopped in bus lane' */
  offence: string;
  label: string;
  plate?: string;
  zones: string[];
  position?: Position;
  district?: string;
  observedAt: number;
  /** the JPEG is copied into the evidence store (the live snapshot is overwritten) */
  hasSnapshot: boolean;
  /** deleted by retention after this time */
  expiresAt: number;
}

// ---- socket.io additions ----

export interface IncidentEventsToClient {
  /** every active incident plus those closed in the last hour, on (re)connect */
  incidents: (payload: { incidents: Incident[]; serverTime: number }) => void;
  /** one incident changed (opened, updated by a rule, or by an operator) */
  incident: (payload: { incident: Incident; change: 'opened' | 'updated' | 'closed'; serverTime: number }) => void;
}
