// What a delivery channel does: send one message, hand back what the provider said, or throw an
// error saying why not (the outbox records it and retries). One file per channel: email.ts, sms.ts.
import type { NotificationChannel } from '../ops/notifications.ts';

export interface OutgoingMessage {
  /** an email address or a phone number */
  to: string;
  /** email only */
  subject?: string;
  text: string;
}

export interface DeliveryChannel {
  readonly name: NotificationChannel;
  /** The provider's answer (SMTP reply, gateway body) on success; throws with the reason on failure. */
  send(message: OutgoingMessage): Promise<string>;
  close(): Promise<void>;
}
