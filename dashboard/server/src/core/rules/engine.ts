// The rules engine: readings and camera events in, incident signals out. Pure: no I/O, no timers, no
// clock; the caller passes nowMs, stores what the signals say and calls tick() every few seconds.
//
// Cost of a reading: rules are indexed by metric when they are set, so a reading touches only the
// threshold and rate rules of the metrics it carries, plus one map lookup for silence.
//
// Incidents: one per rule and device (dedupe key "ruleId:deviceId"). 'raise' when the engine knows no
// open one; 'update' at once on escalation or a returning condition, otherwise at most one per
// `updateEveryMs` (default 30 s) carrying the latest count, value and peak (tick() sends those held
// back); 'clear' when the condition ends and the rule resolves itself. Rules with autoResolve false
// keep their key until the caller says markClosed(key) (an operator closed the incident). Closing an
// incident whose condition still holds does not reopen it on the next reading: a threshold, rate or
// silence rule raises again only after its condition has ended once.
import type { CameraEvent, Position, Reading, SensorKind } from '@city/shared/reading';
import { IncidentBook, type ActiveEntry, type Env, type PeakBy, type RestoredIncident } from './book.ts';
import { CameraWatch, explainCameraUpdate } from './camera.ts';
import { checkTimeZone, sinceText } from './describe.ts';
import { explainRateUpdate, RateRules } from './rate-of-change.ts';
import type { CameraRule, InfringementRule, RateOfChangeRule, Rule, SilenceRule, ThresholdRule } from './schema.ts';
import { inScope, ofDevice, ofRule, scoped, type Scoped } from './scope.ts';
import type { RuleSignal } from './signals.ts';
import { DeviceWatch, explainSilenceUpdate, silenceLimitMs, type DeviceContext } from './silence.ts';
import { explainThresholdUpdate, ThresholdRuns } from './threshold.ts';

export const DEFAULT_TIME_ZONE = 'America/Chicago';
export const DEFAULT_UPDATE_EVERY_MS = 30_000;

export interface RuleEngineOptions {
  rules: readonly Rule[];
  /** IANA zone of the city, for activeHours and the clock times in explanations */
  timeZone?: string;
  /** at most one routine update signal per incident per this many ms */
  updateEveryMs?: number;
}

export interface RuleEngineStats {
  rules: number;
  /** threshold conditions waiting for forMs, camera detections waiting for minDurationMs */
  pendingConditions: number;
  activeKeys: number;
  /** closed by an operator while their condition held */
  suppressedKeys: number;
  trackedDevices: number;
  silentDevices: number;
  rateSeries: number;
  rateSamples: number;
  evidenceKeys: number;
}

type MetricRule = ThresholdRule | RateOfChangeRule;

function peakByOf(rule: Rule): PeakBy {
  if (rule.type === 'threshold') return rule.above !== undefined ? 'max' : 'min';
  return rule.type === 'rate_of_change' ? 'abs' : 'max';
}

export class RuleEngine {
  readonly timeZone: string;
  private readonly book: IncidentBook;
  private readonly thresholds = new ThresholdRuns();
  private readonly rates = new RateRules();
  private readonly devices = new DeviceWatch();
  private readonly cameras = new CameraWatch();
  private byId = new Map<string, Rule>();
  private byMetric = new Map<string, Scoped<MetricRule>[]>();
  private silenceRules: Scoped<SilenceRule>[] = [];
  private cameraRules: Scoped<CameraRule | InfringementRule>[] = [];
  private readonly silenceRuleOf = (id: string) => {
    const rule = this.byId.get(id);
    return rule?.type === 'silence' ? rule : undefined;
  };

  constructor(options: RuleEngineOptions) {
    this.timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
    checkTimeZone(this.timeZone);
    this.book = new IncidentBook({
      updateEveryMs: options.updateEveryMs ?? DEFAULT_UPDATE_EVERY_MS,
      explainUpdate: (entry, escalated) => this.explainUpdate(entry, escalated),
    });
    this.setRules(options.rules);
  }

  /**
   * Replaces the rules. Removed or disabled rules lose all their state, including the keys of their
   * open incidents, and nothing is signalled: the caller decides what happens to those incidents. A
   * rule changed in place keeps its open incidents but starts its pending conditions afresh.
   */
  setRules(rules: readonly Rule[]): void {
    const next = new Map<string, Rule>();
    for (const rule of rules) {
      if (next.has(rule.id)) throw new Error(`duplicate rule id "${rule.id}"`);
      if (rule.enabled) next.set(rule.id, rule);
    }
    for (const [id, old] of this.byId) {
      const now = next.get(id);
      if (now && JSON.stringify(now) === JSON.stringify(old)) continue;
      const pick = ofRule(id);
      this.thresholds.drop(pick);
      this.rates.drop(pick);
      this.cameras.drop(pick, !now);
      if (!now) {
        this.book.drop(pick);
        this.devices.dropRule(id);
      }
    }
    this.byId = next;
    this.byMetric = new Map();
    this.silenceRules = [];
    this.cameraRules = [];
    for (const rule of next.values()) {
      if (rule.type === 'threshold' || rule.type === 'rate_of_change') {
        const list = this.byMetric.get(rule.metric) ?? [];
        list.push(scoped<MetricRule>(rule));
        this.byMetric.set(rule.metric, list);
      } else if (rule.type === 'silence') this.silenceRules.push(scoped(rule));
      else this.cameraRules.push(scoped<CameraRule | InfringementRule>(rule));
    }
  }

  /** the enabled rules in force */
  get rules(): Rule[] {
    return [...this.byId.values()];
  }

  /**
   * Incidents open in the caller's store after a restart, so matches update them instead of raising
   * twice. Pass what the store knows (severity, count, first/last seen, last and peak value) so counts
   * continue. Returns the keys ignored because their rule is unknown or disabled.
   */
  restoreActive(incidents: readonly RestoredIncident[]): string[] {
    const ignored: string[] = [];
    for (const incident of incidents) {
      const rule = this.byId.get(incident.ruleId);
      if (!rule || rule.type === 'infringement' || !ofRule(rule.id)(incident.dedupeKey)) {
        ignored.push(incident.dedupeKey);
        continue;
      }
      const deviceId = incident.deviceId ?? incident.dedupeKey.slice(rule.id.length + 1);
      this.book.restore({ ...incident, deviceId }, rule.severity, peakByOf(rule));
      if (rule.type === 'silence') this.devices.flag(deviceId, rule.id);
    }
    return ignored;
  }

  /** An operator closed the incident: the engine forgets it, the next match raises a new one. */
  markClosed(dedupeKey: string): boolean {
    const entry = this.book.get(dedupeKey);
    if (!entry) return false;
    const type = this.byId.get(entry.ruleId)?.type;
    return this.book.close(dedupeKey, entry.conditionOn && (type === 'threshold' || type === 'rate_of_change'));
  }

  onReading(reading: Reading, device: DeviceContext, nowMs: number): RuleSignal[] {
    const env = this.env(nowMs);
    const ctx: DeviceContext = {
      position: reading.position ?? device.position,
      district: reading.district ?? device.district,
      expectedIntervalMs: device.expectedIntervalMs,
    };
    const { track, late, signals } = this.devices.heard(reading.deviceId, reading.kind, ctx, reading.observedAt, this.silenceRuleOf, env);
    if (late) return signals;
    const subject = { deviceId: reading.deviceId, kind: reading.kind, position: track.position, district: track.district };
    let maxGapMs: number | undefined;
    for (const metric in reading.metrics) {
      const rules = this.byMetric.get(metric);
      if (!rules) continue;
      const value = reading.metrics[metric]!;
      if (!Number.isFinite(value)) continue;
      for (const s of rules) {
        if (!inScope(s, reading.kind, reading.deviceId)) continue;
        if (s.rule.type === 'threshold') {
          maxGapMs ??= silenceLimitMs(undefined, reading.kind, track.expectedIntervalMs);
          signals.push(...this.thresholds.evaluate(s.rule, subject, value, reading.observedAt, maxGapMs, env));
        } else {
          signals.push(...this.rates.evaluate(s.rule, subject, value, reading.observedAt, env));
        }
      }
    }
    return signals;
  }

  onCameraEvent(event: CameraEvent, camera: { position?: Position; district?: string }, nowMs: number): RuleSignal[] {
    const env = this.env(nowMs);
    const { track, signals } = this.devices.heard(event.cameraId, 'camera', camera, event.observedAt, this.silenceRuleOf, env);
    if (this.cameraRules.length === 0) return signals;
    const subject = { deviceId: event.cameraId, kind: 'camera' as const, position: track.position, district: track.district };
    signals.push(...this.cameras.onEvent(event, this.cameraRules, subject, env));
    return signals;
  }

  /** A device from the registry, so it is watched for silence before (or without) a first reading. */
  trackDevice(id: string, kind: SensorKind, lastSeenAt: number | undefined, ctx: DeviceContext = {}): void {
    this.devices.track(id, kind, lastSeenAt, ctx);
  }

  /** A device gone from the registry: its tracking and pending state go; keys of open incidents stay. */
  forgetDevice(id: string): void {
    this.devices.forget(id);
    const pick = ofDevice(id);
    this.thresholds.drop(pick);
    this.rates.drop(pick);
    this.cameras.drop(pick, false);
  }

  /** Silence checks and updates held back by the rate limit; call every few seconds. */
  tick(nowMs: number): RuleSignal[] {
    const env = this.env(nowMs);
    return [...this.devices.tick(this.silenceRules, env), ...this.book.flush(nowMs)];
  }

  stats(): RuleEngineStats {
    return {
      rules: this.byId.size,
      pendingConditions: this.thresholds.size + this.cameras.openEvents,
      activeKeys: this.book.size,
      suppressedKeys: this.book.suppressedCount,
      trackedDevices: this.devices.size,
      silentDevices: this.devices.silentCount,
      rateSeries: this.rates.size,
      rateSamples: this.rates.samples,
      evidenceKeys: this.cameras.evidenceKeys,
    };
  }

  private env(nowMs: number): Env {
    return { book: this.book, timeZone: this.timeZone, nowMs };
  }

  private explainUpdate(entry: ActiveEntry, escalated: boolean): string {
    const rule = this.byId.get(entry.ruleId);
    switch (rule?.type) {
      case 'threshold':
        return explainThresholdUpdate(rule, entry, escalated, this.timeZone);
      case 'rate_of_change':
        return explainRateUpdate(rule, entry, this.timeZone);
      case 'silence':
        return explainSilenceUpdate(rule, entry, this.timeZone);
      case 'camera':
        return explainCameraUpdate(rule, entry, this.timeZone);
      default:
        return `${entry.ruleId}: ${entry.count} matches at ${entry.deviceId ?? 'unknown device'}${sinceText(entry.firstSeenAt, this.timeZone)}.`;
    }
  }
}
