// Reports follow the incident they are linked to, end to end: a manual incident and reports from the
// city's form over real HTTP, linked by an operator, the incident worked through the API; each report's
// public status page and audit trail show the mirrored status, never backwards, never from a closed one.
import { describe, expect, it } from 'vitest';
import type { AuditEntry, IncidentStatus, ReportStatus } from '@city/shared';
import type { OperatorReportDetail, PublicReport, ReportCreatedResponse } from '@city/shared/reports';
import { SYNC_NOTES, mirroredStatus } from '../src/features/report-incident-sync.ts';
import { login, startStack, waitFor, type OperatorClient } from './support/stack.ts';

const ADMIN = { username: 'chief', password: 'correct horse battery' };

async function start() {
  const stack = await startStack({ RULES_ENGINE: 'false', ADMIN_USER: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, REPORTS_POST_RATE_PER_MIN: '1000' });
  return { stack, admin: await login(stack.base, ADMIN.username, ADMIN.password) };
}

async function newReport(base: string, fields: Record<string, string> = {}): Promise<string> {
  const body = new FormData();
  for (const [key, value] of Object.entries({ service_code: '002', lat: '41.8819', long: '-87.6278', description: 'Lamp dark all night', ...fields })) body.append(key, value);
  const res = await fetch(`${base}/api/reports`, { method: 'POST', body });
  expect(res.status).toBe(201);
  return ((await res.json()) as ReportCreatedResponse).service_request_id;
}

const publicOf = async (base: string, id: string) => (await (await fetch(`${base}/api/reports/${id}/public`)).json()) as PublicReport;

/** Waits until the report shows `status` on its public page. */
const statusBecomes = (base: string, id: string, status: ReportStatus) => waitFor(`report ${id} ${status}`, async () => ((await publicOf(base, id)).status === status ? true : undefined));

async function newIncident(admin: OperatorClient): Promise<string> {
  // no position: fusion leaves it alone, only the operator's links count here
  const res = await admin.call<{ id: string }>('POST', '/api/incidents', { title: 'Lights out on State St', category: 'lighting', severity: 'minor', description: 'several lamps dark' });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('mirroredStatus', () => {
  const cases: [ReportStatus, IncidentStatus, ReportStatus | undefined][] = [
    ['open', 'open', undefined],
    ['open', 'acknowledged', 'investigating'],
    ['open', 'in_progress', 'in_progress'],
    ['investigating', 'in_progress', 'in_progress'],
    ['action_scheduled', 'acknowledged', undefined],
    ['in_progress', 'acknowledged', undefined],
    ['in_progress', 'resolved', 'fixed'],
    ['open', 'dismissed', 'no_further_action'],
    ['fixed', 'in_progress', undefined],
    ['closed', 'resolved', undefined],
    ['duplicate', 'resolved', undefined],
    ['not_councils_responsibility', 'acknowledged', undefined],
  ];
  it.each(cases)('a report %s, its incident %s -> %s', (report, incident, expected) => {
    expect(mirroredStatus(report, incident)?.status).toBe(expected);
  });
});

describe('report status follows its incident', () => {
  it('acknowledge, start, resolve: each linked report moves forward with a public note by system, audited', async () => {
    const { stack, admin } = await start();
    const { base } = stack;
    const incidentId = await newIncident(admin);
    const reportId = await newReport(base);
    const link = await admin.call<{ incidentIds: string[] }>('POST', `/api/reports/${reportId}/link`, { incidentId });
    expect(link.status).toBe(200);
    expect((await publicOf(base, reportId)).status).toBe('open');

    expect((await admin.call('POST', `/api/incidents/${incidentId}/acknowledge`, {})).status).toBe(200);
    await statusBecomes(base, reportId, 'investigating');
    expect((await admin.call('POST', `/api/incidents/${incidentId}/start`, {})).status).toBe(200);
    await statusBecomes(base, reportId, 'in_progress');
    // a comment is an incident change too: nothing to mirror, no extra update
    expect((await admin.call('POST', `/api/incidents/${incidentId}/comments`, { text: 'ordered a lift truck' })).status).toBe(200);
    expect((await admin.call('POST', `/api/incidents/${incidentId}/resolve`, { note: 'replaced the fuse in cabinet 12; ask Bob' })).status).toBe(200);
    await statusBecomes(base, reportId, 'fixed');

    const page = await publicOf(base, reportId);
    expect(page.open311_status).toBe('closed');
    expect(page.updates.map((u) => [u.status, u.description])).toEqual([
      ['investigating', SYNC_NOTES.investigating],
      ['in_progress', SYNC_NOTES.in_progress],
      ['fixed', SYNC_NOTES.fixed],
    ]);
    // the operator's resolve note is not for the public
    expect(JSON.stringify(page)).not.toContain('Bob');

    const detail = (await admin.call<OperatorReportDetail>('GET', `/api/reports/${reportId}`)).body;
    expect(detail.timeline.map((e) => [e.action, e.actor])).toEqual([
      ['report.create', 'public'],
      ['report.link', ADMIN.username],
      ['report.status', 'system'],
      ['report.status', 'system'],
      ['report.status', 'system'],
    ]);
    const audit = (await admin.call<AuditEntry[]>('GET', `/api/audit?entityType=report&entityId=${reportId}&limit=100`)).body;
    expect(audit.filter((e) => e.action === 'report.status').map((e) => (e.after as { status?: string } | undefined)?.status).reverse()).toEqual(['investigating', 'in_progress', 'fixed']);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('city_report_sync_total{result="moved"} 3');
    // the incident was changed by the operator only: nothing bounced back
    const incident = (await admin.call<{ status: string; timeline: AuditEntry[] }>('GET', `/api/incidents/${incidentId}`)).body;
    expect(incident.status).toBe('resolved');
    expect(incident.timeline.every((e) => e.actor === ADMIN.username)).toBe(true);
  });

  it('never moves a closed, duplicate or further-along report; a report linked to a worked incident catches up; dismissal means no further action', async () => {
    const { stack, admin } = await start();
    const { base } = stack;
    const incidentId = await newIncident(admin);
    const [closedByHand, duplicate, original, ahead] = [await newReport(base), await newReport(base), await newReport(base), await newReport(base)];
    for (const id of [closedByHand, duplicate, original, ahead]) expect((await admin.call('POST', `/api/reports/${id}/link`, { incidentId })).status).toBe(200);
    expect((await admin.call('POST', `/api/reports/${closedByHand}/status`, { status: 'not_councils_responsibility', note: 'A private lot: ask the owner.' })).status).toBe(200);
    expect((await admin.call('POST', `/api/reports/${duplicate}/duplicate`, { of: original })).status).toBe(200);
    expect((await admin.call('POST', `/api/reports/${ahead}/status`, { status: 'action_scheduled' })).status).toBe(200);

    expect((await admin.call('POST', `/api/incidents/${incidentId}/acknowledge`, {})).status).toBe(200);
    await statusBecomes(base, original, 'investigating');
    expect((await admin.call('POST', `/api/incidents/${incidentId}/start`, {})).status).toBe(200);
    await statusBecomes(base, original, 'in_progress');
    await statusBecomes(base, ahead, 'in_progress');
    expect((await publicOf(base, closedByHand)).status).toBe('not_councils_responsibility');
    expect((await publicOf(base, duplicate)).status).toBe('duplicate');
    // ahead skipped investigating: action scheduled is further along
    expect((await publicOf(base, ahead)).updates.map((u) => u.status)).toEqual(['action_scheduled', 'in_progress']);

    // linked later: catches up with the incident at once
    const late = await newReport(base);
    expect((await admin.call('POST', `/api/reports/${late}/link`, { incidentId })).status).toBe(200);
    await statusBecomes(base, late, 'in_progress');

    const other = await newIncident(admin);
    const dismissedReport = await newReport(base);
    expect((await admin.call('POST', `/api/reports/${dismissedReport}/link`, { incidentId: other })).status).toBe(200);
    expect((await admin.call('POST', `/api/incidents/${other}/dismiss`, { reason: 'prank caller again' })).status).toBe(200);
    await statusBecomes(base, dismissedReport, 'no_further_action');
    const page = await publicOf(base, dismissedReport);
    expect(page.status_notes).toBe(SYNC_NOTES.no_further_action);
    expect(JSON.stringify(page)).not.toContain('prank');
  });
});
