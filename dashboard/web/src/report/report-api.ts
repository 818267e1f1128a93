// What the citizen pages read and send: the Open311 catalogue, the form's limits, "already reported?",
// the multipart POST and a report's public status. Errors come back as the server's {code, description}.
import type { Open311Error, Service, ServiceDefinition } from '@city/shared/open311';
import type { NearbyReportsResponse, PublicReport, ReportCreatedResponse, ReportFormConfig } from '@city/shared/reports';
export type { ReportFormConfig };
import type { MapConfig } from '../adapters/api.ts';

export type { MapConfig };

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly errors: Open311Error[],
  ) {
    super(errors.map((e) => e.description).join('; ') || `HTTP ${status}`);
  }
}

async function errorsOf(res: Response): Promise<Open311Error[]> {
  try {
    const body = (await res.json()) as { errors?: unknown };
    if (Array.isArray(body.errors)) return body.errors.filter((e): e is Open311Error => typeof e?.description === 'string');
  } catch {
    // not JSON (a proxy's error page): the status says enough
  }
  return [{ code: res.status, description: res.status === 429 ? 'Too many reports from this connection: please wait a minute and try again.' : `The server answered HTTP ${res.status}.` }];
}

async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { signal, headers: { accept: 'application/json' } });
  if (!res.ok) throw new ApiFailure(res.status, await errorsOf(res));
  return (await res.json()) as T;
}

export const fetchServices = (signal?: AbortSignal) => getJson<Service[]>('/open311/v2/services.json', signal);

export const fetchServiceDefinition = (code: string, signal?: AbortSignal) =>
  getJson<ServiceDefinition>(`/open311/v2/services/${encodeURIComponent(code)}.json`, signal);

export const fetchFormConfig = (signal?: AbortSignal) => getJson<ReportFormConfig>('/api/reports/form-config', signal);

export const fetchMapConfig = (signal?: AbortSignal) => getJson<MapConfig>('/api/config', signal);

export function fetchNearby(serviceCode: string, lat: number, lon: number, signal?: AbortSignal): Promise<NearbyReportsResponse> {
  const q = new URLSearchParams({ service_code: serviceCode, lat: String(lat), long: String(lon) });
  return getJson<NearbyReportsResponse>(`/api/reports/nearby?${q}`, signal);
}

/** undefined: no such report (404) */
export async function fetchPublicReport(id: string, signal?: AbortSignal): Promise<PublicReport | undefined> {
  try {
    return await getJson<PublicReport>(`/api/reports/${encodeURIComponent(id)}/public`, signal);
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 404) return undefined;
    throw err;
  }
}

export type SubmitResult = { ok: true; created: ReportCreatedResponse } | { ok: false; errors: Open311Error[] };

/** POST /api/reports as multipart/form-data (the browser sets the boundary). */
export async function submitReport(form: FormData): Promise<SubmitResult> {
  let res: Response;
  try {
    res = await fetch('/api/reports', { method: 'POST', body: form, headers: { accept: 'application/json' } });
  } catch {
    return { ok: false, errors: [{ code: 0, description: 'The report could not be sent: check your connection and try again.' }] };
  }
  if (res.status === 201) return { ok: true, created: (await res.json()) as ReportCreatedResponse };
  return { ok: false, errors: await errorsOf(res) };
}
