// Threshold rules: a metric above (or below) a level on every reading for at least `forMs`, measured
// on observed times, with hysteresis: an open incident clears only past `clearAt`. A reading between
// clearAt and the trigger keeps an open incident open but resets a condition that has not raised yet.
import { raiseBase, titleOf, type ActiveEntry, type Env } from './book.ts';
import { clockText, describeRule, durationText, inActiveHours, numberText, sinceText, unitOf, valueText } from './describe.ts';
import type { ThresholdRule } from './schema.ts';
import { dedupeKeyOf, type RuleSignal, type Subject } from './signals.ts';

/** A condition that holds but has not held for forMs yet. */
interface Run {
  since: number;
  lastAt: number;
  firstValue: number;
  peak: number;
  count: number;
}

const isAbove = (rule: ThresholdRule) => rule.above !== undefined;
const triggerOf = (rule: ThresholdRule) => (rule.above ?? rule.below)!;
const clearAtOf = (rule: ThresholdRule) => rule.clearAt ?? triggerOf(rule);
/** Strictly past `limit` on the rule's side. */
const past = (rule: ThresholdRule, value: number, limit: number) => (isAbove(rule) ? value > limit : value < limit);
/** Strictly back on the other side of clearAt. */
const cleared = (rule: ThresholdRule, value: number) => (isAbove(rule) ? value < clearAtOf(rule) : value > clearAtOf(rule));

const severityFor = (rule: ThresholdRule, value: number) =>
  rule.escalate && past(rule, value, rule.escalate.value) ? rule.escalate.severity : rule.severity;

function words(rule: ThresholdRule) {
  const unit = unitOf(rule.metric);
  const above = isAbove(rule);
  return {
    unit,
    v: (value: number) => valueText(value, unit),
    side: above ? 'above' : 'below',
    back: above ? 'below' : 'above',
    peak: above ? 'peak' : 'lowest',
    clears: `clears ${above ? 'below' : 'above'} ${valueText(clearAtOf(rule), unit)}`,
  };
}

export class ThresholdRuns {
  private readonly runs = new Map<string, Run>();

  /** conditions waiting for forMs */
  get size(): number {
    return this.runs.size;
  }

  drop(pick: (key: string) => boolean): void {
    for (const key of this.runs.keys()) if (pick(key)) this.runs.delete(key);
  }

  /**
   * One value of the rule's metric from the subject, observed at `at`. `maxGapMs`: a run whose readings
   * are further apart than this (the device was silent) starts again, as nobody saw it hold.
   */
  evaluate(rule: ThresholdRule, subject: Subject, value: number, at: number, maxGapMs: number, env: Env): RuleSignal[] {
    const { book, nowMs } = env;
    const key = dedupeKeyOf(rule.id, subject.deviceId);
    const entry = book.get(key);
    if (!inActiveHours(rule.activeHours, at, env.timeZone)) {
      // the hours are over: a pending condition resets, an open incident ends
      this.runs.delete(key);
      book.unsuppress(key);
      if (!entry?.conditionOn) return [];
      const hours = `${rule.activeHours!.from}-${rule.activeHours!.to}`;
      const text = `${rule.id}: the rule's hours (${hours}) ended at ${clockText(at, env.timeZone)} with ${rule.metric} at ${entry.deviceId} at ${words(rule).v(value)}.`;
      return book.end(key, nowMs, rule.autoResolve, text);
    }
    const hit = past(rule, value, triggerOf(rule));
    if (entry?.conditionOn) {
      if (cleared(rule, value)) return book.end(key, nowMs, rule.autoResolve, explainEnd(rule, entry, value, at, env.timeZone));
      if (!hit) {
        book.note(key, at, value); // hysteresis: stays open
        return [];
      }
      const update = book.fold(key, { at, value, countDelta: 1, severity: severityFor(rule, value) }, nowMs);
      return update ? [update] : [];
    }
    if (cleared(rule, value)) book.unsuppress(key);
    if (!hit || book.isSuppressed(key)) {
      this.runs.delete(key);
      return [];
    }
    let run = this.runs.get(key);
    if (!run || at - run.lastAt > maxGapMs) {
      run = { since: at, lastAt: at, firstValue: value, peak: value, count: 0 };
      this.runs.set(key, run);
    }
    run.lastAt = at;
    run.count += 1;
    run.peak = isAbove(rule) ? Math.max(run.peak, value) : Math.min(run.peak, value);
    if (at - run.since < rule.forMs) return [];
    this.runs.delete(key);
    const severity = severityFor(rule, run.peak);
    if (entry) {
      // an incident an operator closes is still open and the condition is back
      const update = book.fold(key, { at, value, countDelta: run.count, severity }, nowMs);
      return update ? [update] : [];
    }
    const w = words(rule);
    const unit = w.unit;
    return [
      book.raise(
        {
          ...raiseBase(rule, subject, nowMs),
          severity,
          title: titleOf(rule, `${rule.metric} ${w.side} ${w.v(triggerOf(rule))}`, subject.deviceId),
          explanation: explainRaise(rule, subject.deviceId, run, value, at, severity, env.timeZone),
          evidence: {
            ruleId: rule.id,
            ruleText: describeRule(rule),
            metric: rule.metric,
            ...(unit !== undefined ? { unit } : {}),
            firstValue: run.firstValue,
            lastValue: value,
            peakValue: run.peak,
            count: run.count,
            firstSeenAt: run.since,
            lastSeenAt: at,
          },
        },
        isAbove(rule) ? 'max' : 'min',
      ),
    ];
  }
}

function explainRaise(rule: ThresholdRule, deviceId: string, run: Run, value: number, at: number, severity: string, timeZone: string): string {
  const w = words(rule);
  const held = at > run.since ? ` for ${durationText(at - run.since)}` : '';
  const peak = run.count > 1 ? `, ${w.peak} ${numberText(run.peak)}` : '';
  const escalated = rule.escalate && severity === rule.escalate.severity ? `; ${w.side} ${w.v(rule.escalate.value)}, so ${severity}` : '';
  return `${rule.id}: ${rule.metric} at ${deviceId} was ${w.side} ${w.v(triggerOf(rule))}${held} (${w.v(value)} at ${clockText(at, timeZone)}${peak})${escalated}; ${w.clears}.`;
}

export function explainThresholdUpdate(rule: ThresholdRule, entry: ActiveEntry, escalated: boolean, timeZone: string): string {
  const w = words(rule);
  const facts = [`${entry.count} readings ${w.side} ${w.v(triggerOf(rule))}${sinceText(entry.firstSeenAt, timeZone)}`];
  if (entry.lastValue !== undefined) facts.push(`last ${w.v(entry.lastValue)} at ${clockText(entry.lastSeenAt, timeZone)}`);
  if (entry.peakValue !== undefined) facts.push(`${w.peak} ${numberText(entry.peakValue)}`);
  const escalation = escalated && rule.escalate ? `; passed ${w.v(rule.escalate.value)}: now ${entry.severity}` : '';
  return `${rule.id}: ${rule.metric} at ${entry.deviceId} is still ${w.side} the limit (${facts.join(', ')})${escalation}; ${w.clears}.`;
}

function explainEnd(rule: ThresholdRule, entry: ActiveEntry, value: number, at: number, timeZone: string): string {
  const w = words(rule);
  const peak = entry.peakValue !== undefined ? `; ${w.peak} was ${w.v(entry.peakValue)}` : '';
  return `${rule.id}: ${rule.metric} at ${entry.deviceId} went back ${w.back} ${w.v(clearAtOf(rule))} (${w.v(value)} at ${clockText(at, timeZone)})${peak}, ${w.side} ${w.v(triggerOf(rule))}${sinceText(entry.firstSeenAt, timeZone)}.`;
}
