// Incidents handed out in open formats: GeoJSON (a map layer anyone can load), CSV (a spreadsheet) and
// Smart Data Models `Alert` entities (key-values, for NGSI-LD brokers and FIWARE tools). Pure.
import type { Incident, IncidentCategory, Severity } from '@city/shared';

export const CSV_COLUMNS = [
  'id',
  'title',
  'category',
  'severity',
  'status',
  'source',
  'device_id',
  'district',
  'lat',
  'lon',
  'opened_at',
  'updated_at',
  'resolved_at',
  'due_at',
  'assignee',
  'signals',
  'explanation',
] as const;

const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

/** RFC 4180: quote a field when it holds a comma, quote or line break; quotes doubled. Formula-looking
 * text gets a leading apostrophe so a spreadsheet does not run it (CSV injection). */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function incidentsToCsv(incidents: readonly Incident[]): string {
  const rows = incidents.map((i) =>
    [
      i.id,
      i.title,
      i.category,
      i.severity,
      i.status,
      i.source,
      i.deviceId,
      i.district,
      i.position?.lat,
      i.position?.lon,
      iso(i.openedAt),
      iso(i.updatedAt),
      iso(i.resolvedAt),
      iso(i.dueAt),
      i.assignee,
      i.evidence.count,
      i.explanation,
    ]
      .map(csvField)
      .join(','),
  );
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

export interface IncidentFeatureCollection {
  type: 'FeatureCollection';
  features: {
    type: 'Feature';
    id: string;
    geometry: { type: 'Point'; coordinates: [number, number] } | null;
    properties: Record<string, string | number | null>;
  }[];
}

/** Incidents without a position keep a null geometry (GeoJSON allows it) so none go missing. */
export function incidentsToGeoJson(incidents: readonly Incident[]): IncidentFeatureCollection {
  return {
    type: 'FeatureCollection',
    features: incidents.map((i) => ({
      type: 'Feature',
      id: i.id,
      geometry: i.position ? { type: 'Point', coordinates: [i.position.lon, i.position.lat] } : null,
      properties: {
        id: i.id,
        title: i.title,
        category: i.category,
        severity: i.severity,
        status: i.status,
        source: i.source,
        deviceId: i.deviceId ?? null,
        district: i.district ?? null,
        openedAt: iso(i.openedAt),
        updatedAt: iso(i.updatedAt),
        resolvedAt: i.resolvedAt === undefined ? null : iso(i.resolvedAt),
        assignee: i.assignee ?? null,
        signals: i.evidence.count,
        explanation: i.explanation,
      },
    })),
  };
}

// ---- Smart Data Models Alert (dataModel.Alert) ----

/** The Alert model's category enum. */
export type AlertCategory = 'traffic' | 'naturalDisaster' | 'weather' | 'environment' | 'health' | 'security' | 'agriculture';

/**
 * Our category -> the Alert's category and subCategory. The Alert enum has no place for a silent
 * device, a street light or "other": those go out as `environment` without a subCategory, and our own
 * category always travels in `data.category`, so nothing is lost.
 */
export const ALERT_CATEGORY: Readonly<Record<IncidentCategory, { category: AlertCategory; subCategory?: string }>> = {
  air_quality: { category: 'environment', subCategory: 'airPollution' },
  noise: { category: 'environment' },
  flooding: { category: 'naturalDisaster', subCategory: 'flood' },
  traffic: { category: 'traffic', subCategory: 'trafficJam' },
  parking: { category: 'traffic' },
  waste: { category: 'environment' },
  lighting: { category: 'security' },
  device_offline: { category: 'environment' },
  fire_smoke: { category: 'security', subCategory: 'buildingFire' },
  security: { category: 'security', subCategory: 'suspiciousAction' },
  infringement: { category: 'traffic', subCategory: 'carStopped' },
  citizen_report: { category: 'environment' },
  other: { category: 'environment' },
};

/** The Alert model's severity enum: informational, low, medium, high, critical. */
export const ALERT_SEVERITY: Readonly<Record<Severity, string>> = { critical: 'critical', major: 'high', minor: 'medium', warning: 'low' };

/** NGSI-LD identifiers: `urn:ngsi-ld:{Type}:{namespace}:{id}`. */
export const alertUrn = (id: string) => `urn:ngsi-ld:Alert:city-ops:${id}`;

export function incidentToAlert(i: Incident): Record<string, unknown> {
  const { category, subCategory } = ALERT_CATEGORY[i.category];
  return {
    id: alertUrn(i.id),
    type: 'Alert',
    name: i.title,
    description: i.explanation,
    category,
    ...(subCategory ? { subCategory } : {}),
    severity: ALERT_SEVERITY[i.severity],
    alertSource: i.deviceId ? `urn:ngsi-ld:Device:city-ops:${i.deviceId}` : `urn:ngsi-ld:Incident:city-ops:${i.source}`,
    dateIssued: iso(i.openedAt),
    dateModified: iso(i.updatedAt),
    validFrom: iso(i.openedAt),
    ...(i.resolvedAt !== undefined ? { validTo: iso(i.resolvedAt) } : {}),
    ...(i.position ? { location: { type: 'Point', coordinates: [i.position.lon, i.position.lat] } } : {}),
    ...(i.district ? { areaServed: i.district } : {}),
    data: {
      incidentId: i.id,
      category: i.category,
      status: i.status,
      signals: i.evidence.count,
      ...(i.evidence.metric ? { metric: i.evidence.metric, lastValue: i.evidence.lastValue, peakValue: i.evidence.peakValue } : {}),
    },
  };
}
