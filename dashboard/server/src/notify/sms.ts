// SMS through the city's HTTP gateway: one POST per message with the configured JSON body template
// ({{to}} and {{text}} filled in JSON-escaped) and Authorization header. A non-2xx answer or a network
// error is a failed attempt with the reason.
import type { DeliveryChannel, OutgoingMessage } from './channel.ts';

/** The most of a gateway's answer kept as the provider response or in an error. */
const ANSWER_MAX_CHARS = 500;

/** The template with {{to}} and {{text}} replaced by the values, escaped for inside a JSON string. */
export function renderSmsBody(template: string, to: string, text: string): string {
  const escape = (value: string) => JSON.stringify(value).slice(1, -1);
  return template.replaceAll('{{to}}', escape(to)).replaceAll('{{text}}', escape(text));
}

export interface SmsGatewayOptions {
  url: string;
  /** the Authorization header value */
  authorization?: string;
  bodyTemplate: string;
  timeoutMs: number;
}

export class SmsGatewayChannel implements DeliveryChannel {
  readonly name = 'sms' as const;

  constructor(private readonly options: SmsGatewayOptions) {}

  async send(message: OutgoingMessage): Promise<string> {
    const { url, authorization, bodyTemplate, timeoutMs } = this.options;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}) },
        body: renderSmsBody(bodyTemplate, message.to, message.text),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : describe(err);
      throw new Error(`SMS gateway unreachable: ${reason}`);
    }
    const answer = (await res.text().catch(() => '')).slice(0, ANSWER_MAX_CHARS);
    if (!res.ok) throw new Error(`SMS gateway answered HTTP ${res.status}${answer ? `: ${answer}` : ''}`);
    return `HTTP ${res.status}${answer ? `: ${answer}` : ''}`;
  }

  async close(): Promise<void> {}
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}
