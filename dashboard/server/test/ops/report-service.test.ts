// ReportService against a real SQLite store: photos checked and stripped, each change with its public
// update and audit row, change events after commit, duplicates, incident links both ways, and
// duplicate suggestions.
import { describe, expect, it } from 'vitest';
import type { Incident, ReportStatus } from '@city/shared';
import { track } from '../../../../test/support/teardown.ts';
import { tmpDir } from '../../../../test/support/tmp.ts';
import { defaultCatalogue, type NewServiceRequest } from '../../src/open311/index.ts';
import { IncidentService, ReportService, openOpsStore, type OpsStore, type ReportChange } from '../../src/ops/index.ts';
import { GPS_LATITUDE_BYTES, jpegWithMetadata, plainJpeg, plainPng } from '../support/images.ts';
import { newIncident } from './contract.ts';
import { auditTrail, recordingLogger, rejection } from './helpers.ts';

const T0 = Date.UTC(2026, 10, 28, 15, 0, 0);
const HOUR = 3_600_000;

const request = (over: Partial<NewServiceRequest> = {}): NewServiceRequest => ({
  apiKey: 'city-web-form',
  serviceCode: '001',
  category: 'traffic',
  position: { lat: 41.8819, lon: -87.6278 },
  district: 'loop',
  description: 'Deep hole by the bus stop',
  attributes: { size: 'medium' },
  reporter: { email: 'ada@example.org', phone: '+13125550100', firstName: 'Ada' },
  ...over,
});

async function setup() {
  const store = track(openOpsStore(tmpDir('report-service-')), (s) => s.close());
  const clock = { now: T0 };
  const { logger, lines } = recordingLogger();
  const incidents = new IncidentService({ store, logger, now: () => clock.now });
  const service = new ReportService({ store, incidents, catalogue: defaultCatalogue(), logger, now: () => clock.now });
  const events: { id: string; status: ReportStatus; change: ReportChange; action: string }[] = [];
  service.onChange((report, change, action) => events.push({ id: report.id, status: report.status, change, action }));
  const incidentEvents: { incident: Incident; change: string }[] = [];
  incidents.onChange((incident, change) => incidentEvents.push({ incident, change }));
  return { store, service, incidents, clock, events, incidentEvents, lines };
}

const trail = (store: OpsStore, id: string) => auditTrail(store, 'report', id);

describe('ReportService.create', () => {
  it('stores the report with the service level as expected time, audits it without contact values, emits created', async () => {
    const { store, service, events } = await setup();
    const { report, token } = await service.create(request(), [], 'public', { source: 'web' });
    // service 001 promises 168 hours
    expect(report).toMatchObject({ id: '1001', status: 'open', source: 'web', requestedAt: T0, updatedAt: T0, expectedAt: T0 + 168 * HOUR });
    expect(report).not.toHaveProperty('apiKey');
    expect(await store.reports.idForToken(token)).toBe('1001');
    const audit = await trail(store, '1001');
    expect(audit).toEqual([
      {
        action: 'report.create',
        actor: 'public',
        before: undefined,
        after: { serviceCode: '001', category: 'traffic', status: 'open', source: 'web', position: report.position, district: 'loop', photos: 0, contact: ['email', 'firstName', 'phone'] },
      },
    ]);
    expect(JSON.stringify(audit)).not.toMatch(/ada@example|5550100|Ada/);
    expect(events).toEqual([{ id: '1001', status: 'open', change: 'created', action: 'report.create' }]);
  });

  it('stores photos stripped of their metadata, with type and size from their bytes', async () => {
    const { store, service } = await setup();
    const { report } = await service.create(request(), [jpegWithMetadata(), plainPng()], 'public', { source: 'web' });
    const photos = await store.reports.photos(report.id);
    expect(photos.map((p) => [p.contentType, p.width, p.height])).toEqual([
      ['image/jpeg', 16, 8],
      ['image/png', 16, 8],
    ]);
    expect(report.photoIds).toEqual(photos.map((p) => p.id));
    const stored = (await store.reports.photoData(photos[0]!.id))!.data;
    expect(stored.includes(GPS_LATITUDE_BYTES)).toBe(false);
    expect(stored.equals(plainJpeg())).toBe(true);
    expect((await trail(store, report.id))[0]!.after).toMatchObject({ photos: 2 });
  });

  it('refuses the whole report for a file that is not an image, or an image that does not parse (400), storing nothing', async () => {
    const { store, service, events } = await setup();
    const text = Buffer.from('<script>alert(1)</script>');
    expect((await rejection(service.create(request(), [plainJpeg(), text], 'public', { source: 'web' }))).message).toBe('photo 2: not a JPEG, PNG or WebP image');
    const truncated = plainJpeg().subarray(0, 200);
    expect((await rejection(service.create(request(), [truncated], 'public', { source: 'web' }))).httpStatus).toBe(400);
    expect(await store.reports.list()).toEqual([]);
    expect(events).toEqual([]);
  });
});

describe('ReportService changes', () => {
  it('setStatus publishes an update, keeps the note as status_notes, sets and clears closedAt, audits the change', async () => {
    const { store, service, clock, events } = await setup();
    const { report } = await service.create(request(), [], 'public', { source: 'web' });
    clock.now = T0 + HOUR;
    const investigating = await service.setStatus(report.id, 'investigating', undefined, 'bob');
    expect(investigating).toMatchObject({ status: 'investigating', updatedAt: T0 + HOUR });
    expect(investigating).not.toHaveProperty('closedAt');
    clock.now = T0 + 2 * HOUR;
    const fixed = await service.setStatus(report.id, 'fixed', 'Filled the hole', 'bob');
    expect(fixed).toMatchObject({ status: 'fixed', statusNotes: 'Filled the hole', closedAt: T0 + 2 * HOUR });
    clock.now = T0 + 3 * HOUR;
    const reopened = await service.setStatus(report.id, 'open', 'It is back', 'bob');
    expect(reopened).not.toHaveProperty('closedAt');

    const updates = await store.reports.updates({ reportId: report.id });
    expect(updates.map((u) => [u.status, u.description, u.updatedAt, u.author])).toEqual([
      ['investigating', undefined, T0 + HOUR, 'bob'],
      ['fixed', 'Filled the hole', T0 + 2 * HOUR, 'bob'],
      ['open', 'It is back', T0 + 3 * HOUR, 'bob'],
    ]);
    const audit = await trail(store, report.id);
    expect(audit[2]).toEqual({
      action: 'report.status',
      actor: 'bob',
      before: { status: 'investigating' },
      after: { status: 'fixed', statusNotes: 'Filled the hole', closedAt: T0 + 2 * HOUR, updateId: updates[1]!.id },
    });
    expect(events.map((e) => [e.change, e.status])).toEqual([
      ['created', 'open'],
      ['updated', 'investigating'],
      ['updated', 'fixed'],
      ['updated', 'open'],
    ]);
  });

  it('setStatus to the same status without a note changes nothing; duplicate and unknown statuses are refused', async () => {
    const { store, service } = await setup();
    const { report } = await service.create(request(), [], 'public', { source: 'web' });
    expect(await service.setStatus(report.id, 'open', undefined, 'bob')).toEqual(report);
    expect(await store.reports.updates()).toEqual([]);
    expect((await rejection(service.setStatus(report.id, 'duplicate', undefined, 'bob'))).message).toMatch(/duplicate/);
    expect((await rejection(service.setStatus(report.id, 'done' as ReportStatus, undefined, 'bob'))).httpStatus).toBe(400);
    expect((await rejection(service.setStatus('4242', 'fixed', undefined, 'bob'))).httpStatus).toBe(404);
  });

  it('a public note is published with the current status; an internal note is not, and leaves updatedAt and its text out of the audit', async () => {
    const { store, service, clock } = await setup();
    const { report } = await service.create(request(), [], 'public', { source: 'web' });
    clock.now = T0 + HOUR;
    const internal = await service.addInternalNote(report.id, 'Caller is the shop owner', 'bob');
    expect(internal.updatedAt).toBe(T0);
    expect(await store.reports.updates()).toEqual([]);
    const noted = await service.addPublicNote(report.id, 'Crew booked for Monday', 'bob');
    expect(noted.updatedAt).toBe(T0 + HOUR);
    expect((await store.reports.updates()).map((u) => [u.status, u.description])).toEqual([['open', 'Crew booked for Monday']]);
    const audit = await trail(store, report.id);
    expect(audit.map((a) => a.action)).toEqual(['report.create', 'report.internal-note', 'report.note']);
    expect(JSON.stringify(audit)).not.toContain('shop owner');
    expect((await rejection(service.addPublicNote(report.id, '   ', 'bob'))).httpStatus).toBe(400);
    expect((await rejection(service.addInternalNote(report.id, 'x'.repeat(4001), 'bob'))).httpStatus).toBe(400);
  });

  it('sets and clears the expected time', async () => {
    const { service } = await setup();
    const { report } = await service.create(request(), [], 'public', { source: 'web' });
    expect(await service.setExpectedAt(report.id, T0 + 5 * HOUR, 'bob')).toMatchObject({ expectedAt: T0 + 5 * HOUR });
    expect(await service.setExpectedAt(report.id, null, 'bob')).not.toHaveProperty('expectedAt');
  });

  it('markDuplicate closes it with a public note naming the original, following the original to its own original', async () => {
    const { store, service } = await setup();
    const a = (await service.create(request(), [], 'public', { source: 'web' })).report;
    const b = (await service.create(request(), [], 'public', { source: 'web' })).report;
    const c = (await service.create(request(), [], 'public', { source: 'web' })).report;
    const dup = await service.markDuplicate(b.id, a.id, 'bob');
    expect(dup).toMatchObject({ status: 'duplicate', duplicateOf: a.id, closedAt: T0, statusNotes: `Already reported as report ${a.id}: follow that report for updates.` });
    expect((await store.reports.updates({ reportId: b.id })).map((u) => [u.status, u.description])).toEqual([['duplicate', dup.statusNotes]]);
    // c is a duplicate of b, which is a duplicate of a: c points at a
    expect((await service.markDuplicate(c.id, b.id, 'bob')).duplicateOf).toBe(a.id);
    // a cannot become a duplicate of its own duplicate
    expect((await rejection(service.markDuplicate(a.id, b.id, 'bob'))).httpStatus).toBe(409);
    expect((await rejection(service.markDuplicate(a.id, a.id, 'bob'))).httpStatus).toBe(400);
    expect((await rejection(service.markDuplicate(a.id, '4242', 'bob'))).httpStatus).toBe(400);
    // reopening drops the mark
    expect(await service.setStatus(b.id, 'open', undefined, 'bob')).not.toHaveProperty('duplicateOf');
  });

  it('linkIncident links both ways in one transaction, audited on each side, the incident pushed once', async () => {
    const { store, service, incidentEvents } = await setup();
    const { report } = await service.create(request(), [], 'public', { source: 'web' });
    const incident = await store.incidents.create(newIncident());
    const linked = await service.linkIncident(report.id, incident.id, 'bob');
    expect(linked.incidentIds).toEqual([incident.id]);
    expect(linked.updatedAt).toBe(T0);
    const after = await store.incidents.get(incident.id);
    expect(after!.linked).toEqual([{ type: 'report', id: report.id, summary: 'Citizen report 1001: Pothole (Open)', at: T0, linkedBy: 'bob' }]);
    expect((await trail(store, report.id)).map((a) => a.action)).toEqual(['report.create', 'report.link']);
    expect((await store.audit.list({ entityType: 'incident', entityId: incident.id })).map((a) => a.action)).toEqual(['incident.link']);
    expect(incidentEvents.map((e) => e.change)).toEqual(['updated']);
    // again: nothing changes
    await service.linkIncident(report.id, incident.id, 'bob');
    expect(incidentEvents).toHaveLength(1);
    expect((await rejection(service.linkIncident(report.id, 'INC-404404', 'bob'))).httpStatus).toBe(404);
  });

  it('a throwing listener is logged and the others still run', async () => {
    const { service, lines, events } = await setup();
    service.onChange(function broken() {
      throw new Error('boom');
    });
    await service.create(request(), [], 'public', { source: 'web' });
    expect(events).toHaveLength(1);
    expect(lines.some((l) => l.level === 'error' && l.msg === 'report change listener failed' && l.fields?.listener === 'broken')).toBe(true);
  });
});

describe('ReportService.suggestDuplicates', () => {
  it('open reports of the same service within the radius and window, nearest first', async () => {
    const { service, clock } = await setup();
    const at = (lat: number, lon: number, over: Partial<NewServiceRequest> = {}) => service.create(request({ position: { lat, lon }, ...over }), [], 'public', { source: 'web' });
    const here = { lat: 41.8819, lon: -87.6278 };
    clock.now = T0 - 8 * 24 * HOUR;
    await at(41.8819, -87.6278); // 1001: too old
    clock.now = T0 - HOUR;
    const near = (await at(41.8823, -87.6278)).report; // 1002: ~44 m north
    const nearest = (await at(41.882, -87.6279)).report; // 1003: ~14 m
    await at(41.8819, -87.6278, { serviceCode: '002', category: 'lighting', attributes: {} }); // 1004: other service
    const far = (await at(41.8835, -87.6278)).report; // 1005: ~178 m
    const closed = (await at(41.8819, -87.6278)).report; // 1006: fixed below
    await service.setStatus(closed.id, 'fixed', undefined, 'bob');
    clock.now = T0;
    const found = await service.suggestDuplicates('001', here);
    expect(found.map((s) => [s.report.id, s.distanceM])).toEqual([
      [nearest.id, 14],
      [near.id, 44],
    ]);
    expect((await service.suggestDuplicates('001', here, { radiusM: 200 })).map((s) => s.report.id)).toEqual([nearest.id, near.id, far.id]);
    expect((await service.suggestDuplicates('001', here, { excludeId: nearest.id })).map((s) => s.report.id)).toEqual([near.id]);
    expect(await service.suggestDuplicates('001', here, { windowMs: 30 * 60_000 })).toEqual([]);
  });
});
