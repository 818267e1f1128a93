import { describe, expect, it } from 'vitest';
import { DEMO_CITY, DEVICE_ID_PATTERN, districtAt } from '@city/shared';
import { planFleet } from '../../src/core/fleet-plan.ts';
import { SIMULATED_KINDS } from '../../src/core/patterns.ts';

const options = { seed: 7, sensors: 140, cameras: 10, ttsDevices: 12 };

describe('planFleet', () => {
  it('gives the same plan for the same seed and a different one for another seed', () => {
    expect(planFleet(options)).toEqual(planFleet(options));
    const other = planFleet({ ...options, seed: 8 });
    expect(other.devices.map((d) => d.position)).not.toEqual(planFleet(options).devices.map((d) => d.position));
  });

  it('places every device inside its district, with a unique valid id naming kind and district', () => {
    const plan = planFleet(options);
    expect(plan.devices).toHaveLength(162);
    expect(new Set(plan.devices.map((d) => d.id)).size).toBe(162);
    for (const d of plan.devices) {
      expect(d.id).toMatch(DEVICE_ID_PATTERN);
      expect(d.id).toMatch(new RegExp(`^[a-z]+-${d.district}-\\d{3}$`));
      expect(districtAt(d.position)).toBe(d.district);
    }
    // every district gets devices
    expect(new Set(plan.devices.map((d) => d.district)).size).toBe(DEMO_CITY.districts.length);
  });

  it('names devices like aq-loop-001 and covers every kind', () => {
    const plan = planFleet(options);
    const prefixes = new Set(plan.devices.map((d) => d.id.split('-')[0]));
    expect(prefixes).toEqual(new Set(['aq', 'noise', 'traffic', 'water', 'parking', 'light', 'bin', 'cam']));
    expect(new Set(plan.devices.filter((d) => d.kind !== 'camera').map((d) => d.kind))).toEqual(new Set(SIMULATED_KINDS));
  });

  it('splits transports by the requested shares exactly', () => {
    const plan = planFleet({ ...options, senmlRatio: 0.25, frigateRatio: 0.3 });
    const count = (t: string) => plan.devices.filter((d) => d.transport === t).length;
    expect(count('senml')).toBe(35);
    expect(count('native')).toBe(105);
    expect(count('frigate')).toBe(3);
    expect(count('camera')).toBe(7);
    expect(count('tts')).toBe(12);
  });

  it('gives LoRaWAN devices battery kinds and identifiers, cameras zones', () => {
    const plan = planFleet(options);
    for (const d of plan.devices.filter((x) => x.transport === 'tts')) {
      expect(['water_level', 'parking', 'waste_bin']).toContain(d.kind);
      expect(d.lorawan?.devEui).toMatch(/^70B3D57ED0[0-9A-F]{6}$/);
      expect(d.lorawan?.devAddr).toMatch(/^[0-9A-F]{8}$/);
    }
    for (const d of plan.devices.filter((x) => x.kind === 'camera')) expect(d.zones?.length).toBeGreaterThan(0);
  });

  it('restricts kinds on request and refuses negative counts', () => {
    const plan = planFleet({ seed: 1, sensors: 10, cameras: 0, ttsDevices: 0, kinds: ['noise'] });
    expect(plan.devices.every((d) => d.kind === 'noise')).toBe(true);
    expect(() => planFleet({ seed: 1, sensors: -1, cameras: 0, ttsDevices: 0 })).toThrow(/sensors/);
  });
});
