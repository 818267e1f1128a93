// What every service that talks to Redis (REDIS_URL: broker cluster, dashboards' socket.io adapter)
// needs the same way: a URL fit for logs, and a bounded wait for a connection to be ready.
import type { Redis } from 'ioredis';

/** REDIS_URL for logs and errors: never the password. */
export function redactedUrl(url: URL): string {
  const copy = new URL(url.toString());
  if (copy.password) copy.password = '***';
  return copy.toString();
}

/**
 * Resolves once `conn` is ready; rejects with its last error (or "no answer") after `timeoutMs`.
 * ioredis keeps retrying meanwhile, so Redis starting a second after the service is fine.
 */
export function redisReady(conn: Redis, timeoutMs: number): Promise<void> {
  if (conn.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: Error) => (lastError = err);
    const done = () => {
      clearTimeout(timer);
      conn.off('error', onError);
      conn.off('ready', onReady);
    };
    const onReady = () => {
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(lastError ?? new Error('no answer'));
    }, timeoutMs);
    conn.on('error', onError);
    conn.once('ready', onReady);
  });
}
