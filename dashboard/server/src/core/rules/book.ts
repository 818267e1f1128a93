// The incidents the engine believes are open, one per dedupe key, and the policy that turns matches
// into signals: 'raise' once, 'update' at most once per `updateEveryMs` (at once when the severity
// escalates or a condition returns), 'clear' when a rule's condition ends and the rule resolves itself.
// A rule whose incidents an operator closes (autoResolve false) keeps its key until markClosed.
import { SEVERITIES, type IncidentEvidence, type Severity } from '@city/shared/incidents';
import type { Rule } from './schema.ts';
import type { RaiseSignal, RuleSignal, Subject, UpdateSignal } from './signals.ts';
import { dedupeKeyOf } from './signals.ts';

/** How the worst value compares: highest for 'above' rules, lowest for 'below', largest magnitude for rates. */
export type PeakBy = 'max' | 'min' | 'abs';
export type CameraEvidence = NonNullable<IncidentEvidence['camera']>;
export type IncidentRule = Exclude<Rule, { type: 'infringement' }>;

export interface ActiveEntry {
  readonly key: string;
  readonly ruleId: string;
  readonly deviceId: string | undefined;
  severity: Severity;
  peakBy: PeakBy;
  /** matching readings or events folded in (continues from the stored incident after restoreActive) */
  count: number;
  firstSeenAt: number;
  lastSeenAt: number;
  lastValue?: number;
  peakValue?: number;
  camera?: CameraEvidence;
  /** false once the condition ended on a rule an operator closes; a match then updates at once */
  conditionOn: boolean;
  /** nowMs of the last raise or update */
  lastSignalAt: number;
  /** changed since the last signal */
  dirty: boolean;
}

/** One more matching reading or event. */
export interface Fold {
  /** observed time */
  at: number;
  value?: number;
  /** 1 for a new match, 0 for more of the same camera event */
  countDelta: number;
  camera?: CameraEvidence;
  /** what the rule asks for now; only ever raises the severity */
  severity?: Severity;
}

/** What the caller knows of an incident that is open in its store. */
export interface RestoredIncident {
  dedupeKey: string;
  ruleId: string;
  deviceId?: string;
  severity?: Severity;
  count?: number;
  firstSeenAt?: number;
  lastSeenAt?: number;
  lastValue?: number;
  peakValue?: number;
}

export const moreSevere = (a: Severity, b: Severity) => SEVERITIES.indexOf(a) < SEVERITIES.indexOf(b);

function worse(peakBy: PeakBy, peak: number | undefined, value: number): number {
  if (peak === undefined) return value;
  if (peakBy === 'max') return Math.max(peak, value);
  if (peakBy === 'min') return Math.min(peak, value);
  return Math.abs(value) > Math.abs(peak) ? value : peak;
}

/** "PM2.5 high — aq-07"; the rule's title, else the fallback. */
export const titleOf = (rule: IncidentRule, fallback: string, deviceId: string) => `${rule.title ?? fallback} — ${deviceId}`;

/** The fields every raise shares, without undefined keys (they would travel as nulls). */
export function raiseBase(rule: IncidentRule, subject: Subject, nowMs: number) {
  return {
    dedupeKey: dedupeKeyOf(rule.id, subject.deviceId),
    ruleId: rule.id,
    deviceId: subject.deviceId,
    deviceKind: subject.kind,
    category: rule.category,
    severity: rule.severity,
    ...(subject.position ? { position: subject.position } : {}),
    ...(subject.district !== undefined ? { district: subject.district } : {}),
    autoResolve: rule.autoResolve,
    at: nowMs,
  };
}

/** What every rule evaluation gets: the book, the city's zone for clock times, the engine's now. */
export interface Env {
  book: IncidentBook;
  timeZone: string;
  nowMs: number;
}

export interface IncidentBookOptions {
  /** at most one routine update per key per this many ms */
  updateEveryMs: number;
  /** the explanation of an update, from the entry's latest values */
  explainUpdate: (entry: ActiveEntry, escalated: boolean) => string;
}

export class IncidentBook {
  private readonly entries = new Map<string, ActiveEntry>();
  /** closed by an operator while the condition still held: no new raise until it ends */
  private readonly suppressed = new Set<string>();

  constructor(private readonly options: IncidentBookOptions) {}

  get size(): number {
    return this.entries.size;
  }

  get suppressedCount(): number {
    return this.suppressed.size;
  }

  get(key: string): ActiveEntry | undefined {
    return this.entries.get(key);
  }

  isSuppressed(key: string): boolean {
    return this.suppressed.has(key);
  }

  unsuppress(key: string): void {
    this.suppressed.delete(key);
  }

  raise(signal: Omit<RaiseSignal, 'type'>, peakBy: PeakBy): RaiseSignal {
    const e = signal.evidence;
    this.suppressed.delete(signal.dedupeKey);
    const entry: ActiveEntry = {
      key: signal.dedupeKey,
      ruleId: signal.ruleId,
      deviceId: signal.deviceId,
      severity: signal.severity,
      peakBy,
      count: e.count,
      firstSeenAt: e.firstSeenAt,
      lastSeenAt: e.lastSeenAt,
      conditionOn: true,
      lastSignalAt: signal.at,
      dirty: false,
    };
    if (e.lastValue !== undefined) entry.lastValue = e.lastValue;
    if (e.peakValue !== undefined) entry.peakValue = e.peakValue;
    if (e.camera) entry.camera = e.camera;
    this.entries.set(signal.dedupeKey, entry);
    return { type: 'raise', ...signal };
  }

  /** An incident open in the caller's store: the next match updates it instead of raising another. */
  restore(incident: RestoredIncident, severity: Severity, peakBy: PeakBy): void {
    const entry: ActiveEntry = {
      key: incident.dedupeKey,
      ruleId: incident.ruleId,
      deviceId: incident.deviceId,
      severity: incident.severity ?? severity,
      peakBy,
      count: incident.count ?? 0,
      firstSeenAt: incident.firstSeenAt ?? incident.lastSeenAt ?? 0,
      lastSeenAt: incident.lastSeenAt ?? incident.firstSeenAt ?? 0,
      conditionOn: true,
      // the first match after a restart updates at once: the store learns the engine has it
      lastSignalAt: -Infinity,
      dirty: false,
    };
    if (incident.lastValue !== undefined) entry.lastValue = incident.lastValue;
    if (incident.peakValue !== undefined) entry.peakValue = incident.peakValue;
    this.entries.set(incident.dedupeKey, entry);
  }

  /** Folds a match into an active incident; an update when the policy says one is due. */
  fold(key: string, fold: Fold, nowMs: number): UpdateSignal | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    entry.count += fold.countDelta;
    entry.lastSeenAt = Math.max(entry.lastSeenAt, fold.at);
    if (fold.value !== undefined) {
      entry.lastValue = fold.value;
      entry.peakValue = worse(entry.peakBy, entry.peakValue, fold.value);
    }
    if (fold.camera) entry.camera = fold.camera;
    const escalated = fold.severity !== undefined && moreSevere(fold.severity, entry.severity);
    if (escalated) entry.severity = fold.severity!;
    const returned = !entry.conditionOn;
    entry.conditionOn = true;
    if (escalated || returned || nowMs - entry.lastSignalAt >= this.options.updateEveryMs) return this.updateOf(entry, nowMs, escalated);
    entry.dirty = true;
    return undefined;
  }

  /**
   * A value that keeps the incident open without matching (between clearAt and the trigger): kept for
   * the next update, not news of its own.
   */
  note(key: string, at: number, value: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.lastValue = value;
    entry.lastSeenAt = Math.max(entry.lastSeenAt, at);
  }

  /**
   * The condition ended: pending news, then 'clear' when the rule resolves itself; else one update
   * saying so, and the key stays until an operator closes the incident.
   */
  end(key: string, nowMs: number, autoResolve: boolean, explanation: string): RuleSignal[] {
    const entry = this.entries.get(key);
    if (!entry || !entry.conditionOn) return [];
    if (!autoResolve) {
      entry.conditionOn = false;
      entry.dirty = false;
      entry.lastSignalAt = nowMs;
      return [{ type: 'update', dedupeKey: key, ruleId: entry.ruleId, explanation: `${explanation} It stays open until an operator closes it.`, evidence: this.evidenceOf(entry), at: nowMs }];
    }
    const signals: RuleSignal[] = entry.dirty ? [this.updateOf(entry, nowMs, false)] : [];
    this.entries.delete(key);
    signals.push({ type: 'clear', dedupeKey: key, ruleId: entry.ruleId, explanation, at: nowMs });
    return signals;
  }

  /** Closed by an operator: forgotten; with `suppress`, no new raise until the condition has ended. */
  close(key: string, suppress: boolean): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    if (suppress) this.suppressed.add(key);
    return true;
  }

  /** Updates held back by the rate limit whose time has come. */
  flush(nowMs: number): UpdateSignal[] {
    const signals: UpdateSignal[] = [];
    for (const entry of this.entries.values()) {
      if (entry.dirty && nowMs - entry.lastSignalAt >= this.options.updateEveryMs) signals.push(this.updateOf(entry, nowMs, false));
    }
    return signals;
  }

  /** Forgets every key the predicate picks (a rule removed). */
  drop(pick: (key: string) => boolean): void {
    for (const key of this.entries.keys()) if (pick(key)) this.entries.delete(key);
    for (const key of this.suppressed) if (pick(key)) this.suppressed.delete(key);
  }

  private evidenceOf(entry: ActiveEntry): UpdateSignal['evidence'] {
    const evidence: UpdateSignal['evidence'] = { count: entry.count, lastSeenAt: entry.lastSeenAt };
    if (entry.lastValue !== undefined) evidence.lastValue = entry.lastValue;
    if (entry.peakValue !== undefined) evidence.peakValue = entry.peakValue;
    if (entry.camera) evidence.camera = entry.camera;
    return evidence;
  }

  private updateOf(entry: ActiveEntry, nowMs: number, escalated: boolean): UpdateSignal {
    entry.dirty = false;
    entry.lastSignalAt = nowMs;
    const signal: UpdateSignal = {
      type: 'update',
      dedupeKey: entry.key,
      ruleId: entry.ruleId,
      explanation: this.options.explainUpdate(entry, escalated),
      evidence: this.evidenceOf(entry),
      at: nowMs,
    };
    if (escalated) signal.severity = entry.severity;
    return signal;
  }
}
