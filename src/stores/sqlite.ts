/**
 * A session store in SQLite, through any driver: the synchronous ones
 * (`bun:sqlite`, `node:sqlite` on Deno and Node 22.5+, `better-sqlite3`) and
 * the asynchronous ones (`@libsql/client` for files and Turso, Cloudflare
 * D1), with compare-and-set, an index of sessions by subject and expiry
 * without timers.
 *
 * The store depends on no driver: it takes any object with one method,
 * `all(sql, params)`, that runs a statement and returns its rows (see
 * {@linkcode SqliteStoreClient} for the adapter of each driver). Every
 * operation is one statement, hence one round trip to a remote database and
 * one atomic step.
 *
 * @example Sessions in a SQLite file on Deno (or Node 22.5+)
 * ```ts ignore
 * import { DatabaseSync } from "node:sqlite";
 * import { createSessionManager } from "@sesame/session";
 * import {
 *   createSqliteStoreClient,
 *   SqliteStore,
 * } from "@sesame/session/sqlite";
 *
 * const store = new SqliteStore({
 *   client: createSqliteStoreClient(new DatabaseSync("sessions.sqlite")),
 * });
 * await store.migrate(); // creates the tables once; a no-op afterwards
 * const sessions = createSessionManager({ store });
 * ```
 *
 * It is not a general SQL layer: it keeps session records in its own two
 * tables and nothing else. Nor does it open, configure or close databases:
 * the code that opens one does.
 *
 * @module
 */
import { describeValue, functionValue, wholeNumber } from "../_options.ts";
import { SessionTooLargeError } from "../errors.ts";
import type {
  SessionStore,
  StoreEntry,
  StoreSetOptions,
  StoreSetResult,
  StoreTouchOptions,
  SubjectIndex,
} from "../store.ts";
import {
  column,
  createVersion,
  DEFAULT_TABLE,
  DELETE_BATCH,
  expiryArgument,
  isMissingTable,
  isTableName,
  schemaStatements,
  type Statements,
  statementsFor,
  toNumber,
  VERSION,
} from "./_sqlite_sql.ts";
import type { SqliteStoreClient } from "./_sqlite_client.ts";
import { SqliteSubjectIndex } from "./_sqlite_subjects.ts";

export {
  createSqliteStoreClient,
  type SqliteDatabase,
  type SqliteStatement,
  type SqliteStoreClient,
} from "./_sqlite_client.ts";

/**
 * The statements that create the tables and indexes of a
 * {@linkcode SqliteStore}, for a migration tool (a `wrangler d1 migrations`
 * file, a schema file) in place of {@linkcode SqliteStore.migrate}, which
 * runs the same statements. Each is idempotent (`IF NOT EXISTS`).
 *
 * For the default table they are:
 *
 * ```sql
 * CREATE TABLE IF NOT EXISTS "sesame_sessions" (
 *   key TEXT NOT NULL PRIMARY KEY, -- SHA-256 of the session id, base64url
 *   value TEXT NOT NULL,           -- the record, JSON text
 *   version TEXT NOT NULL,         -- 128 random bits, new on every write
 *   expires_at INTEGER NOT NULL    -- milliseconds since the Unix epoch
 * );
 * CREATE TABLE IF NOT EXISTS "sesame_sessions_subjects" (
 *   subject TEXT NOT NULL,         -- as the application sets it
 *   key TEXT NOT NULL,             -- a record's key
 *   expires_at INTEGER NOT NULL,   -- when the entry may be forgotten
 *   PRIMARY KEY (subject, key)
 * ) WITHOUT ROWID;
 * CREATE INDEX IF NOT EXISTS "sesame_sessions_expiry"
 *   ON "sesame_sessions" (expires_at);
 * CREATE INDEX IF NOT EXISTS "sesame_sessions_subjects_expiry"
 *   ON "sesame_sessions_subjects" (expires_at);
 * ```
 *
 * @param table The records' table, as the store's `table` option.
 * @returns The statements, in order, without trailing semicolons.
 * @throws {TypeError} When `table` is not a name the store accepts.
 *
 * @example Write a D1 migration file
 * ```ts
 * import { createTableStatements } from "@sesame/session/sqlite";
 *
 * const sql = createTableStatements()
 *   .map((statement) => `${statement};`)
 *   .join("\n");
 * console.log(sql); // save as migrations/0001_sessions.sql
 * ```
 */
export function createTableStatements(
  table: string = DEFAULT_TABLE,
): string[] {
  const { tables, indexes } = schemaStatements(
    tableOption("Cannot create SQLite statements", table),
  );
  return [...tables, ...indexes];
}

/**
 * Options of {@linkcode SqliteStore}.
 *
 * @example A store under its own table
 * ```ts ignore
 * import { DatabaseSync } from "node:sqlite";
 * import {
 *   createSqliteStoreClient,
 *   type SqliteStoreOptions,
 * } from "@sesame/session/sqlite";
 *
 * const options: SqliteStoreOptions = {
 *   client: createSqliteStoreClient(new DatabaseSync("app.sqlite")),
 *   table: "shop_sessions",
 * };
 * ```
 */
export interface SqliteStoreOptions {
  /**
   * The connection: anything with an `all(sql, params)` method (see
   * {@linkcode SqliteStoreClient} for each driver's adapter). The store
   * never opens, configures or closes the database.
   */
  client: SqliteStoreClient;
  /**
   * The table of records. The subject index lives in `table + "_subjects"`,
   * and the indexes are named after them. Letters, digits and underscores,
   * not starting with a digit, at most 63 characters, and not starting with
   * `sqlite_` (reserved by SQLite) or `_cf_` (reserved by D1): the name is
   * written into the SQL, so nothing else is accepted.
   *
   * @default {"sesame_sessions"}
   */
  table?: string;
  /**
   * The clock, in milliseconds since the Unix epoch, by which the store
   * decides that a record has expired. Every host that shares the database
   * compares with its own clock: keep them in sync (NTP). Replace it in
   * tests to move time without waiting.
   *
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * The most bytes of UTF-8 a record may take. A larger one is refused with
   * a `SessionTooLargeError` before anything is sent, so the stored record
   * stays as it was. D1 keeps at most 2,000,000 bytes per row; SQLite itself
   * 1,000,000,000 per value unless built otherwise. Every request reads and
   * writes its whole record, so keep sessions to a few kilobytes: the
   * session manager's own `maxRecordBytes` (64 KiB by default) usually
   * refuses a large session first.
   *
   * @default {1_048_576}
   */
  maxValueBytes?: number;
  /**
   * How often writes of new records clean up: on average one in
   * `sweepEvery` of them first deletes up to `10 × sweepEvery` expired
   * records and as many expired index entries (two more statements), so the
   * tables stay near the number of live sessions without a timer. `0` turns
   * this off: call {@linkcode SqliteStore.deleteExpired} from a scheduled
   * job instead.
   *
   * @default {100}
   */
  sweepEvery?: number;
}

const ACTION = "Cannot create SQLite store";
const GET_ACTION = "Cannot get session record from SQLite";
const SET_ACTION = "Cannot set session record in SQLite";
const DELETE_ACTION = "Cannot delete session record from SQLite";
const TOUCH_ACTION = "Cannot touch session record in SQLite";
const MIGRATE_ACTION = "Cannot migrate SQLite store";
const EXPIRE_ACTION = "Cannot delete expired session records from SQLite";

/** UPSERT (3.24) and RETURNING (3.35) are the newest features the SQL uses. */
const MIN_VERSION = [3, 35, 0];

const encoder = new TextEncoder();

/**
 * A session store in a SQLite database, through any driver, synchronous or
 * asynchronous: sessions survive restarts and are shared by every process
 * that opens the same database (a file, Turso, D1).
 *
 * **What is stored.** One row per record in the table `sesame_sessions`
 * (see {@linkcode SqliteStoreOptions.table}): `key` (the SHA-256 digest of
 * the session id, never the id), `value` (the manager's JSON text),
 * `version` (128 random bits, 22 base64url characters) and `expires_at`
 * (milliseconds since the Unix epoch, indexed). The subject index is the
 * table `sesame_sessions_subjects`: one row per subject and key with the
 * latest expiry the record can reach. Create both with
 * {@linkcode SqliteStore.migrate} or the statements of
 * {@linkcode createTableStatements}; until then every call fails with an
 * error that says so.
 *
 * **Compare-and-set.** Every write sets a new random version, so a version
 * never repeats for a key, and `touch()` keeps it. The check and the write
 * are one statement: an `INSERT … ON CONFLICT DO UPDATE … WHERE` for a new
 * record (it may replace only an expired row), an `UPDATE … WHERE version = ?`
 * for a change, each with `RETURNING` to tell whether it wrote. It needs
 * SQLite 3.35 or later (2021), which D1, libsql, Bun, Deno and Node all
 * ship.
 *
 * **Expiry.** Each statement compares `expires_at` with the store's clock,
 * so an expired record is never read, extended or kept by a precondition.
 * The rows themselves go in three ways, none with a timer: a new record
 * replaces an expired one under its key; on average one in
 * {@linkcode SqliteStoreOptions.sweepEvery} new records first deletes a
 * batch of expired rows; and {@linkcode SqliteStore.deleteExpired} deletes
 * them all, for a scheduled job (a cron trigger on Workers).
 *
 * **Cost.** Every method is one statement: a load, a save, a touch, a
 * destroy, and each call of the subject index. A new record occasionally
 * runs the two statements of a sweep before its own.
 *
 * **Limits.** A record takes at most
 * {@linkcode SqliteStoreOptions.maxValueBytes} (1 MiB unless set).
 * D1 allows 2,000,000 bytes per row and 100 bound parameters per statement
 * (the store binds at most 6), 100,000 bytes of SQL per statement (the
 * store's are under 400) and 30 seconds per query; a D1 database takes 10 GB
 * (500 MB on the free plan). Keys and subjects are stored as UTF-8 text, so
 * strings with unpaired surrogates (not valid Unicode) are not kept apart.
 * Concurrent saves of one session that lose the compare-and-set are retried
 * by the manager, each retry a read and a write: over a remote database (D1,
 * Turso), where these take milliseconds, a burst of many concurrent
 * requests of one session may use up the manager's `maxCommitAttempts`
 * (10) and fail with `SessionConflictError`; raise it for such traffic.
 *
 * **Errors.** The client's errors pass through as they are (the manager
 * wraps them in a `SessionStoreError` whose `cause` they are), but for a
 * missing table, which rejects with an `Error` naming `migrate()` and
 * keeping the driver's error as `cause`. A failure never leaves a
 * half-written record: each write is one statement.
 *
 * @example Sessions in D1, on Cloudflare Workers
 * ```ts ignore
 * import { createSessionManager } from "@sesame/session";
 * import { SqliteStore } from "@sesame/session/sqlite";
 *
 * interface Env {
 *   DB: {
 *     prepare(sql: string): {
 *       bind(...values: unknown[]): { all(): Promise<{ results: unknown[] }> };
 *     };
 *   };
 * }
 *
 * export default {
 *   async fetch(request: Request, env: Env): Promise<Response> {
 *     const store = new SqliteStore({
 *       client: {
 *         all: async (sql, params) =>
 *           (await env.DB.prepare(sql).bind(...params).all()).results,
 *       },
 *     });
 *     // The tables come from a D1 migration of createTableStatements().
 *     const sessions = createSessionManager({ store });
 *     return await sessions.handler((_request, session) => {
 *       const visits = session.update("visits", (n = 0) => n + 1);
 *       return Response.json({ visits });
 *     })(request);
 *   },
 * };
 * ```
 *
 * @example Sessions in a file with `bun:sqlite`
 * ```ts ignore
 * import { Database } from "bun:sqlite";
 * import { createSessionManager } from "@sesame/session";
 * import {
 *   createSqliteStoreClient,
 *   SqliteStore,
 * } from "@sesame/session/sqlite";
 *
 * const db = new Database("sessions.sqlite");
 * db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000");
 * const store = new SqliteStore({ client: createSqliteStoreClient(db) });
 * await store.migrate();
 * const sessions = createSessionManager({ store });
 *
 * Bun.serve({ fetch: sessions.handler(() => new Response("Hello")) });
 * ```
 */
export class SqliteStore implements SessionStore {
  /** The store sets only what its precondition allows, in one statement. */
  readonly compareAndSet = true;
  /** Records leave the process, so they are keyed by the digest of the id. */
  readonly inProcess = false;
  /**
   * The index of records by subject: the table `<table>_subjects`, one row
   * per subject and key.
   */
  readonly subjects: SubjectIndex;

  #client: SqliteStoreClient;
  #table: string;
  #sql: Statements;
  #now: () => number;
  #maxValueBytes: number;
  #sweepEvery: number;

  /**
   * Creates a store over a client. It sends nothing until it is first used.
   *
   * @param options The client, the table and the limits.
   * @throws {TypeError} When `client` has no `all` method, `table` is not a
   * name the store accepts, or `now` is not a function.
   * @throws {RangeError} When `maxValueBytes` or `sweepEvery` is out of range.
   */
  constructor(options: SqliteStoreOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `${ACTION}: options must be an object, received ${
          describeValue(options)
        }`,
      );
    }
    const { client } = options;
    if (
      (typeof client !== "object" && typeof client !== "function") ||
      client === null || typeof client.all !== "function"
    ) {
      throw new TypeError(
        `${ACTION}: client must have an all(sql, params) method (see SqliteStoreClient for each driver's adapter), received ${
          describeValue(client)
        }`,
      );
    }
    this.#client = client;
    this.#table = tableOption(ACTION, options.table ?? DEFAULT_TABLE);
    this.#sql = statementsFor(this.#table);
    this.#now = functionValue(options.now, {
      action: ACTION,
      name: "now",
      fallback: Date.now,
    });
    this.#maxValueBytes = wholeNumber(options.maxValueBytes, {
      action: ACTION,
      name: "maxValueBytes",
      fallback: 1_048_576,
      min: 1,
      max: 1_000_000_000,
    });
    this.#sweepEvery = wholeNumber(options.sweepEvery, {
      action: ACTION,
      name: "sweepEvery",
      fallback: 100,
      min: 0,
      max: 1_000_000,
    });
    this.subjects = new SqliteSubjectIndex(
      (action, sql, params) => this.#run(action, sql, params),
      this.#sql,
      this.#now,
    );
  }

  /**
   * Creates the tables and indexes if they do not exist yet, and checks
   * that existing ones have the store's columns. Safe to run at every start,
   * from several processes at once.
   *
   * @throws {Error} When the database's SQLite is older than 3.35, or a
   * table of that name exists with other columns.
   */
  async migrate(): Promise<void> {
    const version = await this.#sqliteVersion();
    if (version !== undefined && compareVersions(version, MIN_VERSION) < 0) {
      throw new Error(
        `${MIGRATE_ACTION}: the store needs SQLite 3.35.0 or later (UPSERT with RETURNING), the database runs ${version}`,
      );
    }
    const { tables, indexes } = schemaStatements(this.#table);
    for (const statement of tables) {
      await this.#run(MIGRATE_ACTION, statement, []);
    }
    try {
      await this.#client.all(this.#sql.checkColumns, []);
    } catch (cause) {
      throw new Error(
        `${MIGRATE_ACTION}: the tables "${this.#table}" and "${this.#table}_subjects" exist but lack columns the store needs (key, value, version, expires_at; subject, key, expires_at): choose another table name`,
        { cause },
      );
    }
    for (const statement of indexes) {
      await this.#run(MIGRATE_ACTION, statement, []);
    }
  }

  /**
   * Deletes every record and subject index entry whose expiry has passed by
   * the store's clock, 1,000 rows per statement. Expired rows are never read
   * as alive, so this only frees their space: call it from a scheduled job
   * (a Workers cron trigger, a cron entry), every few minutes to once a day,
   * as the table's growth asks. The store also sweeps a little on its own
   * (see {@linkcode SqliteStoreOptions.sweepEvery}).
   *
   * @returns How many records it deleted (index entries are not counted).
   *
   * @example Clean up from a Workers cron trigger
   * ```ts ignore
   * import { SqliteStore } from "@sesame/session/sqlite";
   *
   * interface Env {
   *   DB: {
   *     prepare(sql: string): {
   *       bind(...values: unknown[]): { all(): Promise<{ results: unknown[] }> };
   *     };
   *   };
   * }
   *
   * export default {
   *   async scheduled(_controller: unknown, env: Env): Promise<void> {
   *     const store = new SqliteStore({
   *       client: {
   *         all: async (sql, params) =>
   *           (await env.DB.prepare(sql).bind(...params).all()).results,
   *       },
   *     });
   *     console.log(`${await store.deleteExpired()} expired sessions deleted`);
   *   },
   * };
   * ```
   */
  async deleteExpired(): Promise<number> {
    return await this.#sweep(EXPIRE_ACTION, DELETE_BATCH, Infinity);
  }

  /**
   * Reads the live record under `key`: one `SELECT`.
   *
   * @param key The record's key.
   * @returns The entry, or `undefined` when there is none or it has expired.
   */
  async get(key: string): Promise<StoreEntry | undefined> {
    const rows = await this.#run(GET_ACTION, this.#sql.get, [
      key,
      this.#now(),
    ]);
    if (rows.length === 0) return undefined;
    const value = column(rows[0], "value");
    const version = column(rows[0], "version");
    const expiresAt = toNumber(column(rows[0], "expires_at"));
    // A row that the store did not write this way is no record.
    if (
      typeof value !== "string" || typeof version !== "string" ||
      expiresAt === undefined
    ) {
      return undefined;
    }
    return { value, expiresAt, version };
  }

  /**
   * Writes `value` under `key` with a new version if `options.ifVersion`
   * allows it, in one statement. A write whose expiry has already passed by
   * the store's clock deletes the record instead and answers
   * `{ ok: false, expired: true }`.
   *
   * @param key The record's key.
   * @param value The serialised record.
   * @param options The expiry and the compare-and-set precondition.
   * @returns Whether the record was written, and its new version.
   * @throws {SessionTooLargeError} When `value` takes more than
   * `maxValueBytes` of UTF-8; nothing is sent then.
   * @throws {TypeError} When `options.expiresAt` is not a number.
   * @throws {RangeError} When `options.expiresAt` is beyond ±2^53 - 1.
   */
  async set(
    key: string,
    value: string,
    options: StoreSetOptions,
  ): Promise<StoreSetResult> {
    const expiresAt = expiryArgument(SET_ACTION, options.expiresAt);
    this.#checkSize(value);
    const { ifVersion } = options;
    // Not a version this store wrote, so no live record has it.
    if (typeof ifVersion === "string" && !VERSION.test(ifVersion)) {
      return { ok: false };
    }
    const now = this.#now();
    if (!(expiresAt > now)) return await this.#expire(key, ifVersion, now);
    const version = createVersion();
    let rows: readonly unknown[];
    if (typeof ifVersion === "string") {
      rows = await this.#run(SET_ACTION, this.#sql.replace, [
        value,
        version,
        expiresAt,
        key,
        ifVersion,
        now,
      ]);
    } else {
      // A write that may add a row is when the table grows: sweep now and
      // then, before writing, so that a failed sweep writes nothing.
      if (this.#sweepEvery > 0 && Math.random() * this.#sweepEvery < 1) {
        await this.#sweep(SET_ACTION, 10 * this.#sweepEvery, 1);
      }
      rows = ifVersion === null
        ? await this.#run(SET_ACTION, this.#sql.create, [
          key,
          value,
          version,
          expiresAt,
          now,
        ])
        : await this.#run(SET_ACTION, this.#sql.put, [
          key,
          value,
          version,
          expiresAt,
        ]);
    }
    return rows.length > 0 ? { ok: true, version } : { ok: false };
  }

  /**
   * Deletes the record under `key`, if any: one `DELETE`.
   *
   * @param key The record's key.
   */
  async delete(key: string): Promise<void> {
    await this.#run(DELETE_ACTION, this.#sql.delete, [key]);
  }

  /**
   * Moves the expiry of the live record under `key` without changing its
   * value or version, if its version is `options.ifVersion` (when given):
   * one `UPDATE`.
   *
   * @param key The record's key.
   * @param expiresAt The new expiry, in milliseconds since the Unix epoch.
   * @param options The version to extend.
   * @returns `false` when no live record (of that version) was extended, or
   * `expiresAt` has already passed by the store's clock.
   * @throws {TypeError} When `expiresAt` is not a number.
   * @throws {RangeError} When `expiresAt` is beyond ±2^53 - 1.
   */
  async touch(
    key: string,
    expiresAt: number,
    options?: StoreTouchOptions,
  ): Promise<boolean> {
    const expiry = expiryArgument(TOUCH_ACTION, expiresAt);
    const ifVersion = options?.ifVersion;
    if (ifVersion !== undefined && !VERSION.test(ifVersion)) return false;
    const now = this.#now();
    if (!(expiry > now)) return false;
    const rows = ifVersion === undefined
      ? await this.#run(TOUCH_ACTION, this.#sql.touch, [expiry, key, now])
      : await this.#run(TOUCH_ACTION, this.#sql.touchVersion, [
        expiry,
        key,
        ifVersion,
        now,
      ]);
    return rows.length > 0;
  }

  /** A write whose expiry has passed: no live record is left when the precondition holds. */
  async #expire(
    key: string,
    ifVersion: string | null | undefined,
    now: number,
  ): Promise<StoreSetResult> {
    if (ifVersion === undefined) {
      await this.#run(SET_ACTION, this.#sql.delete, [key]);
      return { ok: false, expired: true };
    }
    if (ifVersion === null) {
      // Nothing is written; only whether the precondition held is asked.
      const live = await this.#run(SET_ACTION, this.#sql.live, [key, now]);
      return live.length > 0 ? { ok: false } : { ok: false, expired: true };
    }
    const deleted = await this.#run(SET_ACTION, this.#sql.deleteVersion, [
      key,
      ifVersion,
      now,
    ]);
    return deleted.length > 0 ? { ok: false, expired: true } : { ok: false };
  }

  /** Refuses a value over the limit, counting bytes only when it matters. */
  #checkSize(value: string): void {
    const max = this.#maxValueBytes;
    if (value.length * 3 <= max) return;
    const bytes = encoder.encode(value).length;
    if (bytes > max) {
      throw new SessionTooLargeError("the SQLite record", bytes, max);
    }
  }

  /**
   * Deletes expired records, then expired index entries, `batch` rows per
   * statement and at most `rounds` statements per table, and answers how
   * many records it deleted. Errors name `action`, the call that swept.
   */
  async #sweep(
    action: string,
    batch: number,
    rounds: number,
  ): Promise<number> {
    const now = this.#now();
    const tables = [
      this.#sql.deleteExpiredRecords,
      this.#sql.deleteExpiredSubjects,
    ];
    const deleted = [0, 0];
    for (const [table, sql] of tables.entries()) {
      for (let round = 0; round < rounds; round++) {
        const rows = await this.#run(action, sql, [now, batch]);
        deleted[table] += rows.length;
        if (rows.length < batch) break;
      }
    }
    return deleted[0];
  }

  /** The database's SQLite version, or `undefined` where it cannot be asked (D1). */
  async #sqliteVersion(): Promise<string | undefined> {
    try {
      const rows = await this.#client.all(
        "SELECT sqlite_version() AS version",
        [],
      );
      const version = column(rows[0], "version");
      return typeof version === "string" ? version : undefined;
    } catch {
      // D1 does not let a query call sqlite_version(); it runs a recent SQLite.
      return undefined;
    }
  }

  /** Runs a statement, naming migrate() when the table is missing. */
  async #run(
    action: string,
    sql: string,
    params: (string | number)[],
  ): Promise<readonly unknown[]> {
    let rows: unknown;
    try {
      rows = await this.#client.all(sql, params);
    } catch (cause) {
      if (!isMissingTable(cause)) throw cause;
      throw new Error(
        `${action}: the table "${this.#table}" or "${this.#table}_subjects" does not exist: create them with await store.migrate() at start, or with createTableStatements()`,
        { cause },
      );
    }
    if (!Array.isArray(rows)) {
      throw new Error(
        `${action}: expected client.all() to return an array of rows, received ${
          describeValue(rows)
        }`,
      );
    }
    return rows;
  }
}

/** Returns `table` when the store accepts it as a table name, and throws otherwise. */
function tableOption(action: string, table: unknown): string {
  if (!isTableName(table)) {
    throw new TypeError(
      `${action}: table must be 1 to 63 letters, digits and underscores, not starting with a digit, "sqlite_" or "_cf_", received ${
        describeValue(table)
      }`,
    );
  }
  return table;
}

/** Compares a dotted version with `[major, minor, patch]`. */
function compareVersions(text: string, than: number[]): number {
  const parts = text.split(".").map(Number);
  for (let i = 0; i < than.length; i++) {
    const difference = (parts[i] || 0) - than[i];
    if (difference !== 0) return difference;
  }
  return 0;
}
