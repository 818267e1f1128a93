// Notifications about citizen reports: listens to ReportService, writes each message to the outbox
// (ops/notifications.ts) and a timer sends the due rows through their channel, recording every
// attempt. A failed attempt is retried after NOTIFY_RETRY_BASE_MS, then twice as long each time, up to
// NOTIFY_MAX_ATTEMPTS; then the row is failed and logged. Pending rows survive a restart. The same
// timer writes reminders to the responsible operator before a report's expected time.
//
// Several dashboards on one operations store (the scaled deployment) may all run it: a dispatcher
// claims each row just before sending it (claimDue, a lease of one send timeout plus a minute), so no
// two of them send the same row; a row whose dispatcher died mid-send goes out again once its lease
// ends. Each change is enqueued by the server that made it, reminders once per key.
import { REPORT_STATUSES, roleAtLeast, type Logger } from '@city/shared';
import { findService, isClosedStatus, type Catalogue } from '../open311/index.ts';
import type { OpsStore, ReportRecord, ReportService } from '../ops/index.ts';
import type { NewNotification, NotificationChannel, NotificationRecord } from '../ops/notifications.ts';
import type { DeliveryChannel } from './channel.ts';
import type { NotifyConfig } from './config.ts';
import { SmtpEmailChannel } from './email.ts';
import { citizenEventKind, citizenMessages, reminderMessage, responsibleOperator, type CitizenEvent, type MessageContext, type ReportSummary } from './messages.ts';
import { SmsGatewayChannel } from './sms.ts';

/** rows sent per pass; the next tick takes the rest */
/** how far back start() looks for changes whose messages a crash kept out of the outbox */
const CATCH_UP_MS = 3_600_000;
/** a claimed row stays its dispatcher's for one send timeout plus this */
const CLAIM_MARGIN_MS = 60_000;
const OPEN_STATUSES = REPORT_STATUSES.filter((s) => !isClosedStatus(s));
/** a reminder nobody could be found for is looked at again after this long (an operator may act, or set an email), ms */
const UNADDRESSED_RECHECK_MS = 60_000;
/** the report's newest audit rows looked at for who last acted on it */
const AUDIT_LOOKBACK = 100;

export interface NotifierContext {
  config: NotifyConfig;
  /** CITY_TIMEZONE: dates in messages */
  timeZone: string;
  catalogue: Catalogue;
  store: OpsStore;
  reports: ReportService;
  logger: Logger;
  /** the channels to send through; by default those the config turns on */
  channels?: DeliveryChannel[];
  /** epoch ms; Date.now by default */
  now?: () => number;
}

/** Exponential backoff: the wait after the nth failed attempt (n >= 1), ms. */
export const retryDelayMs = (baseMs: number, attempts: number): number => baseMs * 2 ** Math.max(0, attempts - 1);

export function channelsFromConfig(config: NotifyConfig): DeliveryChannel[] {
  const channels: DeliveryChannel[] = [];
  if (config.smtpUrl !== undefined) channels.push(new SmtpEmailChannel({ url: config.smtpUrl, from: config.emailFrom, timeoutMs: config.sendTimeoutMs }));
  if (config.smsUrl !== undefined) {
    channels.push(
      new SmsGatewayChannel({
        url: config.smsUrl,
        bodyTemplate: config.smsBodyTemplate,
        timeoutMs: config.sendTimeoutMs,
        ...(config.smsAuthorization !== undefined ? { authorization: config.smsAuthorization } : {}),
      }),
    );
  }
  return channels;
}

export class Notifier {
  private readonly config: NotifyConfig;
  private readonly store: OpsStore;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly channels: Map<NotificationChannel, DeliveryChannel>;
  private readonly messageContext: MessageContext;
  private readonly counters = new Map<string, number>();
  /** enqueue work started by listeners: stop() waits for it */
  private readonly pending = new Set<Promise<void>>();
  /** reminders with nobody to send them to yet -> when last looked at (epoch ms); logged once each */
  private readonly unaddressed = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(private readonly ctx: NotifierContext) {
    this.config = ctx.config;
    this.store = ctx.store;
    this.logger = ctx.logger;
    this.now = ctx.now ?? Date.now;
    this.channels = new Map((ctx.channels ?? channelsFromConfig(ctx.config)).map((c) => [c.name, c]));
    this.messageContext = { publicUrl: ctx.config.publicUrl, timeZone: ctx.timeZone, channels: new Set(this.channels.keys()) };
  }

  get enabled(): boolean {
    return this.channels.size > 0;
  }

  async start(): Promise<void> {
    if (!this.channels.has('email')) this.logger.info('email notifications off: NOTIFY_SMTP_URL not set');
    if (!this.channels.has('sms')) this.logger.info('SMS notifications off: NOTIFY_SMS_URL not set');
    if (!this.enabled) return;
    this.stopped = false;
    this.unsubscribe = this.ctx.reports.onChange((report, _change, action) => this.track(this.onReportChange(report, action)));
    await this.catchUp().catch((err) => this.logger.error('could not look for notifications a previous run missed', { err }));
    // rows left pending by the last run go out now
    this.kick();
  }

  /**
   * The outbox row of a change is written by the listener after the change committed: a crash in
   * between would lose that message. So at start the public updates and expected-date changes of the
   * last CATCH_UP_MS get their messages again; the outbox keeps one row per key, so what was written
   * is not written twice, only what is missing.
   */
  private async catchUp(): Promise<void> {
    const since = this.now() - CATCH_UP_MS;
    const cache = new Map<string, ReportRecord | undefined>();
    const reportOf = async (id: string) => {
      if (!cache.has(id)) cache.set(id, await this.store.reports.get(id));
      return cache.get(id);
    };
    let written = 0;
    for (const update of await this.store.reports.updates({ from: since, limit: 10_000 })) {
      const report = await reportOf(update.serviceRequestId);
      if (!report) continue;
      const event: CitizenEvent = { kind: 'update', updateId: update.id, status: update.status, ...(update.description !== undefined ? { note: update.description } : {}) };
      written += await this.enqueue(citizenMessages(this.summary(report), event, this.messageContext));
    }
    for (const moved of await this.store.audit.list({ entityType: 'report', action: 'report.expected', since, order: 'asc', limit: 5000 })) {
      const report = await reportOf(moved.entityId);
      // as the listener: only the date it has now, and only while it is open
      if (!report || report.expectedAt === undefined || isClosedStatus(report.status)) continue;
      written += await this.enqueue(citizenMessages(this.summary(report), { kind: 'expected', expectedAt: report.expectedAt }, this.messageContext));
    }
    if (written > 0) this.logger.warn('wrote notifications for changes a previous run committed but never queued (it stopped in between)', { written });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.pending]);
    await this.running;
    await Promise.all([...this.channels.values()].map((c) => c.close()));
  }

  /** Runs a pass now (or right after the running one), then keeps the tick. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.pass()
      .catch((err) => this.logger.error('notification pass failed', { err }))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.kick();
        } else {
          this.timer = setTimeout(() => this.kick(), this.config.tickMs);
        }
      });
  }

  /** One pass: write the reminders that are due, then send the due rows. */
  async pass(): Promise<void> {
    await this.writeReminders();
    await this.dispatch();
  }

  /** Prometheus text: messages sent and failed (after their last attempt) per channel, failed attempts. */
  metricsText(): string {
    const lines: string[] = [];
    for (const [name, help] of [
      ['city_notifications_sent_total', 'notifications delivered'],
      ['city_notifications_failed_total', 'notifications given up after the last attempt'],
      ['city_notification_attempt_errors_total', 'failed delivery attempts (retried or not)'],
    ] as const) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const channel of ['email', 'sms']) lines.push(`${name}{channel="${channel}"} ${this.counters.get(`${name}:${channel}`) ?? 0}`);
    }
    return `${lines.join('\n')}\n`;
  }

  private count(name: string, channel: string): void {
    const key = `${name}:${channel}`;
    this.counters.set(key, (this.counters.get(key) ?? 0) + 1);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((err) => this.logger.error('could not write notifications', { err })).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private summary(report: ReportRecord): ReportSummary {
    return {
      id: report.id,
      serviceName: findService(this.ctx.catalogue, report.serviceCode)?.service_name ?? report.serviceCode,
      status: report.status,
      requestedAt: report.requestedAt,
      ...(report.expectedAt !== undefined ? { expectedAt: report.expectedAt } : {}),
      reporter: { ...(report.reporter.email ? { email: report.reporter.email } : {}), ...(report.reporter.phone ? { phone: report.reporter.phone } : {}) },
    };
  }

  /** The listener: the messages a change sends the reporter, into the outbox, then a pass to send them. */
  private async onReportChange(report: ReportRecord, action: string): Promise<void> {
    const kind = citizenEventKind(action);
    if (!kind || (!report.reporter.email && !report.reporter.phone)) return;
    let event: CitizenEvent;
    if (kind === 'update') {
      // the update this change published: the newest one (a later change's, if it came first, is not lost: it has its own key)
      const updates = await this.store.reports.updates({ reportId: report.id, limit: 10_000 });
      const update = updates.at(-1);
      if (!update) return;
      event = { kind, updateId: update.id, status: update.status, ...(update.description !== undefined ? { note: update.description } : {}) };
    } else {
      // a cleared date or a closed report: nothing to look forward to
      if (report.expectedAt === undefined || isClosedStatus(report.status)) return;
      event = { kind, expectedAt: report.expectedAt };
    }
    const written = await this.enqueue(citizenMessages(this.summary(report), event, this.messageContext));
    if (written > 0) this.kick();
  }

  private async enqueue(messages: NewNotification[]): Promise<number> {
    let written = 0;
    for (const message of messages) if (await this.store.notifications.enqueue(message, this.now())) written++;
    return written;
  }

  /** Reminders for open reports expected within NOTIFY_REMINDER_BEFORE_MS from now (and not yet past). */
  private async writeReminders(): Promise<void> {
    if (this.config.reminderBeforeMs === 0 || !this.channels.has('email')) return;
    const nowMs = this.now();
    // out of the window (dealt with, moved, past): forget them
    for (const [key, lookedAt] of this.unaddressed) if (nowMs - lookedAt > 10 * UNADDRESSED_RECHECK_MS) this.unaddressed.delete(key);
    const due = await this.store.notifications.expectedBetween(nowMs, nowMs + this.config.reminderBeforeMs, OPEN_STATUSES);
    for (const { reportId, expectedAt } of due) {
      const key = `reminder:${reportId}:${expectedAt}`;
      const lookedAt = this.unaddressed.get(key);
      if (lookedAt !== undefined && nowMs - lookedAt < UNADDRESSED_RECHECK_MS) continue;
      if (await this.store.notifications.hasKey(key)) continue;
      const report = await this.store.reports.get(reportId);
      if (!report || report.expectedAt !== expectedAt) continue;
      const to = await this.reminderAddress(report);
      if (!to) {
        if (lookedAt === undefined) this.logger.warn('no reminder yet: no email for the responsible operator and no NOTIFY_OPERATOR_EMAIL', { reportId });
        this.unaddressed.set(key, nowMs);
        continue;
      }
      await this.enqueue([reminderMessage({ ...this.summary(report), expectedAt }, to, this.messageContext, nowMs)]);
    }
  }

  /** The responsible operator's email, else the desk's (NOTIFY_OPERATOR_EMAIL), with why they get it. */
  private async reminderAddress(report: ReportRecord): Promise<{ email: string; reason: string } | undefined> {
    const incidents = (await Promise.all(report.incidentIds.map((id) => this.store.incidents.get(id)))).filter((i) => i !== undefined);
    const audit = await this.store.audit.list({ entityType: 'report', entityId: report.id, order: 'desc', limit: AUDIT_LOOKBACK });
    const operators = new Set(
      (await this.store.users.list()).filter((u) => !u.disabled && roleAtLeast(u.role, 'operator')).map((u) => u.username),
    );
    const responsible = responsibleOperator({
      incidents: incidents.map((i) => ({ id: i.id, status: i.status, ...(i.assignee !== undefined ? { assignee: i.assignee } : {}) })),
      audit,
      isOperator: (name) => operators.has(name),
    });
    const email = responsible && (await this.store.notifications.operatorEmail(responsible.username));
    if (responsible && email) return { email, reason: responsible.reason };
    if (this.config.operatorEmail === undefined) return undefined;
    const reason = responsible
      ? `this is the desk address and ${responsible.username}, who is responsible for it, has no email set`
      : 'this is the desk address and no operator has acted on this report yet';
    return { email: this.config.operatorEmail, reason };
  }

  /** Sends the due rows, one at a time, recording each attempt; each claimed just before it goes. */
  private async dispatch(): Promise<void> {
    while (!this.stopped) {
      const nowMs = this.now();
      // one at a time: a stopping dispatcher leaves nothing claimed behind it
      const [row] = await this.store.notifications.claimDue(nowMs, nowMs + this.config.sendTimeoutMs + CLAIM_MARGIN_MS, 1);
      if (!row) return;
      await this.deliver(row);
    }
  }

  private async deliver(row: NotificationRecord): Promise<void> {
    const channel = this.channels.get(row.channel);
    let providerResponse: string | undefined;
    let error: string | undefined;
    try {
      if (!channel) throw new Error(`the ${row.channel} channel is off`);
      providerResponse = await channel.send({ to: row.recipient, text: row.body, ...(row.subject !== undefined ? { subject: row.subject } : {}) });
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const nowMs = this.now();
    if (error === undefined) {
      await this.store.notifications.recordAttempt(row.id, { ok: true, providerResponse: providerResponse ?? '' }, nowMs);
      this.count('city_notifications_sent_total', row.channel);
      return;
    }
    this.count('city_notification_attempt_errors_total', row.channel);
    const attempts = row.attempts + 1;
    const last = attempts >= this.config.maxAttempts;
    await this.store.notifications.recordAttempt(row.id, { ok: false, error, retryAt: last ? undefined : nowMs + retryDelayMs(this.config.retryBaseMs, attempts) }, nowMs);
    // the recipient is personal data: the log names the row and report only
    if (last) {
      this.count('city_notifications_failed_total', row.channel);
      this.logger.warn('notification failed after its last attempt', { id: row.id, reportId: row.reportId, channel: row.channel, attempts, error });
    } else {
      this.logger.info('notification attempt failed, will retry', { id: row.id, reportId: row.reportId, channel: row.channel, attempts, error });
    }
  }
}
