// Starts a real Redis server (Debian's redis-server) on a free port with its own directory, nothing
// saved to disk; registered for teardown. stop()/start() keep the port, for "Redis went away" cases.
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './influxd.ts';
import { track } from './teardown.ts';
import { tmpDir } from './tmp.ts';

export interface RedisServer {
  /** redis://127.0.0.1:PORT/0 */
  url: string;
  port: number;
  /** stops the server (its data goes: nothing is persisted) */
  stop(): Promise<void>;
  /** starts it again on the same port */
  start(): Promise<void>;
}

/** One inline command over RESP; resolves with the raw reply line. */
function command(port: number, line: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no reply'));
    }, timeoutMs);
    let reply = '';
    socket.once('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (d) => {
      reply += d;
      if (reply.endsWith('\r\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(reply.trim());
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  const dir = tmpDir('redis-');
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  async function start(): Promise<void> {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
    c.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
    const spawnError = new Promise<never>((_, reject) =>
      c.once('error', (err) => reject(new Error(`cannot start redis-server (${err.message}): install it with apt-get install -y redis-server`))),
    );
    spawnError.catch(() => undefined);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const pong = await Promise.race([command(port, 'PING').catch(() => ''), spawnError]);
      if (pong === '+PONG') return;
      if (c.exitCode !== null) throw new Error(`redis-server exited with ${c.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING within 20 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function stop(): Promise<void> {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 5000).unref();
    });
  }

  await start();
  return track({ url: `redis://127.0.0.1:${port}/0`, port, start, stop }, (r) => r.stop());
}
