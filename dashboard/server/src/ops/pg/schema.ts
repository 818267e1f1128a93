// The operations store's PostgreSQL schema: the SQLite migrations 1-5 (db.ts) with the same versions,
// names, tables and columns, in PostgreSQL's types. Epoch-ms times are BIGINT, coordinates DOUBLE
// PRECISION (SQLite's REAL is 8 bytes; PostgreSQL's REAL is 4), flags BOOLEAN, blobs BYTEA, JSON
// `json` (kept as written, key order included: audit exports match SQLite's byte for byte). Texts
// that lists are ordered by use the "C" collation, SQLite's BINARY, whatever the database's locale.
import type pg from 'pg';
import { orderedMigrations, type Migration } from '../db.ts';

const ACTIVE = `('open', 'acknowledged', 'in_progress')`;
const KEY = 'TEXT COLLATE "C"';

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users and sessions',
    up: `
      CREATE TABLE users (
        username ${KEY} PRIMARY KEY,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        password_hash TEXT NOT NULL,
        evidence_access BOOLEAN NOT NULL DEFAULT false,
        disabled BOOLEAN NOT NULL DEFAULT false,
        created_at BIGINT NOT NULL,
        password_changed_at BIGINT NOT NULL
      );
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,             -- SHA-256 of the cookie value, hex: a stolen dump holds no usable id
        username ${KEY} NOT NULL REFERENCES users(username) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        ttl_ms BIGINT NOT NULL
      );
      CREATE INDEX sessions_by_user ON sessions(username);
      CREATE INDEX sessions_by_expiry ON sessions(expires_at);
    `,
  },
  {
    version: 2,
    name: 'incidents, comments and the audit trail',
    up: `
      CREATE TABLE sequences (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
      INSERT INTO sequences (name, value) VALUES ('incident', 0);
      CREATE TABLE incidents (
        id ${KEY} PRIMARY KEY,
        title TEXT NOT NULL,
        category TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        device_id TEXT,
        device_kind TEXT,
        lat DOUBLE PRECISION,
        lon DOUBLE PRECISION,
        district TEXT,
        dedupe_key TEXT,
        explanation TEXT NOT NULL,
        evidence JSON NOT NULL,                -- IncidentEvidence
        linked JSON NOT NULL DEFAULT '[]',     -- LinkedItem[]
        opened_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        acknowledged_at BIGINT,
        resolved_at BIGINT,
        assignee TEXT,
        due_at BIGINT,
        auto_resolve BOOLEAN NOT NULL
      );
      -- at most one active incident per dedupe key; closed ones keep theirs for history
      CREATE UNIQUE INDEX incidents_active_dedupe ON incidents(dedupe_key)
        WHERE dedupe_key IS NOT NULL AND status IN ${ACTIVE};
      CREATE INDEX incidents_by_update ON incidents(updated_at);
      CREATE INDEX incidents_active ON incidents(status) WHERE status IN ${ACTIVE};
      CREATE TABLE incident_comments (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        incident_id ${KEY} NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        author TEXT NOT NULL,
        text TEXT NOT NULL,
        at BIGINT NOT NULL
      );
      CREATE INDEX incident_comments_by_incident ON incident_comments(incident_id, id);
      CREATE TABLE audit_log (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        entity_type TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        before JSON,
        after JSON
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
        rules JSON NOT NULL,                    -- array
        updated_at BIGINT NOT NULL,
        updated_by TEXT NOT NULL
      );
      CREATE TABLE evidence (
        id ${KEY} PRIMARY KEY,
        camera_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        offence TEXT NOT NULL,
        label TEXT NOT NULL,
        plate TEXT,
        zones JSON NOT NULL,                    -- string[]
        lat DOUBLE PRECISION,
        lon DOUBLE PRECISION,
        district TEXT,
        observed_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        snapshot BYTEA                          -- the JPEG, copied: the live snapshot is overwritten
      );
      CREATE INDEX evidence_by_expiry ON evidence(expires_at);
      CREATE INDEX evidence_by_time ON evidence(observed_at);
      -- no foreign key: who looked at a record is kept after retention deletes it
      CREATE TABLE evidence_access (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        evidence_id TEXT NOT NULL,
        username TEXT NOT NULL,
        action TEXT NOT NULL,
        at BIGINT NOT NULL
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
        token_hash TEXT NOT NULL UNIQUE,        -- SHA-256 of the receipt token, hex
        service_code TEXT NOT NULL,
        category TEXT NOT NULL,
        status TEXT NOT NULL,
        status_notes TEXT,
        description TEXT,
        lat DOUBLE PRECISION,
        lon DOUBLE PRECISION,
        district TEXT,
        address TEXT,
        address_id TEXT,
        zipcode TEXT,
        media_url TEXT,
        attributes JSON NOT NULL DEFAULT '{}',  -- {code: answer}
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
        requested_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        expected_at BIGINT,
        closed_at BIGINT,
        duplicate_of TEXT REFERENCES reports(id)
      );
      CREATE INDEX reports_by_request_time ON reports(requested_at);
      CREATE INDEX reports_by_update ON reports(updated_at);
      CREATE INDEX reports_by_service ON reports(service_code, status, requested_at);
      -- public updates: each status change or public note (GET servicerequestupdates)
      CREATE TABLE report_updates (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        status TEXT NOT NULL,                   -- the report's status after the update
        description TEXT,
        media_url TEXT,
        author TEXT NOT NULL,                   -- operator username; not published
        at BIGINT NOT NULL
      );
      CREATE INDEX report_updates_by_report ON report_updates(report_id, id);
      CREATE INDEX report_updates_by_time ON report_updates(at);
      -- operators only
      CREATE TABLE report_notes (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        author TEXT NOT NULL,
        text TEXT NOT NULL,
        at BIGINT NOT NULL
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
        data BYTEA NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX report_photos_by_report ON report_photos(report_id, position);
      CREATE TABLE report_incidents (
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        incident_id ${KEY} NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        linked_by TEXT NOT NULL,
        at BIGINT NOT NULL,
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
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
        next_attempt_at BIGINT,                 -- epoch ms while pending
        created_at BIGINT NOT NULL,
        sent_at BIGINT,
        provider_response TEXT
      );
      CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE status = 'pending';
      CREATE INDEX notifications_by_report ON notifications(report_id, id);
    `,
  },
];

/** pg_advisory_lock key held while migrating: two dashboards starting together migrate once. */
export const MIGRATION_LOCK_KEY = 0x6369_7479_6d69_67n; // 'citymig'

/**
 * Applies the migrations not yet recorded in schema_migrations, each in its own transaction together
 * with its record, under a session advisory lock: a failing statement leaves neither a half-made
 * schema nor a record, and a second process starting at once waits, then finds them applied.
 * Returns the versions applied.
 */
export async function migratePg(pool: pg.Pool, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<number[]> {
  const sorted = orderedMigrations(migrations);
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at BIGINT NOT NULL
      )`);
      for (const m of sorted) {
        await client.query('BEGIN');
        try {
          const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
          if (done.rowCount === 0) {
            await client.query(m.up);
            await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
            applied.push(m.version);
          }
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    client.release();
  }
  return applied;
}
