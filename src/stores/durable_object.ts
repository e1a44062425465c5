/**
 * A session store over Cloudflare Durable Objects, for Workers that need
 * what Redis gives elsewhere: strong consistency, compare-and-set saves, a
 * `touch()` that extends only the version read, and an index of a user's
 * sessions for "sign out everywhere".
 *
 * Two exports work together: {@linkcode SessionDurableObject}, the Durable
 * Object class your Worker exports and binds, and
 * {@linkcode DurableObjectStore}, which takes that binding. Neither needs
 * `@cloudflare/workers-types` or any import of `cloudflare:` modules.
 *
 * @example Sessions in Durable Objects
 * ```ts ignore
 * import { createSessionManager } from "@sesame/session";
 * import {
 *   DurableObjectStore,
 *   type DurableObjectStoreNamespace,
 * } from "@sesame/session/durable-object";
 *
 * // The class the binding names must be exported by the main module.
 * export { SessionDurableObject } from "@sesame/session/durable-object";
 *
 * interface Env {
 *   SESSIONS: DurableObjectStoreNamespace;
 * }
 *
 * let app: ((request: Request) => Promise<Response>) | undefined;
 *
 * export default {
 *   fetch(request: Request, env: Env): Promise<Response> {
 *     app ??= createSessionManager<{ visits: number }>({
 *       store: new DurableObjectStore({ namespace: env.SESSIONS }),
 *     }).handler((_request, session) => {
 *       const visits = session.update("visits", (n = 0) => n + 1);
 *       return Response.json({ visits });
 *     });
 *     return app(request);
 *   },
 * };
 * ```
 *
 * It is not for runtimes other than Cloudflare Workers (Durable Objects
 * exist only there; Miniflare runs them locally), nor for data shared by
 * every session at a high rate: each record and each subject is one object,
 * and one object serves about a thousand requests a second.
 *
 * @module
 */
import { describeValue } from "../_options.ts";
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
  type Command,
  COMMAND_URL,
  malformed,
  MAX_VALUE_BYTES,
  VERSION,
} from "./_durable_object_protocol.ts";

export {
  SessionDurableObject,
  type SessionDurableObjectSqlCursor,
  type SessionDurableObjectState,
} from "./_durable_object_class.ts";

/**
 * The part of a Durable Object stub that {@linkcode DurableObjectStore}
 * uses: `fetch()`. A real stub fits it as it is.
 *
 * @example A stub that answers every command with an empty reply
 * ```ts
 * import type { DurableObjectStoreStub } from "@sesame/session/durable-object";
 *
 * const stub: DurableObjectStoreStub = {
 *   fetch: () => Promise.resolve(new Response("{}")),
 * };
 * ```
 */
export interface DurableObjectStoreStub {
  /**
   * Sends a request to the object's `fetch()` handler.
   *
   * @param url The request's URL.
   * @param init The method, headers and JSON body.
   * @returns The object's response.
   */
  fetch(
    url: string,
    init: { method: string; headers: Record<string, string>; body: string },
  ): Promise<{ status: number; text(): Promise<string> }>;
}

/**
 * The part of a Durable Object namespace binding (`DurableObjectNamespace`)
 * that {@linkcode DurableObjectStore} uses. The binding of a
 * {@linkcode SessionDurableObject} class (`env.SESSIONS`) fits it as it is.
 *
 * @example Describe the binding in a Worker's `Env`
 * ```ts
 * import type { DurableObjectStoreNamespace } from "@sesame/session/durable-object";
 *
 * interface Env {
 *   SESSIONS: DurableObjectStoreNamespace;
 * }
 * ```
 */
export interface DurableObjectStoreNamespace {
  /**
   * The id of the object with a name, the same for the same name.
   *
   * @param name The object's name.
   * @returns Its id.
   */
  idFromName(name: string): unknown;
  /**
   * A stub for the object with an id.
   *
   * @param id An id from `idFromName()`.
   * @returns The stub.
   */
  get(id: unknown): DurableObjectStoreStub;
}

/**
 * Options of {@linkcode DurableObjectStore}.
 *
 * @example Two apps sharing one binding
 * ```ts
 * import type {
 *   DurableObjectStoreNamespace,
 *   DurableObjectStoreOptions,
 * } from "@sesame/session/durable-object";
 *
 * function optionsFor(
 *   namespace: DurableObjectStoreNamespace,
 * ): DurableObjectStoreOptions {
 *   return { namespace, prefix: "shop:" };
 * }
 * ```
 */
export interface DurableObjectStoreOptions {
  /**
   * The binding of the {@linkcode SessionDurableObject} class, such as
   * `env.SESSIONS` for a Durable Object binding named `SESSIONS`. To keep
   * sessions within a jurisdiction, give the binding's subnamespace, such
   * as `env.SESSIONS.jurisdiction("eu")`.
   */
  namespace: DurableObjectStoreNamespace;
  /**
   * What the name of every object of this store starts with: a record lives
   * in the object named `prefix + "s:" + key`, a subject's index in the one
   * named `prefix + "u:" + subject`. Give apps or environments that share
   * one binding different prefixes.
   *
   * @default {"sesame:"}
   */
  prefix?: string;
}

const ACTION = "Cannot create Durable Object store";
const SET_ACTION = "Cannot set session record in a Durable Object";
const TOUCH_ACTION = "Cannot touch session record in a Durable Object";
const ADD_ACTION = "Cannot add session to subject in a Durable Object";

const encoder = new TextEncoder();

/**
 * A session store in Cloudflare Durable Objects (SQLite-backed), shared by
 * every isolate and location of a Worker, with compare-and-set, `touch()`,
 * expiry kept by the objects and an index of sessions by subject.
 *
 * **Layout.** One object per record: the record under `key` lives alone in
 * the object named `prefix + "s:" + key` (keys are SHA-256 digests of
 * session ids, so no object name holds a usable cookie), and the index of a
 * subject in the object named `prefix + "u:" + subject`. A session's
 * requests thus meet in one object, which Cloudflare places near where it
 * was first used, usually near its user; different sessions never queue
 * behind one another, and no object holds more than one user's data. An
 * object serves about a thousand requests a second, far above what one
 * session or one user's logins need. The price: every new session creates
 * an object (the first request to it may be slower), and nothing can list
 * all sessions.
 *
 * **Atomicity.** Each method is one request to one object, which runs it as
 * one synchronous SQLite transaction: the check of `ifVersion` and the write
 * (or the move of the expiry) cannot interleave with another request. Every
 * `set()` writes a new random 128-bit version, so a version never repeats
 * for a key, not even after a delete; `touch()` keeps it.
 *
 * **Expiry, by the object's clock.** An object decides that a record has
 * expired by its own `Date.now()`, as Redis decides by its own clock: a
 * record is not returned at or after its `expiresAt`, and a `set()` or
 * `touch()` whose expiry has already passed writes nothing live. The
 * manager computes expiries with its own clock (by default the Worker's
 * `Date.now()`); Cloudflare's machines keep their clocks in sync, so the two
 * differ by far less than any timeout. A manager given a clock of its own
 * (the `now` option) must keep it near real time. Expired rows are deleted
 * when read, and an alarm at the earliest expiry deletes them otherwise;
 * an object left empty deletes all its storage.
 *
 * **Cost.** Every method is one round trip (a `fetch()` to the object):
 * loading a session is one, saving a change one, extending the expiry one;
 * signing a session in adds two to its subject's object (the index entry,
 * before and after the write).
 *
 * **Limits.** A value holds at most 1 MiB of UTF-8 (SQLite rows in Durable
 * Objects hold at most 2 MB); a larger one rejects with a
 * `SessionTooLargeError` before anything is sent. Sessions should stay tiny
 * anyway.
 *
 * **Errors.** A failed request (the object is unreachable, was reset, or
 * answered an error) rejects; the manager wraps it in a `SessionStoreError`.
 * A failure never leaves a half-written record: each command is one
 * transaction.
 *
 * @example A Worker with sessions in Durable Objects
 * ```ts ignore
 * import { createSessionManager } from "@sesame/session";
 * import {
 *   DurableObjectStore,
 *   type DurableObjectStoreNamespace,
 * } from "@sesame/session/durable-object";
 *
 * export { SessionDurableObject } from "@sesame/session/durable-object";
 *
 * let app: ((request: Request) => Promise<Response>) | undefined;
 *
 * export default {
 *   fetch(
 *     request: Request,
 *     env: { SESSIONS: DurableObjectStoreNamespace },
 *   ): Promise<Response> {
 *     app ??= createSessionManager<{ user: string }>({
 *       store: new DurableObjectStore({ namespace: env.SESSIONS }),
 *     }).handler(async (request, session) => {
 *       if (new URL(request.url).pathname === "/login") {
 *         session.regenerate();
 *         session.setSubject("ada");
 *         session.set("user", "ada");
 *       }
 *       return Response.json({ user: session.get("user") ?? null });
 *     });
 *     return app(request);
 *   },
 * };
 * ```
 */
export class DurableObjectStore implements SessionStore {
  /** The store sets only what its precondition allows, atomically. */
  readonly compareAndSet = true;

  /** The index of records by subject: one object per subject. */
  readonly subjects: SubjectIndex;

  #namespace: DurableObjectStoreNamespace;
  #records: string;

  /**
   * Creates a store over a binding. It sends nothing until it is first used.
   *
   * @param options The binding and the prefix of object names.
   * @throws {TypeError} When `namespace` is not a Durable Object namespace
   * binding or `prefix` is not a string.
   */
  constructor(options: DurableObjectStoreOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `${ACTION}: options must be an object, received ${
          describeValue(options)
        }`,
      );
    }
    const { namespace, prefix = "sesame:" } = options;
    if (
      typeof namespace !== "object" || namespace === null ||
      typeof namespace.idFromName !== "function" ||
      typeof namespace.get !== "function"
    ) {
      throw new TypeError(
        `${ACTION}: namespace must be a Durable Object namespace binding (idFromName and get), received ${
          describeValue(namespace)
        }`,
      );
    }
    if (typeof prefix !== "string") {
      throw new TypeError(
        `${ACTION}: prefix must be a string, received ${describeValue(prefix)}`,
      );
    }
    this.#namespace = namespace;
    this.#records = prefix + "s:";
    const subjects = prefix + "u:";
    const send = (name: string, command: Command, action: string) =>
      this.#send(name, command, action);
    this.subjects = {
      async add(subject, key, expiresAt) {
        const reply = await send(subjects + subject, {
          op: "add",
          subject,
          key,
          expiresAt: expiryOf(ADD_ACTION, expiresAt),
        }, ADD_ACTION);
        done(reply, ADD_ACTION);
      },
      async list(subject) {
        const action = "Cannot list sessions of subject in a Durable Object";
        const reply = await send(
          subjects + subject,
          { op: "list", subject },
          action,
        );
        const keys = reply.keys;
        if (
          !Array.isArray(keys) || !keys.every((key) => typeof key === "string")
        ) {
          throw malformed(action, "an array of keys", keys);
        }
        return keys;
      },
      async remove(subject, keys) {
        if (keys.length === 0) return;
        const action = "Cannot remove sessions of subject in a Durable Object";
        const reply = await send(subjects + subject, {
          op: "remove",
          subject,
          keys: [...keys],
        }, action);
        done(reply, action);
      },
    };
  }

  /**
   * Reads the live record under `key`, its expiry and version.
   *
   * @param key The record's key.
   * @returns The entry, or `undefined` when there is none or it has expired.
   */
  async get(key: string): Promise<StoreEntry | undefined> {
    const action = "Cannot get session record from a Durable Object";
    const reply = await this.#send(
      this.#records + key,
      { op: "get", key },
      action,
    );
    const entry = reply.entry;
    if (entry === null) return undefined;
    const fields = typeof entry === "object" && entry !== undefined
      ? entry as Record<string, unknown>
      : {};
    const { value, expiresAt, version } = fields;
    if (
      typeof value !== "string" || typeof expiresAt !== "number" ||
      typeof version !== "string"
    ) {
      throw malformed(action, "null or an entry", entry);
    }
    return { value, expiresAt, version };
  }

  /**
   * Writes `value` under `key` with a new version if `options.ifVersion`
   * allows it. A write whose expiry has already passed by the object's clock
   * deletes the record and answers `{ ok: false, expired: true }`.
   *
   * @param key The record's key.
   * @param value The serialised record.
   * @param options The expiry and the compare-and-set precondition.
   * @returns Whether the record was written, and its new version.
   * @throws {TypeError} When `options.expiresAt` is not a number.
   * @throws {RangeError} When `options.expiresAt` is beyond ±2^53 - 1.
   * @throws {SessionTooLargeError} When `value` takes more than 1 MiB of
   * UTF-8; nothing is sent.
   */
  async set(
    key: string,
    value: string,
    options: StoreSetOptions,
  ): Promise<StoreSetResult> {
    const expiresAt = expiryOf(SET_ACTION, options.expiresAt);
    const size = encoder.encode(value).length;
    if (size > MAX_VALUE_BYTES) {
      throw new SessionTooLargeError(
        "the Durable Object record",
        size,
        MAX_VALUE_BYTES,
      );
    }
    const { ifVersion } = options;
    if (typeof ifVersion === "string" && !VERSION.test(ifVersion)) {
      // Not a version this store wrote, so no live record has it.
      return { ok: false };
    }
    const reply = await this.#send(this.#records + key, {
      op: "set",
      key,
      value,
      expiresAt,
      condition: ifVersion === undefined
        ? "any"
        : ifVersion === null
        ? "absent"
        : "version",
      version: ifVersion ?? "",
    }, SET_ACTION);
    if (reply.written === 1 && typeof reply.version === "string") {
      return { ok: true, version: reply.version };
    }
    if (reply.written === 0) return { ok: false };
    if (reply.written === 2) return { ok: false, expired: true };
    throw malformed(SET_ACTION, "written 1, 0 or 2", reply.written);
  }

  /**
   * Deletes the record under `key`, if any.
   *
   * @param key The record's key.
   */
  async delete(key: string): Promise<void> {
    const action = "Cannot delete session record in a Durable Object";
    const reply = await this.#send(
      this.#records + key,
      { op: "delete", key },
      action,
    );
    done(reply, action);
  }

  /**
   * Moves the expiry of the live record under `key` without changing its
   * value or version, if its version is `options.ifVersion` (when given):
   * the check and the move are one transaction.
   *
   * @param key The record's key.
   * @param expiresAt The new expiry, in milliseconds since the Unix epoch.
   * @param options The version to extend.
   * @returns `false` when no live record (of that version) was extended, or
   * `expiresAt` has already passed by the object's clock.
   * @throws {TypeError} When `expiresAt` is not a number.
   * @throws {RangeError} When `expiresAt` is beyond ±2^53 - 1.
   */
  async touch(
    key: string,
    expiresAt: number,
    options?: StoreTouchOptions,
  ): Promise<boolean> {
    const expiry = expiryOf(TOUCH_ACTION, expiresAt);
    const ifVersion = options?.ifVersion;
    if (ifVersion !== undefined && !VERSION.test(ifVersion)) return false;
    const reply = await this.#send(this.#records + key, {
      op: "touch",
      key,
      expiresAt: expiry,
      version: ifVersion ?? "",
    }, TOUCH_ACTION);
    if (typeof reply.touched !== "boolean") {
      throw malformed(TOUCH_ACTION, "touched true or false", reply.touched);
    }
    return reply.touched;
  }

  /** Sends one command to the object named `name` and reads its reply. */
  async #send(
    name: string,
    command: Command,
    action: string,
  ): Promise<Record<string, unknown>> {
    const namespace = this.#namespace;
    const stub = namespace.get(namespace.idFromName(name));
    const response = await stub.fetch(COMMAND_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(command),
    });
    const text = await response.text();
    if (response.status !== 200) {
      throw new Error(
        `${action}: the Durable Object answered ${response.status}: ${
          text.slice(0, 200)
        }`,
      );
    }
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      reply = text;
    }
    if (typeof reply !== "object" || reply === null || Array.isArray(reply)) {
      throw malformed(action, "a JSON object", reply);
    }
    return reply as Record<string, unknown>;
  }
}

/** Checks an expiry: a number within ±2^53 - 1 milliseconds. */
function expiryOf(action: string, expiresAt: number): number {
  if (typeof expiresAt !== "number" || Number.isNaN(expiresAt)) {
    throw new TypeError(
      `${action}: expiresAt must be a number, received ${
        describeValue(expiresAt)
      }`,
    );
  }
  if (Math.abs(expiresAt) > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(
      `${action}: expiresAt must be a number of milliseconds from ${-Number
        .MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, received ${
        describeValue(expiresAt)
      }`,
    );
  }
  return expiresAt;
}

/** Checks the reply of a command that answers nothing but success. */
function done(reply: Record<string, unknown>, action: string): void {
  if (reply.done !== true) throw malformed(action, "done", reply.done);
}
