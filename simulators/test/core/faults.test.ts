import { describe, expect, it } from 'vitest';
import { decodeMessage, type DeadLetterReason } from '@city/shared/decoders/index';
import { FAULT_KINDS, FaultPicker, messagesDue, parseBurst, pickSilent, rateMultiplier, type FaultKind } from '../../src/core/faults.ts';
import { FleetGenerator, type MessageType } from '../../src/core/fleet-generator.ts';
import { planFleet } from '../../src/core/fleet-plan.ts';

const NOW = Date.UTC(2025, 10, 25, 14);
const plan = planFleet({ seed: 5, sensors: 60, cameras: 6, ttsDevices: 10 });

/** What ingest will say about each fault, per payload format. */
const EXPECTED: Record<FaultKind, Partial<Record<MessageType, DeadLetterReason>>> = {
  'not-json': { reading: 'not-json', senml: 'not-json', 'tts-uplink': 'not-json' },
  'wrong-type': { reading: 'invalid-metric', senml: 'invalid-senml', 'tts-uplink': 'invalid-schema' },
  'unknown-metric': { reading: 'invalid-metric', senml: 'invalid-metric', 'tts-uplink': 'invalid-metric' },
  'future-timestamp': { reading: 'timestamp-out-of-range', senml: 'timestamp-out-of-range', 'tts-uplink': 'timestamp-out-of-range' },
};

describe('malformed payloads', () => {
  it.each([0, 0.01, 0.05, 0.2, 0.5, 1])('are exactly the requested share of sensor messages (%s)', (ratio) => {
    const g = new FleetGenerator(plan, { badRatio: ratio });
    let sensorMessages = 0;
    let bad = 0;
    for (let r = 0; r < 40; r++) {
      for (const d of plan.devices) {
        for (const m of g.turn(d, NOW + r * 1000)) {
          if (m.type === 'reading' || m.type === 'senml' || m.type === 'tts-uplink') sensorMessages += 1;
          else expect(m.fault).toBeUndefined(); // cameras stay clean
          if (m.fault) bad += 1;
        }
      }
    }
    expect(sensorMessages).toBe(40 * 70);
    expect(Math.abs(bad - ratio * sensorMessages)).toBeLessThanOrEqual(1);
  });

  it('are labelled with their kind, in equal numbers, and ingest refuses each for the matching reason', () => {
    const g = new FleetGenerator(plan, { badRatio: 0.25 });
    const byKind = new Map<FaultKind, number>();
    for (let r = 0; r < 20; r++) {
      for (const d of plan.devices) {
        for (const m of g.turn(d, NOW + r * 1000)) {
          const result = decodeMessage(m.topic, m.payload, { receivedAt: NOW + r * 1000 + 30, lookupDevice: () => undefined });
          if (!m.fault) {
            expect(result.ok, `${m.topic}: ${!result.ok && result.detail}`).toBe(true);
            continue;
          }
          byKind.set(m.fault, (byKind.get(m.fault) ?? 0) + 1);
          expect(result.ok).toBe(false);
          if (!result.ok) expect([m.fault, m.type, result.reason]).toEqual([m.fault, m.type, EXPECTED[m.fault][m.type]]);
        }
      }
    }
    expect([...byKind.keys()].sort()).toEqual([...FAULT_KINDS].sort());
    const counts = [...byKind.values()];
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  it('can be limited to some kinds', () => {
    const picker = new FaultPicker(0.5, ['future-timestamp']);
    const picks = Array.from({ length: 10 }, () => picker.pick());
    expect(picks.filter((p) => p === 'future-timestamp')).toHaveLength(5);
    expect(() => new FaultPicker(1.5)).toThrow(/0\.\.1/);
  });
});

describe('silent devices and bursts', () => {
  it('picks the silent devices by seed', () => {
    const a = pickSilent(plan, 5);
    expect(a.size).toBe(5);
    expect(pickSilent(plan, 5)).toEqual(a);
    expect(pickSilent(planFleet({ seed: 6, sensors: 60, cameras: 6, ttsDevices: 10 }), 5)).not.toEqual(a);
    expect(pickSilent(plan, 1000).size).toBe(plan.devices.length);
  });

  it('parses bursts and integrates the rate over them', () => {
    expect(parseBurst('5x30')).toEqual({ multiplier: 5, durationS: 30, startS: 10 });
    expect(parseBurst('2.5x4@1')).toEqual({ multiplier: 2.5, durationS: 4, startS: 1 });
    expect(parseBurst('5')).toMatch(/expected <multiplier>x<seconds>/);
    expect(parseBurst('0x10')).toMatch(/above 0/);
    const burst = { multiplier: 5, durationS: 30, startS: 10 };
    expect(messagesDue(100, burst, 5)).toBe(500);
    expect(messagesDue(100, burst, 20)).toBe(1000 + 5000);
    expect(messagesDue(100, burst, 50)).toBe(1000 + 15000 + 1000);
    expect(messagesDue(100, undefined, 50)).toBe(5000);
    expect(rateMultiplier(burst, 9.9)).toBe(1);
    expect(rateMultiplier(burst, 10)).toBe(5);
    expect(rateMultiplier(burst, 40)).toBe(1);
  });
});
