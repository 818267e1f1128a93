// GeoJSON for the map: devices (clustered, counted per state) and district outlines with label points.
// Pure: the map feature pushes the result to its sources (devices through core/device-source.ts).
import type { Feature, FeatureCollection, Point, Polygon, MultiPolygon, Geometry } from 'geojson';
import type { DeviceSnapshot, DeviceState } from '@city/shared/live-events';
import { STATE_SEVERITY } from './device-store.ts';

export const STATES: readonly DeviceState[] = ['ok', 'warning', 'alarm', 'offline'];

/** One palette for map, header and panel (also in styles.css as --ok, --warning, ...). */
export const STATE_COLORS: Readonly<Record<DeviceState, string>> = {
  ok: '#2fbf71',
  warning: '#f5a524',
  alarm: '#ff4d4f',
  offline: '#7d8694',
};

export interface DeviceFilter {
  sensors: boolean;
  cameras: boolean;
  /** states shown; others are left out of the source (and so out of the clusters) */
  states: ReadonlySet<DeviceState>;
}

export const SHOW_ALL: DeviceFilter = { sensors: true, cameras: true, states: new Set(STATES) };

export interface DeviceFeatureProperties {
  id: string;
  kind: string;
  state: DeviceState;
  camera: boolean;
  /** 3 alarm .. 0 ok: draw order, worst on top */
  severity: number;
}

export type DeviceFeature = Feature<Point, DeviceFeatureProperties>;

/** A device as a point if it has a position and passes the filter, else undefined. */
export function toDeviceFeature(d: DeviceSnapshot, filter: DeviceFilter = SHOW_ALL): DeviceFeature | undefined {
  if (!d.position) return undefined;
  const camera = d.kind === 'camera';
  if (camera ? !filter.cameras : !filter.sensors) return undefined;
  if (!filter.states.has(d.state)) return undefined;
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [d.position.lon, d.position.lat] },
    properties: { id: d.id, kind: d.kind, state: d.state, camera, severity: STATE_SEVERITY[d.state] },
  };
}

/**
 * Draw order of devices, worst on top: the layers' circle-sort-key / symbol-sort-key. The source keeps
 * features in the order they came (updateData changes them in place), so the order cannot come from it.
 */
export function deviceSortKeyExpression(): unknown[] {
  return ['get', 'severity'];
}

/** The GeoJSON source's clusterProperties: one counter per state, summed over the cluster. */
export function clusterProperties(): Record<DeviceState, unknown[]> {
  const props = {} as Record<DeviceState, unknown[]>;
  for (const s of STATES) props[s] = ['+', ['case', ['==', ['get', 'state'], s], 1, 0]];
  return props;
}

/** A cluster's colour: the worst state inside (alarm, warning, offline, ok). */
export function clusterColorExpression(): unknown[] {
  return [
    'case',
    ['>', ['get', 'alarm'], 0], STATE_COLORS.alarm,
    ['>', ['get', 'warning'], 0], STATE_COLORS.warning,
    ['>', ['get', 'offline'], 0], STATE_COLORS.offline,
    STATE_COLORS.ok,
  ];
}

/** A device's colour by its state property. */
export function stateColorExpression(): unknown[] {
  return ['match', ['get', 'state'], ...STATES.flatMap((s) => [s, STATE_COLORS[s]]), STATE_COLORS.offline];
}

/** The worst state a cluster's counts hold; the same rule as clusterColorExpression, for tests and HTML. */
export function worstState(counts: Partial<Record<DeviceState, number>>): DeviceState {
  for (const s of ['alarm', 'warning', 'offline'] as const) if ((counts[s] ?? 0) > 0) return s;
  return 'ok';
}

/** A point in the middle of each district's outline (its bounding-box centre), carrying the name. */
export function districtLabelPoints(districts: FeatureCollection<Geometry | null>): FeatureCollection<Point, { id: string; name: string }> {
  const features: Feature<Point, { id: string; name: string }>[] = [];
  for (const f of districts.features) {
    const ring = outerRing(f.geometry);
    if (!ring || ring.length === 0) continue;
    let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const [lon, lat] of ring as [number, number][]) {
      w = Math.min(w, lon);
      e = Math.max(e, lon);
      s = Math.min(s, lat);
      n = Math.max(n, lat);
    }
    const p = (f.properties ?? {}) as Record<string, unknown>;
    const id = String(p.id ?? f.id ?? '');
    const name = String(p.name ?? id);
    features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [(w + e) / 2, (s + n) / 2] }, properties: { id, name } });
  }
  return { type: 'FeatureCollection', features };
}

function outerRing(g: Geometry | null): number[][] | undefined {
  if (!g) return undefined;
  if (g.type === 'Polygon') return (g as Polygon).coordinates[0];
  if (g.type === 'MultiPolygon') return (g as MultiPolygon).coordinates[0]?.[0];
  return undefined;
}

/** District names by id, for the detail panel. */
export function districtNames(districts: FeatureCollection<Geometry | null>): Map<string, string> {
  const names = new Map<string, string>();
  for (const f of districts.features) {
    const p = (f.properties ?? {}) as Record<string, unknown>;
    const id = String(p.id ?? f.id ?? '');
    if (id) names.set(id, String(p.name ?? id));
  }
  return names;
}

/** [[west, south], [east, north]] around every positioned device, or undefined when none has a position. */
export function deviceBounds(devices: Iterable<DeviceSnapshot>): [[number, number], [number, number]] | undefined {
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const d of devices) {
    if (!d.position) continue;
    w = Math.min(w, d.position.lon);
    e = Math.max(e, d.position.lon);
    s = Math.min(s, d.position.lat);
    n = Math.max(n, d.position.lat);
  }
  return Number.isFinite(w) ? [[w, s], [e, n]] : undefined;
}
