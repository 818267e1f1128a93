// Configuration of notifications to citizens and operators: the SMTP server, the SMS gateway (URL,
// auth, body template), the public base URL of links, retries and reminders. Read by config.ts;
// every problem goes into the reader's list. A channel without its URL is off.
import type { EnvReader } from '@city/shared';
import { EMAIL_PATTERN } from '../ops/notifications.ts';
import { renderSmsBody } from './sms.ts';

export interface NotifyConfig {
  /** NOTIFY_SMTP_URL (smtp:// or smtps://, credentials in the URL); undefined = email off */
  smtpUrl?: string;
  /** NOTIFY_EMAIL_FROM: the From address; required with an SMTP URL */
  emailFrom: string;
  /** NOTIFY_SMS_URL: the gateway's endpoint, POSTed to; undefined = SMS off */
  smsUrl?: string;
  /** NOTIFY_SMS_AUTH as an Authorization header value ("Basic user:pass" already encoded) */
  smsAuthorization?: string;
  /** NOTIFY_SMS_BODY_TEMPLATE: JSON with {{to}} and {{text}}, filled in JSON-escaped */
  smsBodyTemplate: string;
  /** NOTIFY_PUBLIC_URL: base of the status page links in messages; required when a channel is on */
  publicUrl: string;
  /** NOTIFY_OPERATOR_EMAIL: where reminders go when the responsible operator has no email (a desk mailbox) */
  operatorEmail?: string;
  /** NOTIFY_MAX_ATTEMPTS: a message fails after this many attempts */
  maxAttempts: number;
  /** NOTIFY_RETRY_BASE_MS: the first retry waits this long, each next one twice as long, ms */
  retryBaseMs: number;
  /** NOTIFY_REMINDER_BEFORE_MS: the operator is reminded this long before a report's expected time, ms */
  reminderBeforeMs: number;
  /** NOTIFY_TICK_MS: how often due messages are sent and reminders looked for, ms */
  tickMs: number;
  /** NOTIFY_SEND_TIMEOUT_MS: one SMTP or gateway attempt gives up after this long, ms */
  sendTimeoutMs: number;
}

export const NOTIFY_DEFAULTS = {
  smsBodyTemplate: '{"to":"{{to}}","text":"{{text}}"}',
  publicUrl: 'http://localhost:8080',
  maxAttempts: 5,
  retryBaseMs: 30_000,
  reminderBeforeMs: 24 * 3_600_000,
  tickMs: 5000,
  sendTimeoutMs: 15_000,
} as const;

/** "Basic user:pass" -> "Basic dXNlcjpwYXNz"; anything else ("Bearer xyz", "Basic dXNl...") is the header as given. */
export function authorizationHeader(auth: string): string {
  const basic = /^Basic\s+(.+)$/i.exec(auth);
  if (basic && basic[1]!.includes(':')) return `Basic ${Buffer.from(basic[1]!).toString('base64')}`;
  return auth;
}

export function readNotifyConfig(env: EnvReader): NotifyConfig {
  const smtp = env.optionalUrl('NOTIFY_SMTP_URL', ['smtp:', 'smtps:']);
  const sms = env.optionalUrl('NOTIFY_SMS_URL', ['http:', 'https:']);
  const emailFrom = env.optionalStr('NOTIFY_EMAIL_FROM');
  env.require(smtp === undefined || emailFrom !== undefined, 'NOTIFY_EMAIL_FROM: required when NOTIFY_SMTP_URL is set (e.g. "City reports <reports@city.example>")');
  const auth = env.optionalStr('NOTIFY_SMS_AUTH');
  const template = env.str('NOTIFY_SMS_BODY_TEMPLATE', NOTIFY_DEFAULTS.smsBodyTemplate);
  env.require(template.includes('{{text}}'), `NOTIFY_SMS_BODY_TEMPLATE: expected JSON with a {{text}} placeholder (got ${JSON.stringify(template)})`);
  try {
    JSON.parse(renderSmsBody(template, '+10000000000', 'a "quoted"\ntext'));
  } catch {
    env.require(false, `NOTIFY_SMS_BODY_TEMPLATE: expected JSON once {{to}} and {{text}} are filled in, e.g. ${NOTIFY_DEFAULTS.smsBodyTemplate} (got ${JSON.stringify(template)})`);
  }
  const publicUrl = env.optionalUrl('NOTIFY_PUBLIC_URL', ['http:', 'https:']);
  env.require(
    publicUrl !== undefined || (smtp === undefined && sms === undefined) || env.optionalStr('NOTIFY_PUBLIC_URL') !== undefined,
    'NOTIFY_PUBLIC_URL: required when NOTIFY_SMTP_URL or NOTIFY_SMS_URL is set: the base of the status page links citizens get (e.g. https://city.example)',
  );
  const operatorEmail = env.optionalStr('NOTIFY_OPERATOR_EMAIL');
  env.require(operatorEmail === undefined || EMAIL_PATTERN.test(operatorEmail), `NOTIFY_OPERATOR_EMAIL: expected an address like desk@city.example (got ${JSON.stringify(operatorEmail)})`);
  return {
    ...(smtp !== undefined ? { smtpUrl: smtp.toString() } : {}),
    emailFrom: emailFrom ?? '',
    ...(sms !== undefined ? { smsUrl: sms.toString() } : {}),
    ...(auth !== undefined ? { smsAuthorization: authorizationHeader(auth) } : {}),
    smsBodyTemplate: template,
    publicUrl: (publicUrl?.toString() ?? NOTIFY_DEFAULTS.publicUrl).replace(/\/+$/, ''),
    ...(operatorEmail !== undefined ? { operatorEmail } : {}),
    maxAttempts: env.int('NOTIFY_MAX_ATTEMPTS', NOTIFY_DEFAULTS.maxAttempts, { min: 1, max: 100 }),
    retryBaseMs: env.int('NOTIFY_RETRY_BASE_MS', NOTIFY_DEFAULTS.retryBaseMs, { min: 1, max: 86_400_000 }),
    reminderBeforeMs: env.int('NOTIFY_REMINDER_BEFORE_MS', NOTIFY_DEFAULTS.reminderBeforeMs, { min: 0, max: 30 * 86_400_000 }),
    tickMs: env.int('NOTIFY_TICK_MS', NOTIFY_DEFAULTS.tickMs, { min: 10, max: 600_000 }),
    sendTimeoutMs: env.int('NOTIFY_SEND_TIMEOUT_MS', NOTIFY_DEFAULTS.sendTimeoutMs, { min: 100, max: 300_000 }),
  };
}
