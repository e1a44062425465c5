// Private module: SessionDurableObject, the Durable Object class that keeps
// the records and subject indexes of a DurableObjectStore. Re-exported from
// ./durable_object.ts, the entry that users import it from.
//
// Every command runs as one synchronous transaction on the object's SQLite
// database (no await between its read and its write), so it is atomic without
// relying on anything but JavaScript's run-to-completion; the output gate
// holds the reply until the write is durable. Only the upkeep after a command
// (the alarm, freeing an empty object) awaits storage calls, which the input
// gate covers, and none of it decides what a command answers.

import { encodeBase64urlNoPadding } from "../_base64url.ts";
import {
  type Command,
  COMMAND_URL,
  type DoneReply,
  type GetReply,
  type ListReply,
  MAX_VALUE_BYTES,
  parseCommand,
  type SetReply,
  type TouchReply,
} from "./_durable_object_protocol.ts";

/**
 * A cursor of `ctx.storage.sql.exec()`: the part that
 * {@linkcode SessionDurableObject} reads.
 */
export interface SessionDurableObjectSqlCursor {
  /** Every row, as objects keyed by column name. */
  toArray(): Record<string, unknown>[];
}

/**
 * The part of a Durable Object's `ctx` (`DurableObjectState`) that
 * {@linkcode SessionDurableObject} uses. The runtime passes the real one to
 * the constructor; it fits as it is when the class is SQLite-backed.
 *
 * @example The state a test double would provide
 * ```ts
 * import type { SessionDurableObjectState } from "@sesame/session/durable-object";
 *
 * function hasSql(ctx: SessionDurableObjectState): boolean {
 *   return ctx.storage.sql !== undefined;
 * }
 * ```
 */
export interface SessionDurableObjectState {
  /** The object's storage. */
  storage: {
    /**
     * The SQL API of a SQLite-backed object; absent on a class declared
     * with the key-value backend (`new_classes`).
     */
    sql?: {
      /**
       * Runs one statement synchronously.
       *
       * @param query The statement.
       * @param bindings The values of its `?` placeholders.
       */
      exec(
        query: string,
        ...bindings: unknown[]
      ): SessionDurableObjectSqlCursor;
    };
    /**
     * Runs `closure` as one transaction, rolled back if it throws.
     *
     * @param closure The work.
     */
    transactionSync<T>(closure: () => T): T;
    /** The time the alarm is set for, or `null`. */
    getAlarm(): Promise<number | null>;
    /**
     * Sets the alarm.
     *
     * @param scheduledTime When it fires, in milliseconds since the Unix epoch.
     */
    setAlarm(scheduledTime: number): Promise<void>;
    /** Cancels the alarm. */
    deleteAlarm(): Promise<void>;
    /** Deletes everything the object stores, freeing it. */
    deleteAll(): Promise<void>;
  };
}

const RECORDS = "sesame_records";
const SUBJECTS = "sesame_subjects";
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS ${RECORDS} (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    version TEXT NOT NULL,
    expires_at REAL NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS ${SUBJECTS} (
    subject TEXT NOT NULL,
    key TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (subject, key)
  )`,
];

const encoder = new TextEncoder();

/** A new random version: 128 bits as 22 base64url characters. */
function createVersion(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return encodeBase64urlNoPadding(bytes);
}

/**
 * The Durable Object class that holds the sessions of a
 * `DurableObjectStore`. Export it from your Worker's main module, declare it
 * in a migration under `new_sqlite_classes` (it needs the SQLite storage
 * backend), and bind it, e.g. as `SESSIONS`; then give `env.SESSIONS` to
 * the store.
 *
 * It is a plain class, not a subclass of `DurableObject` from
 * `cloudflare:workers`, so that this package imports no runtime module: the
 * store talks to it through `stub.fetch()` with a small JSON protocol, which
 * the runtime offers to every Durable Object class. Its `fetch()` serves
 * only that protocol, and answers 404 to a request for any URL but the
 * store's own (`https://sesame.invalid/v1`), so a request that a Worker
 * passes on from the internet by mistake reads and writes nothing; still,
 * never route such requests to it.
 *
 * **What it stores.** A table of records (key, value, a random 128-bit
 * version, expiry) and a table of subject index entries (subject, key,
 * expiry). The store gives each record and each subject an object of its
 * own, so an object usually holds one row; the tables allow more, which
 * keeps keys apart even when two names lead to one object.
 *
 * **Expiry, by the object's clock.** Reads treat a row whose expiry has
 * passed by the object's `Date.now()` as absent and delete it. An alarm is
 * kept at the earliest expiry the object holds: it deletes the rows that
 * have expired and sets itself for the next one, and when nothing is left,
 * the object deletes all of its storage (`deleteAll()`), so a session that
 * ended costs no storage.
 *
 * @example Export and bind the class in a Worker
 * ```ts ignore
 * // src/index.ts, the Worker's main module
 * import { createSessionManager } from "@sesame/session";
 * import {
 *   DurableObjectStore,
 *   type DurableObjectStoreNamespace,
 * } from "@sesame/session/durable-object";
 *
 * export { SessionDurableObject } from "@sesame/session/durable-object";
 *
 * interface Env {
 *   SESSIONS: DurableObjectStoreNamespace;
 * }
 *
 * export default {
 *   fetch(request: Request, env: Env): Promise<Response> {
 *     const sessions = createSessionManager({
 *       store: new DurableObjectStore({ namespace: env.SESSIONS }),
 *     });
 *     return sessions.handler(() => new Response("Hello"))(request);
 *   },
 * };
 *
 * // wrangler.jsonc:
 * // "durable_objects": { "bindings": [
 * //   { "name": "SESSIONS", "class_name": "SessionDurableObject" } ] },
 * // "migrations": [
 * //   { "tag": "v1", "new_sqlite_classes": ["SessionDurableObject"] } ]
 * ```
 */
export class SessionDurableObject {
  #storage: SessionDurableObjectState["storage"];
  /** Whether the tables exist (they do not in a new or freed object). */
  #created: boolean | undefined;
  /** The time the alarm is set for, `null` for none, `undefined` when not yet read. */
  #alarmAt: number | null | undefined;

  /**
   * Called by the runtime with the object's state.
   *
   * @param ctx The object's state (`DurableObjectState`).
   * @param _env The Worker's bindings, unused.
   */
  constructor(ctx: SessionDurableObjectState, _env?: unknown) {
    this.#storage = ctx.storage;
  }

  /**
   * Runs one command of the store's protocol.
   *
   * @param request A `POST` to the store's command URL whose body is a JSON
   * command.
   * @returns The JSON reply; 400 for a malformed command, 404 for a request
   * to any other URL (such as one passed on from the internet).
   * @throws {Error} When the class was not declared SQLite-backed.
   */
  async fetch(request: Request): Promise<Response> {
    // The store sends every command to this URL. A request that a Worker
    // passed on from the internet carries its own URL: refuse it.
    if (request.url !== COMMAND_URL) {
      return new Response("Not a session store command", { status: 404 });
    }
    let body: unknown;
    try {
      body = request.method === "POST" ? await request.json() : undefined;
    } catch {
      body = undefined;
    }
    const command = parseCommand(body);
    if (typeof command === "string") {
      return new Response(`Malformed session store command: ${command}`, {
        status: 400,
      });
    }
    if (
      command.op === "set" &&
      encoder.encode(command.value).length > MAX_VALUE_BYTES
    ) {
      return new Response(
        `Malformed session store command: value must be at most ${MAX_VALUE_BYTES} bytes`,
        { status: 400 },
      );
    }
    const reply = this.#run(command);
    await this.#upkeep();
    return Response.json(reply);
  }

  /**
   * Deletes the rows that have expired and sets the alarm for the next
   * expiry, or frees the object when nothing is left. Called by the runtime.
   */
  async alarm(): Promise<void> {
    // A fired alarm is no longer set.
    this.#alarmAt = null;
    if (this.#tables()) {
      const now = Date.now();
      this.#transaction(() => {
        this.#sql(`DELETE FROM ${RECORDS} WHERE expires_at <= ?`, now);
        this.#sql(`DELETE FROM ${SUBJECTS} WHERE expires_at <= ?`, now);
      });
    }
    await this.#upkeep();
  }

  /** Runs a command as one transaction, by the object's clock. */
  #run(command: Command): unknown {
    const now = Date.now();
    return this.#transaction(() => {
      switch (command.op) {
        case "get":
          return this.#get(command.key, now);
        case "set":
          return this.#set(command, now);
        case "delete":
          if (this.#tables()) {
            this.#sql(`DELETE FROM ${RECORDS} WHERE key = ?`, command.key);
          }
          return { done: true } satisfies DoneReply;
        case "touch":
          return this.#touch(command, now);
        case "add":
          return this.#add(command, now);
        case "list":
          return this.#list(command.subject, now);
        case "remove":
          if (this.#tables()) {
            for (const key of command.keys) {
              this.#sql(
                `DELETE FROM ${SUBJECTS} WHERE subject = ? AND key = ?`,
                command.subject,
                key,
              );
            }
          }
          return { done: true } satisfies DoneReply;
      }
    });
  }

  #get(key: string, now: number): GetReply {
    const row = this.#live(key, now);
    return {
      entry: row === undefined ? null : {
        value: row.value,
        expiresAt: row.expiresAt,
        version: row.version,
      },
    };
  }

  #set(command: Command & { op: "set" }, now: number): SetReply {
    const row = this.#live(command.key, now);
    if (command.condition === "absent" && row !== undefined) {
      return { written: 0 };
    }
    if (
      command.condition === "version" &&
      (row === undefined || row.version !== command.version)
    ) {
      return { written: 0 };
    }
    if (command.expiresAt <= now) {
      if (row !== undefined) {
        this.#sql(`DELETE FROM ${RECORDS} WHERE key = ?`, command.key);
      }
      return { written: 2 };
    }
    this.#create();
    const version = createVersion();
    this.#sql(
      `INSERT OR REPLACE INTO ${RECORDS} (key, value, version, expires_at)
        VALUES (?, ?, ?, ?)`,
      command.key,
      command.value,
      version,
      command.expiresAt,
    );
    return { written: 1, version };
  }

  #touch(command: Command & { op: "touch" }, now: number): TouchReply {
    const row = this.#live(command.key, now);
    const touched = row !== undefined && command.expiresAt > now &&
      (command.version === "" || row.version === command.version);
    if (touched) {
      this.#sql(
        `UPDATE ${RECORDS} SET expires_at = ? WHERE key = ?`,
        command.expiresAt,
        command.key,
      );
    }
    return { touched };
  }

  #add(command: Command & { op: "add" }, now: number): DoneReply {
    if (this.#tables()) {
      this.#sql(
        `DELETE FROM ${SUBJECTS} WHERE subject = ? AND expires_at <= ?`,
        command.subject,
        now,
      );
    }
    if (command.expiresAt > now) {
      this.#create();
      this.#sql(
        `INSERT INTO ${SUBJECTS} (subject, key, expires_at) VALUES (?, ?, ?)
          ON CONFLICT (subject, key)
          DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)`,
        command.subject,
        command.key,
        command.expiresAt,
      );
    }
    return { done: true };
  }

  #list(subject: string, now: number): ListReply {
    if (!this.#tables()) return { keys: [] };
    this.#sql(
      `DELETE FROM ${SUBJECTS} WHERE subject = ? AND expires_at <= ?`,
      subject,
      now,
    );
    const rows = this.#sql(
      `SELECT key FROM ${SUBJECTS} WHERE subject = ?`,
      subject,
    );
    return { keys: rows.map((row) => String(row.key)) };
  }

  /**
   * Runs `work` as one transaction. When it throws, everything it wrote is
   * rolled back, tables it created included: whether they exist is read
   * again.
   */
  #transaction<T>(work: () => T): T {
    try {
      return this.#storage.transactionSync(work);
    } catch (error) {
      this.#created = undefined;
      throw error;
    }
  }

  /** The live record under `key`; an expired one is deleted on the way. */
  #live(
    key: string,
    now: number,
  ): { value: string; version: string; expiresAt: number } | undefined {
    if (!this.#tables()) return undefined;
    const [row] = this.#sql(
      `SELECT value, version, expires_at FROM ${RECORDS} WHERE key = ?`,
      key,
    );
    if (row === undefined) return undefined;
    const expiresAt = Number(row.expires_at);
    if (expiresAt <= now) {
      this.#sql(`DELETE FROM ${RECORDS} WHERE key = ?`, key);
      return undefined;
    }
    return {
      value: String(row.value),
      version: String(row.version),
      expiresAt,
    };
  }

  /**
   * Keeps the alarm at the earliest expiry, or frees the object's storage
   * when it holds nothing. Runs after each command; what a command answered
   * does not depend on it.
   */
  async #upkeep(): Promise<void> {
    if (!this.#tables()) return;
    const next = this.#earliest();
    if (next === undefined) {
      if (this.#alarmAt !== null) {
        this.#alarmAt = null;
        await this.#storage.deleteAlarm();
      }
      // Checked again after the await: a command may have written since.
      if (this.#created && this.#earliest() === undefined) {
        this.#created = false;
        await this.#storage.deleteAll();
      }
      return;
    }
    this.#alarmAt ??= await this.#storage.getAlarm();
    if (this.#alarmAt === null || this.#alarmAt > next) {
      this.#alarmAt = next;
      await this.#storage.setAlarm(next);
    }
  }

  /** The earliest expiry of any row, or `undefined` when there is none. */
  #earliest(): number | undefined {
    const [row] = this.#sql(
      `SELECT MIN(expires_at) AS next FROM (
        SELECT expires_at FROM ${RECORDS}
        UNION ALL SELECT expires_at FROM ${SUBJECTS}
      )`,
    );
    return row?.next === null || row?.next === undefined
      ? undefined
      : Number(row.next);
  }

  /** Whether the tables exist, read once per instance and kept up to date. */
  #tables(): boolean {
    if (this.#created === undefined) {
      const rows = this.#sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
        RECORDS,
      );
      this.#created = rows.length > 0;
    }
    return this.#created;
  }

  /** Creates the tables if they do not exist. */
  #create(): void {
    if (this.#tables()) return;
    for (const statement of SCHEMA) this.#sql(statement);
    this.#created = true;
  }

  #sql(query: string, ...bindings: unknown[]): Record<string, unknown>[] {
    const sql = this.#storage.sql;
    if (sql === undefined) {
      throw new Error(
        "Cannot use SessionDurableObject: it needs the SQLite storage backend; declare the class under new_sqlite_classes in a migration",
      );
    }
    return sql.exec(query, ...bindings).toArray();
  }
}
