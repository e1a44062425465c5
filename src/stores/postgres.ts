/**
 * A session store in PostgreSQL, shared by every process that serves the
 * site, with compare-and-set, an index of sessions by subject, and one
 * statement per operation.
 *
 * The store depends on no PostgreSQL client: it takes any object with a
 * `query(text, params)` method that answers the rows, so `postgres`
 * (postgres.js), `pg` (node-postgres), `@neondatabase/serverless` and Bun's
 * built-in `SQL` all fit in a line (see {@linkcode PostgresStoreClient}).
 * Its two tables are created by {@linkcode PostgresStore.migrate}, or by the
 * statements of {@linkcode createTableStatements} in your own migrations.
 *
 * @example Sessions in PostgreSQL through postgres.js
 * ```ts ignore
 * import postgres from "postgres";
 * import { createSessionManager } from "@sesame/session";
 * import { PostgresStore } from "@sesame/session/postgres";
 *
 * const sql = postgres(process.env.DATABASE_URL!);
 * const store = new PostgresStore({
 *   client: { query: (text, params) => sql.unsafe(text, params) },
 * });
 * await store.migrate(); // creates the tables once; harmless afterwards
 * const sessions = createSessionManager({ store });
 * ```
 *
 * It is not a general key-value table nor a cache: it keeps session records
 * and their subject index in tables of its own, and expects nothing else to
 * write to them.
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
  createVersion,
  DEFAULT_TABLE,
  encodeText,
  malformed,
  migrateStatement,
  millis,
  recordStatements,
  run,
  schemaStatements,
  sizeOver,
  type TableNames,
  tableNames,
  toMillis,
  VERSION,
} from "./_postgres_sql.ts";
import { PostgresSubjectIndex } from "./_postgres_subjects.ts";

/**
 * The one method {@linkcode PostgresStore} needs from a PostgreSQL client:
 * run one statement with numbered parameters (`$1`, `$2`, …) and answer its
 * rows as objects keyed by column name.
 *
 * Every parameter is a string, and the statements cast them where another
 * type is meant, so the client's own type inference does not matter. Errors
 * are passed through unchanged (the session manager wraps them in a
 * `SessionStoreError`), except that an error with SQLSTATE `42P01`
 * (undefined table) becomes an error that names `migrate()`, with the
 * client's error as `cause`. Each statement stands alone: the store needs no
 * transaction, so a pool, a single connection or an HTTP driver all do.
 *
 * Adapters for common clients:
 *
 * | Client | `client` option |
 * | --- | --- |
 * | [postgres.js](https://github.com/porsager/postgres) (`postgres`) | `{ query: (text, params) => sql.unsafe(text, params) }` |
 * | [node-postgres](https://node-postgres.com) (`pg`), with a `Pool` | `{ query: async (text, params) => (await pool.query(text, params)).rows }` |
 * | [`@neondatabase/serverless`](https://neon.com/docs/serverless/serverless-driver) 1.x, over HTTP | `{ query: (text, params) => sql.query(text, params) }` with `const sql = neon(url)` |
 * | `@neondatabase/serverless`, its `Pool` over WebSockets | as node-postgres |
 * | [Bun's `SQL`](https://bun.com/docs/runtime/sql) | `{ query: (text, params) => sql.unsafe(text, params) }` |
 *
 * postgres.js, node-postgres and Bun's `SQL` are tested against a real
 * PostgreSQL; the Neon adapters follow its documentation. Give the client a
 * short connection timeout, so that requests fail fast with a
 * `SessionStoreError` while the database is down: `connectionTimeoutMillis`
 * for a `pg` pool, `connectionTimeout` (in seconds) for Bun, and for
 * postgres.js `connect_timeout` (in seconds) and `backoff: () => 0` (by
 * default it waits longer and longer, up to 20 seconds, between attempts to
 * reconnect, and queries wait with it).
 *
 * @example Adapt postgres.js
 * ```ts ignore
 * import postgres from "postgres";
 * import type { PostgresStoreClient } from "@sesame/session/postgres";
 *
 * const sql = postgres(process.env.DATABASE_URL!, {
 *   connect_timeout: 2,
 *   backoff: () => 0,
 * });
 * const client: PostgresStoreClient = {
 *   query: (text, params) => sql.unsafe(text, params),
 * };
 * ```
 *
 * @example Adapt a node-postgres pool
 * ```ts ignore
 * import pg from "pg";
 * import type { PostgresStoreClient } from "@sesame/session/postgres";
 *
 * const pool = new pg.Pool({
 *   connectionString: process.env.DATABASE_URL,
 *   connectionTimeoutMillis: 2_000,
 * });
 * // An idle connection that the server closes emits "error" on the pool.
 * pool.on("error", () => {});
 * const client: PostgresStoreClient = {
 *   query: async (text, params) => (await pool.query(text, params)).rows,
 * };
 * ```
 *
 * @example Adapt Neon's HTTP driver
 * ```ts ignore
 * import { neon } from "@neondatabase/serverless";
 * import type { PostgresStoreClient } from "@sesame/session/postgres";
 *
 * const sql = neon(process.env.DATABASE_URL!);
 * const client: PostgresStoreClient = {
 *   query: (text, params) => sql.query(text, params),
 * };
 * ```
 *
 * @example Adapt Bun's built-in SQL client
 * ```ts ignore
 * import { SQL } from "bun";
 * import type { PostgresStoreClient } from "@sesame/session/postgres";
 *
 * const sql = new SQL(process.env.DATABASE_URL!, { connectionTimeout: 2 });
 * const client: PostgresStoreClient = {
 *   query: (text, params) => sql.unsafe(text, params),
 * };
 * ```
 */
export interface PostgresStoreClient {
  /**
   * Runs one statement and answers its rows.
   *
   * @param text The statement, with parameters `$1`, `$2`, ….
   * @param params The parameters, as text.
   * @returns The rows, each an object keyed by column name.
   */
  query(
    text: string,
    params: string[],
  ): PromiseLike<readonly Record<string, unknown>[]>;
}

/**
 * Options of {@linkcode PostgresStore}.
 *
 * @example A store in its own schema
 * ```ts ignore
 * import postgres from "postgres";
 * import { PostgresStore } from "@sesame/session/postgres";
 *
 * const sql = postgres(process.env.DATABASE_URL!);
 * const store = new PostgresStore({
 *   client: { query: (text, params) => sql.unsafe(text, params) },
 *   table: "auth.sessions",
 * });
 * ```
 */
export interface PostgresStoreOptions {
  /**
   * The connection: anything with a `query(text, params)` method that
   * answers the rows (see {@linkcode PostgresStoreClient} for adapters). The
   * store never connects, closes or configures it.
   */
  client: PostgresStoreClient;
  /**
   * The table of the records. The subject index lives next to it in
   * `<table>_subjects`. A lowercase SQL identifier (`[a-z_][a-z0-9_]*`, at
   * most 47 characters), optionally schema-qualified as `schema.table`; it is
   * written into the statements, so anything else is refused. Give apps or
   * environments that share one database different tables.
   *
   * @default {"sesame_sessions"}
   */
  table?: string;
  /**
   * The most bytes of UTF-8 a record may take. A larger one is refused with
   * a `SessionTooLargeError` before anything is sent, so the stored record
   * stays as it was. PostgreSQL would take up to 1 GB; every request reads
   * and writes its whole record, so keep sessions to a few kilobytes. The
   * session manager's own `maxRecordBytes` (64 KiB by default) usually
   * refuses a large session first.
   *
   * @default {1_048_576}
   */
  maxValueBytes?: number;
  /**
   * The clock, in milliseconds since the Unix epoch, by which the store
   * decides that a record has expired: the application's, not the
   * database's. Pass the session manager's `now` when you replace that one.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

const ACTION = "Cannot create PostgreSQL store";
const GET_ACTION = "Cannot get session record from PostgreSQL";
const SET_ACTION = "Cannot set session record in PostgreSQL";
const DELETE_ACTION = "Cannot delete session record from PostgreSQL";
const TOUCH_ACTION = "Cannot touch session record in PostgreSQL";
const MIGRATE_ACTION = "Cannot create the session tables in PostgreSQL";
const CLEAN_ACTION = "Cannot delete expired session records in PostgreSQL";
const DEFAULT_MAX_VALUE_BYTES = 1_048_576;
/** PostgreSQL keeps at most 1 GB in a field. */
const MAX_FIELD_BYTES = 1_073_741_823;

/**
 * The statements that create the tables and indexes of a
 * {@linkcode PostgresStore}, for your own migration tool. Each is idempotent
 * (`IF NOT EXISTS`). {@linkcode PostgresStore.migrate} runs the same
 * statements.
 *
 * For the default table they are:
 *
 * ```sql
 * CREATE TABLE IF NOT EXISTS "sesame_sessions" (
 *   key text COLLATE "C" PRIMARY KEY,  -- SHA-256 of the session id, base64url
 *   value text NOT NULL,               -- the record, JSON text
 *   version text NOT NULL,             -- 128 random bits, new on every write
 *   expires_at bigint NOT NULL         -- milliseconds since the Unix epoch
 * );
 * CREATE INDEX IF NOT EXISTS "sesame_sessions_expiry"
 *   ON "sesame_sessions" (expires_at);
 * CREATE TABLE IF NOT EXISTS "sesame_sessions_subjects" (
 *   subject text COLLATE "C" NOT NULL, -- as the application sets it
 *   key text COLLATE "C" NOT NULL,     -- a record's key
 *   expires_at bigint NOT NULL,        -- when the entry may be forgotten
 *   PRIMARY KEY (subject, key)
 * );
 * CREATE INDEX IF NOT EXISTS "sesame_sessions_subjects_expiry"
 *   ON "sesame_sessions_subjects" (expires_at);
 * ```
 *
 * @param table The records' table, as the store's `table` option.
 * @returns The statements, in order, without trailing semicolons.
 * @throws {TypeError} When `table` is not a safe identifier.
 *
 * @example Print the schema for a migration file
 * ```ts
 * import { createTableStatements } from "@sesame/session/postgres";
 *
 * const sql = createTableStatements("app.sessions")
 *   .map((statement) => `${statement};`)
 *   .join("\n");
 * console.log(sql);
 * ```
 */
export function createTableStatements(table: string = DEFAULT_TABLE): string[] {
  return schemaStatements(
    tableNames("Cannot create PostgreSQL statements", table),
  );
}

/**
 * A session store in PostgreSQL 9.5 or later, for sessions shared by
 * several processes and kept across restarts.
 *
 * **What is stored.** One row per record in the table (`sesame_sessions`
 * by default): its key, the manager's serialised record as `text`, a random
 * 128-bit version (22 base64url characters) and its expiry in whole
 * milliseconds since the Unix epoch (`bigint`). Keys are SHA-256 digests of
 * session ids (the manager hashes ids for every store that is not
 * `inProcess`), so the table holds no usable cookie. The subject index is a
 * second table, `<table>_subjects`, of (subject, key, expiry) rows. See
 * {@linkcode createTableStatements} for the schema.
 *
 * **Expiry.** The application's clock decides (the `now` option,
 * `Date.now` by default), the same clock by which the manager computes every
 * expiry, so that the two never disagree on whether a record is alive; the
 * database's clock is never read. Keep the clocks of the application's hosts
 * in sync (NTP). A row past its expiry is never returned, and is removed
 * without timers, in statements that run anyway: a write to its key replaces
 * it; each new record deletes up to four other expired records (through the
 * index on `expires_at`, skipping rows that other statements hold), so the
 * table stays bounded while sessions are created; adding a session to a
 * subject, or listing a subject's sessions, drops that subject's expired
 * index rows. {@linkcode PostgresStore.deleteExpired} removes everything
 * expired at once, for a scheduled job after a quiet spell or to shrink a
 * backlog. Expiries are whole milliseconds; a fractional one is rounded
 * down.
 *
 * **Compare-and-set.** Every `set()` writes a new random version, so a
 * version never repeats for a key, not even after the record is deleted and
 * created again, and `touch()` keeps it. The check of `ifVersion` and the
 * write are one statement: `INSERT … ON CONFLICT DO UPDATE … WHERE` when the
 * key must hold no live record, `UPDATE … WHERE version = …` when it must
 * hold a given version; PostgreSQL locks the row and checks the condition on
 * its latest version, so concurrent writers never both win.
 *
 * **Cost.** Every method is one statement, hence one round trip: loading a
 * session is one, saving a change one, extending the expiry one. Each
 * touches one row by its primary key (a listing, the rows of one subject;
 * a new record, also up to four expired rows).
 *
 * **Limits.** A record takes at most `maxValueBytes` (1 MiB by default).
 * PostgreSQL's `text` cannot hold U+0000: keys and subjects escape it
 * (and `\`), records are JSON text, which never holds it. Strings go to the
 * database as UTF-8, so keys and subjects with unpaired surrogates (not valid
 * Unicode) are not kept apart.
 *
 * **Errors.** Every error of the client goes through as it is (the manager
 * wraps it in a `SessionStoreError` whose `cause` it is), except a missing
 * table, which rejects with an error naming `migrate()`; an answer of an
 * unexpected shape rejects with an `Error`. A failure never leaves a
 * half-written record: each statement is atomic.
 *
 * @example Keep sessions in PostgreSQL through a node-postgres pool
 * ```ts ignore
 * import pg from "pg";
 * import { createSessionManager } from "@sesame/session";
 * import { PostgresStore } from "@sesame/session/postgres";
 *
 * const pool = new pg.Pool({
 *   connectionString: process.env.DATABASE_URL,
 *   connectionTimeoutMillis: 2_000,
 * });
 * pool.on("error", () => {});
 * const store = new PostgresStore({
 *   client: {
 *     query: async (text, params) => (await pool.query(text, params)).rows,
 *   },
 * });
 * await store.migrate();
 * const sessions = createSessionManager<{ visits: number }>({ store });
 *
 * // Once an hour, from a scheduler: remove what has expired.
 * setInterval(() => store.deleteExpired().catch(console.error), 3_600_000);
 * ```
 */
export class PostgresStore implements SessionStore {
  /** The store sets only what its precondition allows, atomically. */
  readonly compareAndSet = true;
  /** Records leave the process, so they are keyed by the digest of the id. */
  readonly inProcess = false;
  /**
   * The index of records by subject: the table `<table>_subjects`, one row
   * per subject and key.
   */
  readonly subjects: SubjectIndex;

  #client: PostgresStoreClient;
  #names: TableNames;
  #sql: ReturnType<typeof recordStatements>;
  #maxValueBytes: number;
  #now: () => number;

  /**
   * Creates a store over a client. It sends nothing until it is first used.
   *
   * @param options The client, table, size limit and clock.
   * @throws {TypeError} When `client` has no `query` method, `table` is not
   * a safe identifier, `maxValueBytes` is not a number or `now` is not a
   * function.
   * @throws {RangeError} When `maxValueBytes` is not a whole number from 1
   * to 1,073,741,823.
   */
  constructor(options: PostgresStoreOptions) {
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
      client === null || typeof client.query !== "function"
    ) {
      throw new TypeError(
        `${ACTION}: client must have a query(text, params) method that answers the rows, received ${
          describeValue(client)
        }`,
      );
    }
    this.#client = client;
    const { table = DEFAULT_TABLE } = options;
    this.#names = tableNames(ACTION, table);
    this.#maxValueBytes = wholeNumber(options.maxValueBytes, {
      action: ACTION,
      name: "maxValueBytes",
      fallback: DEFAULT_MAX_VALUE_BYTES,
      min: 1,
      max: MAX_FIELD_BYTES,
    });
    this.#now = functionValue(options.now, {
      action: ACTION,
      name: "now",
      fallback: Date.now,
    });
    this.#sql = recordStatements(this.#names);
    this.subjects = new PostgresSubjectIndex(client, this.#names, this.#now);
  }

  /**
   * Creates the store's tables and indexes unless they exist, as one
   * statement (and one transaction). Safe to call at every start, also from
   * several processes at once: concurrent calls wait for each other.
   *
   * @example Create the tables at start
   * ```ts ignore
   * import postgres from "postgres";
   * import { PostgresStore } from "@sesame/session/postgres";
   *
   * const sql = postgres(process.env.DATABASE_URL!);
   * const store = new PostgresStore({
   *   client: { query: (text, params) => sql.unsafe(text, params) },
   * });
   * await store.migrate();
   * ```
   */
  async migrate(): Promise<void> {
    await run(
      this.#client,
      this.#names,
      MIGRATE_ACTION,
      migrateStatement(this.#names),
      [],
    );
  }

  /**
   * Deletes every record and subject index entry whose expiry has passed by
   * the store's clock, in one statement. Expired rows are never read as
   * alive, and new sessions already delete a few each, so this only frees
   * space sooner: call it from a scheduled job (hourly to daily) when the
   * table should shrink while few sessions are created.
   *
   * @returns How many records it deleted.
   *
   * @example Clean up from a cron job
   * ```ts ignore
   * import postgres from "postgres";
   * import { PostgresStore } from "@sesame/session/postgres";
   *
   * const sql = postgres(process.env.DATABASE_URL!);
   * const store = new PostgresStore({
   *   client: { query: (text, params) => sql.unsafe(text, params) },
   * });
   * console.log(`${await store.deleteExpired()} expired sessions deleted`);
   * await sql.end();
   * ```
   */
  async deleteExpired(): Promise<number> {
    const rows = await this.#run(CLEAN_ACTION, this.#sql.deleteExpired, [
      millis(CLEAN_ACTION, "now()", this.#now()),
    ]);
    const deleted = toMillis(rows[0]?.records);
    if (rows.length !== 1 || deleted === undefined) {
      throw malformed(CLEAN_ACTION, "one row with a count", rows[0]);
    }
    return deleted;
  }

  /**
   * Reads the live record under `key`.
   *
   * @param key The record's key.
   * @returns The entry, or `undefined` when there is none or it has expired.
   */
  async get(key: string): Promise<StoreEntry | undefined> {
    const rows = await this.#run(GET_ACTION, this.#sql.get, [
      encodeText(key),
      millis(GET_ACTION, "now()", this.#now()),
    ]);
    if (rows.length === 0) return undefined;
    const { value, version, expires_at } = rows[0];
    const expiresAt = toMillis(expires_at);
    if (
      rows.length !== 1 || typeof value !== "string" ||
      typeof version !== "string" || expiresAt === undefined
    ) {
      throw malformed(
        GET_ACTION,
        "no row or one row of value, version and expires_at",
        rows.length === 1 ? rows[0] : rows,
      );
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
   * `maxValueBytes` bytes of UTF-8; nothing is sent then.
   * @throws {TypeError} When `options.expiresAt` is not a number.
   * @throws {RangeError} When `options.expiresAt` is beyond ±2^53 - 1.
   */
  async set(
    key: string,
    value: string,
    options: StoreSetOptions,
  ): Promise<StoreSetResult> {
    const expiry = millis(SET_ACTION, "expiresAt", options.expiresAt);
    const bytes = sizeOver(value, this.#maxValueBytes);
    if (bytes !== undefined) {
      throw new SessionTooLargeError(
        "the PostgreSQL record",
        bytes,
        this.#maxValueBytes,
      );
    }
    const { ifVersion } = options;
    // Not a version this store wrote, so no live record has it.
    if (typeof ifVersion === "string" && !VERSION.test(ifVersion)) {
      return { ok: false };
    }
    const sql = this.#sql;
    const now = this.#now();
    const at = millis(SET_ACTION, "now()", now);
    const encoded = encodeText(key);
    if (Number(expiry) <= now) {
      // Nothing live may be written: check the precondition, and delete.
      if (ifVersion === undefined) {
        await this.#run(SET_ACTION, sql.expireAny, [encoded]);
        return { ok: false, expired: true };
      }
      if (ifVersion === null) {
        // Answers a row when a live record is there: the precondition failed.
        const live = await this.#run(SET_ACTION, sql.expireAbsent, [
          encoded,
          at,
        ]);
        return live.length === 0 ? { ok: false, expired: true } : { ok: false };
      }
      // Answers a row when it deleted the live record of that version.
      const deleted = await this.#run(SET_ACTION, sql.expireVersion, [
        encoded,
        at,
        ifVersion,
      ]);
      return deleted.length === 1
        ? { ok: false, expired: true }
        : { ok: false };
    }
    const version = createVersion();
    const params = [encoded, value, version, expiry];
    const rows = ifVersion === undefined
      ? await this.#run(SET_ACTION, sql.setAny, params)
      : ifVersion === null
      ? await this.#run(SET_ACTION, sql.setAbsent, [...params, at])
      : await this.#run(SET_ACTION, sql.setVersion, [
        ...params,
        at,
        ifVersion,
      ]);
    return rows.length === 1 ? { ok: true, version } : { ok: false };
  }

  /**
   * Deletes the record under `key`, if any.
   *
   * @param key The record's key.
   */
  async delete(key: string): Promise<void> {
    await this.#run(DELETE_ACTION, this.#sql.delete, [encodeText(key)]);
  }

  /**
   * Moves the expiry of the live record under `key` without changing its
   * value or version, if its version is `options.ifVersion` (when given):
   * the check and the move are one statement.
   *
   * @param key The record's key.
   * @param expiresAt The new expiry, in milliseconds since the Unix epoch.
   * @param options The version to extend.
   * @returns `false` when no live record (of that version) was extended, or
   * `expiresAt` has already passed by the store's clock (then nothing is
   * sent).
   * @throws {TypeError} When `expiresAt` is not a number.
   * @throws {RangeError} When `expiresAt` is beyond ±2^53 - 1.
   */
  async touch(
    key: string,
    expiresAt: number,
    options?: StoreTouchOptions,
  ): Promise<boolean> {
    const expiry = millis(TOUCH_ACTION, "expiresAt", expiresAt);
    const ifVersion = options?.ifVersion;
    if (ifVersion !== undefined && !VERSION.test(ifVersion)) return false;
    const now = this.#now();
    if (Number(expiry) <= now) return false;
    const params = [
      encodeText(key),
      expiry,
      millis(TOUCH_ACTION, "now()", now),
    ];
    const rows = ifVersion === undefined
      ? await this.#run(TOUCH_ACTION, this.#sql.touch, params)
      : await this.#run(TOUCH_ACTION, this.#sql.touchVersion, [
        ...params,
        ifVersion,
      ]);
    return rows.length === 1;
  }

  #run(
    action: string,
    text: string,
    params: string[],
  ): Promise<readonly Record<string, unknown>[]> {
    return run(this.#client, this.#names, action, text, params);
  }
}
