// Citizen reports on the operators' live link, against the real dashboard: a socket.io client logged
// in as an operator gets the `reports` snapshot on the `/ops` namespace, then a report submitted
// through the city's form arrives as `created` and an operator's status change as `updated`, neither
// carrying the reporter's contact.
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import type { LiveReport, OperatorReportDetail, ReportCreatedResponse, ReportEventsToClient } from '@city/shared/reports';
import { track } from '../../../test/support/teardown.ts';
import { login, startStack, waitFor } from './support/stack.ts';

const ADMIN = { username: 'chief', password: 'correct horse battery' };
const OPERATOR = { username: 'olga', password: 'operator password 1' };
const LOOP = { lat: '41.8819', long: '-87.6278' };
const CONTACT = { email: 'jane@example.org', phone: '+13125550100', first_name: 'Jane', last_name: 'Doe' };

async function submit(base: string, fields: Record<string, string>): Promise<string> {
  const body = new FormData();
  for (const [key, value] of Object.entries({ service_code: '002', ...LOOP, ...fields })) body.append(key, value);
  const res = await fetch(`${base}/api/reports`, { method: 'POST', body });
  expect(res.status).toBe(201);
  return ((await res.json()) as ReportCreatedResponse).service_request_id;
}

const opsSocket = (base: string, cookie: string) =>
  track(io(`${base}/ops`, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie } }) as Socket<ReportEventsToClient>, (s) => s.close());

describe('reports on /ops', () => {
  it('a snapshot on connect, then each report created and updated, none with the reporter contact', async () => {
    const stack = await startStack({ RULES_ENGINE: 'false', ADMIN_USER: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, REPORTS_POST_RATE_PER_MIN: '1000' });
    const admin = await login(stack.base, ADMIN.username, ADMIN.password);
    expect((await admin.call('POST', '/api/users', { username: OPERATOR.username, password: OPERATOR.password, role: 'operator' })).status).toBe(201);
    const earlier = await submit(stack.base, { description: 'Streetlight out on the corner', ...CONTACT });
    const operator = await login(stack.base, OPERATOR.username, OPERATOR.password);

    const ops = opsSocket(stack.base, operator.cookie);
    const events: { change: string; report: LiveReport }[] = [];
    ops.on('report', (p) => events.push(p));
    const snapshot = await new Promise<LiveReport[]>((resolve) => ops.once('reports', (p) => resolve(p.reports)));
    expect(snapshot.map((r) => r.id)).toEqual([earlier]);
    expect(snapshot[0]).toMatchObject({ status: 'open', serviceCode: '002', description: 'Streetlight out on the corner', source: 'web' });

    const id = await submit(stack.base, { description: 'Second light out', ...CONTACT });
    const created = await waitFor('created pushed', () => events.find((e) => e.report.id === id && e.change === 'created'));
    expect(created.report).toMatchObject({ id, status: 'open', description: 'Second light out' });

    expect((await operator.call('POST', `/api/reports/${id}/status`, { status: 'in_progress', note: 'Crew on the way' })).status).toBe(200);
    const updated = await waitFor('updated pushed', () => events.find((e) => e.report.id === id && e.change === 'updated'));
    expect(updated.report).toMatchObject({ id, status: 'in_progress', statusLabel: 'In progress', statusNotes: 'Crew on the way' });

    // contact stays in the REST detail for operators, never on the socket
    const detail = (await operator.call<OperatorReportDetail>('GET', `/api/reports/${id}`)).body;
    expect(detail.reporter).toMatchObject({ email: CONTACT.email, phone: CONTACT.phone });
    for (const pushed of [...snapshot, ...events.map((e) => e.report)]) {
      expect(pushed).not.toHaveProperty('reporter');
      const text = JSON.stringify(pushed);
      for (const value of Object.values(CONTACT)) expect(text).not.toContain(value);
    }

    // a reconnecting client gets the report as it is now
    const again = opsSocket(stack.base, operator.cookie);
    const second = await new Promise<LiveReport[]>((resolve) => again.once('reports', (p) => resolve(p.reports)));
    expect(second.map((r) => [r.id, r.status])).toEqual([
      [id, 'in_progress'],
      [earlier, 'open'],
    ]);
  });

  it('lets the dashboard stop while an operator holds /ops on a connection of its own and keeps reconnecting', async () => {
    const stack = await startStack({ RULES_ENGINE: 'false', ADMIN_USER: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
    const admin = await login(stack.base, ADMIN.username, ADMIN.password);
    // as a browser may hold it: /ops alone on its engine connection, reconnecting as socket.io-client does
    const ops = track(
      io(`${stack.base}/ops`, { transports: ['websocket'], forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 100, extraHeaders: { cookie: admin.cookie } }),
      (s) => s.close(),
    );
    await new Promise((resolve) => ops.once('reports', resolve));
    const gone = new Promise<string>((resolve) => ops.once('disconnect', resolve));
    const t0 = Date.now();
    const stopped = await Promise.race([stack.dashboard.stop().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still stopping after 10 s'), 10_000))]);
    expect(stopped).toBe('stopped');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(['io server disconnect', 'transport close']).toContain(await gone);
  });

  it('refuses a socket without a session', async () => {
    const stack = await startStack({ RULES_ENGINE: 'false' });
    const ops = track(io(`${stack.base}/ops`, { transports: ['websocket'], reconnection: false }) as Socket<ReportEventsToClient>, (s) => s.close());
    const error = await new Promise<Error>((resolve) => ops.once('connect_error', resolve));
    expect(error.message).toBe('login required');
  });
});
