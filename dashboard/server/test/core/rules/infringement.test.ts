import { describe, expect, it } from 'vitest';
import type { CameraEvent } from '@city/shared';
import { RuleEngine } from '../../../src/core/rules/engine.ts';
import type { RuleSignal } from '../../../src/core/rules/signals.ts';
import { detection, rule, SEC, T0 } from './helpers.ts';

const busLane = () =>
  rule({
    id: 'bus-lane-stopping',
    type: 'infringement',
    labels: ['car', 'truck', 'bus'],
    minScore: 0.6,
    zones: ['bus_lane', 'no_stopping'],
    minDurationMs: 30 * SEC,
    offence: 'vehicle stopped in bus lane',
    retentionDays: 30,
  });

const car = (s: number, over: Partial<CameraEvent> = {}) =>
  detection({ cameraId: 'cam-bus', label: 'car', zones: ['bus_lane'], phase: s === 0 ? 'new' : 'update', observedAt: T0 + s * SEC, ...over });

function run(engine: RuleEngine, events: CameraEvent[], camera = {}): RuleSignal[] {
  return events.flatMap((e) => engine.onCameraEvent(e, camera, e.observedAt));
}

describe('infringement rules', () => {
  it('record evidence once per event after minDurationMs, with no incident', () => {
    const engine = new RuleEngine({ rules: [busLane()] });
    const events = [car(0), car(20), car(30, { plate: 'XYZ987' }), car(40), car(90, { phase: 'end' })];
    expect(run(engine, events, { position: { lat: 41.88, lon: -87.63 }, district: 'loop' })).toEqual([
      {
        type: 'evidence',
        record: {
          cameraId: 'cam-bus',
          eventId: 'ev-1',
          ruleId: 'bus-lane-stopping',
          offence: 'vehicle stopped in bus lane',
          label: 'car',
          plate: 'XYZ987',
          zones: ['bus_lane'],
          position: { lat: 41.88, lon: -87.63 },
          district: 'loop',
          observedAt: T0 + 30 * SEC,
          hasSnapshot: true,
          expiresAt: T0 + 30 * SEC + 30 * 86_400_000,
        },
      },
    ]);
  });

  it('record one per event: two vehicles give two records', () => {
    const engine = new RuleEngine({ rules: [busLane()] });
    const events = [car(0), car(0, { eventId: 'ev-2', label: 'bus', zones: ['no_stopping'] }), car(31), car(31, { eventId: 'ev-2', label: 'bus', zones: ['no_stopping'] })];
    expect(run(engine, events).map((s) => (s.type === 'evidence' ? s.record.eventId : s.type))).toEqual(['ev-1', 'ev-2']);
  });

  it('record nothing for labels or zones the rule does not name', () => {
    const engine = new RuleEngine({ rules: [busLane()] });
    const events = [car(0, { label: 'bicycle' }), car(40, { label: 'bicycle' }), car(0, { eventId: 'ev-2', zones: ['street'] }), car(40, { eventId: 'ev-2', zones: ['street'] })];
    expect(run(engine, events)).toEqual([]);
  });

  it('record nothing twice for an event that left and came back', () => {
    const engine = new RuleEngine({ rules: [busLane()] });
    const events = [car(0), car(35), car(40, { zones: [] }), car(50), car(85)];
    expect(run(engine, events).length).toBe(1);
  });
});
