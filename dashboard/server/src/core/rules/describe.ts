// Words for rules and values: units from metric names, durations, local clock times, and the one-line
// text of a rule that incidents carry as evidence (`ruleText`).
import { SILENCE_LIMIT_MS } from '@city/shared/thresholds';
import { UNIT_SUFFIXES } from '@city/shared/units';
import type { CameraRule, InfringementRule, Rule } from './schema.ts';

/** SenML symbols as people read them; others are shown as they are. '' = no unit worth printing. */
const DISPLAY_UNITS: Readonly<Record<string, string>> = {
  'ug/m3': 'µg/m³',
  'mg/m3': 'mg/m³',
  'kg/m3': 'kg/m³',
  dBA: 'dB(A)',
  Cel: '°C',
  m2: 'm²',
  m3: 'm³',
  'm/s2': 'm/s²',
  'W/m2': 'W/m²',
  '1/s': '/s',
  '1/min': '/min',
  count: '',
  '/': '',
};

/** metric name suffix -> SenML symbol: the reverse of UNIT_SUFFIXES (the first symbol of a suffix wins). */
const SYMBOL_BY_SUFFIX = new Map<string, string>();
for (const [symbol, suffix] of Object.entries(UNIT_SUFFIXES)) {
  if (!SYMBOL_BY_SUFFIX.has(suffix)) SYMBOL_BY_SUFFIX.set(suffix, symbol);
}

const unitCache = new Map<string, string | undefined>();

/** The unit a metric name carries, for people: pm25_ugm3 -> "µg/m³", noise_dba -> "dB(A)"; undefined for none. */
export function unitOf(metric: string): string | undefined {
  if (unitCache.has(metric)) return unitCache.get(metric);
  const parts = metric.split('_');
  let unit: string | undefined;
  // suffixes span up to three words (rh_pct, mbytes_s); the name itself must keep at least one
  for (let n = Math.min(3, parts.length - 1); n >= 1 && unit === undefined; n--) {
    const symbol = SYMBOL_BY_SUFFIX.get(parts.slice(-n).join('_'));
    if (symbol !== undefined) unit = DISPLAY_UNITS[symbol] ?? symbol;
  }
  const result = unit === '' ? undefined : unit;
  if (unitCache.size < 10_000) unitCache.set(metric, result);
  return result;
}

/** At most two decimals, no trailing zeros: 58.2, 61, 0.85. */
export function numberText(value: number): string {
  return String(Number(value.toFixed(2)));
}

/** "58.2 µg/m³", "96%", "12" */
export function valueText(value: number, unit: string | undefined): string {
  if (unit === undefined) return numberText(value);
  return unit === '%' ? `${numberText(value)}%` : `${numberText(value)} ${unit}`;
}

/** "45 s", "10 min", "1.5 h", "30 days" */
export function durationText(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= 2 * 86_400_000) return `${numberText(Math.round((ms / 86_400_000) * 10) / 10)} days`;
  if (abs >= 3_600_000) return `${numberText(Math.round((ms / 3_600_000) * 10) / 10)} h`;
  if (abs >= 60_000) return `${numberText(Math.round((ms / 60_000) * 10) / 10)} min`;
  return `${numberText(Math.round(ms / 100) / 10)} s`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a RangeError naming the zone when Intl does not know it. */
export function checkTimeZone(timeZone: string): void {
  try {
    formatterFor(timeZone);
  } catch {
    throw new RangeError(`time zone ${JSON.stringify(timeZone)} is not an IANA zone Intl knows (e.g. "America/Chicago")`);
  }
}

/** Minutes since local midnight in `timeZone` (0..1439). */
export function localMinuteOfDay(epochMs: number, timeZone: string): number {
  let hour = 0;
  let minute = 0;
  for (const part of formatterFor(timeZone).formatToParts(epochMs)) {
    if (part.type === 'hour') hour = Number(part.value) % 24;
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return hour * 60 + minute;
}

/** "14:03" local time. */
export function clockText(epochMs: number, timeZone: string): string {
  const minutes = localMinuteOfDay(epochMs, timeZone);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** " since 14:03", or nothing for an unknown time (0: an incident restored without its evidence). */
export const sinceText = (epochMs: number, timeZone: string) => (epochMs > 0 ? ` since ${clockText(epochMs, timeZone)}` : '');

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether local time of `epochMs` is in [from, to); a window with from after to wraps midnight. */
export function inActiveHours(hours: { from: string; to: string } | undefined, epochMs: number, timeZone: string): boolean {
  if (!hours) return true;
  const now = localMinuteOfDay(epochMs, timeZone);
  const from = minutesOf(hours.from);
  const to = minutesOf(hours.to);
  return from < to ? now >= from && now < to : now >= from || now < to;
}

/** "fire", "fire or smoke", "car, truck or bus" */
export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function scopeText(rule: { kinds?: readonly string[] | undefined; deviceIds?: readonly string[] | undefined }): string {
  let text = '';
  if (rule.kinds) text += ` on ${orList(rule.kinds)} devices`;
  if (rule.deviceIds) {
    const shown = rule.deviceIds.slice(0, 3);
    const more = rule.deviceIds.length - shown.length;
    text += ` on ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  }
  return text;
}

/** "person with score ≥ 0.6 in zone restricted between 22:00 and 06:00" */
export function detectionText(rule: CameraRule | InfringementRule): string {
  let text = `${orList(rule.labels)} with score ≥ ${numberText(rule.minScore)}`;
  text += rule.zones ? ` in zone ${orList(rule.zones)}` : ' anywhere';
  if (rule.cameraIds) text += ` on ${orList(rule.cameraIds)}`;
  if (rule.minDurationMs > 0) text += ` for at least ${durationText(rule.minDurationMs)}`;
  if (rule.activeHours) text += ` between ${rule.activeHours.from} and ${rule.activeHours.to}`;
  return text;
}

const SILENCE_RANGE = (() => {
  const limits = Object.values(SILENCE_LIMIT_MS);
  return `${durationText(Math.min(...limits))} to ${durationText(Math.max(...limits))}`;
})();

/** The rule in one line, the `ruleText` of incident evidence. */
export function describeRule(rule: Rule): string {
  switch (rule.type) {
    case 'threshold': {
      const unit = unitOf(rule.metric);
      const isAbove = rule.above !== undefined;
      const trigger = (rule.above ?? rule.below)!;
      let text = `${rule.metric} ${isAbove ? 'above' : 'below'} ${valueText(trigger, unit)}`;
      if (rule.forMs > 0) text += ` for ${durationText(rule.forMs)}`;
      text += ` (clears ${isAbove ? 'below' : 'above'} ${valueText(rule.clearAt ?? trigger, unit)}`;
      if (rule.escalate) text += `; ${rule.escalate.severity} ${isAbove ? 'above' : 'below'} ${valueText(rule.escalate.value, unit)}`;
      const hours = rule.activeHours ? ` between ${rule.activeHours.from} and ${rule.activeHours.to}` : '';
      return `${text})${hours}${scopeText(rule)}`;
    }
    case 'rate_of_change': {
      const unit = unitOf(rule.metric);
      const per = `per ${durationText(rule.windowMs)}`;
      const parts: string[] = [];
      const clears: string[] = [];
      if (rule.risePerWindow !== undefined) {
        parts.push(`rising more than ${valueText(rule.risePerWindow, unit)} ${per}`);
        clears.push(`a rise under ${valueText(rule.risePerWindow * rule.clearFraction, unit)}`);
      }
      if (rule.fallPerWindow !== undefined) {
        parts.push(`falling more than ${valueText(rule.fallPerWindow, unit)} ${per}`);
        clears.push(`a fall under ${valueText(rule.fallPerWindow * rule.clearFraction, unit)}`);
      }
      return `${rule.metric} ${parts.join(' or ')} (clears at ${clears.join(' and ')} ${per})${scopeText(rule)}`;
    }
    case 'silence': {
      const limit =
        rule.silentForMs !== undefined
          ? durationText(rule.silentForMs)
          : `${numberText(rule.intervalMultiplier)} × the device's update interval, else its kind's limit (${
              rule.kinds?.length === 1 ? durationText(SILENCE_LIMIT_MS[rule.kinds[0]!]) : SILENCE_RANGE
            })`;
      return `no reading for more than ${limit}${scopeText(rule)}`;
    }
    case 'camera':
      return detectionText(rule);
    case 'infringement':
      return `${rule.offence}: ${detectionText(rule)} (evidence kept ${rule.retentionDays} days)`;
  }
}
