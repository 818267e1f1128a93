// The SQLite operations store: one file, `${dataDir}/ops.sqlite`, shared by the dashboard server and
// the ops CLI (WAL, busy timeout). Each repository is a thin class over prepared statements.
import type Database from 'better-sqlite3';
import { SqliteAuditRepository } from './audit.ts';
import { SqliteConnection, openOpsDatabase } from './db.ts';
import { SqliteEvidenceRepository } from './evidence.ts';
import { SqliteIncidentRepository } from './incidents.ts';
import { SqliteReportRepository } from './reports.ts';
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
  }

  /** One connection: the transaction's repositories are the store's own, serialised by SqliteConnection. */
  transaction<T>(fn: (tx: OpsRepositories) => Promise<T>): Promise<T> {
    return this.conn.transaction(() => fn(this));
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}

/** Opens (creating and migrating) `${dataDir}/ops.sqlite`. */
export function openOpsStore(dataDir: string): OpsStore {
  return new SqliteOpsStore(openOpsDatabase(dataDir));
}
