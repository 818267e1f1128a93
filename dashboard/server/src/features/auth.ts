// Operator authentication: login/logout with a session cookie, the CSRF synchronizer token, the role
// middleware other routers use, the users admin API and the audit API.
//
// Mount with `app.use(authRouter(ctx))` (no prefix; its routes are /api/...) BEFORE every router that
// uses requireUser: it loads the session for all requests and refuses state-changing requests of a
// logged-in browser that lack the CSRF token.
//
//   POST  /api/login          {username, password} -> {user, csrfToken} + cookie city_session
//   POST  /api/logout         ends the session
//   GET   /api/me             {user, csrfToken} or 401
//   GET   /api/users          admin: every operator
//   POST  /api/users          admin: {username, password, role, displayName?, evidenceAccess?}
//   PATCH /api/users/:name    admin: {role?, disabled?, password?, evidenceAccess?, displayName?}
//   GET   /api/audit          admin: ?entityType=&entityId=&actor=&action=&since=&until=&limit= (epoch ms)
//   GET   /api/audit.csv      admin: the same filters, every match, oldest first
import { once } from 'node:events';
import { timingSafeEqual } from 'node:crypto';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { ROLES, roleAtLeast, type EnvReader, type Logger, type Operator, type Role } from '@city/shared';
import { FailureLimiter } from '../core/login-throttle.ts';
import {
  AUDIT_LIST_LIMIT,
  SESSION_ID_PATTERN,
  UserService,
  exportAuditCsv,
  normalizeUsername,
  passwordProblem,
  usernameProblem,
  type OpsStore,
  type Session,
} from '../ops/index.ts';

export { bootstrapAdmin } from '../ops/index.ts';

// ---- configuration ----

export interface AuthConfig {
  /** ADMIN_USER / ADMIN_PASSWORD: the admin created on the first start (no users yet); see bootstrapAdmin */
  admin: { username?: string; password?: string };
  /** SESSION_TTL_MS: idle time after which a session ends; each use slides it, ms */
  sessionTtlMs: number;
  /** SESSION_COOKIE_SECURE: always mark the cookie Secure (set true in production behind TLS) */
  cookieSecure: boolean;
  /** LOGIN_MAX_FAILURES_PER_USER: failed logins per username within the window before 429 */
  maxFailuresPerUser: number;
  /** LOGIN_MAX_FAILURES_PER_IP: failed logins per client IP within the window before 429 */
  maxFailuresPerIp: number;
  /** LOGIN_THROTTLE_WINDOW_MS: the sliding window both limits count in, ms */
  throttleWindowMs: number;
}

export const AUTH_DEFAULTS = {
  sessionTtlMs: 12 * 3_600_000,
  cookieSecure: false,
  maxFailuresPerUser: 5,
  maxFailuresPerIp: 20,
  throttleWindowMs: 15 * 60_000,
} as const;

/** For config.ts: every problem goes into the reader's list (never echoing a password). */
export function readAuthConfig(env: EnvReader): AuthConfig {
  const username = env.optionalStr('ADMIN_USER');
  const password = env.optionalStr('ADMIN_PASSWORD');
  if (username !== undefined) {
    const problem = usernameProblem(normalizeUsername(username));
    env.require(problem === undefined, `ADMIN_USER: ${problem}`);
  }
  if (password !== undefined) {
    const problem = passwordProblem(password);
    env.require(problem === undefined, `ADMIN_PASSWORD: ${problem?.replace(/^password: /, '')}`);
  }
  return {
    admin: { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) },
    sessionTtlMs: env.int('SESSION_TTL_MS', AUTH_DEFAULTS.sessionTtlMs, { min: 60_000, max: 30 * 24 * 3_600_000 }),
    cookieSecure: env.bool('SESSION_COOKIE_SECURE', AUTH_DEFAULTS.cookieSecure),
    maxFailuresPerUser: env.int('LOGIN_MAX_FAILURES_PER_USER', AUTH_DEFAULTS.maxFailuresPerUser, { min: 1, max: 1000 }),
    maxFailuresPerIp: env.int('LOGIN_MAX_FAILURES_PER_IP', AUTH_DEFAULTS.maxFailuresPerIp, { min: 1, max: 100_000 }),
    throttleWindowMs: env.int('LOGIN_THROTTLE_WINDOW_MS', AUTH_DEFAULTS.throttleWindowMs, { min: 1000, max: 24 * 3_600_000 }),
  };
}

// ---- sessions on requests ----

export const SESSION_COOKIE = 'city_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthState {
  user: Operator;
  session: Session;
  /** the cookie value */
  sessionId: string;
}

const authByRequest = new WeakMap<Request, AuthState>();

/** The logged-in operator of a request, when authRouter found a valid session. */
export const authOf = (req: Request): AuthState | undefined => authByRequest.get(req);

/**
 * Cookies by name, every value of each (a name may come twice). Strict: pairs without `=`, empty
 * names and quoted or odd values are left out rather than guessed at.
 */
export function parseCookies(header: string | undefined): Map<string, string[]> {
  const cookies = new Map<string, string[]>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    // RFC 6265 cookie-octets; our values are base64url, so anything else is not ours
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) || !/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/.test(value)) continue;
    cookies.set(name, [...(cookies.get(name) ?? []), value]);
  }
  return cookies;
}

/**
 * The session id from the Cookie header; undefined when absent, malformed, or sent twice with
 * different values. Takes any request with headers: an express Request or socket.io's handshake request.
 */
export function sessionIdFrom(req: { headers: { cookie?: string | undefined } }): string | undefined {
  const values = [...new Set(parseCookies(req.headers.cookie).get(SESSION_COOKIE) ?? [])];
  // two different values: a cookie planted from a sibling domain; trust neither
  if (values.length !== 1 || !SESSION_ID_PATTERN.test(values[0]!)) return undefined;
  return values[0];
}

function sessionCookie(value: string, maxAgeS: number, secure: boolean): string {
  return [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeS}`, ...(secure ? ['Secure'] : [])].join('; ');
}

const safeEqual = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * 401 {error: 'login required'} without a valid session, 403 when the role is below `minRole`.
 * Needs authRouter mounted earlier on the app (without it every request is refused: fail closed).
 */
export function requireUser(minRole: Role = 'viewer'): RequestHandler {
  return (req, res, next) => {
    const auth = authOf(req);
    if (!auth) {
      res.status(401).json({ error: 'login required' });
      return;
    }
    if (!roleAtLeast(auth.user.role, minRole)) {
      res.status(403).json({ error: `this needs the ${minRole} role` });
      return;
    }
    next();
  };
}

/** 403 unless the operator may read infringement evidence (admins always may). Use after requireUser. */
export function requireEvidenceAccess(): RequestHandler {
  return (req, res, next) => {
    const user = authOf(req)?.user;
    if (!user) {
      res.status(401).json({ error: 'login required' });
      return;
    }
    if (!user.evidenceAccess && user.role !== 'admin') {
      res.status(403).json({ error: 'this needs evidence access' });
      return;
    }
    next();
  };
}

// ---- request bodies ----

const LoginBody = z.object({
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(4096),
});

const checkUsername = (value: string, ctx: z.RefinementCtx) => {
  const problem = usernameProblem(normalizeUsername(value));
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};
const checkPassword = (value: string, ctx: z.RefinementCtx) => {
  const problem = passwordProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};

const NewUserBody = z.strictObject({
  username: z.string().superRefine(checkUsername),
  password: z.string().superRefine(checkPassword),
  role: z.enum(ROLES),
  displayName: z.string().trim().min(1).max(100).optional(),
  evidenceAccess: z.boolean().optional(),
});

const UserPatchBody = z
  .strictObject({
    role: z.enum(ROLES).optional(),
    disabled: z.boolean().optional(),
    password: z.string().superRefine(checkPassword).optional(),
    evidenceAccess: z.boolean().optional(),
    displayName: z.string().trim().min(1).max(100).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'expected at least one of role, disabled, password, evidenceAccess, displayName');

const epochMs = z.string().regex(/^\d{1,15}$/, 'expected epoch milliseconds').transform(Number);
const AuditQuery = z.strictObject({
  entityType: z.string().min(1).max(64).optional(),
  entityId: z.string().min(1).max(200).optional(),
  actor: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(64).optional(),
  since: epochMs.optional(),
  until: epochMs.optional(),
  limit: z
    .string()
    .regex(/^\d{1,5}$/, 'expected a number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(AUDIT_LIST_LIMIT.max))
    .optional(),
});

class HttpError extends Error {
  constructor(
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what = 'body'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpError(400, result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : what}: ${i.message}`).join('; '));
}

const jsonBody = express.json({ limit: '16kb' });
/** JSON only: a cross-site form cannot send application/json without a CORS preflight. */
const requireJson: RequestHandler = (req, res, next) => {
  if (!req.is('application/json')) {
    res.status(415).json({ error: 'expected Content-Type: application/json' });
    return;
  }
  next();
};

// ---- the router ----

export interface AuthContext {
  store: OpsStore;
  config: AuthConfig;
  logger: Logger;
  /** epoch ms; Date.now by default */
  now?: () => number;
}

export function authRouter(ctx: AuthContext): Router {
  const { store, config, logger } = ctx;
  const now = ctx.now ?? Date.now;
  const users = new UserService(store);
  const perUser = new FailureLimiter({ maxFailures: config.maxFailuresPerUser, windowMs: config.throttleWindowMs });
  const perIp = new FailureLimiter({ maxFailures: config.maxFailuresPerIp, windowMs: config.throttleWindowMs });
  // slide the expiry at most this often per session: not one write per request
  const touchIntervalMs = Math.min(60_000, Math.floor(config.sessionTtlMs / 10));
  const maxAgeS = Math.max(1, Math.ceil(config.sessionTtlMs / 1000));
  const secure = (req: Request) => config.cookieSecure || req.secure;
  const clientIp = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';
  const clearCookie = (req: Request, res: Response) => res.append('Set-Cookie', sessionCookie('', 0, secure(req)));

  const router = Router();

  // every request: find the session and its (enabled) operator
  router.use(async (req, res, next) => {
    const cookie = req.headers.cookie;
    if (!cookie?.includes(`${SESSION_COOKIE}=`)) return next();
    const sessionId = sessionIdFrom(req);
    const nowMs = now();
    const session = sessionId ? await store.sessions.get(sessionId, nowMs) : undefined;
    const user = session ? await store.users.get(session.username) : undefined;
    if (!sessionId || !session || !user || user.disabled) {
      if (req.path !== '/api/login') clearCookie(req, res);
      return next();
    }
    if (session.expiresAt - nowMs < session.ttlMs - touchIntervalMs) {
      const expiresAt = await store.sessions.touch(sessionId, nowMs);
      if (expiresAt !== undefined) {
        session.expiresAt = expiresAt;
        res.append('Set-Cookie', sessionCookie(sessionId, Math.max(1, Math.ceil(session.ttlMs / 1000)), secure(req)));
      }
    }
    authByRequest.set(req, { user, session, sessionId });
    next();
  });

  // CSRF (synchronizer token): a logged-in browser's state-changing request must echo the session's token.
  // Login is exempt: it needs no session and takes JSON only.
  router.use((req, res, next) => {
    const auth = authOf(req);
    if (!auth || SAFE_METHODS.has(req.method) || (req.method === 'POST' && req.path === '/api/login')) return next();
    const token = req.get(CSRF_HEADER);
    if (!token || !safeEqual(token, auth.session.csrfToken)) {
      res.status(403).json({ error: 'missing or wrong CSRF token' });
      return;
    }
    next();
  });

  router.post('/api/login', requireJson, jsonBody, async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const body = parse(LoginBody, req.body);
    const username = normalizeUsername(body.username);
    const ip = clientIp(req);
    const nowMs = now();
    for (const verdict of [perIp.check(ip, nowMs), perUser.check(username, nowMs)]) {
      if (!verdict.allowed) {
        const retryAfterS = Math.ceil(verdict.retryAfterMs / 1000);
        logger.info('login throttled', { username, ip });
        res.set('Retry-After', String(retryAfterS)).status(429).json({ error: `too many failed logins: try again in ${retryAfterS} s` });
        return;
      }
    }
    // counted before the (slow) check, so a burst of parallel attempts cannot all slip under the limit
    perUser.fail(username, nowMs);
    perIp.fail(ip, nowMs);
    const user = await store.users.verify(username, body.password);
    if (!user) {
      logger.info('login failed', { username, ip });
      // the same answer for an unknown user, a wrong password and a disabled account
      res.status(401).json({ error: 'wrong username or password' });
      return;
    }
    perUser.reset(username);
    perIp.forgive(ip, nowMs);
    const previous = authOf(req)?.sessionId ?? sessionIdFrom(req);
    if (previous) await store.sessions.delete(previous);
    await store.sessions.purgeExpired(nowMs);
    const session = await store.sessions.create(user.username, config.sessionTtlMs, nowMs);
    await store.audit.append({ at: nowMs, actor: user.username, action: 'user.login', entityType: 'user', entityId: user.username, after: { ip } });
    res.append('Set-Cookie', sessionCookie(session.id, maxAgeS, secure(req)));
    res.json({ user, csrfToken: session.csrfToken });
  });

  router.post('/api/logout', async (req, res) => {
    const auth = authOf(req);
    if (auth) {
      await store.sessions.delete(auth.sessionId);
      await store.audit.append({ at: now(), actor: auth.user.username, action: 'user.logout', entityType: 'user', entityId: auth.user.username });
    }
    clearCookie(req, res);
    res.status(204).end();
  });

  router.get('/api/me', requireUser(), (req, res) => {
    const auth = authOf(req)!;
    res.set('Cache-Control', 'no-store').json({ user: auth.user, csrfToken: auth.session.csrfToken });
  });

  // ---- users (admin) ----

  router.get('/api/users', requireUser('admin'), async (_req, res) => {
    res.json(await store.users.list());
  });

  router.post('/api/users', requireUser('admin'), requireJson, jsonBody, async (req, res) => {
    const body = parse(NewUserBody, req.body);
    const user = await users.create(body, authOf(req)!.user.username);
    res.status(201).json(user);
  });

  router.patch('/api/users/:username', requireUser('admin'), requireJson, jsonBody, async (req, res) => {
    const body = parse(UserPatchBody, req.body);
    res.json(await users.update(String(req.params.username), body, authOf(req)!.user.username));
  });

  // ---- audit (admin) ----

  router.get('/api/audit', requireUser('admin'), async (req, res) => {
    const query = parse(AuditQuery, req.query, 'query');
    res.json(await store.audit.list(query));
  });

  router.get('/api/audit.csv', requireUser('admin'), async (req, res) => {
    const { limit: _ignored, ...filter } = parse(AuditQuery, req.query, 'query');
    const actor = authOf(req)!.user.username;
    await store.audit.append({ actor, action: 'audit.export', entityType: 'audit', entityId: 'csv', after: filter });
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="audit-${new Date(now()).toISOString().slice(0, 10)}.csv"`,
      'Cache-Control': 'no-store',
    });
    let chunk = '';
    for await (const line of exportAuditCsv(store.audit, filter)) {
      chunk += line;
      if (chunk.length < 64 * 1024) continue;
      if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      chunk = '';
      if (res.destroyed) return; // the client went away
    }
    res.end(chunk);
  });

  const onError: ErrorRequestHandler = (err: { httpStatus?: number; status?: number; expose?: boolean; message?: string }, _req, res, next) => {
    // ours (HttpError, OpsError, WorkflowError) carry httpStatus; body-parser's carry status + expose
    const status = err.httpStatus ?? (err.expose && err.status && err.status < 500 ? err.status : undefined);
    if (status === undefined || res.headersSent) return next(err);
    res.status(status).json({ error: err.message ?? 'bad request' });
  };
  router.use(onError);

  return router;
}
