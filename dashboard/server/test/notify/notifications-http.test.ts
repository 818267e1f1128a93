// Notifications end to end against real servers: the dashboard (startStack) with NOTIFY_* pointing at
// an SMTP server (smtp-server) and an HTTP SMS gateway on loopback. A citizen report made through the
// city's form with an email and a phone; an operator changes it over the API; the mail and the SMS
// arrive; failed attempts are retried and recorded; reminders reach the responsible operator.
import { describe, expect, it } from 'vitest';
import { login, startStack, waitFor, sleep, type OperatorClient, type Stack } from '../support/stack.ts';
import type { NotificationView } from '../../src/notify/index.ts';
import { startSmsGateway, startSmtpSink, type SmsGateway, type SmtpSink } from './servers.ts';

const ADMIN = { username: 'chief', password: 'correct horse battery' };
const LOOP = { lat: '41.8819', long: '-87.6278' };
const PUBLIC_URL = 'https://city.example';
const HOUR = 3_600_000;

interface Setup {
  stack: Stack;
  smtp: SmtpSink;
  gateway: SmsGateway;
  admin: OperatorClient;
}

async function setup(env: Record<string, string> = {}): Promise<Setup> {
  const smtp = await startSmtpSink();
  const gateway = await startSmsGateway();
  const stack = await startStack({
    ADMIN_USER: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    NOTIFY_SMTP_URL: smtp.url,
    NOTIFY_EMAIL_FROM: 'City reports <reports@city.example>',
    NOTIFY_SMS_URL: gateway.url,
    NOTIFY_SMS_AUTH: 'Bearer gateway-token-123',
    NOTIFY_SMS_BODY_TEMPLATE: '{"to":"{{to}}","text":"{{text}}","sender":"CITY"}',
    NOTIFY_PUBLIC_URL: PUBLIC_URL,
    NOTIFY_TICK_MS: '20',
    NOTIFY_RETRY_BASE_MS: '50',
    NOTIFY_MAX_ATTEMPTS: '3',
    ...env,
  });
  const admin = await login(stack.base, ADMIN.username, ADMIN.password);
  return { stack, smtp, gateway, admin };
}

/** A report through the city's form; returns its id. */
async function report(base: string, fields: Record<string, string>): Promise<string> {
  const body = new FormData();
  for (const [key, value] of Object.entries({ service_code: '001', ...LOOP, description: 'Deep hole by the bus stop', 'attribute[size]': 'medium', ...fields })) body.append(key, value);
  const res = await fetch(`${base}/api/reports`, { method: 'POST', body });
  const answer = (await res.json()) as { service_request_id: string };
  expect(res.status, JSON.stringify(answer)).toBe(201);
  return answer.service_request_id;
}

const rows = async (admin: OperatorClient, id: string) => {
  const res = await admin.call<{ notifications: NotificationView[] }>('GET', `/api/reports/${id}/notifications`);
  expect(res.status).toBe(200);
  return res.body.notifications;
};

describe('notifications to citizens', () => {
  it('a status change with a note: the mail and the SMS arrive; GET .../notifications shows them sent', async () => {
    const { stack, smtp, gateway, admin } = await setup();
    const id = await report(stack.base, { email: 'ada@example.org', phone: '+13125550100' });
    // making the report sends nothing
    await sleep(100);
    expect(smtp.mails).toEqual([]);
    expect(gateway.requests).toEqual([]);

    expect((await admin.call('POST', `/api/reports/${id}/status`, { status: 'in_progress', note: 'Crew booked for Monday.' })).status).toBe(200);
    const mail = await waitFor('the mail', () => smtp.mails[0]);
    expect(mail.to).toEqual(['ada@example.org']);
    expect(mail.from).toBe('reports@city.example');
    expect(mail.subject).toBe(`Your report ${id} (Pothole): In progress`);
    expect(mail.text).toContain('Status: In progress');
    expect(mail.text).toContain('Crew booked for Monday.');
    expect(mail.text).toContain(`${PUBLIC_URL}/report/status/${id}`);

    const sms = await waitFor('the SMS', () => gateway.requests[0]);
    expect(sms.headers.authorization).toBe('Bearer gateway-token-123');
    expect(sms.headers['content-type']).toBe('application/json');
    expect(sms.json).toEqual({ to: '+13125550100', text: `City report ${id} (Pothole): In progress. Crew booked for Monday. ${PUBLIC_URL}/report/status/${id}`, sender: 'CITY' });

    const sent = await waitFor('both rows sent', async () => {
      const list = await rows(admin, id);
      return list.length === 2 && list.every((r) => r.status === 'sent') && list;
    });
    expect(sent.map((r) => [r.channel, r.recipient, r.attempts])).toEqual([
      ['email', 'ada@example.org', 1],
      ['sms', '+13125550100', 1],
    ]);
    expect(sent[0]!.providerResponse).toMatch(/^250 /);
    expect(sent[1]!.providerResponse).toMatch(/^HTTP 200: .*"accepted":true/);
    expect(sent[0]).not.toHaveProperty('dedupeKey');

    const metrics = await (await fetch(`${stack.base}/metrics`)).text();
    expect(metrics).toContain('city_notifications_sent_total{channel="email"} 1');
    expect(metrics).toContain('city_notifications_sent_total{channel="sms"} 1');
  });

  it('an internal note sends nothing, nor a change to a report without contact; a public note does', async () => {
    const { stack, smtp, gateway, admin } = await setup();
    const id = await report(stack.base, { email: 'ada@example.org' });
    const anonymous = await report(stack.base, {});
    expect((await admin.call('POST', `/api/reports/${id}/notes`, { text: 'Caller sounded upset', public: false })).status).toBe(200);
    expect((await admin.call('POST', `/api/reports/${anonymous}/status`, { status: 'fixed' })).status).toBe(200);
    await sleep(200);
    expect(smtp.mails).toEqual([]);
    expect(await rows(admin, id)).toEqual([]);

    expect((await admin.call('POST', `/api/reports/${id}/notes`, { text: 'We are on it.', public: true })).status).toBe(200);
    const mail = await waitFor('the mail', () => smtp.mails[0]);
    expect(mail.subject).toBe(`Your report ${id} (Pothole): Open`);
    expect(mail.text).toContain('We are on it.');
    expect(mail.text).not.toContain('Caller sounded upset');
    expect(gateway.requests).toEqual([]);
  });

  it('the gateway failing twice then answering: retried with backoff, sent after 3 attempts', async () => {
    const { stack, gateway, admin } = await setup();
    gateway.script.set('+13125550111', [500, 503, 200]);
    const id = await report(stack.base, { phone: '+13125550111' });
    await admin.call('POST', `/api/reports/${id}/status`, { status: 'investigating' });
    const [row] = await waitFor('the row sent', async () => {
      const list = await rows(admin, id);
      return list[0]?.status === 'sent' && list;
    });
    expect(row).toMatchObject({ channel: 'sms', status: 'sent', attempts: 3, lastError: 'SMS gateway answered HTTP 503: {"error":"gateway trouble"}' });
    expect(gateway.requests).toHaveLength(3);
    // the second attempt waited at least the base delay, the third twice that (50, 100 ms)
    expect(row!.sentAt! - row!.createdAt).toBeGreaterThanOrEqual(150);
  });

  it('a gateway that always fails: the row fails after NOTIFY_MAX_ATTEMPTS and is counted', async () => {
    const { stack, gateway, admin } = await setup();
    gateway.script.set('+13125550122', [500]);
    const id = await report(stack.base, { phone: '+13125550122' });
    await admin.call('POST', `/api/reports/${id}/status`, { status: 'investigating' });
    const [row] = await waitFor('the row failed', async () => {
      const list = await rows(admin, id);
      return list[0]?.status === 'failed' && list;
    });
    expect(row).toMatchObject({ status: 'failed', attempts: 3, lastError: 'SMS gateway answered HTTP 500: {"error":"gateway trouble"}' });
    expect(row).not.toHaveProperty('nextAttemptAt');
    await sleep(200);
    expect(gateway.requests).toHaveLength(3);
    expect(await (await fetch(`${stack.base}/metrics`)).text()).toContain('city_notifications_failed_total{channel="sms"} 1');
  });

  it('an SMTP server refusing the recipient: the reply is recorded as the error', async () => {
    const { stack, smtp, admin } = await setup({ NOTIFY_MAX_ATTEMPTS: '2' });
    smtp.refuse.add('gone@example.org');
    const id = await report(stack.base, { email: 'gone@example.org' });
    await admin.call('POST', `/api/reports/${id}/status`, { status: 'investigating' });
    const [row] = await waitFor('the row failed', async () => {
      const list = await rows(admin, id);
      return list[0]?.status === 'failed' && list;
    });
    expect(row).toMatchObject({ channel: 'email', attempts: 2 });
    expect(row!.lastError).toMatch(/^SMTP: .*550.*mailbox gone@example\.org unavailable/);
    expect(smtp.mails).toEqual([]);
  });

  it('an SMS gateway that is down: the reason is recorded', async () => {
    const { stack, admin } = await setup({ NOTIFY_SMS_URL: 'http://127.0.0.1:9/send', NOTIFY_MAX_ATTEMPTS: '1' });
    const id = await report(stack.base, { phone: '+13125550133' });
    await admin.call('POST', `/api/reports/${id}/status`, { status: 'investigating' });
    const [row] = await waitFor('the row failed', async () => {
      const list = await rows(admin, id);
      return list[0]?.status === 'failed' && list;
    });
    expect(row!.lastError).toMatch(/^SMS gateway unreachable: /);
  });
});

describe('expected date and reminders', () => {
  it('moving the expected date tells the citizen; within the window the responsible operator is reminded once', async () => {
    const { stack, smtp, admin } = await setup({ NOTIFY_REMINDER_BEFORE_MS: String(6 * HOUR) });
    await stack.dashboard.ops.notifications.setOperatorEmail(ADMIN.username, 'chief@city.example');
    const id = await report(stack.base, { email: 'ada@example.org' });
    const expectedAt = Date.now() + 2 * HOUR;
    expect((await admin.call('POST', `/api/reports/${id}/expected`, { expectedAt: new Date(expectedAt).toISOString() })).status).toBe(200);

    await waitFor('two mails', () => smtp.mails.length >= 2);
    await sleep(200);
    const toCitizen = smtp.mails.filter((m) => m.to[0] === 'ada@example.org');
    const toOperator = smtp.mails.filter((m) => m.to[0] === 'chief@city.example');
    expect(toCitizen).toHaveLength(1);
    expect(toCitizen[0]!.subject).toMatch(new RegExp(`^Your report ${id} \\(Pothole\\): now expected by `));
    expect(toOperator).toHaveLength(1);
    expect(toOperator[0]!.subject).toMatch(new RegExp(`^Reminder: report ${id} \\(Pothole\\) expected by `));
    expect(toOperator[0]!.text).toContain('because you were the last operator to act on this report');
    expect(toOperator[0]!.text).not.toContain('ada@example.org');
    expect((await rows(admin, id)).map((r) => [r.kind, r.audience, r.status])).toEqual([
      ['expected', 'citizen', 'sent'],
      ['reminder', 'operator', 'sent'],
    ]);
  });

  it('without an operator email the desk address gets the reminder', async () => {
    const { stack, smtp, admin } = await setup({ NOTIFY_REMINDER_BEFORE_MS: String(6 * HOUR), NOTIFY_OPERATOR_EMAIL: 'desk@city.example' });
    const id = await report(stack.base, {});
    await admin.call('POST', `/api/reports/${id}/expected`, { expectedAt: new Date(Date.now() + HOUR).toISOString() });
    const mail = await waitFor('the reminder', () => smtp.mails[0]);
    expect(mail.to).toEqual(['desk@city.example']);
    expect(mail.text).toContain(`this is the desk address and ${ADMIN.username}, who is responsible for it, has no email set`);
  });
});

describe('GET /api/reports/{id}/notifications', () => {
  it('operators only; 404 for an unknown report', async () => {
    const { stack, admin } = await setup();
    const id = await report(stack.base, { email: 'ada@example.org' });
    expect((await fetch(`${stack.base}/api/reports/${id}/notifications`)).status).toBe(401);
    expect((await admin.call('POST', '/api/users', { username: 'vic', password: 'viewer horse battery', role: 'viewer' })).status).toBe(201);
    const viewer = await login(stack.base, 'vic', 'viewer horse battery');
    expect((await viewer.call('GET', `/api/reports/${id}/notifications`)).status).toBe(403);
    expect((await admin.call('GET', '/api/reports/9999/notifications')).status).toBe(404);
    expect((await admin.call('GET', `/api/reports/${id}/notifications`)).body).toEqual({ notifications: [] });
  });
});
