/**
 * The NSP's registered targets in SQLite, written through on every change so a restarted NSP starts
 * from the same view. Expiry deadlines are stored as absolute times (milliseconds since the epoch), so
 * the keepalive clocks survive the restart too. Rows keep their first registration's rowid, which
 * gives the snapshot order.
 */
import { openDatabase, type SqliteDatabase } from '../../sdk/services/common/index.js';
import { IDENTIFIER_KEY } from '../../sdk/services/nsp/index.js';

export interface StoredTarget {
  readonly key: string;
  readonly ips: readonly string[];
  readonly context: Readonly<Record<string, string>>;
  readonly expiresAt: number;
}

/** Where the registry keeps its targets; the SQLite store below, or anything else in tests. */
export interface TargetStore {
  load(): StoredTarget[];
  save(target: StoredTarget): void;
  touch(key: string, expiresAt: number): void;
  remove(key: string): void;
  close(): void;
}

const SCHEMA = `
  CREATE TABLE targets (
    key        TEXT PRIMARY KEY,
    ips        TEXT NOT NULL,
    context    TEXT NOT NULL,
    identifier TEXT,
    expires_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX targets_identifier ON targets (identifier) WHERE identifier IS NOT NULL;
`;

interface Row {
  key: string;
  ips: string;
  context: string;
  expires_at: number;
}

export class SqliteTargetStore implements TargetStore {
  private readonly statements;

  private constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      load: db.prepare<[], Row>('SELECT key, ips, context, expires_at FROM targets ORDER BY rowid'),
      save: db.prepare(
        `INSERT INTO targets (key, ips, context, identifier, expires_at) VALUES (@key, @ips, @context, @identifier, @expiresAt)
         ON CONFLICT (key) DO UPDATE SET ips = excluded.ips, context = excluded.context,
           identifier = excluded.identifier, expires_at = excluded.expires_at`,
      ),
      touch: db.prepare('UPDATE targets SET expires_at = ? WHERE key = ?'),
      remove: db.prepare('DELETE FROM targets WHERE key = ?'),
    };
  }

  /**
   * Opens (or creates) the database at `path`, locked for this process: the NSP keeps its view in
   * memory, so a second NSP on the same file would diverge from it.
   */
  static open(path: string): SqliteTargetStore {
    const db = openDatabase({
      path,
      what: 'NSP database',
      synchronous: 'NORMAL',
      exclusive: true,
      schema: SCHEMA,
      version: 1,
    });
    return new SqliteTargetStore(db);
  }

  load(): StoredTarget[] {
    return this.statements.load.all().map((row) => ({
      key: row.key,
      ips: JSON.parse(row.ips) as string[],
      context: JSON.parse(row.context) as Record<string, string>,
      expiresAt: row.expires_at,
    }));
  }

  save(target: StoredTarget): void {
    this.statements.save.run({
      key: target.key,
      ips: JSON.stringify(target.ips),
      context: JSON.stringify(target.context),
      identifier: target.context[IDENTIFIER_KEY] ?? null,
      expiresAt: target.expiresAt,
    });
  }

  touch(key: string, expiresAt: number): void {
    this.statements.touch.run(expiresAt, key);
  }

  remove(key: string): void {
    this.statements.remove.run(key);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
