import { describe, expect, it } from 'vitest';
import type { Incident } from '@city/shared/incidents';
import { incidentForReport, isRelatedCategory, reportsForIncident, type FusionReport } from '../../src/core/report-fusion.ts';

const T = Date.parse('2026-11-28T09:00:00Z');
const HERE = { lat: 41.8789, lon: -87.6359 };
/** ~1.11 m per 0.00001 degree of latitude */
const north = (m: number) => ({ lat: HERE.lat + m / 111_320, lon: HERE.lon });
const OPTS = { radiusM: 500, windowMs: 30 * 60_000 };

const report = (id: string, over: Partial<FusionReport> = {}): FusionReport => ({
  id,
  category: 'flooding',
  position: north(100),
  requestedAt: T,
  closed: false,
  incidentIds: [],
  ...over,
});

type IncidentLike = Pick<Incident, 'id' | 'category' | 'status' | 'position' | 'evidence' | 'updatedAt'>;
const incident = (id: string, over: Partial<IncidentLike> = {}): IncidentLike => ({
  id,
  category: 'flooding',
  status: 'open',
  position: HERE,
  evidence: { count: 1, firstSeenAt: T, lastSeenAt: T },
  updatedAt: T,
  ...over,
});

describe('isRelatedCategory', () => {
  it.each([
    ['flooding', 'flooding', true],
    ['traffic', 'parking', true],
    ['air_quality', 'fire_smoke', true],
    ['traffic', 'air_quality', false],
    ['lighting', 'noise', false],
  ] as const)('%s report, %s incident: %s', (r, i, expected) => {
    expect(isRelatedCategory(r, i)).toBe(expected);
  });
});

describe('reportsForIncident', () => {
  it('gathers open, unlinked, related reports within the radius and window, nearest first', () => {
    const reports = [
      report('far', { position: north(600) }),
      report('near', { position: north(20) }),
      report('mid', { position: north(300) }),
      report('old', { requestedAt: T - 31 * 60_000 }),
      report('later', { requestedAt: T + 10 * 60_000, position: north(200) }),
      report('closed', { closed: true }),
      report('linked', { incidentIds: ['INC-000001'] }),
      report('pothole', { category: 'traffic' }),
      report('nowhere', { position: undefined }),
    ];
    const matches = reportsForIncident(incident('INC-000009'), reports, OPTS);
    expect(matches).toEqual([
      { reportId: 'near', incidentId: 'INC-000009', distanceM: 20 },
      { reportId: 'later', incidentId: 'INC-000009', distanceM: 200 },
      { reportId: 'mid', incidentId: 'INC-000009', distanceM: 300 },
    ]);
  });

  it('an incident without a position gathers nothing; the limit keeps the nearest', () => {
    expect(reportsForIncident(incident('INC-1', { position: undefined }), [report('a')], OPTS)).toEqual([]);
    const many = Array.from({ length: 10 }, (_, i) => report(`r${i}`, { position: north(10 * (10 - i)) }));
    expect(reportsForIncident(incident('INC-1'), many, { ...OPTS, limit: 2 }).map((m) => m.reportId)).toEqual(['r9', 'r8']);
  });
});

describe('incidentForReport', () => {
  it('joins the nearest active related incident active within the window', () => {
    const incidents = [
      incident('INC-far', { position: north(450) }),
      incident('INC-near', { position: north(120) }),
      incident('INC-closed', { status: 'resolved', position: north(100) }),
      incident('INC-noise', { category: 'noise', position: north(100) }),
      incident('INC-stale', { position: north(100), updatedAt: T - 3_600_000, evidence: { count: 9, firstSeenAt: T - 7_200_000, lastSeenAt: T - 3_600_000 } }),
      incident('INC-nowhere', { position: undefined }),
    ];
    expect(incidentForReport(report('r', { position: HERE }), incidents, OPTS)).toEqual({ reportId: 'r', incidentId: 'INC-near', distanceM: 120 });
  });

  it('an incident updated recently counts even when its evidence is older; ties go to the most recently active', () => {
    const updated = incident('INC-a', { updatedAt: T - 60_000, evidence: { count: 1, firstSeenAt: T - 7_200_000, lastSeenAt: T - 7_200_000 } });
    const fresher = incident('INC-b', { updatedAt: T });
    expect(incidentForReport(report('r', { position: HERE }), [updated], OPTS)?.incidentId).toBe('INC-a');
    expect(incidentForReport(report('r', { position: HERE }), [updated, fresher], OPTS)?.incidentId).toBe('INC-b');
  });

  it('nothing for a report already linked, closed, without a position, or with nothing near', () => {
    const incidents = [incident('INC-1')];
    expect(incidentForReport(report('r', { incidentIds: ['INC-0'] }), incidents, OPTS)).toBeUndefined();
    expect(incidentForReport(report('r', { closed: true }), incidents, OPTS)).toBeUndefined();
    expect(incidentForReport(report('r', { position: undefined }), incidents, OPTS)).toBeUndefined();
    expect(incidentForReport(report('r', { position: north(501) }), incidents, OPTS)).toBeUndefined();
  });
});
