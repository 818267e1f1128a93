// The live map: the offline basemap from /api/config, districts, and devices clustered with counts per
// state. Device data goes to the GeoJSON source with setData whenever the live store notifies (a few
// times a second at most).
import { useEffect, useRef, useState } from 'react';
import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import type { FeatureCollection, Geometry } from 'geojson';
import type { DeviceSnapshot } from '@city/shared/live-events';
import type { MapConfig } from '../adapters/api.ts';
import {
  clusterColorExpression,
  clusterProperties,
  deviceBounds,
  districtLabelPoints,
  stateColorExpression,
  toDeviceFeatures,
  type DeviceFilter,
} from '../core/geojson.ts';
import { installImageFactory } from './map-images.ts';

maplibregl.setWorkerUrl(workerUrl);

export const DEVICE_LAYERS = { clusters: 'device-clusters', sensors: 'sensors', cameras: 'cameras' } as const;
const DISTRICT_LAYERS = ['districts-fill', 'districts-line', 'districts-label'];
const EMPTY: FeatureCollection = { type: 'FeatureCollection', features: [] };

export interface MapViewProps {
  config: MapConfig;
  districts: FeatureCollection<Geometry | null> | undefined;
  devices: ReadonlyMap<string, DeviceSnapshot>;
  filter: DeviceFilter;
  showDistricts: boolean;
  selectedId: string | undefined;
  onSelect: (id: string | undefined) => void;
}

declare global {
  interface Window {
    /** the map, for end-to-end tests and the browser console */
    __map?: maplibregl.Map;
  }
}

export function MapView(props: MapViewProps) {
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<maplibregl.Map | undefined>(undefined);
  const onSelect = useRef(props.onSelect);
  onSelect.current = props.onSelect;
  const [ready, setReady] = useState(false);
  /** the map frames the fleet, widening as devices appear, until the operator moves it */
  const framed = useRef<{ byOperator: boolean; bounds?: [[number, number], [number, number]] }>({ byOperator: false });
  const [error, setError] = useState<string>();

  useEffect(() => {
    const { config } = props;
    const [w, s, e, n] = config.bounds;
    const map = new maplibregl.Map({
      container: container.current!,
      style: config.mapStyleUrl,
      center: [config.center.lon, config.center.lat],
      zoom: 13.2,
      minZoom: config.minZoom,
      maxZoom: config.maxZoom,
      maxBounds: [
        [w, s],
        [e, n],
      ],
      attributionControl: { compact: true },
      dragRotate: false,
      pitchWithRotate: false,
    });
    mapRef.current = map;
    window.__map = map;
    map.touchZoomRotate.disableRotation();
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-left');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
    installImageFactory(map);
    map.on('error', (e) => {
      console.warn('map error', e.error);
      if (!map.isStyleLoaded()) setError(String(e.error?.message ?? e.error));
    });
    map.on('movestart', (e) => {
      if ((e as { originalEvent?: unknown }).originalEvent) framed.current.byOperator = true;
    });
    map.on('load', () => {
      // below the basemap's lowest tile zoom the map is blank: do not zoom out that far
      const basemapMinZoom = Math.max(
        ...Object.values(map.getStyle().sources).map((src) => ('minzoom' in src && typeof src.minzoom === 'number' ? src.minzoom : 0)),
      );
      if (basemapMinZoom > map.getMinZoom()) map.setMinZoom(basemapMinZoom);
      addOperationsLayers(map);
      for (const layer of [DEVICE_LAYERS.sensors, DEVICE_LAYERS.cameras]) {
        map.on('click', layer, (ev) => {
          const id = ev.features?.[0]?.properties?.id;
          if (typeof id === 'string') onSelect.current(id);
        });
        map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = 'pointer'));
        map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = ''));
      }
      map.on('click', DEVICE_LAYERS.clusters, async (ev) => {
        const feature = ev.features?.[0];
        const clusterId = feature?.properties?.cluster_id;
        if (!feature || typeof clusterId !== 'number') return;
        const source = map.getSource<maplibregl.GeoJSONSource>('devices');
        const zoom = await source?.getClusterExpansionZoom(clusterId);
        map.easeTo({ center: (feature.geometry as GeoJSON.Point).coordinates as [number, number], zoom: Math.min(zoom ?? map.getZoom() + 2, 17) });
      });
      map.on('mouseenter', DEVICE_LAYERS.clusters, () => (map.getCanvas().style.cursor = 'zoom-in'));
      map.on('mouseleave', DEVICE_LAYERS.clusters, () => (map.getCanvas().style.cursor = ''));
      setReady(true);
    });
    return () => {
      map.remove();
      mapRef.current = undefined;
      if (window.__map === map) delete window.__map;
    };
    // the map is made once per config
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.config]);

  // devices: rebuilt on every live notification and filter change
  useEffect(() => {
    if (!ready) return;
    const map = mapRef.current!;
    map.getSource<maplibregl.GeoJSONSource>('devices')?.setData(toDeviceFeatures(props.devices.values(), props.filter));
    const bounds = framed.current.byOperator ? undefined : deviceBounds(props.devices.values());
    if (bounds && !sameBounds(bounds, framed.current.bounds)) {
      framed.current.bounds = bounds;
      // room for the layer controls on the left and the side panel on the right
      map.fitBounds(bounds, { padding: { top: 30, bottom: 30, left: 240, right: 400 }, maxZoom: 14, animate: false });
    }
  }, [ready, props.devices, props.filter]);

  useEffect(() => {
    if (!ready || !props.districts) return;
    const map = mapRef.current!;
    map.getSource<maplibregl.GeoJSONSource>('districts')?.setData(props.districts as FeatureCollection);
    map.getSource<maplibregl.GeoJSONSource>('district-labels')?.setData(districtLabelPoints(props.districts));
  }, [ready, props.districts]);

  useEffect(() => {
    if (!ready) return;
    const map = mapRef.current!;
    for (const id of DISTRICT_LAYERS) map.setLayoutProperty(id, 'visibility', props.showDistricts ? 'visible' : 'none');
  }, [ready, props.showDistricts]);

  useEffect(() => {
    if (!ready) return;
    const map = mapRef.current!;
    map.setFilter('selected', ['==', ['get', 'id'], props.selectedId ?? '']);
    // a device picked from a list may be off screen or inside a cluster: bring it into view
    const position = props.selectedId ? props.devices.get(props.selectedId)?.position : undefined;
    if (!position) return;
    framed.current.byOperator = true;
    const point = map.project([position.lon, position.lat]);
    const canvas = map.getCanvas();
    const onScreen = point.x > 240 && point.x < canvas.clientWidth - 460 && point.y > 20 && point.y < canvas.clientHeight - 20;
    const clustered = map.queryRenderedFeatures({ layers: [DEVICE_LAYERS.sensors, DEVICE_LAYERS.cameras], filter: ['==', ['get', 'id'], props.selectedId!] }).length === 0;
    if (!onScreen || clustered) {
      map.easeTo({ center: [position.lon, position.lat], zoom: Math.max(map.getZoom(), clustered ? 15.5 : map.getZoom()), offset: [-100, 0], duration: 600 });
    }
    // only on selection, not on every device update
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ready, props.selectedId]);

  return (
    <div className="map" ref={container} data-testid="map">
      {error && <div className="map-error">Map unavailable: {error}</div>}
    </div>
  );
}

function addOperationsLayers(map: maplibregl.Map) {
  map.addSource('districts', { type: 'geojson', data: EMPTY });
  map.addSource('district-labels', { type: 'geojson', data: EMPTY });
  map.addSource('devices', {
    type: 'geojson',
    data: EMPTY,
    cluster: true,
    clusterRadius: 36,
    clusterMaxZoom: 15,
    clusterProperties: clusterProperties() as Record<string, never>,
  });

  map.addLayer({ id: 'districts-fill', type: 'fill', source: 'districts', paint: { 'fill-color': '#4aa3ff', 'fill-opacity': 0.04 } });
  map.addLayer({
    id: 'districts-line',
    type: 'line',
    source: 'districts',
    paint: { 'line-color': '#5b8fd6', 'line-opacity': 0.7, 'line-width': 1.4, 'line-dasharray': [3, 2] },
  });
  map.addLayer({
    id: 'districts-label',
    type: 'symbol',
    source: 'district-labels',
    layout: { 'icon-image': ['concat', 'district:', ['get', 'name']], 'icon-allow-overlap': false, 'icon-padding': 4 },
  });

  const color = stateColorExpression() as maplibregl.ExpressionSpecification;
  map.addLayer({
    id: 'selected',
    type: 'circle',
    source: 'devices',
    filter: ['==', ['get', 'id'], ''],
    paint: { 'circle-radius': 17, 'circle-color': 'rgba(255,255,255,0.12)', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 },
  });
  map.addLayer({
    id: DEVICE_LAYERS.clusters,
    type: 'circle',
    source: 'devices',
    filter: ['has', 'point_count'],
    paint: {
      'circle-color': clusterColorExpression() as maplibregl.ExpressionSpecification,
      'circle-radius': ['interpolate', ['linear'], ['get', 'point_count'], 2, 13, 10, 18, 50, 26],
      'circle-stroke-color': 'rgba(11, 15, 20, 0.85)',
      'circle-stroke-width': 3,
      'circle-opacity': 0.95,
    },
  });
  map.addLayer({
    id: 'device-cluster-count',
    type: 'symbol',
    source: 'devices',
    filter: ['has', 'point_count'],
    layout: { 'icon-image': ['concat', 'count:', ['to-string', ['get', 'point_count']]], 'icon-allow-overlap': true, 'icon-ignore-placement': true },
  });
  map.addLayer({
    id: 'sensors-halo',
    type: 'circle',
    source: 'devices',
    filter: ['all', ['!', ['has', 'point_count']], ['==', ['get', 'camera'], false], ['in', ['get', 'state'], ['literal', ['alarm', 'warning']]]],
    paint: { 'circle-radius': 13, 'circle-color': color, 'circle-opacity': 0.25, 'circle-blur': 0.4 },
  });
  map.addLayer({
    id: DEVICE_LAYERS.sensors,
    type: 'circle',
    source: 'devices',
    filter: ['all', ['!', ['has', 'point_count']], ['==', ['get', 'camera'], false]],
    paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 5, 15, 7, 17, 9],
      'circle-color': color,
      'circle-stroke-color': '#0b0f14',
      'circle-stroke-width': 2,
    },
  });
  map.addLayer({
    id: DEVICE_LAYERS.cameras,
    type: 'symbol',
    source: 'devices',
    filter: ['all', ['!', ['has', 'point_count']], ['==', ['get', 'camera'], true]],
    layout: { 'icon-image': ['concat', 'camera:', ['get', 'state']], 'icon-allow-overlap': true, 'icon-ignore-placement': true },
  });
}

function sameBounds(a: [[number, number], [number, number]], b: [[number, number], [number, number]] | undefined): boolean {
  return b !== undefined && a.flat().every((v, i) => v === b.flat()[i]);
}
