// Open311 GeoReport v2 POST requests.json, as any city app sends it: a form-urlencoded body with the
// api_key. Each answer is sorted into what the submitter counts: created, throttled (429 with
// Retry-After), rejected (another 4xx: a bad key, a field the city refuses) or failed (5xx, network).
import { retryAfterMs } from '../core/citizen-reports.ts';

export type SubmitResult =
  | { kind: 'created'; id: string }
  | { kind: 'throttled'; retryAfterMs: number }
  | { kind: 'rejected'; status: number; description: string }
  | { kind: 'failed'; description: string };

/** When a 429 carries no Retry-After: wait this long, ms. */
const DEFAULT_RETRY_MS = 60_000;
const TIMEOUT_MS = 10_000;

export interface Open311ClientOptions {
  /** the endpoint, e.g. http://localhost:8080/open311/v2 */
  url: string;
  /** never logged */
  apiKey: string;
}

/** The first error description of an Open311 error body, or the status line. */
function describe(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    const first = Array.isArray(body) ? (body[0] as { description?: unknown } | undefined) : undefined;
    if (typeof first?.description === 'string') return first.description;
  } catch {
    // not JSON: the status says enough
  }
  return `HTTP ${status}`;
}

export class Open311Client {
  private readonly endpoint: string;

  constructor(private readonly options: Open311ClientOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/requests.json`;
  }

  async submit(fields: Record<string, string>): Promise<SubmitResult> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ api_key: this.options.apiKey, ...fields }).toString(),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      text = await res.text();
    } catch (err) {
      return { kind: 'failed', description: err instanceof Error ? err.message : String(err) };
    }
    if (res.status === 201) {
      const created = JSON.parse(text) as { service_request_id?: string }[];
      return { kind: 'created', id: String(created[0]?.service_request_id ?? '') };
    }
    if (res.status === 429) return { kind: 'throttled', retryAfterMs: retryAfterMs(res.headers.get('retry-after'), Date.now(), DEFAULT_RETRY_MS) };
    if (res.status >= 400 && res.status < 500) return { kind: 'rejected', status: res.status, description: describe(res.status, text) };
    return { kind: 'failed', description: describe(res.status, text) };
  }
}
