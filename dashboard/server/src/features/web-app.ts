// The built web app (dashboard/web/dist): static files, and index.html for any other non-API path so
// the app's own routes survive a reload.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { Router } from 'express';

export function hasWebApp(webDir: string): boolean {
  return existsSync(join(webDir, 'index.html'));
}

export function webAppRouter(webDir: string): Router {
  const router = Router();
  const root = resolve(webDir);
  router.use(
    express.static(root, {
      index: 'index.html',
      // hashed asset names may be cached; index.html must not, or a deploy is not seen
      setHeaders: (res, path) => res.setHeader('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=3600'),
    }),
  );
  router.get('/{*splat}', (req, res, next) => {
    if (req.path.startsWith('/api/') || req.path === '/api') return next();
    res.set('cache-control', 'no-cache');
    res.sendFile(join(root, 'index.html'));
  });
  return router;
}
