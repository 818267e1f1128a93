// Rules a city gets before it writes its own: every alarm level in THRESHOLDS as a 'major' incident
// after 5 min, clearing ~10% below, and one silence rule over every kind (each kind's own limit, or
// 3 × a device's announced update interval). Built through validateRule, so the schema's defaults
// are the only ones.
import type { IncidentCategory } from '@city/shared/incidents';
import type { SensorKind } from '@city/shared/reading';
import { THRESHOLDS } from '@city/shared/thresholds';
import { validateRule, type Rule, type RuleInput } from './schema.ts';

export const DEFAULT_FOR_MS = 5 * 60_000;
/** clears at this fraction of the alarm level (for 'above' levels) */
export const DEFAULT_CLEAR_FRACTION = 0.9;

/** The incident category of a kind's threshold breaches. */
export const CATEGORY_BY_KIND: Readonly<Record<SensorKind, IncidentCategory>> = {
  air_quality: 'air_quality',
  noise: 'noise',
  traffic: 'traffic',
  water_level: 'flooding',
  parking: 'parking',
  street_light: 'lighting',
  waste_bin: 'waste',
  camera: 'security',
  generic: 'other',
};

/** A round clear level ~10% under the alarm: 55 -> 49.5, 300 -> 270. */
const clearLevel = (alarm: number) => Math.round(alarm * DEFAULT_CLEAR_FRACTION * 10) / 10;

export function defaultRuleInputs(): RuleInput[] {
  const inputs: RuleInput[] = [];
  for (const [kind, metrics] of Object.entries(THRESHOLDS) as [SensorKind, (typeof THRESHOLDS)[SensorKind]][]) {
    for (const [metric, t] of Object.entries(metrics ?? {})) {
      if (t.alarm === undefined) continue;
      inputs.push({
        id: `default-${metric.replace(/_/g, '-')}-alarm`,
        type: 'threshold',
        description: `alarm level of ${t.note ?? metric} from THRESHOLDS`,
        kinds: [kind],
        metric,
        above: t.alarm,
        clearAt: clearLevel(t.alarm),
        forMs: DEFAULT_FOR_MS,
        severity: 'major',
        category: CATEGORY_BY_KIND[kind],
      });
    }
  }
  inputs.push({ id: 'default-device-silent', type: 'silence', title: 'Device silent', severity: 'minor', category: 'device_offline' });
  return inputs;
}

/** The default rules, validated (a failure is a bug in this file and throws). */
export function defaultRules(): Rule[] {
  return defaultRuleInputs().map((input) => {
    const result = validateRule(input);
    if (!result.ok) throw new Error(`default rule ${JSON.stringify(input)}: ${result.problems.join('; ')}`);
    return result.rule;
  });
}
