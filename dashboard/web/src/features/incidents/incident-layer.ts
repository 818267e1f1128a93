// Incidents on the map: a disc per located incident coloured by severity, a ring around critical ones
// nobody has acknowledged yet; closed ones fade. Above the devices, so an incident is never hidden by
// the sensor that raised it. Clicking one opens its detail panel.
import { useEffect, useRef } from 'react';
import type * as maplibregl from 'maplibre-gl';
import type { Incident } from '@city/shared/incidents';
import { incidentFeatures, SEVERITY_COLORS } from '../../core/incident-geojson.ts';
import { makeClickable, removeOverlay } from '../clickable-layer.ts';

export const INCIDENT_LAYERS = { disc: 'incidents', ring: 'incidents-alert' } as const;

export function useIncidentLayer(
  map: maplibregl.Map | undefined,
  incidents: ReadonlyMap<string, Incident>,
  visible: boolean,
  selectedId: string | undefined,
  onSelect: (id: string) => void,
): void {
  const select = useRef(onSelect);
  select.current = onSelect;

  useEffect(() => {
    if (!map) return;
    map.addSource('incidents', { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, promoteId: 'id' });
    const color: maplibregl.ExpressionSpecification = ['match', ['get', 'severity'], ...Object.entries(SEVERITY_COLORS).flat(), '#888'] as never;
    map.addLayer({
      id: INCIDENT_LAYERS.ring,
      type: 'circle',
      source: 'incidents',
      filter: ['==', ['get', 'alerting'], true],
      paint: { 'circle-radius': 20, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-width': 3, 'circle-stroke-color': color, 'circle-stroke-opacity': 0.8 },
    });
    map.addLayer({
      id: INCIDENT_LAYERS.disc,
      type: 'circle',
      source: 'incidents',
      paint: {
        'circle-radius': ['case', ['==', ['get', 'selected'], true], 13, 10],
        'circle-color': color,
        'circle-opacity': ['case', ['==', ['get', 'active'], true], 1, 0.35],
        'circle-stroke-width': ['case', ['==', ['get', 'selected'], true], 4, 2.5],
        'circle-stroke-color': '#0b0f14',
      },
    });
    const stopClicks = makeClickable(map, INCIDENT_LAYERS.disc, (id) => select.current(id));
    return () => {
      stopClicks();
      removeOverlay(map, [INCIDENT_LAYERS.disc, INCIDENT_LAYERS.ring], 'incidents');
    };
  }, [map]);

  useEffect(() => {
    const data = incidentFeatures(incidents, selectedId);
    map?.getSource<maplibregl.GeoJSONSource>('incidents')?.setData(data);
    // the alert ring breathes only while one is drawn: each step redraws the whole map (slow in
    // software WebGL), so an idle wall must not animate
    if (!map || !data.features.some((f) => f.properties.alerting)) return;
    const timer = setInterval(() => {
      if (!map.getLayer(INCIDENT_LAYERS.ring)) return;
      const phase = (Date.now() % 1500) / 1500;
      map.setPaintProperty(INCIDENT_LAYERS.ring, 'circle-radius', 14 + 10 * phase);
      map.setPaintProperty(INCIDENT_LAYERS.ring, 'circle-stroke-opacity', 0.9 * (1 - phase));
    }, 250);
    return () => clearInterval(timer);
  }, [map, incidents, selectedId]);

  useEffect(() => {
    if (!map) return;
    for (const id of [INCIDENT_LAYERS.disc, INCIDENT_LAYERS.ring]) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  }, [map, visible]);
}
