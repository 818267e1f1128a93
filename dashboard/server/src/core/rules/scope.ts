// A rule with its device filters as sets, built once when rules are set, so a reading checks a rule in
// two set lookups.
import type { SensorKind } from '@city/shared/reading';
import type { Rule } from './schema.ts';

export interface Scoped<R extends Rule = Rule> {
  rule: R;
  kinds?: ReadonlySet<SensorKind>;
  /** deviceIds, or cameraIds for camera and infringement rules */
  deviceIds?: ReadonlySet<string>;
}

export function scoped<R extends Rule>(rule: R): Scoped<R> {
  const s: Scoped<R> = { rule };
  if ('kinds' in rule && rule.kinds) s.kinds = new Set(rule.kinds);
  const ids = 'deviceIds' in rule ? rule.deviceIds : 'cameraIds' in rule ? rule.cameraIds : undefined;
  if (ids) s.deviceIds = new Set(ids);
  return s;
}

export const inScope = (s: Scoped, kind: SensorKind, deviceId: string) =>
  (s.kinds === undefined || s.kinds.has(kind)) && (s.deviceIds === undefined || s.deviceIds.has(deviceId));

/** Picks the keys of one rule ("ruleId:deviceId"): rule ids cannot contain ':'. */
export const ofRule = (ruleId: string) => (key: string) => key.startsWith(`${ruleId}:`);
/** Picks the keys of one device (device ids cannot contain ':' either). */
export const ofDevice = (deviceId: string) => (key: string) => key.endsWith(`:${deviceId}`);
