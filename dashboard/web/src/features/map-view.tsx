// The live map: the offline basemap from /api/config, districts, and devices clustered with counts per
// state. Devices reach the map outside React: the live store tells us each message's changed ids, they
// collect in a set, and when the map is ready for more (DrawPacer) what the map draws of them goes to the
// source as a diff (GeoJSONSource.updateData). A snapshot or a filter change sends the whole collection.
import { memo, useEffect, useRef, useState } from 'react';
import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import type { FeatureCollection, Geometry } from 'geojson';
import type { MapConfig } from '../adapters/api.ts';
import type { LiveStore } from '../adapters/live.ts';
import { DEVICE_FEATURE_ID, DeviceSourceMirror } from '../core/device-source.ts';
import { DrawPacer } from '../core/draw-pacer.ts';
import {
  clusterColorExpression,
  clusterProperties,
  deviceBounds,
  deviceSortKeyExpression,
  districtLabelPoints,
  stateColorExpression,
  type DeviceFilter,
} from '../core/geojson.ts';
import { installImageFactory } from './map-images.ts';

maplibregl.setWorkerUrl(workerUrl);

export const DEVICE_LAYERS = { clusters: 'device-clusters', sensors: 'sensors', cameras: 'cameras' } as const;
const DISTRICT_LAYERS = ['districts-fill', 'districts-line', 'districts-label'];
const EMPTY: FeatureCollection = { type: 'FeatureCollection', features: [] };
/**
 * The devices source changes at most this often: state colours on the wall twice a second. Each change
 * re-clusters the source in maplibre's worker and redraws the whole map, three or four frames; header,
 * list and panel follow the live store on their own, four times a second.
 */
export const DEVICE_SOURCE_UPDATE_MS = 500;
/**
 * ... and keeps the map drawing device changes at most this share of the time: where a frame is slow
 * (software WebGL on 2 cores: ~120 ms, ~0.45 s per change) changes come less often, every ~1.4 s, and
 * the main thread stays free for the socket, the panels and the operator.
 */
export const DEVICE_SOURCE_DRAW_SHARE = 1 / 3;

export interface MapViewProps {
  config: MapConfig;
  districts: FeatureCollection<Geometry | null> | undefined;
  /** the live device table and its change feed */
  live: LiveStore;
  filter: DeviceFilter;
  showDistricts: boolean;
  selectedId: string | undefined;
  onSelect: (id: string | undefined) => void;
  /** the map once its operations layers are in (other layers go on top), undefined when it goes */
  onMapReady?: (map: maplibregl.Map | undefined) => void;
}

declare global {
  interface Window {
    /** the map, for end-to-end tests and the browser console */
    __map?: maplibregl.Map;
  }
}

/** memo: the app re-renders with every live notification, the map does not need to */
export const MapView = memo(function MapView(props: MapViewProps) {
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
      fadeDuration: 0,
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
      props.onMapReady?.(map);
    });
    return () => {
      props.onMapReady?.(undefined);
      map.remove();
      mapRef.current = undefined;
      if (window.__map === map) delete window.__map;
    };
    // the map is made once per config
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.config]);

  // devices: the whole collection on a snapshot or a filter change, else a diff of what changed since
  // the last update, paced by how long the map takes to draw them (core/draw-pacer.ts)
  const { live, filter } = props;
  useEffect(() => {
    if (!ready) return;
    const map = mapRef.current!;
    const source = map.getSource<maplibregl.GeoJSONSource>('devices')!;
    const mirror = new DeviceSourceMirror();
    const pacer = new DrawPacer({ minIntervalMs: DEVICE_SOURCE_UPDATE_MS, maxDrawShare: DEVICE_SOURCE_DRAW_SHARE, maxWaitMs: 5000 });
    const dirty = new Set<string>();
    let everything = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const update = () => {
      timer = undefined;
      let moved = everything;
      if (everything) {
        everything = false;
        dirty.clear();
        pacer.started(performance.now());
        void source.setData(mirror.reset(live.devices.values(), filter));
      } else {
        const change = mirror.change(dirty, live.devices, filter);
        dirty.clear();
        if (!change) return; // nothing the map draws changed
        pacer.started(performance.now());
        if ('data' in change) {
          moved = true;
          void source.setData(change.data);
        } else {
          const { diff } = change;
          moved = diff.add !== undefined || diff.remove !== undefined || diff.update?.some((u) => u.newGeometry) === true;
          void source.updateData(diff);
        }
      }
      if (moved && !framed.current.byOperator) frame(map, framed.current, deviceBounds(live.devices.values()));
    };
    const schedule = () => {
      if (timer || (!everything && dirty.size === 0)) return;
      timer = setTimeout(update, pacer.delayMs(performance.now()));
    };
    // drawn: the map went idle, or (while the camera moves and it never does) the source has its tiles
    const onDrawn = () => {
      if (!pacer.drawing) return;
      pacer.drawn(performance.now());
      if (timer) clearTimeout(timer);
      timer = undefined;
      schedule();
    };
    const onSourceData = (e: maplibregl.MapSourceDataEvent) => {
      if (e.sourceId === 'devices' && e.isSourceLoaded && map.isMoving()) onDrawn();
    };
    map.on('idle', onDrawn);
    map.on('sourcedata', onSourceData);
    const off = live.onDevices((change) => {
      if (change.type === 'snapshot') everything = true;
      else {
        for (const d of change.changed) dirty.add(d.id);
        for (const id of change.removed) dirty.add(id);
      }
      schedule();
    });
    schedule();
    return () => {
      off();
      map.off('idle', onDrawn);
      map.off('sourcedata', onSourceData);
      if (timer) clearTimeout(timer);
    };
  }, [ready, live, filter]);

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
    const position = props.selectedId ? live.devices.get(props.selectedId)?.position : undefined;
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
});

/** Frames the fleet (widening as devices appear) until the operator moves the map. */
function frame(map: maplibregl.Map, framed: { bounds?: [[number, number], [number, number]] }, bounds: [[number, number], [number, number]] | undefined) {
  if (!bounds || sameBounds(bounds, framed.bounds)) return;
  framed.bounds = bounds;
  // room for the layer controls on the left and the side panel on the right
  map.fitBounds(bounds, { padding: { top: 30, bottom: 30, left: 240, right: 400 }, maxZoom: 14, animate: false });
}

function addOperationsLayers(map: maplibregl.Map) {
  map.addSource('districts', { type: 'geojson', data: EMPTY });
  map.addSource('district-labels', { type: 'geojson', data: EMPTY });
  map.addSource('devices', {
    type: 'geojson',
    data: EMPTY,
    // features keyed by their `id` property, so that updateData can change them one by one
    promoteId: DEVICE_FEATURE_ID,
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
  const worstOnTop = deviceSortKeyExpression() as maplibregl.ExpressionSpecification;
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
    layout: { 'circle-sort-key': worstOnTop },
    paint: { 'circle-radius': 13, 'circle-color': color, 'circle-opacity': 0.25, 'circle-blur': 0.4 },
  });
  map.addLayer({
    id: DEVICE_LAYERS.sensors,
    type: 'circle',
    source: 'devices',
    filter: ['all', ['!', ['has', 'point_count']], ['==', ['get', 'camera'], false]],
    layout: { 'circle-sort-key': worstOnTop },
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
    layout: { 'icon-image': ['concat', 'camera:', ['get', 'state']], 'icon-allow-overlap': true, 'icon-ignore-placement': true, 'symbol-sort-key': worstOnTop },
  });
}

function sameBounds(a: [[number, number], [number, number]], b: [[number, number], [number, number]] | undefined): boolean {
  return b !== undefined && a.flat().every((v, i) => v === b.flat()[i]);
}
