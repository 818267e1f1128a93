import { describe, expect, it } from 'vitest';
import type { DeviceSnapshot } from '@city/shared/live-events';
import { DeviceSourceMirror } from '../src/core/device-source.ts';
import { SHOW_ALL, type DeviceFilter } from '../src/core/geojson.ts';

const device = (id: string, extra: Partial<DeviceSnapshot> = {}): DeviceSnapshot => ({
  id,
  kind: 'air_quality',
  position: { lat: 41.88, lon: -87.63 },
  state: 'ok',
  online: true,
  metrics: {},
  ...extra,
});
const tableOf = (...devices: DeviceSnapshot[]) => new Map(devices.map((d) => [d.id, d]));

describe('DeviceSourceMirror', () => {
  it('reset gives the whole collection of drawable devices', () => {
    const mirror = new DeviceSourceMirror();
    const fc = mirror.reset([device('a'), device('b', { position: undefined }), device('c', { state: 'alarm' })], SHOW_ALL);
    expect(fc.features.map((f) => f.properties.id)).toEqual(['a', 'c']);
    expect(mirror.size).toBe(2);
  });

  it('a new value that leaves state and position alone changes nothing on the map', () => {
    const mirror = new DeviceSourceMirror();
    mirror.reset([device('a', { metrics: { pm25_ugm3: 5 } })], SHOW_ALL);
    expect(mirror.diff(['a'], tableOf(device('a', { metrics: { pm25_ugm3: 9 }, lastReadingAt: 1 })), SHOW_ALL)).toBeUndefined();
  });

  it('sends only the properties that changed, and the new geometry of a moved device', () => {
    const mirror = new DeviceSourceMirror();
    mirror.reset([device('a'), device('b')], SHOW_ALL);
    const diff = mirror.diff(['a', 'b'], tableOf(device('a', { state: 'alarm' }), device('b', { position: { lat: 41.9, lon: -87.6 } })), SHOW_ALL);
    expect(diff).toEqual({
      update: [
        { id: 'a', addOrUpdateProperties: [{ key: 'state', value: 'alarm' }, { key: 'severity', value: 3 }] },
        { id: 'b', newGeometry: { type: 'Point', coordinates: [-87.6, 41.9] } },
      ],
    });
    // the mirror now holds the new state: the same change again is no change
    expect(mirror.diff(['a'], tableOf(device('a', { state: 'alarm' })), SHOW_ALL)).toBeUndefined();
  });

  it('adds new devices, removes those gone from the table or filtered out', () => {
    const mirror = new DeviceSourceMirror();
    mirror.reset([device('a'), device('b'), device('c')], SHOW_ALL);
    const onlyOk: DeviceFilter = { ...SHOW_ALL, states: new Set(['ok'] as const) };
    const diff = mirror.diff(['a', 'b', 'd', 'e'], tableOf(device('a', { state: 'warning' }), device('d'), device('e', { position: undefined }), device('c')), onlyOk);
    expect(diff).toEqual({
      remove: ['a', 'b'],
      add: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [-87.63, 41.88] }, properties: { id: 'd', kind: 'air_quality', state: 'ok', camera: false, severity: 0 } }],
    });
    expect(mirror.size).toBe(2);
    // what went is not removed twice; a device that comes back is added again
    expect(mirror.diff(['b'], tableOf(), onlyOk)).toBeUndefined();
    expect(mirror.diff(['a'], tableOf(device('a')), onlyOk)?.add?.map((f) => f.properties.id)).toEqual(['a']);
  });

  it('sends a change touching more than a tenth of the source as the whole collection', () => {
    const mirror = new DeviceSourceMirror();
    const devices = Array.from({ length: 30 }, (_, i) => device(`d${i}`));
    mirror.reset(devices, SHOW_ALL);
    const table = tableOf(...devices.map((d, i) => (i < 4 ? { ...d, state: 'alarm' as const } : d)));
    // 3 of 30: a diff
    expect(mirror.change(['d0', 'd1', 'd2'], table, SHOW_ALL)).toEqual({ diff: { update: expect.any(Array) } });
    // 4 more of 30 (d0..d2 already sent, d3 and three removals): the collection, as the mirror now holds it
    const change = mirror.change(['d3', 'd27', 'd28', 'd29'], tableOf(...[...table.values()].slice(0, 27)), SHOW_ALL);
    expect(change && 'data' in change ? change.data.features.length : undefined).toBe(27);
    expect(mirror.change(['d5'], table, SHOW_ALL)).toBeUndefined();
  });
});
