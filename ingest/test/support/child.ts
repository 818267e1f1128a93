// Runs the standalone ingest worker (ingest/src/index.ts through tsx) as a child process, so a test can
// kill -9 it like a crash would.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from '../../../test/support/teardown.ts';
import { waitFor } from '../../../test/support/wait.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ChildIngest {
  child: ChildProcess;
  /** parsed JSON log lines so far */
  logs: Record<string, unknown>[];
  /** http://127.0.0.1:PORT of its /metrics and /healthz, once it logged it */
  httpUrl(): Promise<string>;
  /** one counter or gauge value from /metrics */
  metric(name: string): Promise<number>;
  exited: Promise<number | null>;
}

export function spawnIngest(env: Record<string, string>): ChildIngest {
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', 'ingest/src/index.ts'], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', INGEST_HTTP_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    (c) => {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  );
  const logs: Record<string, unknown>[] = [];
  let partial = '';
  const onData = (d: Buffer) => {
    const text = partial + d.toString();
    const lines = text.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
      if (process.env.TEST_LOG_LEVEL) console.log('[child]', line);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const httpUrl = async () => {
    const line = await waitFor('ingest child to log its metrics URL', () => logs.find((l) => l.msg === 'metrics and health'), 20_000);
    return String(line.url).replace('/metrics', '').replace('localhost', '127.0.0.1');
  };
  return {
    child,
    logs,
    exited,
    httpUrl,
    metric: async (name) => {
      const text = await (await fetch(`${await httpUrl()}/metrics`)).text();
      const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
      if (!m) throw new Error(`no ${name} in /metrics`);
      return Number(m[1]);
    },
  };
}
