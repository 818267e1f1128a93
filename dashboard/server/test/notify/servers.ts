// Real servers standing in for a city's providers: an SMTP server (smtp-server) that keeps every
// message, and an HTTP SMS gateway that records each request and answers as scripted per number.
// Both listen on 127.0.0.1 port 0 and are registered for teardown.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { track } from '../../../../test/support/teardown.ts';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  /** the text body, transfer encoding undone */
  text: string;
}

export interface SmtpSink {
  url: string;
  mails: ReceivedMail[];
  /** recipients the server refuses (550) */
  refuse: Set<string>;
}

/** Undoes quoted-printable: soft line breaks and =XX bytes (UTF-8). */
function decodeQuotedPrintable(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** A message as nodemailer writes a plain text mail: headers, a blank line, the body. */
export function parseMail(raw: string, envelope: { from: string; to: string[] }): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  let body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  if (encoding === 'quoted-printable') body = decodeQuotedPrintable(body);
  else if (encoding === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  let subject = header('Subject');
  // =?UTF-8?Q?...?= words, as nodemailer writes a subject with non-ASCII characters
  subject = subject.replace(/=\?UTF-8\?Q\?(.*?)\?=\s*/gi, (_m, word: string) => decodeQuotedPrintable(word.replace(/_/g, ' ')));
  return { ...envelope, subject, text: body.replace(/\r\n/g, '\n').trimEnd() };
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const refuse = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    // loopback without TLS: nodemailer would otherwise upgrade to the server's self-signed certificate
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 1000,
    onRcptTo(address, _session, callback) {
      if (refuse.has(address.address)) {
        const err = Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: 550 });
        return callback(err);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
        };
        mails.push(parseMail(Buffer.concat(chunks).toString('latin1'), envelope));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  track(server, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, mails, refuse };
}

export interface GatewayRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** the body as JSON */
  json: Record<string, unknown>;
}

export interface SmsGateway {
  url: string;
  requests: GatewayRequest[];
  /** HTTP statuses to answer for a number, in order; the last one repeats. Default 200. */
  script: Map<string, number[]>;
}

/** The gateway reads the number from body.to (the default template) or body.destination. */
export async function startSmsGateway(): Promise<SmsGateway> {
  const requests: GatewayRequest[] = [];
  const script = new Map<string, number[]>();
  const answered = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        // recorded as is; the test will say
      }
      requests.push({ headers: req.headers, body, json });
      const to = String(json.to ?? json.destination ?? '');
      const statuses = script.get(to) ?? [200];
      const n = answered.get(to) ?? 0;
      answered.set(to, n + 1);
      const status = statuses[Math.min(n, statuses.length - 1)]!;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status < 300 ? { id: `sms-${requests.length}`, accepted: true } : { error: 'gateway trouble' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  track(server, (s) => {
    s.closeAllConnections();
    return new Promise<void>((resolve) => s.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`, requests, script };
}
