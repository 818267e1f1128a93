// Incidents for operators: the REST API (list, detail, workflow actions, exports, rules, evidence) and
// the `/ops` socket.io namespace that pushes every incident change to logged-in operators.
import type { IncomingMessage } from 'node:http';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Server as SocketServer } from 'socket.io';
import { z } from 'zod';
import {
  INCIDENT_CATEGORIES,
  INCIDENT_STATUSES,
  isActive,
  roleAtLeast,
  SEVERITIES,
  type Incident,
  type IncidentEventsToClient,
  type Logger,
  type Operator,
} from '@city/shared';
import { incidentsToCsv, incidentsToGeoJson, incidentToAlert } from '../core/incident-export.ts';
import { WorkflowError } from '../core/workflow.ts';
import { OpsError, SESSION_ID_PATTERN, type IncidentService, type OpsStore } from '../ops/index.ts';
import { authOf, parseCookies, requireEvidenceAccess, requireUser, SESSION_COOKIE } from './auth.ts';
import type { RulesRunner } from './rules-runner.ts';

export interface IncidentsContext {
  store: OpsStore;
  incidents: IncidentService;
  /** absent when this process does not run the rules engine (RULES_ENGINE=false) */
  rules?: RulesRunner;
  logger: Logger;
}

/** Request bodies: an action or a comment is small; a whole rule set (up to 1000 rules) is not. */
export const BODY_LIMITS = { default: '64kb', rules: '1mb' } as const;

/** What the `/ops` snapshot holds besides active incidents: those closed within this time, ms. */
const RECENTLY_CLOSED_MS = 3_600_000;

const asyncRoute =
  (fn: (req: Request, res: Response) => Promise<unknown>) =>
  (req: Request, res: Response, next: NextFunction): void => {
    fn(req, res).catch(next);
  };

const actor = (req: Request) => authOf(req)!.user.username;

/** Workflow and store errors carry their HTTP status; everything else is the app's 500. */
export function sendKnownError(err: unknown, res: Response): boolean {
  if (err instanceof WorkflowError || err instanceof OpsError) {
    res.status(err.httpStatus).json({ error: err.message });
    return true;
  }
  // body-parser: malformed JSON (400), body too large (413), wrong charset (415)
  const status = (err as { status?: unknown; expose?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500 && (err as { expose?: unknown }).expose) {
    res.status(status).json({ error: (err as Error).message });
    return true;
  }
  return false;
}

const csv = (values: readonly string[]) =>
  z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',').map((v) => v.trim()) : undefined))
    .pipe(z.array(z.enum(values as [string, ...string[]])).optional());

const ListQuery = z.strictObject({
  status: csv(INCIDENT_STATUSES),
  severity: csv(SEVERITIES),
  category: z.enum(INCIDENT_CATEGORIES).optional(),
  district: z.string().max(64).optional(),
  /** ISO 8601 or epoch ms: changed since */
  since: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(5000).optional(),
});

const NewIncidentBody = z.strictObject({
  title: z.string().trim().min(1).max(200),
  category: z.enum(INCIDENT_CATEGORIES),
  severity: z.enum(SEVERITIES),
  description: z.string().trim().min(1).max(2000),
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
  district: z.string().max(64).optional(),
});

const bodies = {
  resolve: z.strictObject({ note: z.string().max(4000).optional() }),
  dismiss: z.strictObject({ reason: z.string().min(1).max(4000) }),
  assign: z.strictObject({ assignee: z.string().min(1).max(64).nullable() }),
  comments: z.strictObject({ text: z.string().min(1).max(4000) }),
  severity: z.strictObject({ severity: z.enum(SEVERITIES) }),
  empty: z.strictObject({}),
};

function problems(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

function parseSince(raw: string | undefined): number | undefined | 'bad' {
  if (raw === undefined) return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  return Number.isFinite(ms) ? ms : 'bad';
}

export function incidentsRouter(ctx: IncidentsContext): Router {
  const { store, incidents } = ctx;
  const router = Router();
  const viewer = requireUser('viewer');
  const operator = requireUser('operator');
  const admin = requireUser('admin');
  const smallJson = express.json({ limit: BODY_LIMITS.default });
  const rulesJson = express.json({ limit: BODY_LIMITS.rules });
  router.use((req, res, next) => (req.path === '/rules' ? rulesJson : smallJson)(req, res, next));

  const list = async (req: Request, res: Response): Promise<Incident[] | undefined> => {
    const query = ListQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400).json({ error: problems(query.error) });
      return undefined;
    }
    const since = parseSince(query.data.since);
    if (since === 'bad') {
      res.status(400).json({ error: 'since: expected ISO 8601 or epoch ms' });
      return undefined;
    }
    const { status, severity, category, district, limit } = query.data;
    return store.incidents.list({
      ...(status ? { status: status as Incident['status'][] } : {}),
      ...(severity ? { severity: severity as Incident['severity'][] } : {}),
      ...(category ? { category } : {}),
      ...(district ? { district } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(limit ? { limit } : {}),
    });
  };

  router.get(
    '/incidents',
    viewer,
    asyncRoute(async (req, res) => {
      const found = await list(req, res);
      if (found) res.json({ incidents: found });
    }),
  );
  router.get(
    '/incidents.geojson',
    viewer,
    asyncRoute(async (req, res) => {
      const found = await list(req, res);
      if (found) res.type('application/geo+json').send(JSON.stringify(incidentsToGeoJson(found)));
    }),
  );
  router.get(
    '/incidents.csv',
    viewer,
    asyncRoute(async (req, res) => {
      const found = await list(req, res);
      if (found) res.type('text/csv; charset=utf-8').attachment('incidents.csv').send(incidentsToCsv(found));
    }),
  );
  router.get(
    '/incidents/alerts.json',
    viewer,
    asyncRoute(async (req, res) => {
      const found = await list(req, res);
      if (found) res.json(found.map(incidentToAlert));
    }),
  );

  router.post(
    '/incidents',
    operator,
    asyncRoute(async (req, res) => {
      const body = NewIncidentBody.safeParse(req.body);
      if (!body.success) return res.status(400).json({ error: problems(body.error) });
      const { title, category, severity, description, lat, lon, district } = body.data;
      if ((lat === undefined) !== (lon === undefined)) return res.status(400).json({ error: 'lat and lon: give both or neither' });
      const now = Date.now();
      const incident = await incidents.open(
        {
          title,
          category,
          severity,
          source: 'operator',
          explanation: description,
          evidence: { count: 1, firstSeenAt: now, lastSeenAt: now },
          ...(lat !== undefined && lon !== undefined ? { position: { lat, lon } } : {}),
          ...(district ? { district } : {}),
        },
        actor(req),
      );
      res.status(201).json(incident);
    }),
  );

  router.get(
    '/incidents/:id',
    viewer,
    asyncRoute(async (req, res) => {
      res.json(await incidents.detail(String(req.params.id)));
    }),
  );

  // the workflow: one POST per action, each audited by the service
  const action = <S extends z.ZodType>(name: string, schema: S, run: (id: string, body: z.output<S>, who: string) => Promise<Incident>) =>
    router.post(
      `/incidents/:id/${name}`,
      operator,
      asyncRoute(async (req, res) => {
        const body = schema.safeParse(req.body ?? {});
        if (!body.success) return res.status(400).json({ error: problems(body.error) });
        res.json(await run(String(req.params.id), body.data, actor(req)));
      }),
    );
  action('acknowledge', bodies.empty, (id, _b, who) => incidents.acknowledge(id, who));
  action('start', bodies.empty, (id, _b, who) => incidents.startWork(id, who));
  action('resolve', bodies.resolve, (id, b, who) => incidents.resolve(id, who, b.note));
  action('dismiss', bodies.dismiss, (id, b, who) => incidents.dismiss(id, who, b.reason));
  action('assign', bodies.assign, (id, b, who) => incidents.assign(id, b.assignee, who));
  action('comments', bodies.comments, (id, b, who) => incidents.comment(id, b.text, who));
  action('severity', bodies.severity, (id, b, who) => incidents.setSeverity(id, b.severity, who));

  /** who an incident can be assigned to: enabled operators and admins */
  router.get(
    '/operators',
    viewer,
    asyncRoute(async (_req, res) => {
      const users = (await store.users.list()).filter((u) => !u.disabled && roleAtLeast(u.role, 'operator'));
      res.json({ users });
    }),
  );

  // ---- rules ----
  router.get('/rules', viewer, (_req, res) => {
    if (!ctx.rules) return res.status(503).json({ error: 'the rules engine runs in another process (RULES_ENGINE=false here)' });
    res.json(ctx.rules.rules);
  });
  router.put(
    '/rules',
    admin,
    asyncRoute(async (req, res) => {
      if (!ctx.rules) return res.status(503).json({ error: 'the rules engine runs in another process (RULES_ENGINE=false here)' });
      const body = z.strictObject({ version: z.number().int().min(0), rules: z.array(z.unknown()).max(1000) }).safeParse(req.body);
      if (!body.success) return res.status(400).json({ error: problems(body.error) });
      const result = await ctx.rules.replaceRules(body.data.rules, actor(req), body.data.version);
      if (!result.ok) return res.status(400).json({ error: 'invalid rules', problems: result.problems });
      res.json(result.ruleSet);
    }),
  );

  // ---- evidence (infringements): restricted, every access logged ----
  const evidence = [viewer, requireEvidenceAccess()];
  router.get(
    '/evidence',
    ...evidence,
    asyncRoute(async (req, res) => {
      const records = await store.evidence.list({ limit: 500 });
      await store.evidence.logAccess('*', actor(req), 'list');
      res.json({ evidence: records });
    }),
  );
  router.get(
    '/evidence/:id',
    ...evidence,
    asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      const record = await store.evidence.get(id);
      if (!record) return res.status(404).json({ error: `no evidence ${id}` });
      await store.evidence.logAccess(id, actor(req), 'read');
      res.json({ ...record, accessLog: await store.evidence.accessLog(id) });
    }),
  );
  router.get(
    '/evidence/:id/snapshot.jpg',
    ...evidence,
    asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      const jpeg = await store.evidence.snapshot(id);
      if (!jpeg) return res.status(404).json({ error: `no snapshot for evidence ${id}` });
      await store.evidence.logAccess(id, actor(req), 'snapshot');
      res.type('image/jpeg').set('Cache-Control', 'no-store').send(jpeg);
    }),
  );
  router.delete(
    '/evidence/:id',
    admin,
    asyncRoute(async (req, res) => {
      const id = String(req.params.id);
      if (!(await store.evidence.delete(id))) return res.status(404).json({ error: `no evidence ${id}` });
      await store.evidence.logAccess(id, actor(req), 'delete');
      await store.audit.append({ actor: actor(req), action: 'evidence.delete', entityType: 'evidence', entityId: id });
      res.status(204).end();
    }),
  );

  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!sendKnownError(err, res)) next(err);
  });
  return router;
}

/** The operator behind a socket.io handshake: the same session cookie the REST API reads. */
async function operatorOf(store: OpsStore, req: IncomingMessage): Promise<Operator | undefined> {
  const values = [...new Set(parseCookies(req.headers.cookie).get(SESSION_COOKIE) ?? [])];
  if (values.length !== 1 || !SESSION_ID_PATTERN.test(values[0]!)) return undefined;
  const session = await store.sessions.get(values[0]!);
  const user = session ? await store.users.get(session.username) : undefined;
  return user && !user.disabled ? user : undefined;
}

/**
 * `/ops`: logged-in operators only (the handshake's session cookie). On connect, every active incident
 * and those closed in the last hour; then each change as it happens.
 */
export function attachOpsNamespace(io: SocketServer, ctx: IncidentsContext): () => void {
  const ops = io.of('/ops');
  ops.use((socket, next) => {
    operatorOf(ctx.store, socket.request).then(
      (user) => (user ? next() : next(new Error('login required'))),
      (err: unknown) => {
        ctx.logger.error('ops handshake failed', { err });
        next(new Error('server error'));
      },
    );
  });
  ops.on('connection', (socket) => {
    const since = Date.now() - RECENTLY_CLOSED_MS;
    Promise.all([ctx.store.incidents.listActive(), ctx.store.incidents.list({ since, limit: 5000 })]).then(
      ([active, recent]) => {
        const byId = new Map(active.map((i) => [i.id, i]));
        for (const i of recent) if (!isActive(i.status)) byId.set(i.id, i);
        socket.emit('incidents', { incidents: [...byId.values()], serverTime: Date.now() });
      },
      (err: unknown) => ctx.logger.error('ops snapshot failed', { err }),
    );
  });
  const unsubscribe = ctx.incidents.onChange((incident, change) => {
    (ops as unknown as { emit: <E extends keyof IncidentEventsToClient>(e: E, ...a: Parameters<IncidentEventsToClient[E]>) => boolean }).emit('incident', {
      incident,
      change,
      serverTime: Date.now(),
    });
  });
  return () => {
    unsubscribe();
    // this server's operators only (`local`: with the Redis adapter the others' stay). A browser may hold
    // /ops on an engine connection of its own, which the live map's disconnect does not reach, and an
    // open WebSocket keeps the HTTP server from closing: the dashboard would never finish stopping.
    ops.local.disconnectSockets(true);
  };
}
