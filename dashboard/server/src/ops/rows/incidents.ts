// Incident rows as both stores read them, columns decoded (JSON parsed, the flag a boolean), and the
// one mapping from such a row to an Incident.
import type {
  Incident,
  IncidentCategory,
  IncidentComment,
  IncidentEvidence,
  IncidentSource,
  IncidentStatus,
  LinkedItem,
  Severity,
  SensorKind,
} from '@city/shared';

export interface IncidentRow {
  id: string;
  title: string;
  category: string;
  severity: string;
  status: string;
  source: string;
  device_id: string | null;
  device_kind: string | null;
  lat: number | null;
  lon: number | null;
  district: string | null;
  dedupe_key: string | null;
  explanation: string;
  evidence: IncidentEvidence;
  linked: LinkedItem[];
  opened_at: number;
  updated_at: number;
  acknowledged_at: number | null;
  resolved_at: number | null;
  assignee: string | null;
  due_at: number | null;
  auto_resolve: boolean;
}

export interface IncidentCommentRow {
  id: number;
  incident_id: string;
  author: string;
  text: string;
  at: number;
}

export function toIncident(row: IncidentRow): Incident {
  const incident: Incident = {
    id: row.id,
    title: row.title,
    category: row.category as IncidentCategory,
    severity: row.severity as Severity,
    status: row.status as IncidentStatus,
    source: row.source as IncidentSource,
    explanation: row.explanation,
    evidence: row.evidence,
    linked: row.linked,
    openedAt: row.opened_at,
    updatedAt: row.updated_at,
    autoResolve: row.auto_resolve,
  };
  // optional fields only when set, so an incident reads back as it was written
  if (row.device_id !== null) incident.deviceId = row.device_id;
  if (row.device_kind !== null) incident.deviceKind = row.device_kind as SensorKind;
  if (row.lat !== null && row.lon !== null) incident.position = { lat: row.lat, lon: row.lon };
  if (row.district !== null) incident.district = row.district;
  if (row.dedupe_key !== null) incident.dedupeKey = row.dedupe_key;
  if (row.acknowledged_at !== null) incident.acknowledgedAt = row.acknowledged_at;
  if (row.resolved_at !== null) incident.resolvedAt = row.resolved_at;
  if (row.assignee !== null) incident.assignee = row.assignee;
  if (row.due_at !== null) incident.dueAt = row.due_at;
  return incident;
}

export const toIncidentComment = (row: IncidentCommentRow): IncidentComment => ({
  id: row.id,
  incidentId: row.incident_id,
  author: row.author,
  text: row.text,
  at: row.at,
});
