// Debian's Mosquitto 2 as an external broker for tests: docs/mosquitto.conf with the test's own listener
// (127.0.0.1, a free port), persistence directory, user and anonymous access. Registered for teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../test/support/influxd.ts';
import { track } from '../../../test/support/teardown.ts';
import { tmpDir } from '../../../test/support/tmp.ts';
import { waitFor } from '../../../test/support/wait.ts';

const SAMPLE_CONF = fileURLToPath(new URL('../../../docs/mosquitto.conf', import.meta.url));
/** the sample's deployment lines the test replaces */
const REPLACED = /^(listener|allow_anonymous|password_file|acl_file|persistence_location|user|log_dest)\b/;

export interface Mosquitto {
  url: string;
  port: number;
  child: ChildProcess;
  /** everything it logged */
  log(): string;
}

/** `extraLines` go at the end (a bridge section, which takes every line after its `connection`). */
export async function startMosquitto(extraLines: string[] = []): Promise<Mosquitto> {
  const dir = tmpDir('mosquitto-');
  const port = await freePort();
  const sample = readFileSync(SAMPLE_CONF, 'utf8')
    .split('\n')
    .filter((line) => !REPLACED.test(line.trim()));
  const conf = [
    ...sample,
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    `persistence_location ${dir}/`,
    // as root Mosquitto drops to user mosquitto, who cannot write the test's directory
    `user ${userInfo().username}`,
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    ...extraLines,
  ].join('\n');
  const file = join(dir, 'mosquitto.conf');
  writeFileSync(file, conf + '\n');
  let output = '';
  const child = track(spawn('mosquitto', ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] }), (c) => {
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    return exited;
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`cannot run mosquitto (${err.message}): apt-get install -y mosquitto`)));
    child.once('exit', (code) => reject(new Error(`mosquitto exited ${code}: ${output}`)));
  });
  failed.catch(() => undefined);
  await Promise.race([failed, waitFor('mosquitto listening', () => accepts(port), 10_000, 50)]);
  return { url: `mqtt://127.0.0.1:${port}`, port, child, log: () => output };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
