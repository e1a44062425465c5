import { getOwn, setOwn } from "./_record.ts";
import { createSessionId } from "./session_id.ts";

/**
 * The default shape of session data and flash values: any JSON-compatible
 * values under string keys.
 */
export type SessionData = Record<string, unknown>;

/**
 * The session of one request: typed values, flash values, and the id.
 *
 * A handle is made per request by `SessionManager.load()` (or handed to a
 * `SessionManager.handler()` callback) and belongs to that request only.
 * Reading never writes anything; changes are recorded on the handle and
 * written by `commit()`, which also gives the `Set-Cookie` value for the
 * response.
 *
 * Values must be JSON-compatible (strings, numbers, booleans, `null`, arrays
 * and plain objects of them). A value is saved as it is when `commit()` runs;
 * after changing an object or array in place, `set()` it again so that the
 * change is saved.
 *
 * @typeParam Data The shape of the session's values.
 * @typeParam Flash The shape of its flash values.
 *
 * @example Count visits
 * ```ts
 * import { createSessionManager } from "@sesame/session";
 *
 * const sessions = createSessionManager<{ visits: number }>();
 * const session = await sessions.load(new Request("http://localhost/"));
 * session.set("visits", (session.get("visits") ?? 0) + 1);
 * const setCookie = await session.commit();
 * ```
 */
export interface Session<Data = SessionData, Flash = SessionData> {
  /**
   * The session id: 43 characters of base64url carrying 256 random bits.
   * A new session gets its id when it is first read or saved; after
   * `regenerate()` or `destroy()` this is the next session's id. Treat it as
   * a secret: it is the credential in the cookie.
   */
  readonly id: string;
  /**
   * `true` when the request carried no live session, or `destroy()` ended
   * the one it carried; `false` for a session loaded from the store, also
   * after `regenerate()`.
   */
  readonly isNew: boolean;
  /** `true` once `destroy()` was called on this handle. */
  readonly destroyed: boolean;
  /**
   * Reads a value.
   *
   * @param key The value's name.
   * @returns The value, or `undefined` when it is not set.
   */
  get<K extends keyof Data & string>(key: K): Data[K] | undefined;
  /**
   * Tells whether a value is set.
   *
   * @param key The value's name.
   */
  has(key: keyof Data & string): boolean;
  /**
   * Sets a value; setting `undefined` deletes it.
   *
   * @param key The value's name.
   * @param value A JSON-compatible value.
   * @throws {TypeError} When the value is a function, symbol or bigint.
   */
  set<K extends keyof Data & string>(key: K, value: Data[K] | undefined): void;
  /**
   * Deletes a value.
   *
   * @param key The value's name.
   */
  delete(key: keyof Data & string): void;
  /**
   * Sets a flash value: readable with `takeFlash()` once, on a later request.
   *
   * @param key The flash value's name.
   * @param value A JSON-compatible value.
   * @throws {TypeError} When the value is a function, symbol or bigint.
   */
  flash<K extends keyof Flash & string>(key: K, value: Flash[K]): void;
  /**
   * Reads a flash value set by an earlier request and removes it, so that no
   * later request sees it again.
   *
   * @param key The flash value's name.
   * @returns The value, or `undefined` when there is none.
   */
  takeFlash<K extends keyof Flash & string>(key: K): Flash[K] | undefined;
  /**
   * Moves the session to a new id, keeping its values; the old id is deleted
   * when the session is committed and its cookie is dead from then on. Call
   * it whenever privileges change (login, logout, role change) so that an id
   * planted or seen before the change is worthless after it.
   */
  regenerate(): void;
  /**
   * Ends the session: its record is deleted when the session is committed,
   * and the response carries a cookie that expires at once. Values set after
   * `destroy()` start a new session with a new id (for example a flash
   * message after logout).
   */
  destroy(): void;
  /**
   * Writes what changed to the store and returns the `Set-Cookie` header
   * value for the response, or `undefined` when no cookie must be sent.
   *
   * Nothing is written for a session that was only read; a session whose
   * idle expiry is due to move forward is extended without rewriting its
   * data. Calling it again writes only what changed since; the value
   * returned is the cookie owed for the request so far.
   *
   * @throws {SessionStoreError} When the store fails; no cookie is produced
   * for the failed write.
   * @throws {SessionConflictError} When concurrent requests kept changing
   * the record past the retries.
   */
  commit(): Promise<string | undefined>;
}

/** Marks a deleted key in a change set. */
export const DELETED: unique symbol = Symbol("deleted");

/** The stored record a handle is bound to. */
export interface BoundRecord {
  /** The store key. */
  key: string;
  /** The version read or last written; `undefined` for stores without versions. */
  version: string | undefined;
  /** The stored expiry, in milliseconds since the Unix epoch. */
  expiresAt: number;
  /** When the session was created, in milliseconds since the Unix epoch. */
  createdAt: number;
  /** The stored text, for stores that can only extend an expiry by rewriting. */
  value: string;
}

function checkValue(key: string, value: unknown): void {
  const type = typeof value;
  if (type === "function" || type === "symbol" || type === "bigint") {
    throw new TypeError(
      `Cannot set session value "${key}": values must be JSON-compatible, received a ${type}`,
    );
  }
}

/**
 * The implementation behind {@linkcode Session}. Its state is public to the
 * manager, which is the only code that sees this class: users see the
 * `Session` interface.
 */
export class SessionHandle<Data = SessionData, Flash = SessionData>
  implements Session<Data, Flash> {
  /** The request the handle belongs to (its scheme picks the cookie name). */
  readonly request: Request;
  /** The session's id; created lazily for a new session. */
  currentId: string | undefined;
  /** The stored record this handle reads from and writes to, if any. */
  bound: BoundRecord | undefined;
  /** The key of a record to delete at commit (after destroy or regenerate). */
  retiredKey: string | undefined;
  /** Whether the request carried a session cookie at all. */
  readonly hadCookie: boolean;
  /** The values as this request sees them, changes applied. */
  data: SessionData;
  /** Flash values from earlier requests not yet taken. */
  incomingFlash: SessionData;
  /** Keys set (value) or deleted (`DELETED`) since the last commit. */
  readonly changes: Map<string, unknown> = new Map();
  /** Flash keys set or taken since the last commit. */
  readonly flashChanges: Map<string, unknown> = new Map();
  /** Whether the whole record must be written (a new or regenerated session). */
  rewrite = false;
  /** The `Set-Cookie` value owed for the request so far. */
  setCookie: string | undefined;
  #destroyed = false;
  #isNew: boolean;
  #commit: (handle: SessionHandle<Data, Flash>) => Promise<void>;
  #pending: Promise<unknown> = Promise.resolve();

  /**
   * @param request The request the handle belongs to.
   * @param commit Writes the handle's changes; supplied by the manager.
   * @param bound The stored record, or `undefined` for a new session.
   * @param hadCookie Whether the request carried a session cookie.
   */
  constructor(
    request: Request,
    commit: (handle: SessionHandle<Data, Flash>) => Promise<void>,
    bound?: {
      id: string;
      record: BoundRecord;
      data: SessionData;
      flash: SessionData;
    },
    hadCookie = bound !== undefined,
  ) {
    this.request = request;
    this.#commit = commit;
    this.hadCookie = hadCookie;
    this.#isNew = bound === undefined;
    this.currentId = bound?.id;
    this.bound = bound?.record;
    this.data = bound?.data ?? {};
    this.incomingFlash = bound?.flash ?? {};
  }

  get id(): string {
    return this.currentId ??= createSessionId();
  }

  get isNew(): boolean {
    return this.#isNew;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Whether there is anything to write. */
  get dirty(): boolean {
    return this.rewrite || this.changes.size > 0 || this.flashChanges.size > 0;
  }

  get<K extends keyof Data & string>(key: K): Data[K] | undefined {
    return getOwn(this.data, key) as Data[K] | undefined;
  }

  has(key: keyof Data & string): boolean {
    return Object.hasOwn(this.data, key);
  }

  set<K extends keyof Data & string>(key: K, value: Data[K] | undefined): void {
    if (value === undefined) return this.delete(key);
    checkValue(key, value);
    setOwn(this.data, key, value);
    this.changes.set(key, value);
  }

  delete(key: keyof Data & string): void {
    delete this.data[key];
    this.changes.set(key, DELETED);
  }

  flash<K extends keyof Flash & string>(key: K, value: Flash[K]): void {
    checkValue(key, value);
    this.flashChanges.set(key, value);
  }

  takeFlash<K extends keyof Flash & string>(key: K): Flash[K] | undefined {
    if (!Object.hasOwn(this.incomingFlash, key)) return undefined;
    const value = this.incomingFlash[key] as Flash[K];
    delete this.incomingFlash[key];
    if (!this.flashChanges.has(key)) this.flashChanges.set(key, DELETED);
    return value;
  }

  regenerate(): void {
    if (this.bound !== undefined) this.retiredKey = this.bound.key;
    this.bound = undefined;
    this.currentId = undefined;
    this.rewrite = true;
  }

  destroy(): void {
    if (this.bound !== undefined) this.retiredKey = this.bound.key;
    this.bound = undefined;
    this.currentId = undefined;
    this.data = {};
    this.incomingFlash = {};
    this.changes.clear();
    this.flashChanges.clear();
    this.rewrite = false;
    this.#destroyed = true;
    this.#isNew = true;
  }

  commit(): Promise<string | undefined> {
    const run = this.#pending.then(() => this.#commit(this));
    this.#pending = run.catch(() => {});
    return run.then(() => this.setCookie);
  }
}
