// Operators in PostgreSQL: the same policy checks and scrypt hashes as the SQLite store (users.ts).
import { verifySecret, type Operator, type Role } from '@city/shared';
import { OpsConflictError, OpsNotFoundError } from '../errors.ts';
import type { NewOperator, OperatorPatch, UserRepository } from '../repositories.ts';
import { toOperator, type UserRow } from '../rows/users.ts';
import { PASSWORD_MAX_LENGTH, checkOperatorPatch, definedOnly, getDummyHash, hashPassword, normalizeUsername, prepareOperator } from '../users.ts';
import type { PgConnection } from './connection.ts';

const COLUMNS = 'username, display_name, role, password_hash, evidence_access, disabled, created_at';

export class PgUserRepository implements UserRepository {
  constructor(private readonly db: PgConnection) {
    // made now, not on the first unknown login, which would otherwise take twice as long as the rest
    void getDummyHash();
  }

  private row(username: string): Promise<UserRow | undefined> {
    return this.db.one<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [normalizeUsername(username)]);
  }

  async create(input: NewOperator): Promise<Operator> {
    const { username, displayName, hash } = await prepareOperator(input);
    const now = Date.now();
    const row = await this.db.one<UserRow>(
      `INSERT INTO users (username, display_name, role, password_hash, evidence_access, disabled, created_at, password_changed_at)
       VALUES ($1, $2, $3, $4, $5, false, $6, $6) ON CONFLICT (username) DO NOTHING RETURNING ${COLUMNS}`,
      [username, displayName, input.role, hash, input.evidenceAccess === true, now],
    );
    if (!row) throw new OpsConflictError(`user ${username} already exists`);
    return toOperator(row);
  }

  async get(username: string): Promise<Operator | undefined> {
    const row = await this.row(username);
    return row ? toOperator(row) : undefined;
  }

  async list(): Promise<Operator[]> {
    return (await this.db.rows<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY username`)).map(toOperator);
  }

  async count(): Promise<number> {
    return (await this.db.one<{ n: number }>('SELECT count(*) AS n FROM users'))!.n;
  }

  async update(username: string, patch: OperatorPatch): Promise<Operator> {
    checkOperatorPatch(patch);
    return this.db.atomic(async () => {
      const row = await this.db.one<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1 FOR UPDATE`, [normalizeUsername(username)]);
      if (!row) throw new OpsNotFoundError(`user ${normalizeUsername(username)} not found`);
      const next = { ...toOperator(row), ...definedOnly(patch) };
      const updated = await this.db.one<UserRow>(
        `UPDATE users SET role = $2, display_name = $3, evidence_access = $4, disabled = $5 WHERE username = $1 RETURNING ${COLUMNS}`,
        [row.username, next.role, next.displayName.trim(), next.evidenceAccess, next.disabled],
      );
      return toOperator(updated!);
    });
  }

  setRole(username: string, role: Role): Promise<Operator> {
    return this.update(username, { role });
  }

  disable(username: string): Promise<Operator> {
    return this.update(username, { disabled: true });
  }

  async setPassword(username: string, password: string): Promise<void> {
    const hash = await hashPassword(password);
    const { rowCount } = await this.db.query('UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE username = $3', [hash, Date.now(), normalizeUsername(username)]);
    if (rowCount === 0) throw new OpsNotFoundError(`user ${normalizeUsername(username)} not found`);
  }

  async verify(username: string, password: string): Promise<Operator | undefined> {
    // longer than any password the policy lets in (UTF-16 units: up to 2 per character)
    if (password.length > PASSWORD_MAX_LENGTH * 2) return undefined;
    const row = await this.row(username);
    const ok = await verifySecret(password, row?.password_hash ?? (await getDummyHash()));
    return ok && row && !row.disabled ? toOperator(row) : undefined;
  }
}
