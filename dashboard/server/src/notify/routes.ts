// Operators read what was sent about a report, mounted at /api after authRouter:
//
//   GET /api/reports/{id}/notifications   operator+; every message about the report, oldest first,
//                                         with its delivery result (status, attempts, last error,
//                                         provider response)
//
// Operator role and up only: the rows name the reporter's email and phone, which viewers never read
// (the same rule as the reporter's contact in GET /api/reports/{id}).
import { Router, type NextFunction, type Request, type Response } from 'express';
import { REPORT_ID_PATTERN, type OpsStore } from '../ops/index.ts';
import type { NotificationRecord } from '../ops/notifications.ts';
import { requireUser } from '../features/auth.ts';

export interface NotificationsHttpContext {
  store: OpsStore;
}

/** GET .../notifications: a row as operators see it (the dedupe key is internal). */
export type NotificationView = Omit<NotificationRecord, 'dedupeKey'>;

const toView = ({ dedupeKey: _key, ...row }: NotificationRecord): NotificationView => row;

export function notificationsRouter(ctx: NotificationsHttpContext): Router {
  const router = Router();
  router.get('/reports/:id/notifications', requireUser('operator'), (req: Request, res: Response, next: NextFunction) => {
    const id = String(req.params.id);
    if (!REPORT_ID_PATTERN.test(id)) {
      res.status(404).json({ error: `report ${id} not found` });
      return;
    }
    (async () => {
      if (!(await ctx.store.reports.get(id))) return res.status(404).json({ error: `report ${id} not found` });
      const rows = await ctx.store.notifications.forReport(id, 1000);
      return res.json({ notifications: rows.map(toView) });
    })().catch(next);
  });
  return router;
}
