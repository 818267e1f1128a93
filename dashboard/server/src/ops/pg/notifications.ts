// The notifications outbox in PostgreSQL (notifications.ts has the contract): rows written pending,
// one per dedupe key, each attempt recorded; and operators' email addresses for reminders.
import { clampLimit } from '../db.ts';
import { OpsNotFoundError, OpsValidationError } from '../errors.ts';
import {
  EMAIL_PATTERN,
  NOTIFICATION_LIST_LIMIT,
  clipDeliveryText,
  type DeliveryResult,
  type NewNotification,
  type NotificationRecord,
  type NotificationRepository,
} from '../notifications.ts';
import { toNotification, type NotificationRow } from '../rows/notifications.ts';
import { normalizeUsername } from '../users.ts';
import { PG_FOREIGN_KEY_VIOLATION, pgErrorCode, type PgConnection } from './connection.ts';

export class PgNotificationRepository implements NotificationRepository {
  constructor(private readonly db: PgConnection) {}

  async enqueue(n: NewNotification, nowMs = Date.now()): Promise<NotificationRecord | undefined> {
    try {
      const { rows } = await this.db.guarded<NotificationRow>(
        `INSERT INTO notifications (report_id, kind, audience, channel, recipient, subject, body, dedupe_key, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9)
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`,
        [n.reportId, n.kind, n.audience, n.channel, n.recipient, n.subject ?? null, n.body, n.dedupeKey ?? null, nowMs],
      );
      return rows[0] && toNotification(rows[0]);
    } catch (err) {
      if (pgErrorCode(err) === PG_FOREIGN_KEY_VIOLATION) throw new OpsNotFoundError(`report ${n.reportId} not found`);
      throw err;
    }
  }

  async due(nowMs: number, limit?: number): Promise<NotificationRecord[]> {
    const max = clampLimit(limit, NOTIFICATION_LIST_LIMIT);
    const rows = await this.db.rows<NotificationRow>(
      `SELECT * FROM notifications WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2`,
      [nowMs, max],
    );
    return rows.map(toNotification);
  }

  async claimDue(nowMs: number, leaseUntilMs: number, limit?: number): Promise<NotificationRecord[]> {
    const max = clampLimit(limit, NOTIFICATION_LIST_LIMIT);
    // SKIP LOCKED: a row another dashboard is claiming right now is left to it
    const rows = await this.db.rows<NotificationRow>(
      `UPDATE notifications SET next_attempt_at = $1 WHERE id IN
         (SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [leaseUntilMs, nowMs, max],
    );
    return rows.map(toNotification).sort((a, b) => a.id - b.id);
  }

  async recordAttempt(id: number, result: DeliveryResult, nowMs = Date.now()): Promise<NotificationRecord> {
    const row = result.ok
      ? await this.db.one<NotificationRow>(
          `UPDATE notifications SET status = 'sent', attempts = attempts + 1, sent_at = $1, provider_response = $2, next_attempt_at = NULL WHERE id = $3 RETURNING *`,
          [nowMs, clipDeliveryText(result.providerResponse), id],
        )
      : result.retryAt !== undefined
        ? await this.db.one<NotificationRow>('UPDATE notifications SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3 RETURNING *', [
            clipDeliveryText(result.error),
            result.retryAt,
            id,
          ])
        : await this.db.one<NotificationRow>(
            `UPDATE notifications SET status = 'failed', attempts = attempts + 1, last_error = $1, next_attempt_at = NULL WHERE id = $2 RETURNING *`,
            [clipDeliveryText(result.error), id],
          );
    if (!row) throw new OpsNotFoundError(`notification ${id} not found`);
    return toNotification(row);
  }

  async forReport(reportId: string, limit?: number): Promise<NotificationRecord[]> {
    const max = clampLimit(limit, NOTIFICATION_LIST_LIMIT);
    return (await this.db.rows<NotificationRow>('SELECT * FROM notifications WHERE report_id = $1 ORDER BY id LIMIT $2', [reportId, max])).map(toNotification);
  }

  async hasKey(dedupeKey: string): Promise<boolean> {
    return (await this.db.one('SELECT 1 FROM notifications WHERE dedupe_key = $1', [dedupeKey])) !== undefined;
  }

  async expectedBetween(fromMs: number, toMs: number, statuses: readonly string[]): Promise<{ reportId: string; expectedAt: number }[]> {
    if (statuses.length === 0) return [];
    const rows = await this.db.rows<{ id: string; expected_at: number }>(
      'SELECT id, expected_at FROM reports WHERE expected_at > $1 AND expected_at <= $2 AND status = ANY($3::text[]) ORDER BY expected_at, id LIMIT 1000',
      [fromMs, toMs, statuses],
    );
    return rows.map((r) => ({ reportId: r.id, expectedAt: r.expected_at }));
  }

  async operatorEmail(username: string): Promise<string | undefined> {
    return (await this.db.one<{ email: string | null }>('SELECT email FROM users WHERE username = $1', [normalizeUsername(username)]))?.email ?? undefined;
  }

  async setOperatorEmail(username: string, email: string | null): Promise<void> {
    if (email !== null && !EMAIL_PATTERN.test(email)) throw new OpsValidationError(`email: expected an address like name@example.org (got ${JSON.stringify(email)})`);
    const { rowCount } = await this.db.query('UPDATE users SET email = $1 WHERE username = $2', [email, normalizeUsername(username)]);
    if (rowCount === 0) throw new OpsNotFoundError(`user ${username} not found`);
  }
}
