// Session rows as both stores read them (never the id hash), and the one mapping to a Session.
import type { Session } from '../repositories.ts';

export interface SessionRow {
  username: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  ttl_ms: number;
}

export const toSession = (row: SessionRow): Session => ({
  username: row.username,
  csrfToken: row.csrf_token,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  ttlMs: row.ttl_ms,
});
