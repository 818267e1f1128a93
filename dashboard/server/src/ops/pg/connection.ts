// One PostgreSQL pool shared by the asynchronous repositories, with the same transaction discipline as
// the SQLite store: a transaction runs on one client between BEGIN and COMMIT/ROLLBACK, store calls
// made from within it (tracked with AsyncLocalStorage) join it, and transactions run one at a time,
// in this process (a queue) and across every process on the database (a transaction-scoped advisory
// lock, the counterpart of SQLite's BEGIN IMMEDIATE write lock). Calls from outside a transaction run
// on the pool and do not wait for it.
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

/** pg_advisory_xact_lock key taken by every transaction: one writer at a time, as in SQLite. */
export const TRANSACTION_LOCK_KEY = 0x6369_7479_6f70_73n; // 'cityops'

/** PostgreSQL error codes the repositories turn into OpsErrors. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';

export const pgErrorCode = (err: unknown): string | undefined => (err as { code?: unknown }).code as string | undefined;

// int8 (bigint: epoch ms, ids, count(*)) as a number: every value stored here is below 2^53.
// json as its text: the repositories parse it themselves, so a stored JSON null is told from SQL NULL.
const INT8_OID = 20;
const JSON_OID = 114;
const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID) return (text: string) => Number(text);
    if (oid === JSON_OID) return (text: string) => text;
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** An unreachable server, or a pool busy this long, fails the call instead of hanging it. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Pool settings for a DATABASE_URL; the parsing of numbers and JSON the repositories rely on. */
export function poolConfig(databaseUrl: string | URL, max = 10): pg.PoolConfig {
  return { connectionString: String(databaseUrl), max, types: PG_TYPES, application_name: 'city-ops', connectionTimeoutMillis: CONNECT_TIMEOUT_MS };
}

/** Marks the async context of one running transaction; `active` turns false when it ends. */
interface TxContext {
  client: pg.PoolClient;
  active: boolean;
  savepoints: number;
}

type Params = readonly unknown[];

export class PgConnection {
  private readonly context = new AsyncLocalStorage<TxContext>();
  /** the end of the last transaction queued in this process */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  /** `ready` settles when the schema is migrated; every statement waits for it. */
  constructor(
    readonly pool: pg.Pool,
    private readonly ready: Promise<unknown>,
  ) {}

  private get tx(): TxContext | undefined {
    const tx = this.context.getStore();
    return tx?.active ? tx : undefined;
  }

  /** Runs one statement: on the transaction's client from within one, else on the pool. */
  async query<R extends pg.QueryResultRow>(sql: string, params: Params = []): Promise<pg.QueryResult<R>> {
    await this.ready;
    const tx = this.tx;
    return (tx ? tx.client : this.pool).query<R>(sql, params as unknown[]);
  }

  async rows<R extends pg.QueryResultRow>(sql: string, params: Params = []): Promise<R[]> {
    return (await this.query<R>(sql, params)).rows;
  }

  async one<R extends pg.QueryResultRow>(sql: string, params: Params = []): Promise<R | undefined> {
    return (await this.query<R>(sql, params)).rows[0];
  }

  /**
   * A statement that may fail on a constraint the caller turns into an OpsError. Inside a transaction
   * it runs under a savepoint: PostgreSQL aborts the whole transaction on an error, SQLite only the
   * statement, and a service may catch the OpsError and go on.
   */
  async guarded<R extends pg.QueryResultRow>(sql: string, params: Params = []): Promise<pg.QueryResult<R>> {
    await this.ready;
    const tx = this.tx;
    if (!tx) return this.pool.query<R>(sql, params as unknown[]);
    const name = `s${++tx.savepoints}`;
    await tx.client.query(`SAVEPOINT ${name}`);
    try {
      const result = await tx.client.query<R>(sql, params as unknown[]);
      await tx.client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      await tx.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw err;
    }
  }

  /** Several statements that must see and leave a consistent state: joins a running transaction or runs as one. */
  atomic<T>(fn: () => Promise<T>): Promise<T> {
    return this.tx ? fn() : this.transaction(fn);
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.tx) return fn();
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      await this.ready;
      const client = await this.pool.connect();
      const tx: TxContext = { client, active: true, savepoints: 0 };
      let broken = false;
      try {
        await client.query('BEGIN');
        // what fn reads cannot change before it writes: other transactions, here or in another process, wait
        await client.query('SELECT pg_advisory_xact_lock($1)', [TRANSACTION_LOCK_KEY.toString()]);
        const result = await this.context.run(tx, fn);
        tx.active = false;
        await client.query('COMMIT');
        return result;
      } catch (err) {
        tx.active = false;
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection is gone: do not hand it out again
        }
        throw err;
      } finally {
        client.release(broken);
      }
    } finally {
      release();
    }
  }

  /** Waits for running transactions, then ends the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.ready.catch(() => undefined);
    await this.pool.end();
  }
}
