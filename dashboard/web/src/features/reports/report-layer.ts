// Citizen reports on the map: a ring per located report coloured by status (hollow, so it never reads
// as a device dot or an incident disc), closed ones faded, the selected one larger with a white halo.
// Above the devices, below the incidents. Clicking one opens its detail panel.
import { useEffect, useRef } from 'react';
import type * as maplibregl from 'maplibre-gl';
import type { LiveReport } from '@city/shared/reports';
import { reportFeatures } from '../../core/report-geojson.ts';
import { REPORT_STATUS_COLORS } from '../../core/report-store.ts';
import { INCIDENT_LAYERS } from '../incidents/incident-layer.ts';
import { makeClickable, removeOverlay } from '../clickable-layer.ts';

export const REPORT_LAYERS = { ring: 'reports', halo: 'reports-selected' } as const;
const SOURCE = 'reports';

export function useReportLayer(
  map: maplibregl.Map | undefined,
  reports: ReadonlyMap<string, LiveReport>,
  visible: boolean,
  selectedId: string | undefined,
  onSelect: (id: string) => void,
): void {
  const select = useRef(onSelect);
  select.current = onSelect;

  useEffect(() => {
    if (!map) return;
    map.addSource(SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, promoteId: 'id' });
    const color: maplibregl.ExpressionSpecification = ['match', ['get', 'status'], ...Object.entries(REPORT_STATUS_COLORS).flat(), '#888'] as never;
    const selected: maplibregl.ExpressionSpecification = ['==', ['get', 'selected'], true];
    // under the incidents when they are drawn: an incident outranks the reports about it
    const beforeId = map.getLayer(INCIDENT_LAYERS.ring) ? INCIDENT_LAYERS.ring : undefined;
    map.addLayer(
      {
        id: REPORT_LAYERS.halo,
        type: 'circle',
        source: SOURCE,
        filter: selected,
        paint: { 'circle-radius': 15, 'circle-color': 'rgba(255,255,255,0.14)', 'circle-stroke-width': 2, 'circle-stroke-color': '#ffffff' },
      },
      beforeId,
    );
    map.addLayer(
      {
        id: REPORT_LAYERS.ring,
        type: 'circle',
        source: SOURCE,
        paint: {
          'circle-radius': ['case', selected, 9, ['==', ['get', 'fresh'], true], 7, 6],
          'circle-color': '#0b0f14',
          'circle-stroke-width': ['case', selected, 5, 3.5],
          'circle-stroke-color': color,
          'circle-opacity': ['case', ['==', ['get', 'open'], true], 0.9, 0.35],
          'circle-stroke-opacity': ['case', ['==', ['get', 'open'], true], 1, 0.45],
        },
      },
      beforeId,
    );
    // an incident drawn on top takes the click (its own handler opens it)
    const underIncident = (ev: maplibregl.MapLayerMouseEvent) =>
      map.getLayer(INCIDENT_LAYERS.disc) !== undefined && map.queryRenderedFeatures(ev.point, { layers: [INCIDENT_LAYERS.disc] }).length > 0;
    const stopClicks = makeClickable(map, REPORT_LAYERS.ring, (id) => select.current(id), underIncident);
    return () => {
      stopClicks();
      removeOverlay(map, [REPORT_LAYERS.ring, REPORT_LAYERS.halo], SOURCE);
    };
  }, [map]);

  useEffect(() => {
    map?.getSource<maplibregl.GeoJSONSource>(SOURCE)?.setData(reportFeatures(reports, selectedId));
  }, [map, reports, selectedId]);

  useEffect(() => {
    if (!map) return;
    for (const id of [REPORT_LAYERS.ring, REPORT_LAYERS.halo]) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  }, [map, visible]);
}
