// Login sessions in PostgreSQL: only the SHA-256 of the cookie value is stored; expiry slides on use.
import { OpsNotFoundError, OpsValidationError } from '../errors.ts';
import type { NewSession, Session, SessionRepository } from '../repositories.ts';
import { toSession, type SessionRow } from '../rows/sessions.ts';
import { SESSION_ID_PATTERN, hashSessionId, newCsrfToken, newSessionId } from '../sessions.ts';
import { normalizeUsername } from '../users.ts';
import { PG_FOREIGN_KEY_VIOLATION, pgErrorCode, type PgConnection } from './connection.ts';

export class PgSessionRepository implements SessionRepository {
  constructor(private readonly db: PgConnection) {}

  async create(username: string, ttlMs: number, nowMs = Date.now()): Promise<NewSession> {
    if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new OpsValidationError(`ttlMs: expected a positive integer (got ${ttlMs})`);
    const id = newSessionId();
    const csrfToken = newCsrfToken();
    const expiresAt = nowMs + ttlMs;
    try {
      await this.db.guarded(
        'INSERT INTO sessions (id_hash, username, csrf_token, created_at, expires_at, ttl_ms) VALUES ($1, $2, $3, $4, $5, $6)',
        [hashSessionId(id), normalizeUsername(username), csrfToken, nowMs, expiresAt, ttlMs],
      );
    } catch (err) {
      // the foreign key refuses sessions of unknown users
      if (pgErrorCode(err) === PG_FOREIGN_KEY_VIOLATION) throw new OpsNotFoundError(`user ${normalizeUsername(username)} not found`);
      throw err;
    }
    return { id, csrfToken, expiresAt };
  }

  async get(id: string, nowMs = Date.now()): Promise<Session | undefined> {
    if (!SESSION_ID_PATTERN.test(id)) return undefined;
    const row = await this.db.one<SessionRow>(
      'SELECT username, csrf_token, created_at, expires_at, ttl_ms FROM sessions WHERE id_hash = $1 AND expires_at > $2',
      [hashSessionId(id), nowMs],
    );
    return row ? toSession(row) : undefined;
  }

  async touch(id: string, nowMs = Date.now()): Promise<number | undefined> {
    if (!SESSION_ID_PATTERN.test(id)) return undefined;
    const row = await this.db.one<{ expires_at: number }>(
      'UPDATE sessions SET expires_at = $1 + ttl_ms WHERE id_hash = $2 AND expires_at > $1 RETURNING expires_at',
      [nowMs, hashSessionId(id)],
    );
    return row?.expires_at;
  }

  async delete(id: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM sessions WHERE id_hash = $1', [hashSessionId(id)])).rowCount ?? 0) > 0;
  }

  async deleteForUser(username: string): Promise<number> {
    return (await this.db.query('DELETE FROM sessions WHERE username = $1', [normalizeUsername(username)])).rowCount ?? 0;
  }

  async purgeExpired(nowMs = Date.now()): Promise<number> {
    return (await this.db.query('DELETE FROM sessions WHERE expires_at <= $1', [nowMs])).rowCount ?? 0;
  }
}
