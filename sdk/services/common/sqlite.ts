/**
 * Opens the SQLite database of a service: WAL journal, the durability the caller asks for, a schema
 * created on first use and checked afterwards, and optionally an exclusive lock so a second process
 * cannot open a database whose state the first one also keeps in memory.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import Database from 'better-sqlite3';

import { FailedPreconditionError, messageOf } from '../../core/index.js';

export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  /** A file path, or `:memory:`. */
  readonly path: string;
  /** For messages: `NSP database`. */
  readonly what: string;
  /** FULL survives power loss; NORMAL survives a killed process (WAL) and is faster. */
  readonly synchronous: 'FULL' | 'NORMAL';
  readonly exclusive: boolean;
  /** Statements that create the schema of `version` in an empty database. */
  readonly schema: string;
  readonly version: number;
  readonly busyTimeoutMs?: number;
}

export function openDatabase(options: OpenDatabaseOptions): SqliteDatabase {
  const where = `${options.what} at ${options.path}`;
  let db: SqliteDatabase | undefined;
  try {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    db = new Database(options.path);
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    if (options.exclusive) db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous}`);
    // An immediate transaction takes the write lock now, so "in use by another process" shows at start.
    const version = db
      .transaction((handle: SqliteDatabase) => {
        const found = handle.pragma('user_version', { simple: true }) as number;
        if (found === 0) {
          handle.exec(options.schema);
          handle.pragma(`user_version = ${options.version}`);
          return options.version;
        }
        return found;
      })
      .immediate(db);
    if (version !== options.version) {
      throw new FailedPreconditionError(
        `the ${where} has schema version ${version}, and this program reads version ${options.version} only`,
      );
    }
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof FailedPreconditionError) throw error;
    const busy =
      typeof error === 'object' && error !== null && 'code' in error && error.code === 'SQLITE_BUSY';
    throw new FailedPreconditionError(
      busy ? `the ${where} is in use by another process` : `cannot open the ${where}: ${messageOf(error)}`,
      { cause: error },
    );
  }
}
