import { describe, expect, it } from 'vitest';
import type { DeviceSnapshot } from '@city/shared/live-events';
import { applyDeltas, applySnapshot, countStates, type DeviceTable } from '../src/core/device-store.ts';

const device = (id: string, extra: Partial<DeviceSnapshot> = {}): DeviceSnapshot => ({ id, kind: 'noise', state: 'ok', online: true, metrics: {}, ...extra });

describe('device table', () => {
  it('replaces everything on a snapshot', () => {
    const table: DeviceTable = new Map([['old', device('old')]]);
    applySnapshot(table, [device('a'), device('b')]);
    expect([...table.keys()]).toEqual(['a', 'b']);
  });

  it('patches and removes on deltas, the latest per device winning', () => {
    const table: DeviceTable = new Map();
    applySnapshot(table, [device('a'), device('b')]);
    applyDeltas(table, [device('a', { metrics: { noise_dba: 71 } }), device('c')], ['b']);
    expect([...table.keys()].sort()).toEqual(['a', 'c']);
    expect(table.get('a')!.metrics).toEqual({ noise_dba: 71 });
  });
});

describe('countStates', () => {
  it('counts online, offline, warnings and alarms', () => {
    const counts = countStates([
      device('a'),
      device('b', { state: 'warning' }),
      device('c', { state: 'alarm' }),
      device('d', { state: 'offline', online: false }),
      device('e', { state: 'offline', online: true }),
    ]);
    expect(counts).toEqual({ total: 5, online: 3, offline: 2, ok: 1, warning: 1, alarm: 1 });
  });

  it('is all zero for no devices', () => {
    expect(countStates([])).toEqual({ total: 0, online: 0, offline: 0, ok: 0, warning: 0, alarm: 0 });
  });
});
