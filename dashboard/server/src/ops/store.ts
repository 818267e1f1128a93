// The SQLite operations store: one file, `${dataDir}/ops.sqlite`, shared by the dashboard server and
// the ops CLI (WAL, busy timeout). Each repository is a thin class over prepared statements.
import type Database from 'better-sqlite3';
import { SqliteAuditRepository } from './audit.ts';
import { SqliteConnection, openOpsDatabase } from './db.ts';
import { SqliteEvidenceRepository } from './evidence.ts';
import { SqliteIncidentRepository } from './incidents.ts';
import { SqliteReportRepository } from './reports.ts';
import { SqliteNotificationRepository } from './notifications.ts';
import { PgOpsStore } from './pg/store.ts';
import { POSTGRES_URL_PROTOCOLS } from './pg/url.ts';
import type { OpsRepositories, OpsStore } from './repositories.ts';
import { SqliteRuleRepository } from './rules.ts';
import { SqliteSessionRepository } from './sessions.ts';
import { SqliteUserRepository } from './users.ts';

export class SqliteOpsStore implements OpsStore {
  readonly kind = 'sqlite';
  readonly users: SqliteUserRepository;
  readonly sessions: SqliteSessionRepository;
  readonly incidents: SqliteIncidentRepository;
  readonly audit: SqliteAuditRepository;
  readonly rules: SqliteRuleRepository;
  readonly evidence: SqliteEvidenceRepository;
  readonly reports: SqliteReportRepository;
  readonly notifications: SqliteNotificationRepository;
  private readonly conn: SqliteConnection;

  constructor(db: Database.Database) {
    this.conn = new SqliteConnection(db);
    this.users = new SqliteUserRepository(this.conn);
    this.sessions = new SqliteSessionRepository(this.conn);
    this.incidents = new SqliteIncidentRepository(this.conn);
    this.audit = new SqliteAuditRepository(this.conn);
    this.rules = new SqliteRuleRepository(this.conn);
    this.evidence = new SqliteEvidenceRepository(this.conn);
    this.reports = new SqliteReportRepository(this.conn);
    this.notifications = new SqliteNotificationRepository(this.conn);
  }

  /** One connection: the transaction's repositories are the store's own, serialised by SqliteConnection. */
  transaction<T>(fn: (tx: OpsRepositories) => Promise<T>): Promise<T> {
    return this.conn.transaction(() => fn(this));
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}

export { POSTGRES_URL_PROTOCOLS };

/**
 * Opens the operations store: PostgreSQL when a DATABASE_URL is given (it migrates in the background
 * and every call waits for that; `openOpsStoreAsync` waits up front), else (creating and migrating)
 * `${dataDir}/ops.sqlite`.
 */
export function openOpsStore(dataDir: string, databaseUrl?: string | URL): OpsStore {
  if (databaseUrl === undefined || databaseUrl === '') return new SqliteOpsStore(openOpsDatabase(dataDir));
  if (!POSTGRES_URL_PROTOCOLS.includes(new URL(databaseUrl).protocol)) throw new Error(`DATABASE_URL: expected a URL starting with ${POSTGRES_URL_PROTOCOLS.join(' or ')}`);
  return new PgOpsStore({ databaseUrl });
}

/** Like openOpsStore, resolving once the store is reachable and migrated (rejecting when it is not). */
export async function openOpsStoreAsync(dataDir: string, databaseUrl?: string | URL): Promise<OpsStore> {
  const store = openOpsStore(dataDir, databaseUrl);
  if (store instanceof PgOpsStore) {
    try {
      await store.ready();
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
  }
  return store;
}
