// Who hears about a report change and what they are told: pure functions, no I/O.
import { describe, expect, it } from 'vitest';
import {
  citizenEventKind,
  citizenMessages,
  reminderMessage,
  responsibleOperator,
  SMS_MAX_CHARS,
  type MessageContext,
  type ReportSummary,
} from '../../src/notify/messages.ts';

const T0 = Date.UTC(2026, 10, 28, 15, 0, 0);
const HOUR = 3_600_000;
const BOTH: MessageContext = { publicUrl: 'https://city.example', timeZone: 'America/Chicago', channels: new Set(['email', 'sms']) };
const report = (over: Partial<ReportSummary> = {}): ReportSummary => ({
  id: '1001',
  serviceName: 'Pothole',
  status: 'in_progress',
  requestedAt: T0,
  expectedAt: T0 + 168 * HOUR,
  reporter: { email: 'ada@example.org', phone: '+13125550100' },
  ...over,
});

describe('citizenEventKind', () => {
  it.each([
    ['report.status', 'update'],
    ['report.note', 'update'],
    ['report.duplicate', 'update'],
    ['report.expected', 'expected'],
    ['report.internal-note', undefined],
    ['report.link', undefined],
    ['report.create', undefined],
  ])('%s -> %s', (action, kind) => {
    expect(citizenEventKind(action)).toBe(kind);
  });
});

describe('citizenMessages', () => {
  it('a status change with a note: an email with the label, the note, the link and why, and a short SMS', () => {
    const [email, sms] = citizenMessages(report(), { kind: 'update', updateId: '7', status: 'in_progress', note: 'Crew booked for Monday.' }, BOTH);
    expect(email).toMatchObject({ reportId: '1001', kind: 'update', audience: 'citizen', channel: 'email', recipient: 'ada@example.org', subject: 'Your report 1001 (Pothole): In progress', dedupeKey: 'update:7:email' });
    expect(email!.body).toContain('Status: In progress');
    expect(email!.body).toContain('Crew booked for Monday.');
    expect(email!.body).toContain('https://city.example/report/status/1001');
    expect(email!.body).toContain('28 Nov 2026');
    expect(email!.body).toMatch(/because you gave this email address/);
    expect(sms).toMatchObject({ channel: 'sms', recipient: '+13125550100', dedupeKey: 'update:7:sms' });
    expect(sms!.body).toBe('City report 1001 (Pothole): In progress. Crew booked for Monday. https://city.example/report/status/1001');
    expect(sms).not.toHaveProperty('subject');
  });

  it('a long note is clipped in the SMS, never the link', () => {
    const [, sms] = citizenMessages(report(), { kind: 'update', updateId: '8', status: 'fixed', note: 'word '.repeat(200) }, BOTH);
    expect(sms!.body.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    expect(sms!.body).toMatch(/… https:\/\/city\.example\/report\/status\/1001$/);
  });

  it('the expected date moved: "now expected by" in the city time zone', () => {
    const [email, sms] = citizenMessages(report(), { kind: 'expected', expectedAt: Date.UTC(2026, 10, 30, 20, 5) }, BOTH);
    expect(email!.subject).toBe('Your report 1001 (Pothole): now expected by Mon, 30 Nov 2026, 14:05 (America/Chicago)');
    expect(email!.dedupeKey).toBe(`expected:1001:${Date.UTC(2026, 10, 30, 20, 5)}:email`);
    expect(sms!.body).toContain('now expected by Mon, 30 Nov 2026, 14:05');
  });

  it('only the channels that are on and the contact given', () => {
    const emailOnly: MessageContext = { ...BOTH, channels: new Set(['email']) };
    expect(citizenMessages(report(), { kind: 'update', updateId: '1', status: 'fixed' }, emailOnly).map((m) => m.channel)).toEqual(['email']);
    expect(citizenMessages(report({ reporter: { phone: '+1312' } }), { kind: 'update', updateId: '1', status: 'fixed' }, BOTH).map((m) => m.channel)).toEqual(['sms']);
    expect(citizenMessages(report({ reporter: {} }), { kind: 'update', updateId: '1', status: 'fixed' }, BOTH)).toEqual([]);
  });

  it('a duplicate tells which report to follow', () => {
    const [email] = citizenMessages(report(), { kind: 'update', updateId: '9', status: 'duplicate', note: 'Already reported as report 1000: follow that report for updates.' }, BOTH);
    expect(email!.subject).toBe('Your report 1001 (Pothole): Duplicate');
    expect(email!.body).toContain('Already reported as report 1000');
  });
});

describe('responsibleOperator', () => {
  const operators = new Set(['bob', 'carol']);
  const isOperator = (name: string) => operators.has(name);

  it('the assignee of the most recently linked active incident', () => {
    const incidents = [
      { id: 'INC-000001', status: 'in_progress', assignee: 'carol' },
      { id: 'INC-000002', status: 'acknowledged', assignee: 'bob' },
      { id: 'INC-000003', status: 'resolved', assignee: 'carol' },
    ];
    expect(responsibleOperator({ incidents, audit: [{ actor: 'carol' }], isOperator })).toEqual({ username: 'bob', reason: 'you are assigned to incident INC-000002, which this report is linked to' });
  });

  it('else the operator who last acted on the report, skipping citizens, clients and unknown users', () => {
    const audit = [{ actor: 'report-sync' }, { actor: 'carol' }, { actor: 'bob' }, { actor: 'public' }];
    expect(responsibleOperator({ incidents: [{ id: 'INC-000001', status: 'open' }], audit, isOperator })).toEqual({ username: 'carol', reason: 'you were the last operator to act on this report' });
  });

  it('nobody when no operator acted', () => {
    expect(responsibleOperator({ incidents: [], audit: [{ actor: 'public' }, { actor: 'open311:key-1' }], isOperator })).toBeUndefined();
  });
});

describe('reminderMessage', () => {
  it('an email to the operator with the status, the time left and why; never the reporter', () => {
    const expectedAt = T0 + 20 * HOUR;
    const m = reminderMessage({ ...report({ status: 'open' }), expectedAt }, { email: 'bob@city.example', reason: 'you were the last operator to act on this report' }, BOTH, T0);
    expect(m).toMatchObject({ kind: 'reminder', audience: 'operator', channel: 'email', recipient: 'bob@city.example', dedupeKey: `reminder:1001:${expectedAt}` });
    expect(m.subject).toBe('Reminder: report 1001 (Pothole) expected by Sun, 29 Nov 2026, 05:00 (America/Chicago)');
    expect(m.body).toContain('is still "Open"');
    expect(m.body).toContain('in about 20 h');
    expect(m.body).toContain('because you were the last operator to act on this report');
    expect(m.body).not.toMatch(/ada@example\.org|\+13125550100/);
  });
});
