// Reports and incidents near each other are linked, end to end: a water-level sensor over its threshold
// through the real broker raises an incident next to a flooding report from the city's form, which
// the incident gathers; a report made afterwards next to the active incident joins it. Both sides
// record the link, audited as 'fusion'.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Incident, IncidentDetail } from '@city/shared';
import type { OperatorReportDetail, ReportCreatedResponse } from '@city/shared/reports';
import { tmpDir } from '../../../test/support/tmp.ts';
import { connectMqtt, login, startStack, waitFor } from './support/stack.ts';

const ADMIN = { username: 'chief', password: 'correct horse battery' };
const UNDERPASS = { lat: 41.8789, lon: -87.6359 };

const RULES_YAML = `
version: 1
rules:
  - id: water-high
    type: threshold
    title: Water level high
    metric: water_level_cm
    above: 100
    clearAt: 80
    forMs: 1000
    severity: major
    category: flooding
`;

async function newReport(base: string, serviceCode: string, metresNorth: number, extra: Record<string, string> = {}): Promise<string> {
  const body = new FormData();
  const fields = { service_code: serviceCode, lat: String(UNDERPASS.lat + metresNorth / 111_320), long: String(UNDERPASS.lon), description: 'Water over the sidewalk', ...extra };
  for (const [key, value] of Object.entries(fields)) body.append(key, value);
  const res = await fetch(`${base}/api/reports`, { method: 'POST', body });
  expect(res.status).toBe(201);
  return ((await res.json()) as ReportCreatedResponse).service_request_id;
}

describe('report fusion', () => {
  it('a rule incident gathers the related reports nearby; a later report nearby joins the active incident', async () => {
    const rulesFile = join(tmpDir('rules-'), 'rules.yaml');
    writeFileSync(rulesFile, RULES_YAML);
    const stack = await startStack({ RULES_FILE: rulesFile, RULES_TICK_MS: '200', ADMIN_USER: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, REPORTS_POST_RATE_PER_MIN: '1000', FUSION_RADIUS_M: '300' });
    const admin = await login(stack.base, ADMIN.username, ADMIN.password);

    const flooding = await newReport(stack.base, '004', 40);
    const pothole = await newReport(stack.base, '001', 30, { 'attribute[size]': 'large' }); // unrelated problem
    const farAway = await newReport(stack.base, '004', 900);

    const { secret } = await stack.registry.add({ id: 'wl-1', kind: 'water_level', position: UNDERPASS });
    const device = await connectMqtt(stack.mqttUrl, { clientId: 'wl-1', username: 'wl-1', password: secret });
    const t0 = Date.now() - 4000;
    for (let i = 0; i <= 3; i++) {
      await device.publishAsync('city/sensors/wl-1/up', JSON.stringify({ observedAt: t0 + i * 1000, metrics: { water_level_cm: 120 + i } }), { qos: 1 });
    }
    const incident = await waitFor('the flooding incident', async () =>
      (await admin.call<{ incidents: Incident[] }>('GET', '/api/incidents')).body.incidents.find((i) => i.deviceId === 'wl-1'),
    );
    const reportLinks = async () => (await admin.call<IncidentDetail>('GET', `/api/incidents/${incident.id}`)).body.linked.filter((l) => l.type === 'report');
    await waitFor('the nearby flooding report gathered', async () => ((await reportLinks()).length > 0 ? true : undefined));

    const later = await newReport(stack.base, '004', -60);
    await waitFor('the new report joins the incident', async () => ((await reportLinks()).length === 2 ? true : undefined));
    expect((await reportLinks()).map((l) => [l.id, l.linkedBy])).toEqual([
      [flooding, 'fusion'],
      [later, 'fusion'],
    ]);

    for (const id of [flooding, later]) {
      const detail = (await admin.call<OperatorReportDetail>('GET', `/api/reports/${id}`)).body;
      expect(detail.incidentIds).toEqual([incident.id]);
      expect(detail.timeline.map((e) => [e.action, e.actor])).toContainEqual(['report.link', 'fusion']);
    }
    for (const id of [pothole, farAway]) expect((await admin.call<OperatorReportDetail>('GET', `/api/reports/${id}`)).body.incidentIds).toEqual([]);
    const timeline = (await admin.call<IncidentDetail>('GET', `/api/incidents/${incident.id}`)).body.timeline;
    expect(timeline.filter((e) => e.action === 'incident.link').map((e) => e.actor)).toEqual(['fusion', 'fusion']);

    expect(await (await fetch(`${stack.base}/metrics`)).text()).toContain('city_report_fusion_total{result="linked"} 2');

    // and the gathered reports follow the incident
    expect((await admin.call('POST', `/api/incidents/${incident.id}/start`, {})).status).toBe(200);
    await waitFor('reports in progress', async () => {
      const statuses = await Promise.all([flooding, later].map(async (id) => (await admin.call<OperatorReportDetail>('GET', `/api/reports/${id}`)).body.status));
      return statuses.every((s) => s === 'in_progress') ? true : undefined;
    });
  });
});
