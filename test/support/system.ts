// The whole system as `npm start` runs it, in a child process on free ports; the ports are read from
// the banner it prints. Killed after the test if still running.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from './teardown.ts';
import { waitFor } from './wait.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const BANNER = /dashboard\s+http:\/\/localhost:(\d+)\/[\s\S]*MQTT \(TCP\)\s+mqtt:\/\/localhost:(\d+)/;

export interface RunningSystem {
  child: ChildProcess;
  /** http://127.0.0.1:PORT of the dashboard */
  base: string;
  mqttPort: number;
  /** everything it printed so far */
  output(): string;
}

/** Starts src/start.ts with DATA_DIR, ports 0 and `env` on top of the test's environment. */
export async function startSystem(dataDir: string, env: Record<string, string> = {}): Promise<RunningSystem> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/start.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      MQTT_PORT: '0',
      MQTT_WS_PORT: '0',
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child, (c) => c.exitCode === null && c.kill('SIGKILL'));
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const banner = await waitFor('the start-up banner', () => {
    if (child.exitCode !== null) throw new Error(`src/start.ts exited with ${child.exitCode}:\n${output}`);
    return output.match(BANNER) ?? undefined;
  }, 30_000);
  return { child, base: `http://127.0.0.1:${banner[1]}`, mqttPort: Number(banner[2]), output: () => output };
}
