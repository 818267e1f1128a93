// The operations store's SQLite file: connection settings, numbered migrations, and the one-writer
// discipline that lets asynchronous repositories share one synchronous better-sqlite3 connection.
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { OpsValidationError } from './errors.ts';

export const OPS_DB_FILE = 'ops.sqlite';

export interface Migration {
  /** 1, 2, 3, ... in order; never renumber or edit one that has shipped: add the next */
  version: number;
  name: string;
  /** SQL run in the migration's transaction */
  up: string;
}

const ACTIVE = `('open', 'acknowledged', 'in_progress')`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users and sessions',
    up: `
      CREATE TABLE users (
        username TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        password_hash TEXT NOT NULL,
        evidence_access INTEGER NOT NULL DEFAULT 0,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        password_changed_at INTEGER NOT NULL
      );
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,             -- SHA-256 of the cookie value, hex: a stolen file holds no usable id
        username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        ttl_ms INTEGER NOT NULL
      );
      CREATE INDEX sessions_by_user ON sessions(username);
      CREATE INDEX sessions_by_expiry ON sessions(expires_at);
    `,
  },
  {
    version: 2,
    name: 'incidents, comments and the audit trail',
    up: `
      CREATE TABLE sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO sequences (name, value) VALUES ('incident', 0);
      CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        category TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        device_id TEXT,
        device_kind TEXT,
        lat REAL,
        lon REAL,
        district TEXT,
        dedupe_key TEXT,
        explanation TEXT NOT NULL,
        evidence TEXT NOT NULL,               -- JSON IncidentEvidence
        linked TEXT NOT NULL DEFAULT '[]',    -- JSON LinkedItem[]
        opened_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        acknowledged_at INTEGER,
        resolved_at INTEGER,
        assignee TEXT,
        due_at INTEGER,
        auto_resolve INTEGER NOT NULL
      );
      -- at most one active incident per dedupe key; closed ones keep theirs for history
      CREATE UNIQUE INDEX incidents_active_dedupe ON incidents(dedupe_key)
        WHERE dedupe_key IS NOT NULL AND status IN ${ACTIVE};
      CREATE INDEX incidents_by_update ON incidents(updated_at);
      CREATE INDEX incidents_active ON incidents(status) WHERE status IN ${ACTIVE};
      CREATE TABLE incident_comments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        author TEXT NOT NULL,
        text TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX incident_comments_by_incident ON incident_comments(incident_id, id);
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        entity_type TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        before TEXT,                          -- JSON or NULL
        after TEXT                            -- JSON or NULL
      );
      CREATE INDEX audit_by_entity ON audit_log(entity_type, entity_id, id);
      CREATE INDEX audit_by_actor ON audit_log(actor, id);
      CREATE INDEX audit_by_time ON audit_log(at);
    `,
  },
  {
    version: 3,
    name: 'rule set and evidence',
    up: `
      CREATE TABLE rule_set (
        id INTEGER PRIMARY KEY CHECK (id = 1),  -- one document
        version INTEGER NOT NULL,
        rules TEXT NOT NULL,                    -- JSON array
        updated_at INTEGER NOT NULL,
        updated_by TEXT NOT NULL
      );
      CREATE TABLE evidence (
        id TEXT PRIMARY KEY,
        camera_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        offence TEXT NOT NULL,
        label TEXT NOT NULL,
        plate TEXT,
        zones TEXT NOT NULL,                    -- JSON string[]
        lat REAL,
        lon REAL,
        district TEXT,
        observed_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        snapshot BLOB                           -- the JPEG, copied: the live snapshot is overwritten
      );
      CREATE INDEX evidence_by_expiry ON evidence(expires_at);
      CREATE INDEX evidence_by_time ON evidence(observed_at);
      -- no foreign key: who looked at a record is kept after retention deletes it
      CREATE TABLE evidence_access (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        evidence_id TEXT NOT NULL,
        username TEXT NOT NULL,
        action TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX evidence_access_by_record ON evidence_access(evidence_id, id);
    `,
  },
  {
    version: 4,
    name: 'citizen reports',
    up: `
      -- ids are plain numbers as text ('1001'), as Open311 clients expect; the first is 1001
      INSERT INTO sequences (name, value) VALUES ('report', 1000);
      CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,      -- SHA-256 of the receipt token, hex
        service_code TEXT NOT NULL,
        category TEXT NOT NULL,
        status TEXT NOT NULL,
        status_notes TEXT,
        description TEXT,
        lat REAL,
        lon REAL,
        district TEXT,
        address TEXT,
        address_id TEXT,
        zipcode TEXT,
        media_url TEXT,
        attributes TEXT NOT NULL DEFAULT '{}',  -- JSON {code: answer}
        jurisdiction_id TEXT,
        source TEXT NOT NULL,                   -- 'open311' | 'web'
        client TEXT,                            -- which api key sent it: a fingerprint, never the key
        -- the reporter: private, read only by operator paths
        reporter_email TEXT,
        reporter_phone TEXT,
        reporter_first_name TEXT,
        reporter_last_name TEXT,
        reporter_device_id TEXT,
        reporter_account_id TEXT,
        requested_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expected_at INTEGER,
        closed_at INTEGER,
        duplicate_of TEXT REFERENCES reports(id)
      );
      CREATE INDEX reports_by_request_time ON reports(requested_at);
      CREATE INDEX reports_by_update ON reports(updated_at);
      CREATE INDEX reports_by_service ON reports(service_code, status, requested_at);
      -- public updates: each status change or public note (GET servicerequestupdates)
      CREATE TABLE report_updates (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        status TEXT NOT NULL,                   -- the report's status after the update
        description TEXT,
        media_url TEXT,
        author TEXT NOT NULL,                   -- operator username; not published
        at INTEGER NOT NULL
      );
      CREATE INDEX report_updates_by_report ON report_updates(report_id, id);
      CREATE INDEX report_updates_by_time ON report_updates(at);
      -- operators only
      CREATE TABLE report_notes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        author TEXT NOT NULL,
        text TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX report_notes_by_report ON report_notes(report_id, id);
      -- photos with their metadata already stripped; the id is random: the public URL names it
      CREATE TABLE report_photos (
        id TEXT PRIMARY KEY,
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,              -- 0, 1, 2 in upload order
        content_type TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        width INTEGER,
        height INTEGER,
        data BLOB NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX report_photos_by_report ON report_photos(report_id, position);
      CREATE TABLE report_incidents (
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        linked_by TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (report_id, incident_id)
      );
      CREATE INDEX report_incidents_by_incident ON report_incidents(incident_id);
    `,
  },
  {
    version: 5,
    name: 'notifications outbox and operator email',
    up: `
      -- where deadline reminders go; NULL: the desk address (NOTIFY_OPERATOR_EMAIL) if any
      ALTER TABLE users ADD COLUMN email TEXT;
      -- every message to a citizen or an operator, written before it is sent, kept with its result
      CREATE TABLE notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,                     -- 'update' | 'expected' | 'reminder'
        audience TEXT NOT NULL CHECK (audience IN ('citizen', 'operator')),
        channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
        recipient TEXT NOT NULL,                -- an address or a phone number: personal data
        subject TEXT,
        body TEXT NOT NULL,
        dedupe_key TEXT UNIQUE,                 -- one message per update, expected date or reminder and channel
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at INTEGER,                -- epoch ms while pending
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        provider_response TEXT
      );
      CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE status = 'pending';
      CREATE INDEX notifications_by_report ON notifications(report_id, id);
    `,
  },
];

/** The migrations by version; throws unless they are numbered 1, 2, 3, ... without a gap (either store's). */
export function orderedMigrations(migrations: readonly Migration[]): Migration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations: expected version ${i + 1}, got ${m.version} (${m.name})`);
  });
  return sorted;
}

/**
 * Applies the migrations not yet recorded in schema_migrations, each in its own IMMEDIATE
 * transaction together with its record: a failing statement leaves neither a half-made schema nor a
 * record, and two processes starting at once apply each migration once. Returns the versions applied.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const applied: number[] = [];
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const sorted = orderedMigrations(migrations);
  for (const m of sorted) {
    db.transaction(() => {
      // re-checked inside the write lock: another process may have applied it since we looked
      if (isApplied.get(m.version)) return;
      db.exec(m.up);
      record.run(m.version, m.name, Date.now());
      applied.push(m.version);
    }).immediate();
  }
  return applied;
}

/** Opens `${dataDir}/ops.sqlite` with the settings every process sharing it needs, and migrates it. */
export function openOpsDatabase(dataDir: string, migrations: readonly Migration[] = MIGRATIONS): Database.Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, OPS_DB_FILE));
  try {
    // another process (the ops CLI, a second server) may hold the write lock: wait for it, up to 5 s
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    // WAL makes NORMAL durable against application crashes; only a power cut may lose the last commits
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Marks the async context of one running transaction; `active` turns false when it ends. */
interface TxMarker {
  active: boolean;
}

/**
 * One connection shared by asynchronous repositories. better-sqlite3 runs each statement
 * synchronously, but a transaction spans awaits, and anything else that ran on the connection
 * meanwhile would land inside it. So: a transaction holds a lock; calls from inside it (tracked with
 * AsyncLocalStorage) run at once, calls from elsewhere wait until it has committed or rolled back.
 */
export class SqliteConnection {
  private readonly context = new AsyncLocalStorage<TxMarker>();
  /** resolves when the running transaction ends */
  private busy: Promise<void> | undefined;

  constructor(readonly db: Database.Database) {}

  private get inTransaction(): boolean {
    return this.context.getStore()?.active === true;
  }

  /** Runs a synchronous database step now, or after the running transaction when called from outside it. */
  run<T>(step: () => T): Promise<T> {
    if (this.busy && !this.inTransaction) return this.busy.then(() => this.run(step));
    try {
      return Promise.resolve(step());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Like run, for steps that await (hashing a password before the insert). */
  async runAsync<T>(step: () => Promise<T>): Promise<T> {
    while (this.busy && !this.inTransaction) await this.busy;
    return step();
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn();
    while (this.busy) await this.busy;
    let release!: () => void;
    this.busy = new Promise<void>((resolve) => (release = resolve));
    const marker: TxMarker = { active: true };
    try {
      // IMMEDIATE: take the write lock now, so what fn reads cannot change before it writes
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.context.run(marker, fn);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      marker.active = false;
      this.busy = undefined;
      release();
    }
  }

  /** Waits for a running transaction, then closes the connection. */
  async close(): Promise<void> {
    while (this.busy) await this.busy;
    if (this.db.open) this.db.close();
  }
}

/** Statements prepared on first use and kept: for filters whose SQL shape varies with the fields given. */
export class StatementCache {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly max = 64,
  ) {}

  get(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (this.statements.size >= this.max) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** A list limit: the default when absent, at most the maximum; OpsValidationError when not a positive integer. */
export function clampLimit(limit: number | undefined, bounds: { default: number; max: number }): number {
  if (limit === undefined) return bounds.default;
  if (!Number.isInteger(limit) || limit < 1) throw new OpsValidationError(`limit: expected a positive integer (got ${limit})`);
  return Math.min(limit, bounds.max);
}

export const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
export const parseJson = <T>(text: string | null): T | undefined => (text === null ? undefined : (JSON.parse(text) as T));
