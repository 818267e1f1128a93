// The rules engine's rule set: one JSON document with a version. Saving names the version it was
// based on (optimistic concurrency): two admins editing at once cannot overwrite each other silently.
import type Database from 'better-sqlite3';
import type { SqliteConnection } from './db.ts';
import { OpsValidationError, RuleSetConflictError } from './errors.ts';
import type { RuleRepository, RuleSet } from './repositories.ts';
import type { Encoded } from './rows/encoded.ts';
import { toRuleSet, type RuleSetRow } from './rows/rules.ts';

/** As SQLite returns it: the rules as JSON text. */
type SqliteRuleSetRow = Encoded<RuleSetRow, { rules: string }>;

const decodeRuleSet = (row: SqliteRuleSetRow): RuleSet => toRuleSet({ ...row, rules: JSON.parse(row.rules) });

export class SqliteRuleRepository implements RuleRepository {
  private readonly select: Database.Statement;
  private readonly insertFirst: Database.Statement;
  private readonly updateIfVersion: Database.Statement;

  constructor(private readonly conn: SqliteConnection) {
    const db = conn.db;
    this.select = db.prepare('SELECT version, rules, updated_at, updated_by FROM rule_set WHERE id = 1');
    this.insertFirst = db.prepare(
      'INSERT INTO rule_set (id, version, rules, updated_at, updated_by) VALUES (1, 1, ?, ?, ?) ON CONFLICT(id) DO NOTHING',
    );
    this.updateIfVersion = db.prepare(
      'UPDATE rule_set SET version = version + 1, rules = ?, updated_at = ?, updated_by = ? WHERE id = 1 AND version = ?',
    );
  }

  getRuleSet(): Promise<RuleSet | undefined> {
    return this.conn.run(() => {
      const row = this.select.get() as SqliteRuleSetRow | undefined;
      return row ? decodeRuleSet(row) : undefined;
    });
  }

  async saveRuleSet(rules: unknown[], by: string, expectedVersion: number, atMs = Date.now()): Promise<RuleSet> {
    if (!Array.isArray(rules)) throw new OpsValidationError('rules: expected an array');
    if (!Number.isInteger(expectedVersion) || expectedVersion < 0) throw new OpsValidationError(`expectedVersion: expected an integer >= 0 (got ${expectedVersion})`);
    const text = JSON.stringify(rules);
    return this.conn.run(() => {
      const { changes } =
        expectedVersion === 0 ? this.insertFirst.run(text, atMs, by) : this.updateIfVersion.run(text, atMs, by, expectedVersion);
      const row = this.select.get() as SqliteRuleSetRow | undefined;
      if (changes === 0) throw new RuleSetConflictError(expectedVersion, row?.version ?? 0);
      return decodeRuleSet(row!);
    });
  }
}
