// The built web app (dashboard/web/dist): static files; report.html (the citizen form and status page,
// a bundle of its own) for /report and /report/...; index.html (the control room) for any other
// non-API path, so each app's own routes survive a reload.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { Router } from 'express';

export function hasWebApp(webDir: string): boolean {
  return existsSync(join(webDir, 'index.html'));
}

/** The citizen pages' paths: /report, /report/, /report/status/{id} */
export const isReportPath = (path: string): boolean => path === '/report' || path.startsWith('/report/');

export function webAppRouter(webDir: string): Router {
  const router = Router();
  const root = resolve(webDir);
  router.use(
    express.static(root, {
      index: 'index.html',
      // hashed asset names may be cached; the html pages must not, or a deploy is not seen
      setHeaders: (res, path) => res.setHeader('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=3600'),
    }),
  );
  router.get('/{*splat}', (req, res, next) => {
    if (req.path.startsWith('/api/') || req.path === '/api') return next();
    res.set('cache-control', 'no-cache');
    // a build without the report page still serves the control room
    const page = isReportPath(req.path) && existsSync(join(root, 'report.html')) ? 'report.html' : 'index.html';
    res.sendFile(join(root, page));
  });
  return router;
}
