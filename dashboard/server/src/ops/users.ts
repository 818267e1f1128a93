// Operators: usernames, roles, scrypt password hashes (per-user salt, timing-safe check), the
// evidence access flag. The policy checks here are shared by every store and by the HTTP schemas.
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ROLES, generateSecret, hashSecret, verifySecret, type Operator, type Role } from '@city/shared';
import type { SqliteConnection } from './db.ts';
import { OpsConflictError, OpsNotFoundError, OpsValidationError } from './errors.ts';
import type { NewOperator, OperatorPatch, UserRepository } from './repositories.ts';
import type { Encoded } from './rows/encoded.ts';
import { toOperator, type UserRow } from './rows/users.ts';

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** Actor names the audit trail uses for machines: no operator may take one. */
export const RESERVED_USERNAMES: readonly string[] = ['system', 'fusion', 'cli'];
export const PASSWORD_MIN_LENGTH = 12;
/** scrypt takes any length; bounding it bounds what one login request may cost */
export const PASSWORD_MAX_LENGTH = 1024;
export const DISPLAY_NAME_MAX_LENGTH = 100;

/** Usernames are case-insensitive: stored and looked up in lowercase. */
export const normalizeUsername = (username: string): string => username.trim().toLowerCase();

/** The problem with a username, or undefined when it is acceptable (after normalizeUsername). */
export function usernameProblem(username: string): string | undefined {
  if (!USERNAME_PATTERN.test(username)) return `username ${JSON.stringify(username)}: expected lowercase letters, digits, _ . - (1-64, starting with a letter or digit)`;
  if (RESERVED_USERNAMES.includes(username)) return `username ${JSON.stringify(username)}: reserved for the system`;
  return undefined;
}

export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `password: expected at least ${PASSWORD_MIN_LENGTH} characters (got ${length})`;
  if (length > PASSWORD_MAX_LENGTH) return `password: expected at most ${PASSWORD_MAX_LENGTH} characters`;
  return undefined;
}

/** A random password that meets the policy: 24 bytes, base64url (32 characters). */
export const generatePassword = (): string => generateSecret();

// A real hash of a random password, made once: verifying an unknown user costs one scrypt run too.
let dummyHash: Promise<string> | undefined;
/** What a password is checked against when the user is unknown, so timing does not tell. */
export const getDummyHash = (): Promise<string> => (dummyHash ??= hashSecret(randomBytes(18).toString('base64url')));

/** As SQLite returns it: the flags as 0/1 (and columns the mapping leaves alone). */
type SqliteUserRow = Encoded<UserRow, { evidence_access: number; disabled: number }>;

const decodeUser = (row: SqliteUserRow): UserRow => ({ ...row, evidence_access: row.evidence_access === 1, disabled: row.disabled === 1 });

/** The scrypt hash of a password that meets the policy; OpsValidationError when it does not. */
export async function hashPassword(password: string): Promise<string> {
  const problem = passwordProblem(password);
  if (problem) throw new OpsValidationError(problem);
  return hashSecret(password);
}

/** A new operator checked against the policy, ready to store: the normalized username, the display name, the scrypt hash. */
export async function prepareOperator(input: NewOperator): Promise<{ username: string; displayName: string; hash: string }> {
  const username = normalizeUsername(input.username);
  const problem = usernameProblem(username) ?? passwordProblem(input.password);
  if (problem) throw new OpsValidationError(problem);
  checkOperatorPatch({ role: input.role, displayName: input.displayName });
  return { username, displayName: input.displayName?.trim() || username, hash: await hashSecret(input.password) };
}

/** OpsValidationError for an unknown role or a blank or overlong display name. */
export function checkOperatorPatch(patch: OperatorPatch): void {
  if (patch.role !== undefined && !ROLES.includes(patch.role)) throw new OpsValidationError(`role: expected one of ${ROLES.join(', ')} (got ${JSON.stringify(patch.role)})`);
  if (patch.displayName !== undefined && (patch.displayName.trim() === '' || patch.displayName.length > DISPLAY_NAME_MAX_LENGTH)) {
    throw new OpsValidationError(`displayName: expected 1-${DISPLAY_NAME_MAX_LENGTH} characters`);
  }
}

export class SqliteUserRepository implements UserRepository {
  private readonly db: Database.Database;
  private readonly selectOne: Database.Statement;
  private readonly selectAll: Database.Statement;
  private readonly countAll: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly updateRow: Database.Statement;
  private readonly updatePassword: Database.Statement;

  constructor(private readonly conn: SqliteConnection) {
    this.db = conn.db;
    this.selectOne = this.db.prepare('SELECT * FROM users WHERE username = ?');
    this.selectAll = this.db.prepare('SELECT * FROM users ORDER BY username');
    this.countAll = this.db.prepare('SELECT count(*) FROM users').pluck();
    this.insert = this.db.prepare(
      `INSERT INTO users (username, display_name, role, password_hash, evidence_access, disabled, created_at, password_changed_at)
       VALUES (@username, @displayName, @role, @hash, @evidenceAccess, 0, @now, @now) ON CONFLICT(username) DO NOTHING`,
    );
    this.updateRow = this.db.prepare(
      'UPDATE users SET role = @role, display_name = @displayName, evidence_access = @evidenceAccess, disabled = @disabled WHERE username = @username',
    );
    this.updatePassword = this.db.prepare('UPDATE users SET password_hash = ?, password_changed_at = ? WHERE username = ?');
    // made now, not on the first unknown login, which would otherwise take twice as long as the rest
    void getDummyHash();
  }

  private row(username: string): UserRow | undefined {
    const row = this.selectOne.get(normalizeUsername(username)) as SqliteUserRow | undefined;
    return row && decodeUser(row);
  }

  async create(input: NewOperator): Promise<Operator> {
    const { username, displayName, hash } = await prepareOperator(input);
    return this.conn.run(() => {
      const { changes } = this.insert.run({
        username,
        displayName,
        role: input.role,
        hash,
        evidenceAccess: input.evidenceAccess ? 1 : 0,
        now: Date.now(),
      });
      if (changes === 0) throw new OpsConflictError(`user ${username} already exists`);
      return toOperator(this.row(username)!);
    });
  }

  get(username: string): Promise<Operator | undefined> {
    return this.conn.run(() => {
      const row = this.row(username);
      return row ? toOperator(row) : undefined;
    });
  }

  list(): Promise<Operator[]> {
    return this.conn.run(() => (this.selectAll.all() as SqliteUserRow[]).map((row) => toOperator(decodeUser(row))));
  }

  count(): Promise<number> {
    return this.conn.run(() => this.countAll.get() as number);
  }

  async update(username: string, patch: OperatorPatch): Promise<Operator> {
    checkOperatorPatch(patch);
    return this.conn.run(() => {
      const row = this.row(username);
      if (!row) throw new OpsNotFoundError(`user ${normalizeUsername(username)} not found`);
      const next = { ...toOperator(row), ...definedOnly(patch) };
      this.updateRow.run({
        username: row.username,
        role: next.role,
        displayName: next.displayName.trim(),
        evidenceAccess: next.evidenceAccess ? 1 : 0,
        disabled: next.disabled ? 1 : 0,
      });
      return toOperator(this.row(row.username)!);
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
    await this.conn.run(() => {
      const { changes } = this.updatePassword.run(hash, Date.now(), normalizeUsername(username));
      if (changes === 0) throw new OpsNotFoundError(`user ${normalizeUsername(username)} not found`);
    });
  }

  async verify(username: string, password: string): Promise<Operator | undefined> {
    // longer than any password the policy lets in (UTF-16 units: up to 2 per character)
    if (password.length > PASSWORD_MAX_LENGTH * 2) return undefined;
    const row = await this.conn.run(() => this.row(username));
    const ok = await verifySecret(password, row?.password_hash ?? (await getDummyHash()));
    return ok && row && !row.disabled ? toOperator(row) : undefined;
  }
}

/** The fields of a patch that are set: `{role: undefined}` keeps the role. */
export function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
