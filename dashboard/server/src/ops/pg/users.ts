// Operators in PostgreSQL: the same policy checks and scrypt hashes as the SQLite store (users.ts).
import { randomBytes } from 'node:crypto';
import { ROLES, hashSecret, verifySecret, type Operator, type Role } from '@city/shared';
import { OpsConflictError, OpsNotFoundError, OpsValidationError } from '../errors.ts';
import type { NewOperator, OperatorPatch, UserRepository } from '../repositories.ts';
import { DISPLAY_NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH, definedOnly, normalizeUsername, passwordProblem, usernameProblem } from '../users.ts';
import type { PgConnection } from './connection.ts';

// A real hash of a random password, made once: verifying an unknown user costs one scrypt run too.
let dummyHash: Promise<string> | undefined;
const getDummyHash = () => (dummyHash ??= hashSecret(randomBytes(18).toString('base64url')));

interface UserRow {
  username: string;
  display_name: string;
  role: string;
  password_hash: string;
  evidence_access: boolean;
  disabled: boolean;
  created_at: number;
}

const toOperator = (row: UserRow): Operator => ({
  username: row.username,
  displayName: row.display_name,
  role: row.role as Role,
  evidenceAccess: row.evidence_access,
  createdAt: row.created_at,
  disabled: row.disabled,
});

function checkPatch(patch: OperatorPatch): void {
  if (patch.role !== undefined && !ROLES.includes(patch.role)) throw new OpsValidationError(`role: expected one of ${ROLES.join(', ')} (got ${JSON.stringify(patch.role)})`);
  if (patch.displayName !== undefined && (patch.displayName.trim() === '' || patch.displayName.length > DISPLAY_NAME_MAX_LENGTH)) {
    throw new OpsValidationError(`displayName: expected 1-${DISPLAY_NAME_MAX_LENGTH} characters`);
  }
}

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
    const username = normalizeUsername(input.username);
    const problem = usernameProblem(username) ?? passwordProblem(input.password);
    if (problem) throw new OpsValidationError(problem);
    checkPatch({ role: input.role, displayName: input.displayName });
    const hash = await hashSecret(input.password);
    const now = Date.now();
    const row = await this.db.one<UserRow>(
      `INSERT INTO users (username, display_name, role, password_hash, evidence_access, disabled, created_at, password_changed_at)
       VALUES ($1, $2, $3, $4, $5, false, $6, $6) ON CONFLICT (username) DO NOTHING RETURNING ${COLUMNS}`,
      [username, input.displayName?.trim() || username, input.role, hash, input.evidenceAccess === true, now],
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
    checkPatch(patch);
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
    const problem = passwordProblem(password);
    if (problem) throw new OpsValidationError(problem);
    const hash = await hashSecret(password);
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
