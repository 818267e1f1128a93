// What the rules engine tells its caller: raise, update or clear an incident, or record evidence.
import type { EvidenceRecord, IncidentCategory, IncidentEvidence, Position, SensorKind, Severity } from '@city/shared';

export interface RaiseSignal {
  type: 'raise';
  dedupeKey: string;
  ruleId: string;
  deviceId?: string;
  deviceKind?: SensorKind;
  title: string;
  category: IncidentCategory;
  severity: Severity;
  position?: Position;
  district?: string;
  explanation: string;
  evidence: IncidentEvidence;
  autoResolve: boolean;
  /** the engine's nowMs when it decided; evidence carries the observed times */
  at: number;
}

export interface UpdateSignal {
  type: 'update';
  dedupeKey: string;
  ruleId: string;
  /** only when the incident escalates */
  severity?: Severity;
  explanation: string;
  /** absolute values (count is the total folded in, not a delta) */
  evidence: Partial<IncidentEvidence> & { lastValue?: number; peakValue?: number; count: number; lastSeenAt: number };
  at: number;
}

export interface ClearSignal {
  type: 'clear';
  dedupeKey: string;
  ruleId: string;
  explanation: string;
  at: number;
}

export interface EvidenceSignal {
  type: 'evidence';
  record: Omit<EvidenceRecord, 'id' | 'hasSnapshot'> & { hasSnapshot: boolean };
}

export type RuleSignal = RaiseSignal | UpdateSignal | ClearSignal | EvidenceSignal;

/** One active incident per rule and device (or camera). Rule ids cannot contain ':'. */
export const dedupeKeyOf = (ruleId: string, deviceId: string) => `${ruleId}:${deviceId}`;

/** The device (or camera) a signal is about, with what the caller knows of it. */
export interface Subject {
  deviceId: string;
  kind: SensorKind;
  position?: Position | undefined;
  district?: string | undefined;
}
