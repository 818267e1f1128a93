import { describe, expect, it } from 'vitest';
import { reportsToCsv, reportsToGeoJson } from '../../src/core/report-open-data.ts';
import { roundCoordinate, toOperatorReport, toPublicReport } from '../../src/core/report-views.ts';
import { defaultCatalogue } from '../../src/open311/index.ts';
import type { ReportRecord } from '../../src/ops/index.ts';

const T0 = Date.UTC(2026, 10, 28, 15, 0, 0);

const record = (over: Partial<ReportRecord> = {}): ReportRecord => ({
  id: '1001',
  serviceCode: '001',
  category: 'traffic',
  status: 'in_progress',
  position: { lat: 41.88194, lon: -87.62779 },
  district: 'loop',
  addressString: '121 N LaSalle St',
  description: 'Deep hole',
  attributes: { size: 'large' },
  reporter: { email: 'ada@example.org', phone: '+13125550100', firstName: 'Ada', lastName: 'Lovelace' },
  source: 'web',
  requestedAt: T0,
  updatedAt: T0 + 60_000,
  incidentIds: ['INC-000001'],
  photoIds: ['AAAAAAAAAAAAAAAAAAAAAA'],
  ...over,
});

const ctx = { catalogue: defaultCatalogue(), timeZone: 'America/Chicago', coordDecimals: 3 };
const openData = { ...ctx, license: 'CC-BY-4.0', licenseUrl: 'https://creativecommons.org/licenses/by/4.0/', attribution: 'City', generatedAt: T0 };
const CONTACT = /ada@example|5550100|Ada|Lovelace|LaSalle/;

describe('report views', () => {
  it('rounds coordinates half away from zero, without binary noise', () => {
    expect(roundCoordinate(41.88194, 3)).toBe(41.882);
    expect(roundCoordinate(-87.62779, 3)).toBe(-87.628);
    expect(roundCoordinate(-87.6275, 3)).toBe(-87.628);
    expect(roundCoordinate(0.1 + 0.2, 1)).toBe(0.3);
    expect(roundCoordinate(41.88194, 0)).toBe(42);
  });

  it('the public view has the status, rounded position and photo URLs, never the reporter or the address', () => {
    const view = toPublicReport(record(), [{ id: '1', serviceRequestId: '1001', status: 'in_progress', updatedAt: T0 + 60_000, description: 'Crew on site', author: 'olga' }], [], ctx);
    expect(view).toMatchObject({
      status: 'in_progress',
      status_label: 'In progress',
      open311_status: 'open',
      lat: 41.882,
      long: -87.628,
      requested_datetime: '2026-11-28T09:00:00-06:00',
      updates: [{ status: 'in_progress', status_label: 'In progress', description: 'Crew on site', updated_datetime: '2026-11-28T09:01:00-06:00' }],
    });
    expect(JSON.stringify(view)).not.toMatch(CONTACT);
    expect(JSON.stringify(view)).not.toContain('olga');
  });

  it('the operator view carries the reporter only when asked', () => {
    expect(toOperatorReport(record(), { catalogue: ctx.catalogue, withContact: false })).not.toHaveProperty('reporter');
    expect(toOperatorReport(record(), { catalogue: ctx.catalogue, withContact: true }).reporter).toEqual({ email: 'ada@example.org', phone: '+13125550100', firstName: 'Ada', lastName: 'Lovelace' });
  });

  it('open data: rounded positions, null geometry without one, licence members, no contact, safe CSV', () => {
    const geo = reportsToGeoJson([record(), record({ id: '1002', position: undefined, description: '=cmd|calc' })], openData);
    expect(geo).toMatchObject({ type: 'FeatureCollection', license: 'CC-BY-4.0', attribution: 'City' });
    expect(geo.features.map((f) => f.geometry)).toEqual([{ type: 'Point', coordinates: [-87.628, 41.882] }, null]);
    expect(JSON.stringify(geo)).not.toMatch(CONTACT);
    const csv = reportsToCsv([record({ description: '=cmd|calc, "quoted"\nline' })], { ...openData, coordDecimals: 2 });
    const [, row] = csv.split('\r\n');
    expect(row).toBe(`1001,001,Pothole,in_progress,In progress,open,"'=cmd|calc, ""quoted""\nline",2026-11-28T09:00:00-06:00,2026-11-28T09:01:00-06:00,,,41.88,-87.63,loop,`);
    expect(csv).not.toMatch(CONTACT);
  });
});
