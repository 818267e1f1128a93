// Who hears about a change to a citizen report, and what the message says. Pure: no I/O.
//
// - The citizen who left an email and/or phone number: on every public update (a status change, a
//   public note, being closed as a duplicate) and when the expected date moves while the report is
//   open. Internal notes and incident links are not public: nothing is sent. Creating a report sends
//   nothing (the form and the Open311 answer already give the receipt and the status page).
// - The responsible operator (responsibleOperator): one reminder by email before the expected time of
//   a report that is still open.
//
// A message carries the report's number, service, status label, the public note, the link to the
// public status page and why the recipient gets it; never another person's data (no operator names,
// no other reporter, not the citizen's contact in an operator's reminder).
import { REPORT_STATUS_LABELS, type ReportStatus } from '@city/shared';
import type { NewNotification, NotificationChannel } from '../ops/notifications.ts';
import { statusUrl } from '../core/report-views.ts';

/** What the citizen is told about. */
export type CitizenEvent =
  /** a public update row: the status after it and its public text */
  | { kind: 'update'; updateId: string; status: ReportStatus; note?: string }
  | { kind: 'expected'; expectedAt: number };

/** The parts of a report messages use. */
export interface ReportSummary {
  id: string;
  serviceName: string;
  status: ReportStatus;
  /** epoch ms */
  requestedAt: number;
  expectedAt?: number;
  reporter: { email?: string; phone?: string };
}

export interface MessageContext {
  /** NOTIFY_PUBLIC_URL without a trailing slash */
  publicUrl: string;
  /** IANA time zone dates are written in */
  timeZone: string;
  /** the channels that are on */
  channels: ReadonlySet<NotificationChannel>;
}

/** An SMS stays within two segments' worth of text. */
export const SMS_MAX_CHARS = 300;

/** What an audit action of ReportService means for the citizen: an update, the expected date, or nothing. */
export function citizenEventKind(action: string): CitizenEvent['kind'] | undefined {
  switch (action) {
    case 'report.status':
    case 'report.note':
    case 'report.duplicate':
      return 'update';
    case 'report.expected':
      return 'expected';
    default:
      // report.create, report.internal-note, report.link: nothing the public sees changed
      return undefined;
  }
}

export const reportLink = (publicUrl: string, reportId: string) => `${publicUrl}${statusUrl(reportId)}`;

/** "Mon, 30 Nov 2026, 14:00 (America/Chicago)" */
export function formatWhen(ms: number, timeZone: string): string {
  const text = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
  return `${text} (${timeZone})`;
}

/** "30 Nov 2026" */
export const formatDay = (ms: number, timeZone: string): string => new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short', year: 'numeric' }).format(ms);

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1)).trimEnd()}…`);
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The messages one event sends the reporter: one per channel that is on and that they gave; none without contact. */
export function citizenMessages(report: ReportSummary, event: CitizenEvent, ctx: MessageContext): NewNotification[] {
  const link = reportLink(ctx.publicUrl, report.id);
  const what = `report ${report.id} (${report.serviceName})`;
  const made = formatDay(report.requestedAt, ctx.timeZone);
  let subject: string;
  let lines: string[];
  let sms: string;
  let key: string;
  if (event.kind === 'update') {
    const label = REPORT_STATUS_LABELS[event.status];
    subject = `Your ${what}: ${label}`;
    lines = [`There is news about the report you made on ${made}: ${report.serviceName}.`, '', `Status: ${label}`];
    if (event.note !== undefined) lines.push('', 'Note from the city:', event.note);
    const head = `City ${what}: ${label}.`;
    const note = event.note !== undefined ? ` ${oneLine(event.note)}` : '';
    sms = `${head}${clip(note, SMS_MAX_CHARS - head.length - link.length - 1)} ${link}`;
    key = `update:${event.updateId}`;
  } else {
    const when = formatWhen(event.expectedAt, ctx.timeZone);
    subject = `Your ${what}: now expected by ${when}`;
    lines = [`The city has changed when it expects to deal with the report you made on ${made}: ${report.serviceName}.`, '', `Now expected by: ${when}`];
    sms = `City ${what}: now expected by ${when}. ${link}`;
    key = `expected:${report.id}:${event.expectedAt}`;
  }
  const footer = (channel: string) => ['', `Follow it here: ${link}`, '', `You get this because you gave this ${channel} when you made the report. It is used only for news about this report.`];
  const out: NewNotification[] = [];
  const kind = event.kind;
  if (report.reporter.email && ctx.channels.has('email')) {
    out.push({ reportId: report.id, kind, audience: 'citizen', channel: 'email', recipient: report.reporter.email, subject, body: ['Hello,', '', ...lines, ...footer('email address')].join('\n'), dedupeKey: `${key}:email` });
  }
  if (report.reporter.phone && ctx.channels.has('sms')) {
    out.push({ reportId: report.id, kind, audience: 'citizen', channel: 'sms', recipient: report.reporter.phone, body: sms, dedupeKey: `${key}:sms` });
  }
  return out;
}

/** Who a reminder goes to, and why (told in the message). */
export interface Responsible {
  username: string;
  reason: string;
}

export interface ResponsibilityInput {
  /** the report's linked incidents, oldest link first */
  incidents: readonly { id: string; status: string; assignee?: string }[];
  /** the report's audit rows, newest first */
  audit: readonly { actor: string }[];
  /** an enabled operator or admin (not a viewer, not a citizen or an Open311 client) */
  isOperator: (username: string) => boolean;
}

const ACTIVE_INCIDENT = new Set(['open', 'acknowledged', 'in_progress']);

/**
 * The responsible operator of a report: the assignee of the most recently linked active incident
 * (whoever is working on the cause); else the operator who last acted on the report (status, note,
 * expected date, link); else nobody (no operator has touched it yet: the desk address gets it).
 */
export function responsibleOperator(input: ResponsibilityInput): Responsible | undefined {
  for (const incident of [...input.incidents].reverse()) {
    if (ACTIVE_INCIDENT.has(incident.status) && incident.assignee !== undefined && input.isOperator(incident.assignee)) {
      return { username: incident.assignee, reason: `you are assigned to incident ${incident.id}, which this report is linked to` };
    }
  }
  const last = input.audit.find((entry) => input.isOperator(entry.actor));
  return last ? { username: last.actor, reason: 'you were the last operator to act on this report' } : undefined;
}

/** The reminder before the expected time; to an operator's or the desk's address (email only). */
export function reminderMessage(report: ReportSummary & { expectedAt: number }, to: { email: string; reason: string }, ctx: Pick<MessageContext, 'publicUrl' | 'timeZone'>, nowMs: number): NewNotification {
  const when = formatWhen(report.expectedAt, ctx.timeZone);
  const hours = Math.max(0, Math.round((report.expectedAt - nowMs) / 3_600_000));
  const label = REPORT_STATUS_LABELS[report.status];
  const body = [
    `Report ${report.id} (${report.serviceName}) is still "${label}".`,
    `The reporter was told to expect it dealt with by ${when}, in about ${hours} h.`,
    '',
    'Update its status, or move the expected date (the reporter is told), in the operator desk.',
    `What the public sees: ${reportLink(ctx.publicUrl, report.id)}`,
    '',
    `You get this reminder because ${to.reason}.`,
  ].join('\n');
  return {
    reportId: report.id,
    kind: 'reminder',
    audience: 'operator',
    channel: 'email',
    recipient: to.email,
    subject: `Reminder: report ${report.id} (${report.serviceName}) expected by ${when}`,
    body,
    dedupeKey: `reminder:${report.id}:${report.expectedAt}`,
  };
}
