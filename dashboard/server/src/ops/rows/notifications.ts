// Notification outbox rows as both stores read them, and the one mapping to a NotificationRecord.
import type {
  NotificationAudience,
  NotificationChannel,
  NotificationKind,
  NotificationRecord,
  NotificationStatus,
} from '../notifications.ts';

export interface NotificationRow {
  id: number;
  report_id: string;
  kind: NotificationKind;
  audience: NotificationAudience;
  channel: NotificationChannel;
  recipient: string;
  subject: string | null;
  body: string;
  dedupe_key: string | null;
  status: NotificationStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: number | null;
  created_at: number;
  sent_at: number | null;
  provider_response: string | null;
}

export const toNotification = (row: NotificationRow): NotificationRecord => ({
  id: row.id,
  reportId: row.report_id,
  kind: row.kind,
  audience: row.audience,
  channel: row.channel,
  recipient: row.recipient,
  ...(row.subject !== null ? { subject: row.subject } : {}),
  body: row.body,
  ...(row.dedupe_key !== null ? { dedupeKey: row.dedupe_key } : {}),
  status: row.status,
  attempts: row.attempts,
  ...(row.last_error !== null ? { lastError: row.last_error } : {}),
  ...(row.next_attempt_at !== null ? { nextAttemptAt: row.next_attempt_at } : {}),
  createdAt: row.created_at,
  ...(row.sent_at !== null ? { sentAt: row.sent_at } : {}),
  ...(row.provider_response !== null ? { providerResponse: row.provider_response } : {}),
});
