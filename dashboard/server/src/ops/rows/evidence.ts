// Evidence rows as both stores read them (every column but the JPEG), columns decoded (zones parsed,
// the snapshot flag a boolean), and the one mapping to an EvidenceRecord and an access-log entry.
import type { EvidenceRecord } from '@city/shared';
import type { EvidenceAccess } from '../repositories.ts';

export interface EvidenceRow {
  id: string;
  camera_id: string;
  event_id: string;
  rule_id: string;
  offence: string;
  label: string;
  plate: string | null;
  zones: string[];
  lat: number | null;
  lon: number | null;
  district: string | null;
  observed_at: number;
  expires_at: number;
  has_snapshot: boolean;
}

export interface EvidenceAccessRow {
  id: number;
  evidence_id: string;
  username: string;
  action: string;
  at: number;
}

export function toEvidenceRecord(row: EvidenceRow): EvidenceRecord {
  const record: EvidenceRecord = {
    id: row.id,
    cameraId: row.camera_id,
    eventId: row.event_id,
    ruleId: row.rule_id,
    offence: row.offence,
    label: row.label,
    zones: row.zones,
    observedAt: row.observed_at,
    hasSnapshot: row.has_snapshot,
    expiresAt: row.expires_at,
  };
  if (row.plate !== null) record.plate = row.plate;
  if (row.lat !== null && row.lon !== null) record.position = { lat: row.lat, lon: row.lon };
  if (row.district !== null) record.district = row.district;
  return record;
}

export const toEvidenceAccess = (row: EvidenceAccessRow): EvidenceAccess => ({
  id: row.id,
  evidenceId: row.evidence_id,
  username: row.username,
  action: row.action,
  at: row.at,
});
