import { describe, expect, it } from 'vitest';
import type { DeviceSnapshot } from '@city/shared/live-events';
import {
  clusterProperties,
  deviceBounds,
  deviceSortKeyExpression,
  districtLabelPoints,
  districtNames,
  STATE_COLORS,
  toDeviceFeature,
  worstState,
  type DeviceFilter,
} from '../src/core/geojson.ts';

const device = (id: string, extra: Partial<DeviceSnapshot> = {}): DeviceSnapshot => ({
  id,
  kind: 'air_quality',
  position: { lat: 41.88, lon: -87.63 },
  state: 'ok',
  online: true,
  metrics: {},
  ...extra,
});

describe('toDeviceFeature', () => {
  it('makes a point of a positioned device, lon first, and nothing of one without a position', () => {
    expect(toDeviceFeature(device('a'))).toEqual({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [-87.63, 41.88] },
      properties: { id: 'a', kind: 'air_quality', state: 'ok', camera: false, severity: 0 },
    });
    expect(toDeviceFeature(device('b', { position: undefined }))).toBeUndefined();
  });

  it('ranks states for the draw order, worst on top', () => {
    const severity = (state: DeviceSnapshot['state']) => toDeviceFeature(device('a', { state }))!.properties.severity;
    expect([severity('ok'), severity('offline'), severity('warning'), severity('alarm')]).toEqual([0, 1, 2, 3]);
    expect(deviceSortKeyExpression()).toEqual(['get', 'severity']);
  });

  it('leaves out hidden layers and states', () => {
    const devices = [device('s1'), device('cam', { kind: 'camera' }), device('s2', { state: 'alarm' })];
    const ids = (filter: DeviceFilter) => devices.flatMap((d) => toDeviceFeature(d, filter)?.properties.id ?? []);
    const all = new Set(['ok', 'warning', 'alarm', 'offline'] as const);
    expect(ids({ sensors: false, cameras: true, states: all })).toEqual(['cam']);
    expect(ids({ sensors: true, cameras: false, states: all })).toEqual(['s1', 's2']);
    expect(ids({ sensors: true, cameras: true, states: new Set(['alarm'] as const) })).toEqual(['s2']);
  });
});

describe('clustering', () => {
  it('counts each state per cluster', () => {
    expect(clusterProperties().alarm).toEqual(['+', ['case', ['==', ['get', 'state'], 'alarm'], 1, 0]]);
    expect(Object.keys(clusterProperties()).sort()).toEqual(['alarm', 'offline', 'ok', 'warning']);
  });

  it('colours a cluster by the worst state inside', () => {
    expect(worstState({ ok: 5, warning: 1, alarm: 1 })).toBe('alarm');
    expect(worstState({ ok: 5, warning: 2, offline: 1 })).toBe('warning');
    expect(worstState({ ok: 5, offline: 1 })).toBe('offline');
    expect(worstState({ ok: 5 })).toBe('ok');
    expect(STATE_COLORS[worstState({ alarm: 1 })]).toBe('#ff4d4f');
  });
});

describe('districts', () => {
  const districts = {
    type: 'FeatureCollection' as const,
    features: [
      {
        type: 'Feature' as const,
        properties: { id: 'loop', name: 'Loop' },
        geometry: { type: 'Polygon' as const, coordinates: [[[-87.64, 41.872], [-87.62, 41.872], [-87.62, 41.889], [-87.64, 41.889], [-87.64, 41.872]]] },
      },
    ],
  };

  it('labels each district at the middle of its outline', () => {
    const [label] = districtLabelPoints(districts).features;
    expect(label!.properties).toEqual({ id: 'loop', name: 'Loop' });
    const [lon, lat] = label!.geometry.coordinates as [number, number];
    expect(lon).toBeCloseTo(-87.63, 6);
    expect(lat).toBeCloseTo(41.8805, 6);
  });

  it('maps ids to names', () => {
    expect(districtNames(districts).get('loop')).toBe('Loop');
  });
});

describe('deviceBounds', () => {
  it('spans every positioned device', () => {
    const bounds = deviceBounds([device('a', { position: { lat: 41.8, lon: -87.7 } }), device('b', { position: { lat: 41.9, lon: -87.6 } }), device('c', { position: undefined })]);
    expect(bounds).toEqual([[-87.7, 41.8], [-87.6, 41.9]]);
  });
  it('is undefined without positions', () => {
    expect(deviceBounds([device('c', { position: undefined })])).toBeUndefined();
  });
});
