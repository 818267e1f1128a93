// Login sessions: the cookie carries 32 random bytes; the table holds only their SHA-256, so a copy
// of the database file cannot be replayed as a cookie. Expiry slides on use (touch).
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { SqliteConnection } from './db.ts';
import { OpsNotFoundError, OpsValidationError } from './errors.ts';
import type { NewSession, Session, SessionRepository } from './repositories.ts';
import { toSession, type SessionRow } from './rows/sessions.ts';
import { normalizeUsername } from './users.ts';

/** 32 random bytes in base64url: 43 characters. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const newSessionId = (): string => randomBytes(32).toString('base64url');
export const newCsrfToken = (): string => randomBytes(32).toString('base64url');
export const hashSessionId = (id: string): string => createHash('sha256').update(id).digest('hex');

export class SqliteSessionRepository implements SessionRepository {
  private readonly insert: Database.Statement;
  private readonly selectLive: Database.Statement;
  private readonly slide: Database.Statement;
  private readonly deleteOne: Database.Statement;
  private readonly deleteUser: Database.Statement;
  private readonly deleteExpired: Database.Statement;

  constructor(private readonly conn: SqliteConnection) {
    const db = conn.db;
    this.insert = db.prepare(
      'INSERT INTO sessions (id_hash, username, csrf_token, created_at, expires_at, ttl_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.selectLive = db.prepare('SELECT username, csrf_token, created_at, expires_at, ttl_ms FROM sessions WHERE id_hash = ? AND expires_at > ?');
    this.slide = db.prepare('UPDATE sessions SET expires_at = ? + ttl_ms WHERE id_hash = ? AND expires_at > ? RETURNING expires_at').pluck();
    this.deleteOne = db.prepare('DELETE FROM sessions WHERE id_hash = ?');
    this.deleteUser = db.prepare('DELETE FROM sessions WHERE username = ?');
    this.deleteExpired = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');
  }

  async create(username: string, ttlMs: number, nowMs = Date.now()): Promise<NewSession> {
    if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new OpsValidationError(`ttlMs: expected a positive integer (got ${ttlMs})`);
    const id = newSessionId();
    const csrfToken = newCsrfToken();
    const expiresAt = nowMs + ttlMs;
    await this.conn.run(() => {
      try {
        this.insert.run(hashSessionId(id), normalizeUsername(username), csrfToken, nowMs, expiresAt, ttlMs);
      } catch (err) {
        // the foreign key refuses sessions of unknown users
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new OpsNotFoundError(`user ${normalizeUsername(username)} not found`);
        throw err;
      }
    });
    return { id, csrfToken, expiresAt };
  }

  get(id: string, nowMs = Date.now()): Promise<Session | undefined> {
    if (!SESSION_ID_PATTERN.test(id)) return Promise.resolve(undefined);
    return this.conn.run(() => {
      const row = this.selectLive.get(hashSessionId(id), nowMs) as SessionRow | undefined;
      return row ? toSession(row) : undefined;
    });
  }

  touch(id: string, nowMs = Date.now()): Promise<number | undefined> {
    if (!SESSION_ID_PATTERN.test(id)) return Promise.resolve(undefined);
    return this.conn.run(() => this.slide.get(nowMs, hashSessionId(id), nowMs) as number | undefined);
  }

  delete(id: string): Promise<boolean> {
    return this.conn.run(() => this.deleteOne.run(hashSessionId(id)).changes > 0);
  }

  deleteForUser(username: string): Promise<number> {
    return this.conn.run(() => this.deleteUser.run(normalizeUsername(username)).changes);
  }

  purgeExpired(nowMs = Date.now()): Promise<number> {
    return this.conn.run(() => this.deleteExpired.run(nowMs).changes);
  }
}
