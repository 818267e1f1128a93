import { describe, expect, it } from 'vitest';
import type { LiveReport } from '@city/shared/reports';
import {
  applyReportChange,
  applyReportSnapshot,
  CLOSED_REPORT_VISIBLE_MS,
  countNewReports,
  countOpenReports,
  excerpt,
  pruneClosedReports,
  reportCategories,
  reportList,
  type ReportTable,
} from '../src/core/report-store.ts';
import { reportFeatures } from '../src/core/report-geojson.ts';

const T0 = 1_764_000_000_000;

function report(id: string, over: Partial<LiveReport> = {}): LiveReport {
  return {
    id,
    serviceCode: '001',
    serviceName: 'Pothole',
    category: 'roads',
    status: 'open',
    statusLabel: 'Open',
    attributes: {},
    source: 'web',
    requestedAt: T0,
    updatedAt: T0,
    incidentIds: [],
    photoUrls: [],
    position: { lat: 41.88, lon: -87.63 },
    ...over,
  };
}

describe('report store', () => {
  it('a snapshot replaces the table; an older copy never overwrites a newer one, an equal one does', () => {
    const table: ReportTable = new Map([['9', report('9')]]);
    applyReportSnapshot(table, [report('1'), report('2')]);
    expect([...table.keys()]).toEqual(['1', '2']);
    expect(applyReportChange(table, report('3'))).toBe('created');
    expect(applyReportChange(table, report('1', { status: 'in_progress', updatedAt: T0 + 10 }))).toBe('updated');
    expect(applyReportChange(table, report('1', { status: 'open', updatedAt: T0 + 5 }))).toBe('stale');
    expect(table.get('1')!.status).toBe('in_progress');
    // an incident link keeps updatedAt
    expect(applyReportChange(table, report('1', { status: 'in_progress', updatedAt: T0 + 10, incidentIds: ['inc-1'] }))).toBe('updated');
    expect(table.get('1')!.incidentIds).toEqual(['inc-1']);
  });

  it('lists newest first, open-ish by default, by status, category and text', () => {
    const table: ReportTable = new Map();
    applyReportSnapshot(table, [
      report('1', { requestedAt: T0, description: 'Deep pothole in the right lane' }),
      report('2', { requestedAt: T0 + 2, status: 'fixed', closedAt: T0 + 3 }),
      report('3', { requestedAt: T0 + 1, status: 'investigating', category: 'lighting', serviceName: 'Streetlight out' }),
    ]);
    expect(reportList(table, { status: 'open' }).map((r) => r.id)).toEqual(['3', '1']);
    expect(reportList(table, { status: 'all' }).map((r) => r.id)).toEqual(['2', '3', '1']);
    expect(reportList(table, { status: 'fixed' }).map((r) => r.id)).toEqual(['2']);
    expect(reportList(table, { status: 'all', category: 'lighting' }).map((r) => r.id)).toEqual(['3']);
    expect(reportList(table, { status: 'all', text: 'RIGHT LANE' }).map((r) => r.id)).toEqual(['1']);
    expect(reportCategories(table.values())).toEqual(['lighting', 'roads']);
    expect(countNewReports(table.values())).toBe(1);
    expect(countOpenReports(table.values())).toBe(2);
  });

  it('drops reports closed longer than the visible window', () => {
    const table: ReportTable = new Map();
    applyReportSnapshot(table, [report('1'), report('2', { status: 'closed', closedAt: T0 })]);
    expect(pruneClosedReports(table, T0 + CLOSED_REPORT_VISIBLE_MS)).toBe(0);
    expect(pruneClosedReports(table, T0 + CLOSED_REPORT_VISIBLE_MS + 1)).toBe(1);
    expect([...table.keys()]).toEqual(['1']);
  });

  it('cuts an excerpt on a word boundary', () => {
    expect(excerpt('short text')).toBe('short text');
    expect(excerpt('one two three four five six', 16)).toBe('one two three…');
    expect(excerpt(undefined)).toBe('');
  });

  it('map features: located reports only, closed under open, the selected one on top', () => {
    const table: ReportTable = new Map();
    applyReportSnapshot(table, [report('1'), report('2', { status: 'fixed' }), report('3', { position: undefined }), report('4', { status: 'in_progress' })]);
    const features = reportFeatures(table, '1').features.map((f) => f.properties);
    expect(features.map((p) => p.id)).toEqual(['2', '4', '1']);
    expect(features.map((p) => [p.open, p.fresh, p.selected])).toEqual([
      [false, false, false],
      [true, false, false],
      [true, true, true],
    ]);
  });
});
