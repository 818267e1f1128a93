// `npm run simulate` submitting citizen reports only, against the real dashboard: the summary line
// counts what arrived, what was throttled and what was rejected.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startStack } from '../../dashboard/server/test/support/stack.ts';
import { track } from '../../test/support/teardown.ts';

const KEY = 'sim-key-0123456789abcdef';

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/src/cli.ts', ...args], {
    cwd: new URL('../../', import.meta.url).pathname,
    env: { ...process.env, LOG_LEVEL: 'error', ...env },
  });
  track(child, (c) => c.exitCode === null && c.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('npm run simulate -- --reports-per-min', () => {
  it('prints reports, throttled and rejected in its summary; a 429 is not a failure', async () => {
    const stack = await startStack({ RULES_ENGINE: 'false', OPEN311_API_KEYS: KEY, REPORTS_POST_RATE_PER_MIN: '4' });
    const { code, stderr } = await runCli(['--anonymous', '--sensors', '0', '--cameras', '0', '--tts', '0', '--reports-per-min', '600', '--duration', '2'], {
      OPEN311_URL: `${stack.base}/open311/v2`,
      OPEN311_API_KEY: KEY,
    });
    expect(stderr).toMatch(/simulate: done {2}reports 4 \(near incidents 0\) {2}throttled 1 {2}rejected 0 {2}report errors 0/);
    expect(stderr).not.toContain(KEY);
    expect(code).toBe(0);
    const requests = (await (await fetch(`${stack.base}/open311/v2/requests.json`)).json()) as unknown[];
    expect(requests).toHaveLength(4);
  });
});
