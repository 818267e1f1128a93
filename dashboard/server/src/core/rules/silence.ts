// The devices the engine has seen or was told about, and silence rules over them. A device is silent
// when nothing was heard from it (engine time, so a device with a wrong clock is not silent) for longer
// than the rule's silentForMs, else intervalMultiplier × its expected update interval (SenML `ut`),
// else its kind's SILENCE_LIMIT_MS. tick() raises once per rule and device; hearing from the device
// ends it. A device never heard counts from the first tick that tracks it, so a restart does not
// flag the whole fleet.
import type { Position, SensorKind } from '@city/shared/reading';
import { SILENCE_LIMIT_MS } from '@city/shared/thresholds';
import { raiseBase, titleOf, type ActiveEntry, type Env } from './book.ts';
import { clockText, describeRule, durationText, numberText, sinceText } from './describe.ts';
import { DEFAULT_INTERVAL_MULTIPLIER, type SilenceRule } from './schema.ts';
import { inScope, type Scoped } from './scope.ts';
import { dedupeKeyOf, type RuleSignal } from './signals.ts';

/** What the caller knows of a device: where it is, how often it should report. */
export interface DeviceContext {
  position?: Position | undefined;
  district?: string | undefined;
  /** ms between reports the device announced (SenML `ut` × 1000), when known */
  expectedIntervalMs?: number | undefined;
}

export interface DeviceTrack extends DeviceContext {
  kind: SensorKind;
  /** engine time of the last reading or event */
  lastHeardAt?: number;
  /** the first tick's time for a device not heard yet */
  trackedSince?: number;
  /** the newest observedAt evaluated: older readings are late replays */
  lastObservedAt?: number;
}

/** How long a device may stay quiet: the rule's fixed limit, else a multiple of its interval, else its kind's limit. */
export function silenceLimitMs(rule: SilenceRule | undefined, kind: SensorKind, expectedIntervalMs?: number): number {
  if (rule?.silentForMs !== undefined) return rule.silentForMs;
  if (expectedIntervalMs !== undefined && expectedIntervalMs > 0) return (rule?.intervalMultiplier ?? DEFAULT_INTERVAL_MULTIPLIER) * expectedIntervalMs;
  return SILENCE_LIMIT_MS[kind];
}

function limitText(rule: SilenceRule, track: DeviceTrack): string {
  const limit = durationText(silenceLimitMs(rule, track.kind, track.expectedIntervalMs));
  if (rule.silentForMs !== undefined) return `the rule's ${limit}`;
  if (track.expectedIntervalMs !== undefined && track.expectedIntervalMs > 0) {
    return `${limit} (${numberText(rule.intervalMultiplier)} × its update interval of ${durationText(track.expectedIntervalMs)})`;
  }
  return `the ${track.kind} limit of ${limit}`;
}

function applyContext(track: DeviceTrack, ctx: DeviceContext): void {
  if (ctx.position) track.position = ctx.position;
  if (ctx.district !== undefined) track.district = ctx.district;
  if (ctx.expectedIntervalMs !== undefined) track.expectedIntervalMs = ctx.expectedIntervalMs;
}

export class DeviceWatch {
  private readonly tracks = new Map<string, DeviceTrack>();
  /** device -> silence rules that flagged it (raised, restored, or closed by an operator): none again until heard */
  private readonly flagged = new Map<string, Set<string>>();

  get size(): number {
    return this.tracks.size;
  }

  get silentCount(): number {
    return this.flagged.size;
  }

  get(id: string): DeviceTrack | undefined {
    return this.tracks.get(id);
  }

  track(id: string, kind: SensorKind, lastHeardAt: number | undefined, ctx: DeviceContext): void {
    let track = this.tracks.get(id);
    if (!track) {
      track = { kind };
      this.tracks.set(id, track);
    }
    track.kind = kind;
    if (lastHeardAt !== undefined && (track.lastHeardAt === undefined || lastHeardAt > track.lastHeardAt)) track.lastHeardAt = lastHeardAt;
    applyContext(track, ctx);
  }

  forget(id: string): void {
    this.tracks.delete(id);
    this.flagged.delete(id);
  }

  /** A silence incident open in the caller's store. */
  flag(deviceId: string, ruleId: string): void {
    let rules = this.flagged.get(deviceId);
    if (!rules) {
      rules = new Set();
      this.flagged.set(deviceId, rules);
    }
    rules.add(ruleId);
  }

  dropRule(ruleId: string): void {
    for (const [id, rules] of this.flagged) {
      rules.delete(ruleId);
      if (rules.size === 0) this.flagged.delete(id);
    }
  }

  /**
   * Something was heard from the device: its silences end. `late` when observedAt is older than what
   * was already evaluated (a replay: rules skip it, it still proves the device is alive).
   */
  heard(
    id: string,
    kind: SensorKind,
    ctx: DeviceContext,
    observedAt: number,
    rules: (ruleId: string) => SilenceRule | undefined,
    env: Env,
  ): { track: DeviceTrack; late: boolean; signals: RuleSignal[] } {
    let track = this.tracks.get(id);
    if (!track) {
      track = { kind };
      this.tracks.set(id, track);
    }
    track.kind = kind;
    applyContext(track, ctx);
    const previous = track.lastHeardAt;
    track.lastHeardAt = env.nowMs;
    const late = track.lastObservedAt !== undefined && observedAt < track.lastObservedAt;
    if (!late) track.lastObservedAt = observedAt;
    const flagged = this.flagged.get(id);
    if (!flagged) return { track, late, signals: [] };
    this.flagged.delete(id);
    const signals: RuleSignal[] = [];
    for (const ruleId of flagged) {
      const rule = rules(ruleId);
      if (!rule) continue;
      const key = dedupeKeyOf(ruleId, id);
      const quiet = previous !== undefined ? ` after ${durationText(env.nowMs - previous)} of silence` : '';
      const text = `${ruleId}: ${id} reported again at ${clockText(env.nowMs, env.timeZone)}${quiet}.`;
      signals.push(...env.book.end(key, env.nowMs, rule.autoResolve, text));
    }
    return { track, late, signals };
  }

  /** Raises for devices silent too long; idempotent: a flagged device is not raised again until heard. */
  tick(rules: readonly Scoped<SilenceRule>[], env: Env): RuleSignal[] {
    const signals: RuleSignal[] = [];
    if (rules.length === 0) return signals;
    const { book, nowMs } = env;
    for (const [id, track] of this.tracks) {
      if (track.lastHeardAt === undefined) track.trackedSince ??= nowMs;
      const since = track.lastHeardAt ?? track.trackedSince!;
      const silentMs = nowMs - since;
      for (const s of rules) {
        const rule = s.rule;
        if (!inScope(s, track.kind, id) || this.flagged.get(id)?.has(rule.id)) continue;
        if (silentMs <= silenceLimitMs(rule, track.kind, track.expectedIntervalMs)) continue;
        this.flag(id, rule.id);
        const key = dedupeKeyOf(rule.id, id);
        if (book.get(key)) {
          // an incident an operator closes is still open: the device went quiet again
          const update = book.fold(key, { at: nowMs, countDelta: 1 }, nowMs);
          if (update) signals.push(update);
          continue;
        }
        const heard = track.lastHeardAt !== undefined ? `last heard at ${clockText(since, env.timeZone)}` : `not heard since tracking began at ${clockText(since, env.timeZone)}`;
        signals.push(
          book.raise(
            {
              ...raiseBase(rule, { deviceId: id, kind: track.kind, position: track.position, district: track.district }, nowMs),
              title: titleOf(rule, 'Device silent', id),
              explanation: `${rule.id}: ${id} (${track.kind}) has sent nothing for ${durationText(silentMs)}, longer than ${limitText(rule, track)} (${heard}).`,
              evidence: { ruleId: rule.id, ruleText: describeRule(rule), count: 1, firstSeenAt: since, lastSeenAt: since },
            },
            'max',
          ),
        );
      }
    }
    return signals;
  }
}

export function explainSilenceUpdate(rule: SilenceRule, entry: ActiveEntry, timeZone: string): string {
  return `${rule.id}: ${entry.deviceId} went silent again (${entry.count} times${sinceText(entry.firstSeenAt, timeZone)}).`;
}
