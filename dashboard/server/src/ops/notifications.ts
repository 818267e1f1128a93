// The notifications outbox: every message to a citizen or an operator is a row written before it is
// sent, and keeps its delivery result (attempts, last error, the provider's answer). Rows still
// pending when the process stops are sent after the next start. Also where operators' email
// addresses live (users.email, migration 5): only reminders read them.
import type Database from 'better-sqlite3';
import { clampLimit, type SqliteConnection } from './db.ts';
import { OpsNotFoundError, OpsValidationError } from './errors.ts';
import { toNotification, type NotificationRow } from './rows/notifications.ts';
import { normalizeUsername } from './users.ts';

export const NOTIFICATION_CHANNELS = ['email', 'sms'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];
export type NotificationStatus = 'pending' | 'sent' | 'failed';
/** update: a public status change or note; expected: the expected date moved; reminder: to the operator before it */
export type NotificationKind = 'update' | 'expected' | 'reminder';
export type NotificationAudience = 'citizen' | 'operator';

export interface NewNotification {
  reportId: string;
  kind: NotificationKind;
  audience: NotificationAudience;
  channel: NotificationChannel;
  /** an email address or a phone number */
  recipient: string;
  /** email only */
  subject?: string;
  body: string;
  /** a second row with the same key is not written: one message per update, date or reminder and channel */
  dedupeKey?: string;
}

export interface NotificationRecord extends NewNotification {
  id: number;
  status: NotificationStatus;
  attempts: number;
  lastError?: string;
  /** epoch ms, while pending */
  nextAttemptAt?: number;
  createdAt: number;
  sentAt?: number;
  providerResponse?: string;
}

/** What one delivery attempt gave. */
export type DeliveryResult =
  | { ok: true; providerResponse: string }
  /** retryAt: the next attempt (epoch ms), or undefined when this was the last one (the row fails) */
  | { ok: false; error: string; retryAt: number | undefined };

export const NOTIFICATION_LIST_LIMIT = { default: 200, max: 1000 } as const;
/** errors and provider answers are kept to this many characters */
const TEXT_MAX = 1000;
/** An error or a provider's answer as stored: at most TEXT_MAX characters. */
export const clipDeliveryText = (text: string): string => (text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX - 1)}…` : text);

export interface NotificationRepository {
  /** The new row, pending and due at once; undefined when its dedupeKey was already used. */
  enqueue(notification: NewNotification, nowMs?: number): Promise<NotificationRecord | undefined>;
  /** pending rows whose next attempt is due, oldest first (a look only: see claimDue) */
  due(nowMs: number, limit?: number): Promise<NotificationRecord[]>;
  /**
   * Takes due rows for one sender, oldest first: in one statement their next attempt moves to
   * `leaseUntilMs`, so no other dashboard on this store takes them meanwhile. recordAttempt then settles
   * each; one whose sender died before that is due again once the lease ends (sent at least once).
   */
  claimDue(nowMs: number, leaseUntilMs: number, limit?: number): Promise<NotificationRecord[]>;
  /** Records one attempt: sent, pending again at retryAt, or failed. Throws OpsNotFoundError. */
  recordAttempt(id: number, result: DeliveryResult, nowMs?: number): Promise<NotificationRecord>;
  /** one report's rows, oldest first */
  forReport(reportId: string, limit?: number): Promise<NotificationRecord[]>;
  /** whether a row with this key exists */
  hasKey(dedupeKey: string): Promise<boolean>;
  /** open reports (statuses given) whose expected time is in (from, to], with that time */
  expectedBetween(fromMs: number, toMs: number, statuses: readonly string[]): Promise<{ reportId: string; expectedAt: number }[]>;
  /** an operator's email for reminders; undefined when none is set or the user is unknown */
  operatorEmail(username: string): Promise<string | undefined>;
  /** Sets (or with null clears) an operator's email. Throws OpsNotFoundError or OpsValidationError. */
  setOperatorEmail(username: string, email: string | null): Promise<void>;
}

/** Deliberately loose: one @, no spaces; the SMTP server has the last word. */
export const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export class SqliteNotificationRepository implements NotificationRepository {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly selectOne: Database.Statement;
  private readonly selectDue: Database.Statement;
  private readonly claim: Database.Statement;
  private readonly markSent: Database.Statement;
  private readonly markRetry: Database.Statement;
  private readonly markFailed: Database.Statement;
  private readonly selectForReport: Database.Statement;
  private readonly keyExists: Database.Statement;
  private readonly selectEmail: Database.Statement;
  private readonly updateEmail: Database.Statement;

  constructor(private readonly conn: SqliteConnection) {
    const db = (this.db = conn.db);
    this.insert = db.prepare(
      `INSERT INTO notifications (report_id, kind, audience, channel, recipient, subject, body, dedupe_key, status, attempts, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`,
    );
    this.selectOne = db.prepare('SELECT * FROM notifications WHERE id = ?');
    this.selectDue = db.prepare(`SELECT * FROM notifications WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`);
    // one statement: SQLite runs it under its write lock, so two processes never take the same row
    this.claim = db.prepare(
      `UPDATE notifications SET next_attempt_at = ? WHERE id IN
         (SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?)
       RETURNING *`,
    );
    this.markSent = db.prepare(
      `UPDATE notifications SET status = 'sent', attempts = attempts + 1, sent_at = ?, provider_response = ?, next_attempt_at = NULL WHERE id = ? RETURNING *`,
    );
    this.markRetry = db.prepare(`UPDATE notifications SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? RETURNING *`);
    this.markFailed = db.prepare(
      `UPDATE notifications SET status = 'failed', attempts = attempts + 1, last_error = ?, next_attempt_at = NULL WHERE id = ? RETURNING *`,
    );
    this.selectForReport = db.prepare('SELECT * FROM notifications WHERE report_id = ? ORDER BY id LIMIT ?');
    this.keyExists = db.prepare('SELECT 1 FROM notifications WHERE dedupe_key = ?').pluck();
    this.selectEmail = db.prepare('SELECT email FROM users WHERE username = ?').pluck();
    this.updateEmail = db.prepare('UPDATE users SET email = ? WHERE username = ?');
  }

  enqueue(n: NewNotification, nowMs = Date.now()): Promise<NotificationRecord | undefined> {
    return this.conn.run(() => {
      try {
        const row = this.insert.get(n.reportId, n.kind, n.audience, n.channel, n.recipient, n.subject ?? null, n.body, n.dedupeKey ?? null, nowMs, nowMs) as
          | NotificationRow
          | undefined;
        return row && toNotification(row);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new OpsNotFoundError(`report ${n.reportId} not found`);
        throw err;
      }
    });
  }

  due(nowMs: number, limit?: number): Promise<NotificationRecord[]> {
    const max = clampLimit(limit, NOTIFICATION_LIST_LIMIT);
    return this.conn.run(() => (this.selectDue.all(nowMs, max) as NotificationRow[]).map(toNotification));
  }

  claimDue(nowMs: number, leaseUntilMs: number, limit?: number): Promise<NotificationRecord[]> {
    const max = clampLimit(limit, NOTIFICATION_LIST_LIMIT);
    // RETURNING has no order: by id, which is the order rows became due in all but retries
    return this.conn.run(() => (this.claim.all(leaseUntilMs, nowMs, max) as NotificationRow[]).map(toNotification).sort((a, b) => a.id - b.id));
  }

  recordAttempt(id: number, result: DeliveryResult, nowMs = Date.now()): Promise<NotificationRecord> {
    return this.conn.run(() => {
      const row = (
        result.ok
          ? this.markSent.get(nowMs, clipDeliveryText(result.providerResponse), id)
          : result.retryAt !== undefined
            ? this.markRetry.get(clipDeliveryText(result.error), result.retryAt, id)
            : this.markFailed.get(clipDeliveryText(result.error), id)
      ) as NotificationRow | undefined;
      if (!row) throw new OpsNotFoundError(`notification ${id} not found`);
      return toNotification(row);
    });
  }

  forReport(reportId: string, limit?: number): Promise<NotificationRecord[]> {
    const max = clampLimit(limit, NOTIFICATION_LIST_LIMIT);
    return this.conn.run(() => (this.selectForReport.all(reportId, max) as NotificationRow[]).map(toNotification));
  }

  hasKey(dedupeKey: string): Promise<boolean> {
    return this.conn.run(() => this.keyExists.get(dedupeKey) !== undefined);
  }

  expectedBetween(fromMs: number, toMs: number, statuses: readonly string[]): Promise<{ reportId: string; expectedAt: number }[]> {
    if (statuses.length === 0) return Promise.resolve([]);
    const sql = `SELECT id, expected_at FROM reports WHERE expected_at > ? AND expected_at <= ? AND status IN (${statuses.map(() => '?').join(', ')}) ORDER BY expected_at, id LIMIT 1000`;
    return this.conn.run(() =>
      (this.db.prepare(sql).all(fromMs, toMs, ...statuses) as { id: string; expected_at: number }[]).map((r) => ({ reportId: r.id, expectedAt: r.expected_at })),
    );
  }

  operatorEmail(username: string): Promise<string | undefined> {
    return this.conn.run(() => (this.selectEmail.get(normalizeUsername(username)) as string | null | undefined) ?? undefined);
  }

  async setOperatorEmail(username: string, email: string | null): Promise<void> {
    if (email !== null && !EMAIL_PATTERN.test(email)) throw new OpsValidationError(`email: expected an address like name@example.org (got ${JSON.stringify(email)})`);
    return this.conn.run(() => {
      if (this.updateEmail.run(email, normalizeUsername(username)).changes === 0) throw new OpsNotFoundError(`user ${username} not found`);
    });
  }
}
