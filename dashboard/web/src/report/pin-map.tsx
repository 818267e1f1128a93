// A small map with one pin: on the form the citizen taps to place it and drags to adjust; on the status
// page it only shows where (rounded) a report is. The offline basemap from /api/config; two fingers
// move the map (cooperative gestures) so one finger still scrolls the page past it.
import { useEffect, useRef, useState } from 'react';
import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import type { MapConfig } from './report-api.ts';
import type { LatLon } from './form-logic.ts';

maplibregl.setWorkerUrl(workerUrl);

/** close enough to tell one street corner from the next on a phone */
const PIN_ZOOM = 16;

export interface PinMapProps {
  config: MapConfig;
  /** the map stays inside these: [west, south, east, north] */
  bounds: readonly [number, number, number, number];
  position: LatLon | undefined;
  /** absent: the map only shows the pin */
  onChange?: (position: LatLon) => void;
  label: string;
  testId?: string;
}

declare global {
  interface Window {
    /** the map, for end-to-end tests and the browser console */
    __map?: maplibregl.Map;
  }
}

export function PinMap(props: PinMapProps) {
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<maplibregl.Map | undefined>(undefined);
  const markerRef = useRef<maplibregl.Marker | undefined>(undefined);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  const [failed, setFailed] = useState<string>();
  const editable = props.onChange !== undefined;

  useEffect(() => {
    const { config, bounds, position } = props;
    const [w, s, e, n] = bounds;
    const map = new maplibregl.Map({
      container: container.current!,
      style: config.mapStyleUrl,
      center: position ? [position.lon, position.lat] : [config.center.lon, config.center.lat],
      zoom: position ? PIN_ZOOM : 14,
      minZoom: Math.max(config.minZoom, 13),
      maxZoom: config.maxZoom,
      maxBounds: [
        [w, s],
        [e, n],
      ],
      interactive: editable,
      cooperativeGestures: editable,
      attributionControl: { compact: true },
      dragRotate: false,
      pitchWithRotate: false,
      fadeDuration: 0,
    });
    mapRef.current = map;
    window.__map = map;
    map.touchZoomRotate.disableRotation();
    if (editable) map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.on('error', (ev) => {
      if (!map.isStyleLoaded()) setFailed(String(ev.error?.message ?? ev.error));
    });
    if (editable) {
      map.on('click', (ev) => onChange.current?.({ lat: ev.lngLat.lat, lon: ev.lngLat.lng }));
    }
    return () => {
      markerRef.current = undefined;
      map.remove();
      mapRef.current = undefined;
      if (window.__map === map) delete window.__map;
    };
    // one map per page: the config does not change once loaded
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.config]);

  // the pin follows the position, wherever it came from (tap, drag, GPS, typed)
  const { position } = props;
  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    if (!position) {
      markerRef.current?.remove();
      markerRef.current = undefined;
      return;
    }
    const lngLat: [number, number] = [position.lon, position.lat];
    if (!markerRef.current) {
      const marker = new maplibregl.Marker({ color: '#c2410c', draggable: editable }).setLngLat(lngLat).addTo(map);
      marker.getElement().setAttribute('aria-label', editable ? 'Problem location pin (drag to move)' : 'Report location');
      marker.getElement().dataset.testid = 'map-pin';
      marker.on('dragend', () => {
        const at = marker.getLngLat();
        onChange.current?.({ lat: at.lat, lon: at.lng });
      });
      markerRef.current = marker;
    } else {
      markerRef.current.setLngLat(lngLat);
    }
    // bring a pin placed off screen (GPS, typed) into view
    if (!map.getBounds().contains(lngLat)) map.easeTo({ center: lngLat, zoom: Math.max(map.getZoom(), PIN_ZOOM), duration: 400 });
  }, [position, editable]);

  return (
    <div className="pin-map" data-testid={props.testId}>
      <div ref={container} className="pin-map-canvas" role="application" aria-label={props.label} />
      {failed && <p className="field-error">The map could not be loaded ({failed}). You can still type the coordinates below.</p>}
    </div>
  );
}
