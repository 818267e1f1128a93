// Rate-of-change rules: how much a metric rose (or fell) within the last `windowMs`, e.g. a river
// rising more than 20 cm per 10 min. The change is measured from the oldest sample the window needs
// (one at or just before its start) to the latest; over a longer span it is scaled down to one window,
// over a shorter one it is taken as it is (never extrapolated: two close readings of a noisy gauge do
// not make a flood).
//
// Memory: one series per rule and device, at most MAX_RATE_SAMPLES samples (two numbers each), spaced
// at least windowMs / (MAX_RATE_SAMPLES - 2) apart: a 1 Hz gauge keeps a sample every ~10 s of a 10 min
// window. A device reporting less often than every two windows has no rate.
import { raiseBase, titleOf, type ActiveEntry, type Env } from './book.ts';
import { clockText, describeRule, durationText, numberText, sinceText, unitOf, valueText } from './describe.ts';
import type { RateOfChangeRule } from './schema.ts';
import { dedupeKeyOf, type RuleSignal, type Subject } from './signals.ts';

export const MAX_RATE_SAMPLES = 64;

interface Rate {
  /** signed change scaled to one window */
  perWindow: number;
  fromAt: number;
  fromValue: number;
  toAt: number;
  toValue: number;
}

/** A device's recent values of one metric, oldest first. */
export class RateSeries {
  readonly at: number[] = [];
  readonly values: number[] = [];

  push(at: number, value: number, windowMs: number): void {
    const n = this.at.length;
    if (n > 0 && at < this.at[n - 1]!) return; // late: the engine drops these first anyway
    if (n >= 2 && at - this.at[n - 2]! < windowMs / (MAX_RATE_SAMPLES - 2)) {
      // too close to the one before: the latest replaces it
      this.at[n - 1] = at;
      this.values[n - 1] = value;
    } else {
      this.at.push(at);
      this.values.push(value);
    }
    // keep one anchor at or before the window's start, drop what is older
    while (this.at.length >= 2 && this.at[1]! <= at - windowMs) this.shift();
    // an anchor older than two windows says nothing about the current rate
    if (this.at.length >= 2 && this.at[0]! < at - 2 * windowMs) this.shift();
    while (this.at.length > MAX_RATE_SAMPLES) this.shift();
  }

  rate(windowMs: number): Rate | undefined {
    const n = this.at.length;
    if (n < 2) return undefined;
    const fromAt = this.at[0]!;
    const toAt = this.at[n - 1]!;
    if (toAt <= fromAt) return undefined;
    const fromValue = this.values[0]!;
    const toValue = this.values[n - 1]!;
    return { perWindow: ((toValue - fromValue) * windowMs) / Math.max(toAt - fromAt, windowMs), fromAt, fromValue, toAt, toValue };
  }

  private shift(): void {
    this.at.shift();
    this.values.shift();
  }
}

export class RateRules {
  private readonly series = new Map<string, RateSeries>();

  get size(): number {
    return this.series.size;
  }

  get samples(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.at.length;
    return n;
  }

  drop(pick: (key: string) => boolean): void {
    for (const key of this.series.keys()) if (pick(key)) this.series.delete(key);
  }

  evaluate(rule: RateOfChangeRule, subject: Subject, value: number, at: number, env: Env): RuleSignal[] {
    const { book, nowMs } = env;
    const key = dedupeKeyOf(rule.id, subject.deviceId);
    let series = this.series.get(key);
    if (!series) {
      series = new RateSeries();
      this.series.set(key, series);
    }
    series.push(at, value, rule.windowMs);
    const rate = series.rate(rule.windowMs);
    if (!rate) return [];
    const r = rate.perWindow;
    const { risePerWindow: rise, fallPerWindow: fall, clearFraction } = rule;
    const hit = (rise !== undefined && r > rise) || (fall !== undefined && -r > fall);
    const calm = (rise === undefined || r < rise * clearFraction) && (fall === undefined || -r < fall * clearFraction);
    const entry = book.get(key);
    if (entry?.conditionOn) {
      if (calm) return book.end(key, nowMs, rule.autoResolve, explainEnd(rule, entry, rate, env.timeZone));
      if (!hit) {
        book.note(key, at, r);
        return [];
      }
      const update = book.fold(key, { at, value: r, countDelta: 1 }, nowMs);
      return update ? [update] : [];
    }
    if (calm) book.unsuppress(key);
    if (!hit || book.isSuppressed(key)) return [];
    if (entry) {
      const update = book.fold(key, { at, value: r, countDelta: 1 }, nowMs);
      return update ? [update] : [];
    }
    const unit = unitOf(rule.metric);
    const per = `per ${durationText(rule.windowMs)}`;
    return [
      book.raise(
        {
          ...raiseBase(rule, subject, nowMs),
          title: titleOf(rule, `${rule.metric} ${r > 0 ? 'rising' : 'falling'} fast`, subject.deviceId),
          explanation: explainRaise(rule, subject.deviceId, rate, env.timeZone),
          evidence: {
            ruleId: rule.id,
            ruleText: describeRule(rule),
            metric: rule.metric,
            unit: unit === undefined ? per : `${unit} ${per}`,
            firstValue: r,
            lastValue: r,
            peakValue: r,
            count: 1,
            firstSeenAt: rate.fromAt,
            lastSeenAt: at,
          },
        },
        'abs',
      ),
    ];
  }
}

function words(rule: RateOfChangeRule) {
  const unit = unitOf(rule.metric);
  const per = `per ${durationText(rule.windowMs)}`;
  const clears: string[] = [];
  if (rule.risePerWindow !== undefined) clears.push(`a rise under ${valueText(rule.risePerWindow * rule.clearFraction, unit)}`);
  if (rule.fallPerWindow !== undefined) clears.push(`a fall under ${valueText(rule.fallPerWindow * rule.clearFraction, unit)}`);
  return {
    v: (value: number) => valueText(value, unit),
    per,
    clears: `clears at ${clears.join(' and ')} ${per}`,
  };
}

function explainRaise(rule: RateOfChangeRule, deviceId: string, rate: Rate, timeZone: string): string {
  const w = words(rule);
  const rising = rate.perWindow > 0;
  const limit = (rising ? rule.risePerWindow : rule.fallPerWindow)!;
  const change = Math.abs(rate.toValue - rate.fromValue);
  return (
    `${rule.id}: ${rule.metric} at ${deviceId} ${rising ? 'rose' : 'fell'} ${w.v(change)} in ${durationText(rate.toAt - rate.fromAt)} ` +
    `(${w.v(rate.fromValue)} at ${clockText(rate.fromAt, timeZone)} to ${w.v(rate.toValue)} at ${clockText(rate.toAt, timeZone)}): ` +
    `${w.v(Math.abs(rate.perWindow))} ${w.per}, more than ${w.v(limit)}; ${w.clears}.`
  );
}

export function explainRateUpdate(rule: RateOfChangeRule, entry: ActiveEntry, timeZone: string): string {
  const w = words(rule);
  const facts = [`${entry.count} readings over the limit${sinceText(entry.firstSeenAt, timeZone)}`];
  if (entry.lastValue !== undefined) facts.push(`last ${numberText(entry.lastValue)} ${w.per} at ${clockText(entry.lastSeenAt, timeZone)}`);
  if (entry.peakValue !== undefined) facts.push(`peak ${numberText(entry.peakValue)}`);
  return `${rule.id}: ${rule.metric} at ${entry.deviceId} is still changing fast (${facts.join(', ')}); ${w.clears}.`;
}

function explainEnd(rule: RateOfChangeRule, entry: ActiveEntry, rate: Rate, timeZone: string): string {
  const w = words(rule);
  const peak = entry.peakValue !== undefined ? `; peak was ${w.v(entry.peakValue)} ${w.per}` : '';
  return `${rule.id}: ${rule.metric} at ${entry.deviceId} now changes ${w.v(rate.perWindow)} ${w.per} (${w.v(rate.toValue)} at ${clockText(rate.toAt, timeZone)}), under the clear level${peak}.`;
}
