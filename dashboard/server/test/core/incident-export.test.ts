import { describe, expect, it } from 'vitest';
import { INCIDENT_CATEGORIES, SEVERITIES, type Incident } from '@city/shared';
import { ALERT_CATEGORY, ALERT_SEVERITY, csvField, incidentsToCsv, incidentsToGeoJson, incidentToAlert } from '../../src/core/incident-export.ts';

const T0 = Date.UTC(2026, 10, 28, 14, 0, 0);

const incident = (over: Partial<Incident> = {}): Incident => ({
  id: 'INC-000001',
  title: 'PM2.5 high at aq-01',
  category: 'air_quality',
  severity: 'major',
  status: 'open',
  source: 'rule',
  deviceId: 'aq-01',
  position: { lat: 41.88, lon: -87.63 },
  district: 'loop',
  explanation: 'pm25_ugm3 was above 50 µg/m³ for 10 min',
  evidence: { count: 4, firstSeenAt: T0, lastSeenAt: T0, metric: 'pm25_ugm3', lastValue: 58.2, peakValue: 61 },
  linked: [],
  openedAt: T0,
  updatedAt: T0 + 1000,
  autoResolve: true,
  ...over,
});

describe('CSV', () => {
  it('quotes commas, quotes and line breaks as RFC 4180 says', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField(-3)).toBe('-3');
  });

  it('writes a header and one row per incident with ISO times', () => {
    const csv = incidentsToCsv([incident()]);
    const [header, row] = csv.trimEnd().split('\r\n');
    expect(header).toBe('id,title,category,severity,status,source,device_id,district,lat,lon,opened_at,updated_at,resolved_at,due_at,assignee,signals,explanation');
    expect(row).toBe('INC-000001,PM2.5 high at aq-01,air_quality,major,open,rule,aq-01,loop,41.88,-87.63,2026-11-28T14:00:00.000Z,2026-11-28T14:00:01.000Z,,,,4,pm25_ugm3 was above 50 µg/m³ for 10 min');
  });
});

describe('GeoJSON', () => {
  it('puts each incident at its position, lon before lat', () => {
    const fc = incidentsToGeoJson([incident()]);
    expect(fc.features[0]?.geometry).toEqual({ type: 'Point', coordinates: [-87.63, 41.88] });
    expect(fc.features[0]?.properties).toMatchObject({ id: 'INC-000001', severity: 'major', status: 'open', signals: 4 });
  });

  it('keeps incidents without a position, with a null geometry', () => {
    const { position: _, ...rest } = incident();
    expect(incidentsToGeoJson([rest]).features[0]?.geometry).toBeNull();
  });
});

describe('Smart Data Models Alert', () => {
  it('maps an incident to a key-values Alert entity', () => {
    expect(incidentToAlert(incident({ status: 'resolved', resolvedAt: T0 + 60_000 }))).toEqual({
      id: 'urn:ngsi-ld:Alert:city-ops:INC-000001',
      type: 'Alert',
      name: 'PM2.5 high at aq-01',
      description: 'pm25_ugm3 was above 50 µg/m³ for 10 min',
      category: 'environment',
      subCategory: 'airPollution',
      severity: 'high',
      alertSource: 'urn:ngsi-ld:Device:city-ops:aq-01',
      dateIssued: '2026-11-28T14:00:00.000Z',
      dateModified: '2026-11-28T14:00:01.000Z',
      validFrom: '2026-11-28T14:00:00.000Z',
      validTo: '2026-11-28T14:01:00.000Z',
      location: { type: 'Point', coordinates: [-87.63, 41.88] },
      areaServed: 'loop',
      data: { incidentId: 'INC-000001', category: 'air_quality', status: 'resolved', signals: 4, metric: 'pm25_ugm3', lastValue: 58.2, peakValue: 61 },
    });
  });

  it('has an Alert category for every incident category and a severity for every severity', () => {
    const categories = ['traffic', 'naturalDisaster', 'weather', 'environment', 'health', 'security', 'agriculture'];
    for (const c of INCIDENT_CATEGORIES) expect(categories).toContain(ALERT_CATEGORY[c].category);
    for (const s of SEVERITIES) expect(['informational', 'low', 'medium', 'high', 'critical']).toContain(ALERT_SEVERITY[s]);
  });
});
