import { describe, expect, it } from 'vitest';
import type { CameraEvent } from '@city/shared';
import { RuleEngine } from '../../../src/core/rules/engine.ts';
import type { RuleSignal } from '../../../src/core/rules/signals.ts';
import { chicago, detection, MIN, rule, SEC, T0 } from './helpers.ts';

const fire = () => rule({ id: 'camera-fire-smoke', type: 'camera', labels: ['fire', 'smoke'], minScore: 0.7, severity: 'critical', category: 'fire_smoke' });
const restricted = () =>
  rule({ id: 'restricted-area-night', type: 'camera', labels: ['person'], minScore: 0.6, zones: ['restricted'], activeHours: { from: '22:00', to: '06:00' }, severity: 'major', category: 'security' });
const tunnel = (over: Record<string, unknown> = {}) =>
  rule({ id: 'tunnel-stopped-vehicle', type: 'camera', labels: ['car', 'truck', 'bus'], minScore: 0.6, zones: ['tunnel'], minDurationMs: 60 * SEC, severity: 'major', category: 'traffic', ...over });

/** Each event at its observed time; the signal types in order. */
function run(engine: RuleEngine, events: CameraEvent[]): string[] {
  return events.flatMap((e) => engine.onCameraEvent(e, {}, e.observedAt).map((s) => s.type));
}

describe('camera rules', () => {
  it('match only the rule labels', () => {
    const engine = new RuleEngine({ rules: [fire()] });
    expect(run(engine, [detection({ label: 'person', observedAt: T0 }), detection({ eventId: 'ev-2', label: 'smoke', observedAt: T0 + SEC })])).toEqual(['raise']);
  });

  it('ignore detections scored under minScore', () => {
    const engine = new RuleEngine({ rules: [fire()] });
    expect(run(engine, [detection({ label: 'fire', score: 0.69, observedAt: T0 })])).toEqual([]);
  });

  it('match a detection in any of the rule zones', () => {
    const engine = new RuleEngine({ rules: [restricted()] });
    const night = chicago(23);
    const events = [detection({ zones: ['street'], observedAt: night }), detection({ eventId: 'ev-2', zones: ['street', 'restricted'], observedAt: night + SEC })];
    expect(run(engine, events)).toEqual(['raise']);
  });

  it('match within activeHours across midnight in the city time zone', () => {
    const times: [string, number][] = [['21:59', chicago(21, 59)], ['22:00', chicago(22)], ['03:00', chicago(27)], ['05:59', chicago(29, 59)], ['06:00', chicago(30)]];
    const raised = times.filter(([, at]) => {
      const engine = new RuleEngine({ rules: [restricted()], timeZone: 'America/Chicago' });
      return engine.onCameraEvent(detection({ zones: ['restricted'], observedAt: at }), {}, at).length > 0;
    });
    expect(raised.map(([local]) => local)).toEqual(['22:00', '03:00', '05:59']);
  });

  it('read the hours in the zone the engine was given', () => {
    const at = Date.UTC(2026, 5, 15, 21, 0); // 16:00 in Chicago, 23:00 in Berlin
    const raises = ['America/Chicago', 'Europe/Berlin'].map(
      (timeZone) => new RuleEngine({ rules: [restricted()], timeZone }).onCameraEvent(detection({ zones: ['restricted'], observedAt: at }), {}, at).length,
    );
    expect(raises).toEqual([0, 1]);
  });

  it('follow daylight saving time: 03:30 UTC is 22:30 in June but 21:30 in January in Chicago', () => {
    const raises = [Date.UTC(2026, 5, 16, 3, 30), Date.UTC(2026, 0, 16, 3, 30)].map(
      (at) => new RuleEngine({ rules: [restricted()] }).onCameraEvent(detection({ zones: ['restricted'], observedAt: at }), {}, at).length,
    );
    expect(raises).toEqual([1, 0]);
  });

  it('raise for a vehicle stopped in the tunnel only once its event has lasted minDurationMs', () => {
    const engine = new RuleEngine({ rules: [tunnel()] });
    const car = (phase: CameraEvent['phase'], s: number) => detection({ label: 'car', zones: ['tunnel'], phase, observedAt: T0 + s * SEC });
    expect(run(engine, [car('new', 0), car('update', 30), car('update', 59)]).concat('|', run(engine, [car('update', 60)]))).toEqual(['|', 'raise']);
  });

  it('start the duration again when the detection leaves the zone', () => {
    const engine = new RuleEngine({ rules: [tunnel()] });
    const car = (s: number, zones: string[]) => detection({ label: 'car', zones, phase: s === 0 ? 'new' : 'update', observedAt: T0 + s * SEC });
    const types = [car(0, ['tunnel']), car(30, []), car(70, ['tunnel']), car(129, ['tunnel']), car(130, ['tunnel'])].map((e) => run(engine, [e]).join());
    expect(types).toEqual(['', '', '', '', 'raise']);
  });

  it('count each new event once into the open incident of the rule and camera', () => {
    const engine = new RuleEngine({ rules: [fire()] });
    const signals: RuleSignal[] = [
      ...engine.onCameraEvent(detection({ eventId: 'a', label: 'fire', observedAt: T0 }), {}, T0),
      ...engine.onCameraEvent(detection({ eventId: 'a', label: 'fire', phase: 'update', observedAt: T0 + MIN }), {}, T0 + MIN),
      ...engine.onCameraEvent(detection({ eventId: 'b', label: 'smoke', score: 0.95, observedAt: T0 + 2 * MIN }), {}, T0 + 2 * MIN),
      ...engine.onCameraEvent(detection({ cameraId: 'cam-2', eventId: 'c', label: 'fire', observedAt: T0 + 3 * MIN }), {}, T0 + 3 * MIN),
    ];
    expect(signals.map((s) => (s.type === 'raise' || s.type === 'update' ? `${s.type} ${s.dedupeKey} count ${s.evidence.count}` : s.type))).toEqual([
      'raise camera-fire-smoke:cam-1 count 1',
      'update camera-fire-smoke:cam-1 count 1',
      'update camera-fire-smoke:cam-1 count 2',
      'raise camera-fire-smoke:cam-2 count 1',
    ]);
  });

  it('leave camera incidents to an operator by default: an ended event clears nothing', () => {
    const engine = new RuleEngine({ rules: [fire()] });
    expect(run(engine, [detection({ label: 'fire', observedAt: T0 }), detection({ label: 'fire', phase: 'end', observedAt: T0 + MIN })])).toEqual(['raise', 'update']);
  });

  it('clear when the last matching event ends on a rule with autoResolve', () => {
    const engine = new RuleEngine({ rules: [tunnel({ autoResolve: true, minDurationMs: 0 })] });
    const bus = (eventId: string, phase: CameraEvent['phase'], s: number) => detection({ eventId, label: 'bus', zones: ['tunnel'], phase, observedAt: T0 + s * SEC });
    // the update held back by the rate limit (count 2) goes out before the clear
    expect(run(engine, [bus('a', 'new', 0), bus('b', 'new', 1), bus('a', 'end', 2), bus('b', 'end', 3)])).toEqual(['raise', 'update', 'clear']);
  });

  it('explain a raise with the detection, its zones and how long it lasted', () => {
    const engine = new RuleEngine({ rules: [tunnel()] });
    engine.onCameraEvent(detection({ cameraId: 'cam-t', label: 'truck', zones: ['tunnel'], observedAt: T0 }), { district: 'loop' }, T0);
    const [raise] = engine.onCameraEvent(
      detection({ cameraId: 'cam-t', label: 'truck', score: 0.81, zones: ['tunnel', 'lane_2'], plate: 'ABC123', phase: 'update', observedAt: T0 + 65 * SEC }),
      {},
      T0 + 65 * SEC,
    );
    expect(raise).toMatchObject({
      type: 'raise',
      dedupeKey: 'tunnel-stopped-vehicle:cam-t',
      title: 'car, truck or bus detected — cam-t',
      severity: 'major',
      category: 'traffic',
      district: 'loop',
      deviceKind: 'camera',
      autoResolve: false,
      explanation:
        'tunnel-stopped-vehicle: cam-t saw truck (score 0.81) in zone tunnel or lane_2 at 14:01, there for 1.1 min; rule: car, truck or bus with score ≥ 0.6 in zone tunnel for at least 1 min.',
      evidence: {
        count: 1,
        firstSeenAt: T0,
        lastSeenAt: T0 + 65 * SEC,
        camera: { cameraId: 'cam-t', eventId: 'ev-1', label: 'truck', score: 0.81, zones: ['tunnel', 'lane_2'], plate: 'ABC123' },
      },
    });
  });

  it('look only at the cameras in cameraIds', () => {
    const engine = new RuleEngine({ rules: [rule({ id: 'gate', type: 'camera', labels: ['person'], cameraIds: ['cam-gate'], severity: 'minor', category: 'security' })] });
    expect(run(engine, [detection({ cameraId: 'cam-1', observedAt: T0 })])).toEqual([]);
  });
});
