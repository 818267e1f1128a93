// The rules file and one rule: zod schemas with every default, cross-field checks, and parsing that
// lists every problem as "path: expected X (got Y)". The only place rule defaults are written.
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { INCIDENT_CATEGORIES, SEVERITIES, type Severity } from '@city/shared/incidents';
import { DEVICE_ID_PATTERN, METRIC_NAME_PATTERN, SENSOR_KINDS } from '@city/shared/reading';
import { describe } from '@city/shared/decoders/common';
import { issueLines, joinPath } from './problems.ts';

export const RULE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const RULE_TYPES = ['threshold', 'rate_of_change', 'silence', 'camera', 'infringement'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

/** A file holds at most this many rules: every reading is checked against the rules of its metrics. */
export const MAX_RULES = 1000;
/** Silence after this many expected intervals (SenML `ut`) when a rule does not say. */
export const DEFAULT_INTERVAL_MULTIPLIER = 3;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

const durationMs = (maxMs: number) => z.number().int().min(0).max(maxMs);
const positiveMs = (maxMs: number) => z.number().int().min(1).max(maxMs);
const finite = z.number();
const ruleId = z.string().regex(RULE_ID_PATTERN, 'a rule id: 1-64 of a-z, 0-9, _, - starting with a letter or digit');
const metric = z.string().regex(METRIC_NAME_PATTERN, 'a metric name: a lowercase letter then up to 63 of a-z, 0-9, _');
const deviceId = z.string().regex(DEVICE_ID_PATTERN, 'a device id: 1-64 of a-z, 0-9, _, ., - starting with a letter or digit');
const label = z.string().regex(METRIC_NAME_PATTERN, 'a detection label: lowercase a-z, 0-9, _ as the decoders emit them');
const zone = z.string().min(1).max(64);
const hhmm = z.string().regex(HH_MM, 'a local time "HH:MM" (00:00..23:59)');

/** Fields every rule has. */
const identity = {
  id: ruleId,
  /** for the people who edit the file */
  description: z.string().max(500).optional(),
  enabled: z.boolean().default(true),
};

/** Fields of rules that raise incidents (all but infringement). */
const common = {
  ...identity,
  /** shown as the incident title, followed by the device id */
  title: z.string().min(1).max(120).optional(),
  severity: z.enum(SEVERITIES),
  category: z.enum(INCIDENT_CATEGORIES),
};

/** Which devices a reading rule looks at: all when both are absent. */
const scope = {
  kinds: z.array(z.enum(SENSOR_KINDS)).min(1).max(SENSOR_KINDS.length).optional(),
  deviceIds: z.array(deviceId).min(1).max(1000).optional(),
};

/** local time in the engine's time zone, [from, to); `from` after `to` wraps midnight */
const activeHours = z.strictObject({ from: hhmm, to: hhmm }).optional();

const cameraScope = {
  labels: z.array(label).min(1).max(32),
  /** 0..1; detections scored lower are ignored */
  minScore: z.number().min(0).max(1).default(0.5),
  cameraIds: z.array(deviceId).min(1).max(1000).optional(),
  activeHours,
};

export const ThresholdRuleSchema = z.strictObject({
  type: z.literal('threshold'),
  ...common,
  ...scope,
  metric,
  /** raise when the value is above this (exactly one of above / below) */
  above: finite.optional(),
  below: finite.optional(),
  /** hysteresis: an active incident clears only past this value; defaults to the trigger value */
  clearAt: finite.optional(),
  /** how long the condition must hold on every reading before it raises; 0 = at once */
  forMs: durationMs(7 * DAY_MS).default(0),
  autoResolve: z.boolean().default(true),
  /** a worse level that raises the severity of the open incident */
  escalate: z.strictObject({ value: finite, severity: z.enum(SEVERITIES) }).optional(),
  /** readings outside these hours do not count, and the end of the hours clears an open incident */
  activeHours,
});

export const RateOfChangeRuleSchema = z.strictObject({
  type: z.literal('rate_of_change'),
  ...common,
  ...scope,
  metric,
  /** raise when the value rises by more than this within windowMs (at least one of rise / fall) */
  risePerWindow: z.number().positive().optional(),
  fallPerWindow: z.number().positive().optional(),
  windowMs: positiveMs(DAY_MS),
  /** clears when the rate is below this fraction of the limit; 1 = as soon as it is under the limit */
  clearFraction: z.number().min(0).max(1).default(1),
  autoResolve: z.boolean().default(true),
});

export const SilenceRuleSchema = z.strictObject({
  type: z.literal('silence'),
  ...common,
  ...scope,
  /** a fixed limit for every device in scope; absent: multiplier × the device's update interval, else its kind's limit */
  silentForMs: positiveMs(30 * DAY_MS).optional(),
  intervalMultiplier: z.number().min(1).max(100).default(DEFAULT_INTERVAL_MULTIPLIER),
  autoResolve: z.boolean().default(true),
});

export const CameraRuleSchema = z.strictObject({
  type: z.literal('camera'),
  ...common,
  ...cameraScope,
  /** any of these zones; absent = anywhere in the picture */
  zones: z.array(zone).min(1).max(32).optional(),
  /** the same detection (event id) must last this long, e.g. a vehicle stopped in a tunnel */
  minDurationMs: durationMs(DAY_MS).default(0),
  /** camera incidents are closed by an operator unless this is true (then: when the event ends) */
  autoResolve: z.boolean().default(false),
});

export const InfringementRuleSchema = z.strictObject({
  type: z.literal('infringement'),
  ...identity,
  ...cameraScope,
  zones: z.array(zone).min(1).max(32),
  minDurationMs: durationMs(DAY_MS),
  /** 'vehicle stopped in bus lane' */
  offence: z.string().min(1).max(200),
  retentionDays: z.number().int().min(1).max(3650),
});

export type ThresholdRule = z.output<typeof ThresholdRuleSchema>;
export type RateOfChangeRule = z.output<typeof RateOfChangeRuleSchema>;
export type SilenceRule = z.output<typeof SilenceRuleSchema>;
export type CameraRule = z.output<typeof CameraRuleSchema>;
export type InfringementRule = z.output<typeof InfringementRuleSchema>;
export type Rule = ThresholdRule | RateOfChangeRule | SilenceRule | CameraRule | InfringementRule;
/** What a file or the API may send: defaults may be left out. */
export type RuleInput =
  | z.input<typeof ThresholdRuleSchema>
  | z.input<typeof RateOfChangeRuleSchema>
  | z.input<typeof SilenceRuleSchema>
  | z.input<typeof CameraRuleSchema>
  | z.input<typeof InfringementRuleSchema>;

const SCHEMAS = {
  threshold: ThresholdRuleSchema,
  rate_of_change: RateOfChangeRuleSchema,
  silence: SilenceRuleSchema,
  camera: CameraRuleSchema,
  infringement: InfringementRuleSchema,
} as const;

const KNOWN_FIELDS = [
  ...new Set([
    ...Object.values(SCHEMAS).flatMap((s) => Object.keys(s.shape)),
    'value',
    'from',
    'to',
  ]),
];

const moreSevere = (a: Severity, b: Severity) => SEVERITIES.indexOf(a) < SEVERITIES.indexOf(b);

/** Checks zod cannot express per field: which of two fields, and their order. */
function crossFieldProblems(rule: Rule, at: (field: string) => string): string[] {
  const problems: string[] = [];
  if (rule.type === 'threshold') {
    const { above, below, clearAt, escalate } = rule;
    if ((above === undefined) === (below === undefined)) {
      problems.push(`${at('above')}: expected exactly one of above or below (got ${above === undefined ? 'neither' : 'both'})`);
      return problems;
    }
    const trigger = (above ?? below)!;
    const isAbove = above !== undefined;
    const side = isAbove ? 'at most' : 'at least';
    if (clearAt !== undefined && (isAbove ? clearAt > trigger : clearAt < trigger)) {
      problems.push(`${at('clearAt')}: expected ${side} the trigger ${trigger} (got ${clearAt})`);
    }
    if (escalate && (isAbove ? escalate.value <= trigger : escalate.value >= trigger)) {
      problems.push(`${at('escalate.value')}: expected ${isAbove ? 'more' : 'less'} than the trigger ${trigger} (got ${escalate.value})`);
    }
    if (escalate && !moreSevere(escalate.severity, rule.severity)) {
      problems.push(`${at('escalate.severity')}: expected a severity above "${rule.severity}" (got ${describe(escalate.severity)})`);
    }
  }
  if (rule.type === 'rate_of_change' && rule.risePerWindow === undefined && rule.fallPerWindow === undefined) {
    problems.push(`${at('risePerWindow')}: expected risePerWindow or fallPerWindow (got neither)`);
  }
  if ('activeHours' in rule && rule.activeHours && rule.activeHours.from === rule.activeHours.to) {
    problems.push(`${at('activeHours.to')}: expected a time other than from (got ${describe(rule.activeHours.to)})`);
  }
  return problems;
}

export type RuleResult = { ok: true; rule: Rule } | { ok: false; problems: string[] };
export type RulesResult = { ok: true; rules: Rule[] } | { ok: false; problems: string[] };

/** One rule, e.g. from the admin API; problem paths start at the rule ("above: ..."), or at `prefix`. */
export function validateRule(input: unknown, prefix = ''): RuleResult {
  const at = (field: string) => joinPath(prefix, field === '' ? [] : [field]);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: [`${at('')}: expected an object (got ${describe(input)})`] };
  }
  const type = (input as { type?: unknown }).type;
  if (typeof type !== 'string' || !(RULE_TYPES as readonly string[]).includes(type)) {
    const expected = RULE_TYPES.map((t) => JSON.stringify(t)).join(', ');
    return { ok: false, problems: [`${at('type')}: expected one of ${expected} (got ${describe(type)})`] };
  }
  const parsed = SCHEMAS[type as RuleType].safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: issueLines(parsed.error.issues, prefix, KNOWN_FIELDS) };
  const rule = parsed.data as Rule;
  const problems = crossFieldProblems(rule, at);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rule };
}

/** Rules from validated objects: every problem of every rule, plus duplicate ids. */
export function validateRules(inputs: readonly unknown[], prefix = 'rules'): RulesResult {
  const problems: string[] = [];
  if (inputs.length > MAX_RULES) problems.push(`${prefix}: expected at most ${MAX_RULES} rules (got ${inputs.length})`);
  const rules: Rule[] = [];
  const firstIndex = new Map<string, number>();
  inputs.slice(0, MAX_RULES).forEach((input, i) => {
    const result = validateRule(input, `${prefix}.${i}`);
    if (!result.ok) {
      problems.push(...result.problems);
      return;
    }
    const earlier = firstIndex.get(result.rule.id);
    if (earlier !== undefined) {
      problems.push(`${prefix}.${i}.id: expected an id no other rule has (got "${result.rule.id}", also ${prefix}.${earlier}.id)`);
      return;
    }
    firstIndex.set(result.rule.id, i);
    rules.push(result.rule);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rules };
}

/** The text of a rules file `{ version: 1, rules: [...] }` in YAML or JSON. */
export function parseRules(text: string, format: 'yaml' | 'json'): RulesResult {
  let doc: unknown;
  if (format === 'json') {
    try {
      doc = JSON.parse(text);
    } catch (err) {
      return { ok: false, problems: [`file: expected valid JSON (got ${(err as Error).message})`] };
    }
  } else {
    const parsed = parseDocument(text, { uniqueKeys: true });
    if (parsed.errors.length > 0) {
      return {
        ok: false,
        problems: parsed.errors.map((e) => {
          const pos = e.linePos?.[0];
          const where = pos ? `line ${pos.line} column ${pos.col}` : 'file';
          const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
          return `${where}: expected valid YAML (got ${message})`;
        }),
      };
    }
    try {
      doc = parsed.toJS();
    } catch (err) {
      // e.g. more alias expansions than the yaml package allows (a "billion laughs" file)
      return { ok: false, problems: [`file: expected YAML that expands to plain data (got ${(err as Error).message})`] };
    }
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { ok: false, problems: [`file: expected an object with a "rules" list (got ${describe(doc)})`] };
  }
  const problems: string[] = [];
  const { version, rules, ...rest } = doc as Record<string, unknown>;
  if (version !== undefined && version !== 1) problems.push(`version: expected 1 (got ${describe(version)})`);
  for (const key of Object.keys(rest)) problems.push(`${key}: expected "version" or "rules" (got unknown field "${key}")`);
  if (!Array.isArray(rules)) {
    problems.push(`rules: expected a list (got ${describe(rules)})`);
    return { ok: false, problems };
  }
  const result = validateRules(rules);
  if (!result.ok) return { ok: false, problems: [...problems, ...result.problems] };
  return problems.length > 0 ? { ok: false, problems } : result;
}
