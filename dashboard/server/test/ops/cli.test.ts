// The ops CLI as an operator runs it: a real process on the same ops.sqlite the server has open.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { track } from '../../../../test/support/teardown.ts';
import { tmpDir } from '../../../../test/support/tmp.ts';
import { openOpsStore } from '../../src/ops/index.ts';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

function cli(dataDir: string, args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'dashboard/server/src/ops-cli.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATA_DIR: dataDir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  track(child, (c) => c.exitCode === null && c.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(stdin ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('ops CLI', () => {
  it('adds, lists, disables and resets operators while the server has the store open', async () => {
    const dataDir = tmpDir('ops-cli-');
    const store = track(openOpsStore(dataDir), (s) => s.close());

    const added = await cli(dataDir, ['users', 'add', 'alice', '--role', 'operator', '--display-name', 'Alice A.']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const generated = /password: (\S+)/.exec(added.stdout)?.[1];
    expect(generated).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await store.users.verify('alice', generated!)).toMatchObject({ role: 'operator', displayName: 'Alice A.' });

    const piped = await cli(dataDir, ['users', 'add', 'bob', '--role', 'admin', '--password-stdin', '--evidence-access'], 'from stdin password\n');
    expect(piped.code).toBe(0);
    expect(piped.stdout).not.toContain('from stdin');
    expect(await store.users.verify('bob', 'from stdin password')).toMatchObject({ role: 'admin', evidenceAccess: true });

    const list = await cli(dataDir, ['users', 'list']);
    expect(list.stdout.split('\n')[0]).toMatch(/^USERNAME\s+NAME\s+ROLE\s+EVIDENCE\s+DISABLED\s+CREATED$/);
    expect(list.stdout).toMatch(/alice\s+Alice A\.\s+operator\s+no\s+no/);

    const session = await store.sessions.create('alice', 60_000);
    expect((await cli(dataDir, ['users', 'disable', 'alice'])).stdout).toContain('disabled alice');
    expect(await store.users.get('alice')).toMatchObject({ disabled: true });
    expect(await store.sessions.get(session.id)).toBeUndefined();

    const reset = await cli(dataDir, ['users', 'reset-password', 'bob']);
    const fresh = /password: (\S+)/.exec(reset.stdout)?.[1];
    expect(await store.users.verify('bob', fresh!)).toBeDefined();
    const audit = await store.audit.list({ entityType: 'user', order: 'asc' });
    expect(audit.map((e) => e.action)).toEqual(['user.create', 'user.create', 'user.update', 'user.update']);
    expect(audit.every((e) => e.actor.startsWith('cli'))).toBe(true);
  });

  it('refuses bad usage with exit code 2 and store errors with 1', async () => {
    const dataDir = tmpDir('ops-cli-');
    expect(await cli(dataDir, ['users', 'add', 'carol'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--role is required') });
    expect(await cli(dataDir, ['users', 'add', 'carol', '--role', 'root'])).toMatchObject({ code: 2 });
    expect(await cli(dataDir, ['users', 'list', '--role', 'admin'])).toMatchObject({ code: 2, stderr: expect.stringContaining('does not apply') });
    expect(await cli(dataDir, ['users', 'add', 'carol', '--role', 'viewer', '--password-stdin'], 'short')).toMatchObject({ code: 1, stderr: expect.stringContaining('at least 12') });
    expect(await cli(dataDir, ['users', 'disable', 'nobody'])).toMatchObject({ code: 1, stderr: expect.stringContaining('not found') });
  });
});
