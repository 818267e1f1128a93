// Citizen reports for operators, mounted at /api after authRouter (sessions, CSRF):
//
//   GET  /api/reports?status=&service_code=&since=&limit=   viewer+; newest first. status and
//                                   service_code are comma separated; since: changed since (ISO or epoch ms)
//   GET  /api/reports/{id}          viewer+; updates, photos, timeline, possible duplicates
//   POST /api/reports/{id}/status    {status, note?}             operator+
//   POST /api/reports/{id}/notes     {text, public: boolean}     operator+; public notes are published
//   POST /api/reports/{id}/expected  {expectedAt: ISO | null}    operator+
//   POST /api/reports/{id}/duplicate {of}                        operator+
//   POST /api/reports/{id}/link      {incidentId}                operator+
//
// The reporter's contact and internal notes go to operators and admins only; viewers get neither.
// Every action is audited by ReportService (entityType 'report').
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { REPORT_STATUSES, roleAtLeast, type ReportStatus } from '@city/shared';
import { toOperatorDetail, toOperatorReport } from '../core/report-views.ts';
import { WorkflowError } from '../core/workflow.ts';
import { parseW3cDateTime } from '../open311/index.ts';
import { NOTE_MAX_LENGTH, REPORT_ID_PATTERN, REPORT_LIST_LIMIT, type ReportRecord } from '../ops/index.ts';
import { authOf, requireUser } from './auth.ts';
import { sendKnownError } from './incidents.ts';
import type { ReportsHttpContext } from './reports.ts';

const asyncRoute =
  (fn: (req: Request, res: Response) => Promise<unknown>) =>
  (req: Request, res: Response, next: NextFunction): void => {
    fn(req, res).catch(next);
  };

const csv = <T extends string>(values?: readonly T[]) =>
  z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',').map((v) => v.trim()).filter((v) => v !== '') : undefined))
    .pipe(z.array(values ? z.enum(values as unknown as [T, ...T[]]) : z.string().max(64)).max(100).optional());

const ListQuery = z.strictObject({
  status: csv(REPORT_STATUSES),
  service_code: csv(),
  since: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(REPORT_LIST_LIMIT.max).optional(),
});

const bodies = {
  status: z.strictObject({ status: z.enum(REPORT_STATUSES), note: z.string().max(NOTE_MAX_LENGTH).optional() }),
  notes: z.strictObject({ text: z.string().min(1).max(NOTE_MAX_LENGTH), public: z.boolean() }),
  expected: z.strictObject({ expectedAt: z.string().max(40).nullable() }),
  duplicate: z.strictObject({ of: z.string().regex(REPORT_ID_PATTERN, 'expected a report id') }),
  link: z.strictObject({ incidentId: z.string().min(1).max(64) }),
};

const problems = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

function parseSince(raw: string | undefined, timeZone: string): number | undefined | 'bad' {
  if (raw === undefined) return undefined;
  if (/^\d{1,15}$/.test(raw)) return Number(raw);
  return parseW3cDateTime(raw, timeZone) ?? 'bad';
}

export function reportDeskRouter(ctx: ReportsHttpContext): Router {
  const { reports, store, config } = ctx;
  const router = Router();
  const viewer = requireUser('viewer');
  const operator = requireUser('operator');
  const smallJson = express.json({ limit: '64kb' });
  const isOperator = (req: Request) => roleAtLeast(authOf(req)!.user.role, 'operator');
  const actor = (req: Request) => authOf(req)!.user.username;
  const view = (req: Request, report: ReportRecord) => toOperatorReport(report, { catalogue: config.catalogue, withContact: isOperator(req) });

  router.get(
    '/reports',
    viewer,
    asyncRoute(async (req, res) => {
      const query = ListQuery.safeParse(req.query);
      if (!query.success) return res.status(400).json({ error: problems(query.error) });
      const since = parseSince(query.data.since, ctx.timeZone);
      if (since === 'bad') return res.status(400).json({ error: 'since: expected ISO 8601 or epoch ms' });
      const { status, service_code: serviceCodes, limit } = query.data;
      const found = await store.reports.list({
        ...(status ? { statuses: status as ReportStatus[] } : {}),
        ...(serviceCodes ? { serviceCodes } : {}),
        ...(since !== undefined ? { updatedSince: since } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      res.set('Cache-Control', 'no-store').json({ reports: found.map((r) => view(req, r)) });
    }),
  );

  router.get(
    '/reports/:id',
    viewer,
    asyncRoute(async (req, res) => {
      const detail = await reports.detail(String(req.params.id));
      const { report } = detail;
      const nearby = report.position ? await reports.suggestDuplicates(report.serviceCode, report.position, { excludeId: report.id }) : [];
      const withContact = isOperator(req);
      res.set('Cache-Control', 'no-store').json(toOperatorDetail(detail, nearby, { catalogue: config.catalogue, withContact, withNotes: withContact }));
    }),
  );

  const action = <S extends z.ZodType>(name: string, schema: S, run: (id: string, body: z.output<S>, who: string) => Promise<ReportRecord>) =>
    router.post(
      `/reports/:id/${name}`,
      operator,
      smallJson,
      asyncRoute(async (req, res) => {
        const body = schema.safeParse(req.body ?? {});
        if (!body.success) return res.status(400).json({ error: problems(body.error) });
        res.json(view(req, await run(String(req.params.id), body.data, actor(req))));
      }),
    );
  action('status', bodies.status, (id, b, who) => reports.setStatus(id, b.status, b.note, who));
  action('notes', bodies.notes, (id, b, who) => (b.public ? reports.addPublicNote(id, b.text, who) : reports.addInternalNote(id, b.text, who)));
  action('expected', bodies.expected, (id, b, who) => {
    const at = b.expectedAt === null ? null : parseW3cDateTime(b.expectedAt, ctx.timeZone);
    if (at === undefined) return Promise.reject(WorkflowError.badRequest('expectedAt: expected an ISO 8601 date-time or null'));
    return reports.setExpectedAt(id, at, who);
  });
  action('duplicate', bodies.duplicate, (id, b, who) => reports.markDuplicate(id, b.of, who));
  action('link', bodies.link, (id, b, who) => reports.linkIncident(id, b.incidentId, who));

  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!sendKnownError(err, res)) next(err);
  });
  return router;
}
