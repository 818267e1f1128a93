// The PostgreSQL operations store (DATABASE_URL): the same repositories and transaction semantics as
// the SQLite one, on a connection pool. Several dashboards and the ops CLI may share one database.
import pg from 'pg';
import type { OpsRepositories, OpsStore } from '../repositories.ts';
import { PgAuditRepository } from './audit.ts';
import { PgConnection, poolConfig } from './connection.ts';
import { PgEvidenceRepository } from './evidence.ts';
import { PgIncidentRepository } from './incidents.ts';
import { PgNotificationRepository } from './notifications.ts';
import { PgReportRepository } from './reports.ts';
import { PgRuleRepository } from './rules.ts';
import { migratePg } from './schema.ts';
import { PgSessionRepository } from './sessions.ts';
import { PgUserRepository } from './users.ts';

export interface PgOpsStoreOptions {
  /** postgres://user:password@host:port/database (holds a password: never log it) */
  databaseUrl: string | URL;
  /** pool size: concurrent statements outside transactions, plus the one running transaction; default 10 */
  maxConnections?: number;
}

export class PgOpsStore implements OpsStore {
  readonly kind = 'postgres';
  readonly users: PgUserRepository;
  readonly sessions: PgSessionRepository;
  readonly incidents: PgIncidentRepository;
  readonly audit: PgAuditRepository;
  readonly rules: PgRuleRepository;
  readonly evidence: PgEvidenceRepository;
  readonly reports: PgReportRepository;
  readonly notifications: PgNotificationRepository;
  private readonly conn: PgConnection;
  private readonly migrated: Promise<number[]>;

  /**
   * Starts migrating at once and returns: every call waits for the migrations, so a synchronous
   * caller can use the store right away. `ready()` tells when (and whether) it can be used.
   */
  constructor(options: PgOpsStoreOptions) {
    const pool = new pg.Pool(poolConfig(options.databaseUrl, options.maxConnections));
    // an idle client losing its server (restart, failover) must not crash the process: the pool drops it
    pool.on('error', () => undefined);
    this.migrated = migratePg(pool);
    // waited for by every call; a failure is reported there and by ready(), never as an unhandled rejection
    this.migrated.catch(() => undefined);
    this.conn = new PgConnection(pool, this.migrated);
    this.users = new PgUserRepository(this.conn);
    this.sessions = new PgSessionRepository(this.conn);
    this.incidents = new PgIncidentRepository(this.conn);
    this.audit = new PgAuditRepository(this.conn);
    this.rules = new PgRuleRepository(this.conn);
    this.evidence = new PgEvidenceRepository(this.conn);
    this.reports = new PgReportRepository(this.conn);
    this.notifications = new PgNotificationRepository(this.conn);
  }

  /** Connects and migrates; rejects (and closes the pool) when the database cannot be reached or migrated. */
  static async open(options: PgOpsStoreOptions): Promise<PgOpsStore> {
    const store = new PgOpsStore(options);
    try {
      await store.ready();
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
    return store;
  }

  /** Resolves with the migration versions this store applied (none when another process had). */
  ready(): Promise<number[]> {
    return this.migrated;
  }

  /** The transaction's repositories are the store's own: calls within `fn` run on its client. */
  transaction<T>(fn: (tx: OpsRepositories) => Promise<T>): Promise<T> {
    return this.conn.transaction(() => fn(this));
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}
