/**
 * Opens the demo's SQLite database with `better-sqlite3` (Node) for
 * `SESSION_STORE=sqlite`.
 *
 * @module
 */
import Database from "better-sqlite3";
import {
  createSqliteStoreClient,
  type SqliteStoreClient,
} from "../../src/stores/sqlite.ts";

/**
 * Opens (or creates) the database file at `path` as a SqliteStore client,
 * in write-ahead-log mode (better-sqlite3 waits 5 seconds for another
 * process's lock by default).
 */
export function openBetterSqlite3(path: string): Promise<SqliteStoreClient> {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  return Promise.resolve(createSqliteStoreClient(db));
}
