// Incidents as map features: one point per incident with a position. Pure.
import type { Feature, FeatureCollection, Point } from 'geojson';
import { isActive, type Incident, type Severity } from '@city/shared/incidents';

/** The same colours as the queue's severity bars (incidents.css). */
export const SEVERITY_COLORS: Readonly<Record<Severity, string>> = {
  critical: '#ff3b5c',
  major: '#ff7a45',
  minor: '#f5c524',
  warning: '#6cb6ff',
};

export interface IncidentFeatureProps {
  id: string;
  severity: Severity;
  status: string;
  active: boolean;
  /** critical and not acknowledged yet: the ring */
  alerting: boolean;
  selected: boolean;
  title: string;
}

export function incidentFeatures(incidents: ReadonlyMap<string, Incident>, selectedId: string | undefined): FeatureCollection<Point, IncidentFeatureProps> {
  const features: Feature<Point, IncidentFeatureProps>[] = [];
  for (const i of incidents.values()) {
    if (!i.position) continue;
    features.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [i.position.lon, i.position.lat] },
      properties: {
        id: i.id,
        severity: i.severity,
        status: i.status,
        active: isActive(i.status),
        alerting: i.severity === 'critical' && i.status === 'open',
        selected: i.id === selectedId,
        title: i.title,
      },
    });
  }
  // closed first, so active ones draw on top
  features.sort((a, b) => Number(a.properties.active) - Number(b.properties.active));
  return { type: 'FeatureCollection', features };
}
