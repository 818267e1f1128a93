// Operator authentication over real HTTP: a small express app on port 0 with authRouter, a route that
// needs the operator role, and a real SQLite ops store; requests with fetch.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { EnvReader, type AuditEntry, type Operator } from '@city/shared';
import { track } from '../../../test/support/teardown.ts';
import { tmpDir } from '../../../test/support/tmp.ts';
import { sleep } from '../../../test/support/wait.ts';
import { AUTH_DEFAULTS, authOf, authRouter, parseCookies, readAuthConfig, requireUser, type AuthConfig } from '../src/features/auth.ts';
import { openOpsStore, type OpsStore } from '../src/ops/index.ts';
import { recordingLogger } from './ops/helpers.ts';

const PASSWORD = 'correct horse battery';

interface App {
  base: string;
  store: OpsStore;
}

async function startApp(over: Partial<AuthConfig> = {}, options: { trustProxy?: boolean } = {}): Promise<App> {
  const store = track(openOpsStore(tmpDir('auth-test-')), (s) => s.close());
  const config: AuthConfig = { admin: {}, ...AUTH_DEFAULTS, sessionTtlMs: 60_000, ...over };
  const app = express();
  if (options.trustProxy) app.set('trust proxy', 'loopback');
  app.use(authRouter({ store, config, logger: recordingLogger().logger }));
  app.get('/api/queue', requireUser('operator'), (req, res) => {
    res.json({ user: authOf(req)!.user.username });
  });
  app.post('/api/queue/ack', requireUser('operator'), (_req, res) => {
    res.json({ ok: true });
  });
  const server = createServer(app);
  track(server, (s) => {
    s.closeAllConnections();
    return new Promise((resolve) => s.close(resolve));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  for (const [username, role] of [['ann', 'admin'], ['bob', 'operator'], ['vic', 'viewer']] as const) {
    await store.users.create({ username, password: PASSWORD, role });
  }
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, store };
}

interface Session {
  cookie: string;
  csrfToken: string;
  setCookie: string;
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

async function login(app: App, username: string, password = PASSWORD, headers: Record<string, string> = {}): Promise<Session> {
  const res = await post(`${app.base}/api/login`, { username, password }, headers);
  expect(res.status, `login ${username}`).toBe(200);
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('city_session='))!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie: setCookie.split(';')[0]!, csrfToken, setCookie };
}

const get = (app: App, path: string, session?: Session) => fetch(`${app.base}${path}`, { headers: session ? { cookie: session.cookie } : {} });
const send = (app: App, method: string, path: string, session: Session | undefined, body?: unknown, csrf = true) =>
  fetch(`${app.base}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(session ? { cookie: session.cookie } : {}),
      ...(session && csrf ? { 'x-csrf-token': session.csrfToken } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });

describe('login', () => {
  it('sets an HttpOnly SameSite=Strict session cookie and answers the user and CSRF token', async () => {
    const app = await startApp();
    const res = await post(`${app.base}/api/login`, { username: 'Bob', password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { user: Operator; csrfToken: string };
    expect(body.user).toEqual({ username: 'bob', displayName: 'bob', role: 'operator', evidenceAccess: false, createdAt: expect.any(Number), disabled: false });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookies = res.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(/^city_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=60$/);

    const session = { cookie: cookies[0]!.split(';')[0]!, csrfToken: body.csrfToken, setCookie: cookies[0]! };
    expect(await json(await get(app, '/api/me', session))).toEqual({ status: 200, body: { user: body.user, csrfToken: body.csrfToken } });
    expect(await json(await get(app, '/api/queue', session))).toEqual({ status: 200, body: { user: 'bob' } });
    expect(await app.store.audit.list({ action: 'user.login' })).toMatchObject([{ actor: 'bob', entityId: 'bob', after: { ip: expect.any(String) } }]);
  });

  it('marks the cookie Secure when configured, or when the request came over https', async () => {
    const configured = await startApp({ cookieSecure: true });
    expect((await login(configured, 'bob')).setCookie).toMatch(/; Secure$/);
    const proxied = await startApp({}, { trustProxy: true });
    expect((await login(proxied, 'bob')).setCookie).not.toMatch(/Secure/);
    expect((await login(proxied, 'bob', PASSWORD, { 'x-forwarded-proto': 'https' })).setCookie).toMatch(/; Secure$/);
  });

  it('answers 401 with one message for a wrong password, an unknown user and a disabled one', async () => {
    const app = await startApp();
    await app.store.users.disable('vic');
    for (const [username, password] of [['bob', 'wrong password!'], ['nobody', PASSWORD], ['vic', PASSWORD]] as const) {
      const res = await post(`${app.base}/api/login`, { username, password });
      expect(res.headers.getSetCookie(), username).toEqual([]);
      expect(await json(res), username).toEqual({ status: 401, body: { error: 'wrong username or password' } });
    }
  });

  it('takes JSON only, and says what is wrong with a body', async () => {
    const app = await startApp();
    const form = await fetch(`${app.base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `username=bob&password=${encodeURIComponent(PASSWORD)}` });
    expect(await json(form)).toEqual({ status: 415, body: { error: 'expected Content-Type: application/json' } });
    const text = await fetch(`${app.base}/api/login`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(text.status).toBe(415);
    const broken = await fetch(`${app.base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toEqual(expect.any(String));
    expect(await json(await post(`${app.base}/api/login`, { username: 'bob' }))).toEqual({ status: 400, body: { error: expect.stringMatching(/^password: /) } });
  });
});

describe('login throttling', () => {
  it('refuses the 6th attempt after 5 failures for a username with 429 and Retry-After, even with the right password', async () => {
    const app = await startApp();
    for (let i = 0; i < 5; i++) expect((await post(`${app.base}/api/login`, { username: 'bob', password: 'wrong password!' })).status).toBe(401);
    const refused = await post(`${app.base}/api/login`, { username: 'BOB', password: PASSWORD });
    expect(refused.status).toBe(429);
    const retryAfterS = Number(refused.headers.get('retry-after'));
    expect(retryAfterS).toBeGreaterThan(890);
    expect(retryAfterS).toBeLessThanOrEqual(900);
    expect(((await refused.json()) as { error: string }).error).toMatch(/too many failed logins/);
    // other usernames from the same client still may
    await login(app, 'ann');
  });

  it('counts parallel attempts before checking them, so a burst cannot slip past the limit', async () => {
    const app = await startApp();
    const burst = await Promise.all(Array.from({ length: 12 }, () => post(`${app.base}/api/login`, { username: 'bob', password: 'wrong password!' })));
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });

  it('resets the username count on success', async () => {
    const app = await startApp();
    for (let i = 0; i < 4; i++) expect((await post(`${app.base}/api/login`, { username: 'bob', password: 'wrong password!' })).status).toBe(401);
    await login(app, 'bob');
    for (let i = 0; i < 5; i++) expect((await post(`${app.base}/api/login`, { username: 'bob', password: 'wrong password!' })).status).toBe(401);
    expect((await post(`${app.base}/api/login`, { username: 'bob', password: 'wrong password!' })).status).toBe(429);
  });

  it('counts failures per client IP across usernames', async () => {
    const app = await startApp({ maxFailuresPerIp: 3 });
    for (const username of ['a1', 'a2', 'a3']) expect((await post(`${app.base}/api/login`, { username, password: PASSWORD })).status).toBe(401);
    expect((await post(`${app.base}/api/login`, { username: 'ann', password: PASSWORD })).status).toBe(429);
  });
});

describe('sessions and roles', () => {
  it('answers 401 without a session, or with a bad or duplicated cookie, and clears a bad one', async () => {
    const app = await startApp();
    expect(await json(await get(app, '/api/me'))).toEqual({ status: 401, body: { error: 'login required' } });
    expect((await get(app, '/api/queue')).status).toBe(401);
    const bogus = await fetch(`${app.base}/api/me`, { headers: { cookie: `city_session=${'A'.repeat(43)}` } });
    expect(bogus.status).toBe(401);
    expect(bogus.headers.getSetCookie()[0]).toMatch(/^city_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
    const bob = await login(app, 'bob');
    const planted = await fetch(`${app.base}/api/me`, { headers: { cookie: `${bob.cookie}; other=1; city_session=${'B'.repeat(43)}` } });
    expect(planted.status).toBe(401);
    const withOthers = await fetch(`${app.base}/api/me`, { headers: { cookie: `theme=dark; ${bob.cookie}; lang=en` } });
    expect(withOthers.status).toBe(200);
  });

  it('refuses a viewer on an operator route with 403', async () => {
    const app = await startApp();
    const vic = await login(app, 'vic');
    expect(await json(await get(app, '/api/queue', vic))).toEqual({ status: 403, body: { error: 'this needs the operator role' } });
    expect((await get(app, '/api/me', vic)).status).toBe(200);
    expect((await get(app, '/api/queue', await login(app, 'ann'))).status).toBe(200);
  });

  it('needs the CSRF token on state-changing requests of a session', async () => {
    const app = await startApp();
    const bob = await login(app, 'bob');
    expect(await json(await send(app, 'POST', '/api/queue/ack', bob, {}, false))).toEqual({ status: 403, body: { error: 'missing or wrong CSRF token' } });
    expect((await send(app, 'POST', '/api/queue/ack', { ...bob, csrfToken: 'x'.repeat(43) }, {})).status).toBe(403);
    expect((await send(app, 'POST', '/api/queue/ack', { ...bob, csrfToken: '' }, {})).status).toBe(403);
    expect(await json(await send(app, 'POST', '/api/queue/ack', bob, {}))).toEqual({ status: 200, body: { ok: true } });
    // another session's token does not fit
    const ann = await login(app, 'ann');
    expect((await send(app, 'POST', '/api/queue/ack', { ...bob, csrfToken: ann.csrfToken }, {})).status).toBe(403);
    // without a session there is nothing to forge: plain 401
    expect((await send(app, 'POST', '/api/queue/ack', undefined, {})).status).toBe(401);
  });

  it('ends the session on logout (which needs the token too)', async () => {
    const app = await startApp();
    const bob = await login(app, 'bob');
    expect((await send(app, 'POST', '/api/logout', bob, undefined, false)).status).toBe(403);
    const out = await send(app, 'POST', '/api/logout', bob);
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()).toEqual([expect.stringMatching(/^city_session=; .*Max-Age=0/)]);
    expect((await get(app, '/api/me', bob)).status).toBe(401);
    expect(await app.store.audit.list({ action: 'user.logout' })).toHaveLength(1);
  });

  it('expires an idle session, slides one in use', async () => {
    const app = await startApp({ sessionTtlMs: 400 });
    const idle = await login(app, 'bob');
    const busy = await login(app, 'ann');
    for (let i = 0; i < 6; i++) {
      await sleep(150);
      expect((await get(app, '/api/me', busy)).status, `request ${i}`).toBe(200);
    }
    expect((await get(app, '/api/me', idle)).status).toBe(401);
  });

  it('ends the sessions of a user an admin disables', async () => {
    const app = await startApp();
    const bob = await login(app, 'bob');
    const ann = await login(app, 'ann');
    expect((await send(app, 'PATCH', '/api/users/bob', ann, { disabled: true })).status).toBe(200);
    expect((await get(app, '/api/me', bob)).status).toBe(401);
  });
});

describe('users admin API', () => {
  it('is for admins only', async () => {
    const app = await startApp();
    const bob = await login(app, 'bob');
    expect(await json(await get(app, '/api/users', bob))).toEqual({ status: 403, body: { error: 'this needs the admin role' } });
    expect((await send(app, 'POST', '/api/users', bob, { username: 'eve', password: PASSWORD, role: 'admin' })).status).toBe(403);
    expect((await send(app, 'PATCH', '/api/users/bob', bob, { role: 'admin' })).status).toBe(403);
    expect((await get(app, '/api/users')).status).toBe(401);
  });

  it('creates and changes operators, validated, audited without passwords', async () => {
    const app = await startApp();
    const ann = await login(app, 'ann');
    const list = (await (await get(app, '/api/users', ann)).json()) as Operator[];
    expect(list.map((u) => u.username)).toEqual(['ann', 'bob', 'vic']);

    const created = await send(app, 'POST', '/api/users', ann, { username: 'carol', password: 'carols long password', role: 'operator', displayName: 'Carol C.', evidenceAccess: true });
    expect(await json(created)).toEqual({ status: 201, body: { username: 'carol', displayName: 'Carol C.', role: 'operator', evidenceAccess: true, createdAt: expect.any(Number), disabled: false } });
    await login(app, 'carol', 'carols long password');

    const bad = [
      [{ username: 'dave', password: 'short', role: 'operator' }, /password: expected at least 12 characters/],
      [{ username: 'Dave Smith', password: PASSWORD, role: 'operator' }, /^username: /],
      [{ username: 'dave', password: PASSWORD, role: 'root' }, /^role: /],
      [{ username: 'dave', password: PASSWORD, role: 'viewer', isAdmin: true }, /isAdmin/],
    ] as const;
    for (const [body, error] of bad) {
      const res = await json(await send(app, 'POST', '/api/users', ann, body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toMatch(error);
    }
    expect(await json(await send(app, 'POST', '/api/users', ann, { username: 'carol', password: PASSWORD, role: 'viewer' }))).toEqual({ status: 409, body: { error: 'user carol already exists' } });

    expect(await json(await send(app, 'PATCH', '/api/users/carol', ann, { role: 'viewer', evidenceAccess: false }))).toMatchObject({ status: 200, body: { role: 'viewer', evidenceAccess: false } });
    expect((await send(app, 'PATCH', '/api/users/carol', ann, { password: 'carols newer password' })).status).toBe(200);
    await login(app, 'carol', 'carols newer password');
    expect((await send(app, 'PATCH', '/api/users/nobody', ann, { role: 'viewer' })).status).toBe(404);
    expect((await send(app, 'PATCH', '/api/users/carol', ann, {})).status).toBe(400);
    expect((await send(app, 'PATCH', '/api/users/carol', ann, { password: 'short' })).status).toBe(400);
    expect(await json(await send(app, 'PATCH', '/api/users/ann', ann, { role: 'operator' }))).toEqual({ status: 409, body: { error: expect.stringContaining('last enabled admin') } });

    const audit = await app.store.audit.list({ entityType: 'user', entityId: 'carol', order: 'asc' });
    expect(audit.map((e) => [e.action, e.actor])).toEqual([
      ['user.create', 'ann'],
      ['user.login', 'carol'],
      ['user.update', 'ann'],
      ['user.update', 'ann'],
      ['user.login', 'carol'],
    ]);
    expect(JSON.stringify(await app.store.audit.list())).not.toMatch(/long password|scrypt/);
  });
});

describe('audit API', () => {
  it('lists with filters and exports CSV, for admins only', async () => {
    const app = await startApp();
    const bob = await login(app, 'bob');
    const ann = await login(app, 'ann');
    expect((await get(app, '/api/audit', bob)).status).toBe(403);
    expect((await get(app, '/api/audit.csv', bob)).status).toBe(403);
    expect((await get(app, '/api/audit.csv')).status).toBe(401);
    await send(app, 'POST', '/api/users', ann, { username: 'carol', password: PASSWORD, role: 'viewer' });

    const all = (await (await get(app, '/api/audit', ann)).json()) as AuditEntry[];
    expect(all.map((e) => e.action)).toEqual(['user.create', 'user.login', 'user.login']);
    const carol = (await (await get(app, '/api/audit?entityType=user&entityId=carol', ann)).json()) as AuditEntry[];
    expect(carol).toMatchObject([{ action: 'user.create', actor: 'ann', after: { username: 'carol', role: 'viewer' } }]);
    expect(((await (await get(app, '/api/audit?limit=1', ann)).json()) as AuditEntry[]).map((e) => e.action)).toEqual(['user.create']);
    expect(((await (await get(app, `/api/audit?since=${all[0]!.at + 1}`, ann)).json()) as AuditEntry[]).length).toBeLessThanOrEqual(1);
    for (const query of ['since=yesterday', 'limit=0', 'limit=99999', 'colour=red', 'actor=a&actor=b']) {
      const res = await json(await get(app, `/api/audit?${query}`, ann));
      expect(res.status, query).toBe(400);
      expect(res.body.error, query).toEqual(expect.any(String));
    }

    const csv = await get(app, '/api/audit.csv?entityType=user', ann);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = (await csv.text()).split('\r\n');
    expect(lines[0]).toBe('id,at,actor,action,entity_type,entity_id,before,after');
    expect(lines.slice(1, -1).map((l) => l.split(',')[3])).toEqual(['user.login', 'user.login', 'user.create']);
    expect(lines.at(-1)).toBe('');
    // the export itself is on the record
    expect(await app.store.audit.list({ action: 'audit.export' })).toMatchObject([{ actor: 'ann', after: { entityType: 'user' } }]);
  });
});

describe('readAuthConfig', () => {
  it('reads defaults and overrides', () => {
    const defaults = new EnvReader({});
    expect(readAuthConfig(defaults)).toEqual({ admin: {}, sessionTtlMs: 43_200_000, cookieSecure: false, maxFailuresPerUser: 5, maxFailuresPerIp: 20, throttleWindowMs: 900_000 });
    expect(defaults.problems).toEqual([]);
    const env = new EnvReader({ ADMIN_USER: 'chief', ADMIN_PASSWORD: PASSWORD, SESSION_TTL_MS: '3600000', SESSION_COOKIE_SECURE: 'true', LOGIN_MAX_FAILURES_PER_USER: '3', LOGIN_MAX_FAILURES_PER_IP: '50', LOGIN_THROTTLE_WINDOW_MS: '60000' });
    expect(readAuthConfig(env)).toEqual({ admin: { username: 'chief', password: PASSWORD }, sessionTtlMs: 3_600_000, cookieSecure: true, maxFailuresPerUser: 3, maxFailuresPerIp: 50, throttleWindowMs: 60_000 });
    expect(env.problems).toEqual([]);
  });

  it('lists every problem without echoing the password', () => {
    const env = new EnvReader({ ADMIN_USER: 'bad user', ADMIN_PASSWORD: 'hunter2', SESSION_TTL_MS: '5', SESSION_COOKIE_SECURE: 'maybe', LOGIN_MAX_FAILURES_PER_USER: '0' });
    readAuthConfig(env);
    expect(env.problems).toHaveLength(5);
    expect(env.problems.join('\n')).not.toContain('hunter2');
    expect(env.problems).toContain('ADMIN_PASSWORD: expected at least 12 characters (got 7)');
  });
});

describe('parseCookies', () => {
  it('keeps well-formed pairs, every value of a repeated name, and drops the rest', () => {
    expect(parseCookies(undefined)).toEqual(new Map());
    expect(parseCookies('a=1; b=two; a=3; junk; =x; c="quoted"; d=; e=x y')).toEqual(
      new Map([
        ['a', ['1', '3']],
        ['b', ['two']],
        ['d', ['']],
      ]),
    );
  });
});
