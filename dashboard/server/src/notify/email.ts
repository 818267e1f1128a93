// Email through SMTP with nodemailer: one pooled transport from NOTIFY_SMTP_URL, plain text messages,
// timeouts on every phase so a silent server costs one attempt, not a stuck dispatcher.
import nodemailer, { type Transporter } from 'nodemailer';
import type { DeliveryChannel, OutgoingMessage } from './channel.ts';

export interface SmtpOptions {
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://host:465 */
  url: string;
  from: string;
  timeoutMs: number;
}

export class SmtpEmailChannel implements DeliveryChannel {
  readonly name = 'email' as const;
  private readonly transport: Transporter;

  constructor(private readonly options: SmtpOptions) {
    const url = new URL(options.url);
    this.transport = nodemailer.createTransport({
      host: url.hostname,
      port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
      secure: url.protocol === 'smtps:',
      ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      dnsTimeout: options.timeoutMs,
    });
  }

  async send(message: OutgoingMessage): Promise<string> {
    try {
      const info = await this.transport.sendMail({ from: this.options.from, to: message.to, subject: message.subject ?? '', text: message.text });
      if ((info.rejected?.length ?? 0) > 0) throw new Error(`recipient refused: ${info.response}`);
      return `${info.response} (${info.messageId})`;
    } catch (err) {
      throw new Error(`SMTP: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
