// The operator side of the dashboard server's API: session, incidents, citizen reports and their
// actions. Every state-changing request carries the session's CSRF token (the server refuses it otherwise).
import type { Incident, IncidentDetail, Operator, Severity } from '@city/shared/incidents';
import type { ReportStatus } from '@city/shared/open311';
import type { OperatorReport, OperatorReportDetail } from '@city/shared/reports';

export interface Session {
  user: Operator;
  csrfToken: string;
}

/** An API answer other than 2xx, with the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const message = (json as { error?: string } | undefined)?.error ?? `HTTP ${res.status}`;
    throw new ApiError(res.status, message);
  }
  return json as T;
}

function remember(session: Session): Session {
  csrfToken = session.csrfToken;
  return session;
}

export async function login(username: string, password: string): Promise<Session> {
  return remember(await call<Session>('POST', '/api/login', { username, password }));
}

/** The current session, or undefined when not logged in. */
export async function currentSession(): Promise<Session | undefined> {
  try {
    return remember(await call<Session>('GET', '/api/me'));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return undefined;
    throw err;
  }
}

export async function logout(): Promise<void> {
  await call('POST', '/api/logout', {});
  csrfToken = '';
}

export const fetchIncident = (id: string) => call<IncidentDetail>('GET', `/api/incidents/${encodeURIComponent(id)}`);

export const fetchAssignees = () => call<{ users: Operator[] }>('GET', '/api/operators');

const act = (id: string, action: string, body: object = {}) => call<Incident>('POST', `/api/incidents/${encodeURIComponent(id)}/${action}`, body);

export const incidentActions = {
  acknowledge: (id: string) => act(id, 'acknowledge'),
  start: (id: string) => act(id, 'start'),
  resolve: (id: string, note?: string) => act(id, 'resolve', note ? { note } : {}),
  dismiss: (id: string, reason: string) => act(id, 'dismiss', { reason }),
  assign: (id: string, assignee: string) => act(id, 'assign', { assignee }),
  comment: (id: string, text: string) => act(id, 'comments', { text }),
  severity: (id: string, severity: Severity) => act(id, 'severity', { severity }),
};

// ---- citizen reports (operator role and above for the actions) ----

export const fetchReport = (id: string) => call<OperatorReportDetail>('GET', `/api/reports/${encodeURIComponent(id)}`);

const actOnReport = (id: string, action: string, body: object) => call<OperatorReport>('POST', `/api/reports/${encodeURIComponent(id)}/${action}`, body);

export const reportActions = {
  /** a status with an optional public note (published with the update) */
  status: (id: string, status: ReportStatus, note?: string) => actOnReport(id, 'status', note ? { status, note } : { status }),
  note: (id: string, text: string, isPublic: boolean) => actOnReport(id, 'notes', { text, public: isPublic }),
  /** ISO 8601, or null for no estimate */
  expected: (id: string, expectedAt: string | null) => actOnReport(id, 'expected', { expectedAt }),
  duplicate: (id: string, of: string) => actOnReport(id, 'duplicate', { of }),
  link: (id: string, incidentId: string) => actOnReport(id, 'link', { incidentId }),
};
