// Builders for the rules tests: rules go through validateRule (so they carry the schema's defaults),
// readings and events are plain data. Nothing here is shared mutable state.
import type { CameraEvent, Reading, SensorKind } from '@city/shared';
import { validateRule, type Rule } from '../../../src/core/rules/schema.ts';

/** 2026-06-15 14:00 in Chicago (CDT, UTC-5). */
export const T0 = Date.UTC(2026, 5, 15, 19, 0, 0);
export const SEC = 1000;
export const MIN = 60_000;

export function rule(input: Record<string, unknown>): Rule {
  const result = validateRule(input);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.rule;
}

export function reading(deviceId: string, observedAt: number, metrics: Record<string, number>, kind: SensorKind = 'air_quality'): Reading {
  return { deviceId, kind, observedAt, metrics };
}

export function detection(over: Partial<CameraEvent> & { observedAt: number }): CameraEvent {
  return { cameraId: 'cam-1', eventId: 'ev-1', phase: 'new', label: 'person', score: 0.9, zones: [], hasSnapshot: true, ...over };
}

/** Local wall-clock time in Chicago on 2026-06-15 (CDT, UTC-5) as epoch ms; hours past 24 run into the next day. */
export const chicago = (hour: number, minute = 0) => Date.UTC(2026, 5, 15, hour + 5, minute);
