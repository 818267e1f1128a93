// Starts a real PostgreSQL server (Debian's postgresql package) in a temporary directory on a free
// port: its own cluster (initdb, trust authentication on 127.0.0.1 only), its unix socket in that
// directory, nothing durable (fsync off). As root it runs as the `postgres` user the package creates:
// the server refuses to run as root. Registered for teardown by the caller (`destroy`).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './influxd.ts';

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres: the maintenance database */
  url: string;
  port: number;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** stops the server and removes its cluster */
  destroy(): Promise<void>;
}

const INSTALL_HINT = 'install it with apt-get install -y postgresql';

/** The newest Debian PostgreSQL bin directory (/usr/lib/postgresql/N/bin), else rely on PATH. */
function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** uid and gid to run the server as: ours, or the `postgres` user's when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`running as root and there is no postgres user to run PostgreSQL as: ${INSTALL_HINT}`);
  }
}

let databases = 0;

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir();
  const exe = (name: string) => (bin ? join(bin, name) : name);
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'postgres-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  let output = '';

  try {
    execFileSync(exe('initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...user,
      env: { ...process.env, LC_ALL: 'C' },
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error(`cannot run initdb: ${INSTALL_HINT}`);
    throw new Error(`initdb failed: ${e.stderr?.toString() ?? e.message}`);
  }

  const c = spawn(
    exe('postgres'),
    ['-D', dataDir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
    { stdio: ['ignore', 'pipe', 'pipe'], ...user },
  );
  child = c;
  c.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
  c.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
  const spawnError = new Promise<never>((_, reject) => c.once('error', (err) => reject(new Error(`cannot start postgres (${err.message}): ${INSTALL_HINT}`))));
  spawnError.catch(() => undefined);

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      // SIGINT: "fast" shutdown, open connections are closed
      running.kill('SIGINT');
      setTimeout(() => running.kill('SIGKILL'), 5000).unref();
    });
  }

  const destroy = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await Promise.race([query(url, 'SELECT 1').then(() => true, () => false), spawnError]);
      if (ready) break;
      if (c.exitCode !== null) throw new Error(`postgres exited with ${c.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 30 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await destroy();
    throw err;
  }

  return {
    url,
    port,
    async createDatabase(name = `test_${process.pid}_${++databases}`) {
      await query(url, `CREATE DATABASE "${name}"`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    destroy,
  };
}

/** One statement on a short-lived connection. */
export async function query(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}
