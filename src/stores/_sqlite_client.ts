// Private module: what SqliteStore needs from a SQLite driver (one method,
// `all(sql, params)`), and the client it makes of a synchronous database.
// The entry file, sqlite.ts, re-exports all of it.

import { describeValue } from "../_options.ts";

/**
 * The one method {@linkcode SqliteStore} needs from a SQLite driver: run a
 * statement with positional `?` parameters and return its rows.
 *
 * `all(sql, params)` runs one statement (never several joined by `;`),
 * binds `params` (strings and numbers) in order, and returns the rows as
 * objects keyed by column name: an empty array for a statement that returns
 * none (`CREATE`, a `DELETE` without `RETURNING`). It may answer at once
 * (synchronous drivers) or with a promise. Errors pass through unchanged;
 * the session manager wraps them in a `SessionStoreError`.
 *
 * Adapters, each checked against the driver in this package's tests:
 *
 * | Driver | `client` option |
 * | --- | --- |
 * | [`bun:sqlite`](https://bun.com/docs/runtime/sqlite) `Database` | `createSqliteStoreClient(db)`, or `{ all: (sql, params) => db.query(sql).all(...params) }` |
 * | [`node:sqlite`](https://nodejs.org/api/sqlite.html) `DatabaseSync` (Deno, Node 22.5+) | `createSqliteStoreClient(db)` |
 * | [`better-sqlite3`](https://github.com/WiseLibs/better-sqlite3) | `createSqliteStoreClient(db)` |
 * | [`@libsql/client`](https://docs.turso.tech/sdk/ts/reference) (files, Turso) | `{ all: async (sql, args) => (await libsql.execute({ sql, args })).rows }` |
 * | [Cloudflare D1](https://developers.cloudflare.com/d1/worker-api/) binding | `{ all: async (sql, params) => (await env.DB.prepare(sql).bind(...params).all()).results }` |
 *
 * {@linkcode createSqliteStoreClient} prepares each statement once per
 * database and keeps it, and runs statements that return no rows with
 * `run()`, as `better-sqlite3` requires.
 *
 * Several processes sharing one database file should turn on write-ahead
 * logging and wait for locks rather than fail at once:
 * `db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000")`
 * (`better-sqlite3` waits 5 seconds by default; `bun:sqlite` and
 * `node:sqlite` do not wait unless told).
 *
 * @example Adapt Cloudflare D1
 * ```ts ignore
 * import type { SqliteStoreClient } from "@sesame/session/sqlite";
 *
 * interface Env {
 *   DB: {
 *     prepare(sql: string): {
 *       bind(...values: unknown[]): { all(): Promise<{ results: unknown[] }> };
 *     };
 *   };
 * }
 *
 * function d1Client(env: Env): SqliteStoreClient {
 *   return {
 *     all: async (sql, params) =>
 *       (await env.DB.prepare(sql).bind(...params).all()).results,
 *   };
 * }
 * ```
 *
 * @example Adapt `@libsql/client` (a file, or Turso)
 * ```ts ignore
 * import { createClient } from "@libsql/client";
 * import type { SqliteStoreClient } from "@sesame/session/sqlite";
 *
 * const libsql = createClient({ url: "file:sessions.sqlite" });
 * const client: SqliteStoreClient = {
 *   all: async (sql, args) => (await libsql.execute({ sql, args })).rows,
 * };
 * ```
 *
 * @example Adapt `bun:sqlite` by hand
 * ```ts ignore
 * import { Database } from "bun:sqlite";
 * import type { SqliteStoreClient } from "@sesame/session/sqlite";
 *
 * const db = new Database("sessions.sqlite");
 * // db.query() prepares each statement once and caches it.
 * const client: SqliteStoreClient = {
 *   all: (sql, params) => db.query(sql).all(...params),
 * };
 * ```
 */
export interface SqliteStoreClient {
  /**
   * Runs one statement and returns its rows.
   *
   * @param sql The statement, with positional `?` parameters.
   * @param params The parameters, in order.
   * @returns The rows as objects keyed by column name, or a promise of them.
   */
  all(
    sql: string,
    params: (string | number)[],
  ): readonly unknown[] | Promise<readonly unknown[]>;
}

/**
 * A prepared statement of a synchronous SQLite driver, as
 * {@linkcode createSqliteStoreClient} uses it.
 *
 * @example The statement of `node:sqlite`
 * ```ts ignore
 * import { DatabaseSync } from "node:sqlite";
 * import type { SqliteStatement } from "@sesame/session/sqlite";
 *
 * const db = new DatabaseSync(":memory:");
 * const statement: SqliteStatement = db.prepare("SELECT 1 AS one");
 * ```
 */
export interface SqliteStatement {
  /** Runs the statement and returns every row. */
  all(...params: (string | number)[]): unknown[];
  /** Runs a statement that returns no rows. */
  run(...params: (string | number)[]): unknown;
  /**
   * Whether the statement returns rows: `better-sqlite3` says so, and its
   * `all()` refuses a statement that returns none. Other drivers leave it
   * out, and their `all()` takes any statement.
   */
  readonly reader?: boolean;
}

/**
 * A synchronous SQLite database: a `bun:sqlite` `Database`, a `node:sqlite`
 * `DatabaseSync` or a `better-sqlite3` database fits it as it is.
 *
 * @example The three synchronous drivers
 * ```ts ignore
 * import type { SqliteDatabase } from "@sesame/session/sqlite";
 * import { DatabaseSync } from "node:sqlite";
 * import BetterSqlite3 from "better-sqlite3";
 *
 * const node: SqliteDatabase = new DatabaseSync(":memory:");
 * const better: SqliteDatabase = new BetterSqlite3(":memory:");
 * // On Bun: new (await import("bun:sqlite")).Database(":memory:")
 * ```
 */
export interface SqliteDatabase {
  /**
   * Compiles one statement.
   *
   * @param sql The statement.
   * @returns The prepared statement.
   */
  prepare(sql: string): SqliteStatement;
}

/** Prepared statements kept per client: the store sends fewer than 20. */
const MAX_PREPARED = 64;

/**
 * Makes a {@linkcode SqliteStoreClient} of a synchronous database
 * (`bun:sqlite`, `node:sqlite`, `better-sqlite3`). It prepares each
 * statement once and keeps it (up to 64 of them), and runs the statements
 * that return no rows with `run()`.
 *
 * @param database The open database. The client never closes it.
 * @returns The client, to pass to {@linkcode SqliteStore} as `client`.
 *
 * @example A store over `better-sqlite3` on Node
 * ```ts ignore
 * import Database from "better-sqlite3";
 * import {
 *   createSqliteStoreClient,
 *   SqliteStore,
 * } from "@sesame/session/sqlite";
 *
 * const db = new Database("sessions.sqlite");
 * db.pragma("journal_mode = WAL");
 * const store = new SqliteStore({ client: createSqliteStoreClient(db) });
 * await store.migrate();
 * ```
 */
export function createSqliteStoreClient(
  database: SqliteDatabase,
): SqliteStoreClient {
  if (
    typeof database !== "object" || database === null ||
    typeof database.prepare !== "function"
  ) {
    throw new TypeError(
      `Cannot create SQLite store client: database must have a prepare(sql) method, received ${
        describeValue(database)
      }`,
    );
  }
  const prepared = new Map<string, SqliteStatement>();
  return {
    all(sql, params) {
      let statement = prepared.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (prepared.size >= MAX_PREPARED) prepared.clear();
        prepared.set(sql, statement);
      }
      if (statement.reader === false) {
        statement.run(...params);
        return [];
      }
      return statement.all(...params);
    },
  };
}
