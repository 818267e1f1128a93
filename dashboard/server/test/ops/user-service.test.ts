// UserService and bootstrapAdmin against a real SQLite store.
import { describe, expect, it } from 'vitest';
import { track } from '../../../../test/support/teardown.ts';
import { tmpDir } from '../../../../test/support/tmp.ts';
import { OpsConflictError, OpsNotFoundError, UserService, bootstrapAdmin, openOpsStore } from '../../src/ops/index.ts';
import { recordingLogger } from './helpers.ts';

const PASSWORD = 'correct horse battery';
const fresh = () => track(openOpsStore(tmpDir('user-service-')), (s) => s.close());

describe('bootstrapAdmin', () => {
  it('creates admin with a generated password on the first start, logged once at warn', async () => {
    const store = fresh();
    const { logger, lines } = recordingLogger();
    expect(await bootstrapAdmin(store, {}, logger)).toEqual({ username: 'admin', generatedPassword: true });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('warn');
    const password = /generated password (\S+) /.exec(lines[0]!.msg)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(lines[0]!.msg).toMatch(/change it/);
    expect(await store.users.verify('admin', password!)).toMatchObject({ role: 'admin' });
    expect(await store.audit.list({ action: 'user.create' })).toMatchObject([{ actor: 'system', entityId: 'admin' }]);
    expect(JSON.stringify(await store.audit.list())).not.toContain(password);

    // the next start changes nothing and says nothing
    expect(await bootstrapAdmin(store, { username: 'admin', password: 'another long password' }, logger)).toBeUndefined();
    expect(await store.users.verify('admin', password!)).toMatchObject({ role: 'admin' });
    expect(lines).toHaveLength(1);
  });

  it('uses ADMIN_USER and ADMIN_PASSWORD when given, without logging the password', async () => {
    const store = fresh();
    const { logger, lines } = recordingLogger();
    expect(await bootstrapAdmin(store, { username: 'Chief', password: PASSWORD }, logger)).toEqual({ username: 'chief', generatedPassword: false });
    expect(await store.users.verify('chief', PASSWORD)).toMatchObject({ role: 'admin' });
    expect(lines.map((l) => l.level)).toEqual(['info']);
    expect(JSON.stringify(lines)).not.toContain(PASSWORD);
  });

  it('never touches existing users, even without any admin', async () => {
    const store = fresh();
    await store.users.create({ username: 'bob', password: PASSWORD, role: 'operator' });
    expect(await bootstrapAdmin(store, {}, recordingLogger().logger)).toBeUndefined();
    expect((await store.users.list()).map((u) => u.username)).toEqual(['bob']);
  });
});

describe('UserService', () => {
  it('audits creation and changes without passwords, and ends sessions on a new password or disabling', async () => {
    const store = fresh();
    const users = new UserService(store);
    await users.create({ username: 'ann', password: PASSWORD, role: 'admin' }, 'system');
    await users.create({ username: 'bob', password: PASSWORD, role: 'viewer' }, 'ann');
    const s1 = await store.sessions.create('bob', 60_000);
    expect(await users.update('bob', { role: 'operator', evidenceAccess: true }, 'ann')).toMatchObject({ role: 'operator', evidenceAccess: true });
    expect(await store.sessions.get(s1.id)).toBeDefined();
    await users.update('bob', { password: 'a brand new password' }, 'ann');
    expect(await store.sessions.get(s1.id)).toBeUndefined();
    const s2 = await store.sessions.create('bob', 60_000);
    await users.update('bob', { disabled: true }, 'ann');
    expect(await store.sessions.get(s2.id)).toBeUndefined();

    const audit = await store.audit.list({ entityType: 'user', entityId: 'bob', order: 'asc' });
    expect(audit.map((e) => [e.action, e.actor, e.before, e.after])).toEqual([
      ['user.create', 'ann', undefined, expect.objectContaining({ username: 'bob', role: 'viewer' })],
      ['user.update', 'ann', { role: 'viewer', evidenceAccess: false }, { role: 'operator', evidenceAccess: true }],
      ['user.update', 'ann', {}, { passwordChanged: true, sessionsRevoked: 1 }],
      ['user.update', 'ann', { disabled: false }, { disabled: true, sessionsRevoked: 1 }],
    ]);
    expect(JSON.stringify(await store.audit.list())).not.toMatch(/brand new|correct horse|scrypt/);
    await expect(users.update('nobody', { role: 'admin' }, 'ann')).rejects.toThrow(OpsNotFoundError);
  });

  it('keeps at least one enabled admin', async () => {
    const store = fresh();
    const users = new UserService(store);
    await users.create({ username: 'ann', password: PASSWORD, role: 'admin' }, 'system');
    await expect(users.update('ann', { role: 'operator' }, 'ann')).rejects.toThrow(OpsConflictError);
    await expect(users.update('ann', { disabled: true }, 'ann')).rejects.toThrow(/last enabled admin/);
    await users.create({ username: 'cat', password: PASSWORD, role: 'admin' }, 'ann');
    expect(await users.update('ann', { role: 'operator' }, 'cat')).toMatchObject({ role: 'operator' });
  });

  it('resets a password, generated when none is given', async () => {
    const store = fresh();
    const users = new UserService(store);
    await users.create({ username: 'bob', password: PASSWORD, role: 'operator' }, 'system');
    const generated = await users.resetPassword('bob', 'cli');
    expect(generated).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await store.users.verify('bob', generated)).toBeDefined();
    expect(await users.resetPassword('bob', 'cli', 'chosen long password')).toBe('chosen long password');
    expect(await store.users.verify('bob', 'chosen long password')).toBeDefined();
  });
});
