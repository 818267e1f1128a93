// The CLI as a user runs it: a child process (tsx) against a real broker.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { track } from '../../test/support/teardown.ts';
import { tmpDir } from '../../test/support/tmp.ts';
import { startTestBroker } from './support/broker.ts';

function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/src/cli.ts', ...args], {
    cwd: new URL('../../', import.meta.url).pathname,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
  });
  track(child, (c) => c.exitCode === null && c.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run simulate', () => {
  it('exits 2 listing every bad option', async () => {
    const { code, stderr } = await runCli(['--qos', '3', '--mode', 'x', '--nope']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--qos: expected 0 or 1/);
    expect(stderr).toMatch(/--mode: expected one of per-device, gateway/);
    expect(stderr).toMatch(/--nope: unknown option/);
  });

  it('provisions into DATA_DIR, publishes the requested messages and prints a summary', async () => {
    const dataDir = tmpDir();
    const broker = await startTestBroker();
    const { code, stderr } = await runCli(['--sensors', '6', '--cameras', '2', '--tts', '2', '--messages', '40', '--rate', '500', '--bad-ratio', '0.25'], { MQTT_URL: broker.url, DATA_DIR: dataDir });
    expect(stderr).toMatch(/simulate: done {2}sent 40 .* failed 0 {2}malformed \d+/);
    expect(code).toBe(0);
    await broker.waitFor(40);
    expect(broker.received).toHaveLength(40);
  });

  it('stops cleanly on SIGINT', async () => {
    const broker = await startTestBroker();
    const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/src/cli.ts', '--anonymous', '--sensors', '5', '--cameras', '0', '--tts', '0', '--rate', '50', '--url', broker.url], {
      cwd: new URL('../../', import.meta.url).pathname,
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    track(child, (c) => c.exitCode === null && c.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const deadline = Date.now() + 15_000;
    while (broker.received.length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stderr).toMatch(/simulate: done {2}sent \d+/);
  });
});
