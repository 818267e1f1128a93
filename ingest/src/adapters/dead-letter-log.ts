// The embedded dead-letter log: every message ingest could not accept, in DATA_DIR/deadletter.sqlite,
// capped at `maxRows` (the oldest go first). Inserts are synchronous: when append() returns the entry is
// in the OS (SQLite WAL), so the bad message may be acknowledged.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { DeadLetter } from '../core/dead-letter.ts';

/** Trim the table to its cap every this many inserts, not on each one. */
const TRIM_EVERY = 500;

export class DeadLetterLog {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private sinceTrim = 0;

  constructor(
    file: string,
    private readonly maxRows: number,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    // first: workers sharing DATA_DIR open this file at the same time, and switching to WAL needs the lock
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit is in the OS at once (survives a process crash), fsync'd at checkpoints
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS dead_letters (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      received_at INTEGER NOT NULL,
      reason TEXT NOT NULL,
      topic TEXT NOT NULL,
      detail TEXT NOT NULL,
      payload BLOB NOT NULL,
      payload_bytes INTEGER NOT NULL
    )`);
    this.insert = this.db.prepare(
      `INSERT INTO dead_letters (received_at, reason, topic, detail, payload, payload_bytes) VALUES (?, ?, ?, ?, ?, ?)`,
    );
  }

  append(entry: DeadLetter): void {
    this.insert.run(entry.receivedAt, entry.reason, entry.topic, entry.detail, Buffer.from(entry.payloadBase64, 'base64'), entry.payloadBytes);
    if (++this.sinceTrim >= TRIM_EVERY) this.trim();
  }

  /** Entries, newest first. */
  recent(limit: number, reason?: string): DeadLetter[] {
    const rows = (
      reason === undefined
        ? this.db.prepare('SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM dead_letters WHERE reason = ? ORDER BY id DESC LIMIT ?').all(reason, limit)
    ) as { received_at: number; reason: string; topic: string; detail: string; payload: Buffer; payload_bytes: number }[];
    return rows.map((r) => ({
      reason: r.reason,
      detail: r.detail,
      topic: r.topic,
      receivedAt: r.received_at,
      payloadBase64: r.payload.toString('base64'),
      payloadBytes: r.payload_bytes,
    }));
  }

  count(reason?: string): number {
    const row = (
      reason === undefined
        ? this.db.prepare('SELECT COUNT(*) AS n FROM dead_letters').get()
        : this.db.prepare('SELECT COUNT(*) AS n FROM dead_letters WHERE reason = ?').get(reason)
    ) as { n: number };
    return row.n;
  }

  private trim(): void {
    this.sinceTrim = 0;
    this.db.prepare('DELETE FROM dead_letters WHERE id <= (SELECT MAX(id) FROM dead_letters) - ?').run(this.maxRows);
  }

  close(): void {
    this.trim();
    this.db.close();
  }
}
