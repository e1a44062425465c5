/**
 * Opens the demo's SQLite database with `node:sqlite` (Deno, and Node 22.5
 * and later) for `SESSION_STORE=sqlite`.
 *
 * @module
 */
import {
  createSqliteStoreClient,
  type SqliteDatabase,
  type SqliteStoreClient,
} from "../../src/stores/sqlite.ts";

/** What the demo uses of `node:sqlite`'s `DatabaseSync`. */
interface DatabaseSync extends SqliteDatabase {
  exec(sql: string): void;
}

/**
 * Opens (or creates) the database file at `path` as a SqliteStore client,
 * in write-ahead-log mode and waiting up to 5 seconds for another process's
 * lock.
 */
export async function openNodeSqlite(path: string): Promise<SqliteStoreClient> {
  // The project's types are Node 20's, which has no node:sqlite: the module
  // is imported by a name the type checker does not follow.
  const name = "node:sqlite";
  const { DatabaseSync } = await import(name) as {
    DatabaseSync: new (path: string) => DatabaseSync;
  };
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000");
  return createSqliteStoreClient(db);
}
