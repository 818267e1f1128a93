// Operator accounts as the admin API and the ops CLI change them: each change and its audit row in
// one transaction, sessions revoked when a password changes or an account is disabled, and never a
// password in the audit trail. Plus the first start's admin account.
import type { Logger, Operator } from '@city/shared';
import { changedFields } from './audit.ts';
import { OpsConflictError, OpsNotFoundError } from './errors.ts';
import type { NewOperator, OperatorPatch, OpsRepositories, OpsStore } from './repositories.ts';
import { generatePassword, normalizeUsername } from './users.ts';

export interface OperatorUpdate extends OperatorPatch {
  /** a new password (policy checked); the audit row records only that it changed */
  password?: string;
}

/** Refuses a change that would leave no enabled admin: nobody could manage accounts any more. */
async function assertAdminRemains(tx: OpsRepositories, current: Operator, patch: OperatorPatch): Promise<void> {
  const staysAdmin = (patch.role ?? current.role) === 'admin' && !(patch.disabled ?? current.disabled);
  if (current.role !== 'admin' || current.disabled || staysAdmin) return;
  const admins = (await tx.users.list()).filter((u) => u.role === 'admin' && !u.disabled);
  if (admins.length <= 1) throw new OpsConflictError(`${current.username} is the last enabled admin: make another admin first`);
}

export class UserService {
  constructor(private readonly store: OpsStore) {}

  create(input: NewOperator, actor: string): Promise<Operator> {
    return this.store.transaction(async (tx) => {
      const user = await tx.users.create(input);
      await tx.audit.append({ actor, action: 'user.create', entityType: 'user', entityId: user.username, after: user });
      return user;
    });
  }

  /** Role, display name, evidence access, disabled, password; 404 for an unknown user, 409 for the last admin. */
  update(username: string, update: OperatorUpdate, actor: string): Promise<Operator> {
    const { password, ...patch } = update;
    return this.store.transaction(async (tx) => {
      const current = await tx.users.get(username);
      if (!current) throw new OpsNotFoundError(`user ${normalizeUsername(username)} not found`);
      await assertAdminRemains(tx, current, patch);
      const next = await tx.users.update(current.username, patch);
      if (password !== undefined) await tx.users.setPassword(current.username, password);
      const diff = changedFields(current, next, []);
      // a new password or a disabled account ends every session (a role change needs nothing: each request re-reads the user)
      const revoke = password !== undefined || (next.disabled && !current.disabled);
      const sessionsRevoked = revoke ? await tx.sessions.deleteForUser(current.username) : 0;
      if (Object.keys(diff.after).length > 0 || password !== undefined) {
        await tx.audit.append({
          actor,
          action: 'user.update',
          entityType: 'user',
          entityId: current.username,
          before: diff.before,
          after: { ...diff.after, ...(password !== undefined ? { passwordChanged: true } : {}), ...(sessionsRevoked ? { sessionsRevoked } : {}) },
        });
      }
      return next;
    });
  }

  /** Sets a new password (generated when not given) and ends the user's sessions; returns it. */
  async resetPassword(username: string, actor: string, password: string = generatePassword()): Promise<string> {
    await this.update(username, { password }, actor);
    return password;
  }
}

export interface BootstrapAdminOptions {
  /** ADMIN_USER; default 'admin' */
  username?: string;
  /** ADMIN_PASSWORD; generated and logged once when absent */
  password?: string;
}

/**
 * On the first start (no users at all) creates an admin: ADMIN_USER / ADMIN_PASSWORD when given,
 * else 'admin' with a generated password, logged once at warn level. Never touches existing users.
 * Returns who was created, or undefined when users existed.
 */
export async function bootstrapAdmin(
  store: OpsStore,
  options: BootstrapAdminOptions,
  logger: Logger,
): Promise<{ username: string; generatedPassword: boolean } | undefined> {
  const username = normalizeUsername(options.username ?? 'admin');
  const password = options.password ?? generatePassword();
  const created = await store.transaction(async (tx) => {
    // inside the write lock: two processes starting at once create one admin
    if ((await tx.users.count()) > 0) return undefined;
    const user = await tx.users.create({ username, password, role: 'admin', displayName: 'Administrator' });
    await tx.audit.append({ actor: 'system', action: 'user.create', entityType: 'user', entityId: user.username, after: { ...user, bootstrap: true } });
    return user;
  });
  if (!created) return undefined;
  if (options.password === undefined) {
    // the one time this password exists in clear: the operator must see it, then change it
    logger.warn(
      `no operators existed: created admin "${created.username}" with the generated password ${password} ` +
        '- log in and change it now (PATCH /api/users/' + created.username + ' or `ops users reset-password ' + created.username + '`), ' +
        'or set ADMIN_USER and ADMIN_PASSWORD before the first start',
    );
  } else {
    logger.info('no operators existed: created the admin from ADMIN_USER / ADMIN_PASSWORD', { username: created.username });
  }
  return { username: created.username, generatedPassword: options.password === undefined };
}
