import {
  describeValue,
  functionOption,
  wholeNumberOption,
} from "./_options.ts";
import {
  getOwn,
  KEY_CHECK_LENGTH,
  parseJson,
  parseRecord,
  readRecord,
  ROTATED,
  serializeRecord,
  serializeRotated,
  type SessionRecord,
  setOwn,
} from "./_record.ts";
import {
  createSessionCookie,
  type SessionCookie,
  type SessionCookieOptions,
} from "./cookie.ts";
import {
  SessionConflictError,
  SessionStoreError,
  SessionTooLargeError,
  type StoreOperation,
} from "./errors.ts";
import {
  type BoundRecord,
  DELETED,
  NO_OWNER,
  type Owner,
  type Session,
  type SessionData,
  SessionHandle,
  Update,
} from "./session.ts";
import { sha256Base64url } from "./_sha256.ts";
import { hashSessionId, isSessionId } from "./session_id.ts";
import type { SessionStore, StoreEntry, StoreSetOptions } from "./store.ts";
import { MemoryStore } from "./stores/memory.ts";
import { SYNC, type SyncEntry, type SyncStore } from "./_sync.ts";
import type { SealedCookieStore } from "./stores/sealed_cookie.ts";

/**
 * Options of {@linkcode createSessionManager}.
 *
 * @example Sessions that last a working day with a 15-minute idle timeout
 * ```ts
 * import { createSessionManager } from "@sesame/session";
 *
 * const sessions = createSessionManager({
 *   idleTimeoutSeconds: 15 * 60,
 *   absoluteTimeoutSeconds: 8 * 60 * 60,
 *   cookie: { name: "app" },
 * });
 * ```
 */
export interface SessionManagerOptions {
  /**
   * Where session records live. The default keeps them in this process: give
   * every manager that must share sessions the same store.
   *
   * @default {new MemoryStore()}
   */
  store?: SessionStore | SealedCookieStore;
  /**
   * The session cookie's name and attributes. The defaults are the strict
   * ones: `HttpOnly`, `SameSite=Lax`, `Path=/`, `Secure` and the `__Host-`
   * prefix on https.
   *
   * @default {{}}
   */
  cookie?: SessionCookieOptions;
  /**
   * How long a session lives without requests, in seconds. Activity moves
   * the expiry forward (sliding). 30 minutes is the idle limit of OWASP ASVS
   * level 2 (§3.3.2).
   *
   * @default {1800}
   */
  idleTimeoutSeconds?: number;
  /**
   * How long a session lives from its creation however active it is, in
   * seconds, so that a stolen id cannot be kept alive forever. 12 hours is
   * the limit of OWASP ASVS level 2 (§3.3.2). `regenerate()` starts a new
   * lifetime.
   *
   * @default {43200}
   */
  absoluteTimeoutSeconds?: number;
  /**
   * How far the idle expiry must move before a request extends it, in
   * seconds. Extending means a store call and a `Set-Cookie`, so a session
   * read many times a minute is not extended on every request; the idle
   * timeout thus takes effect between `idleTimeoutSeconds - touchIntervalSeconds`
   * and `idleTimeoutSeconds` after the last request. `0` extends on every
   * request.
   *
   * @default {idleTimeoutSeconds / 10}
   */
  touchIntervalSeconds?: number;
  /**
   * How many times a save is tried when a compare-and-set store reports that
   * a concurrent request changed the record first. Each try re-reads the
   * record and re-applies this request's changes.
   *
   * @default {10}
   */
  maxCommitAttempts?: number;
  /**
   * How long a call to a store whose records leave the process may take, in
   * milliseconds, before it fails with a `SessionStoreError` (its `cause` a
   * `TimeoutError`), so that a hanging store does not hang every request.
   * A write that times out may still land later; no cookie is sent for it.
   * The in-process memory store is not timed.
   *
   * @default {5000}
   */
  storeTimeoutMs?: number;
  /**
   * The largest session record, in bytes of JSON, that the manager writes.
   * A bigger session throws `SessionTooLargeError` at commit, before anything
   * is written. With the memory store, the memory a flood of sessions can
   * take is at most `maxEntries` times this.
   *
   * @default {65536}
   */
  maxRecordBytes?: number;
  /**
   * How long the old id of a regenerated session is remembered, in seconds.
   * A request that the browser sent with the old cookie before it received
   * the new one (in flight during a login) then gets a stale, empty session
   * that saves nothing and sends no cookie, instead of a fresh session whose
   * cookie would overwrite the new one and log the user out again. It never
   * reaches the new session.
   *
   * @default {60}
   */
  rotationGraceSeconds?: number;
  /**
   * The clock, in milliseconds since the Unix epoch. Replace it in tests to
   * move time without waiting.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * A request handler that receives the request's session.
 *
 * @typeParam Data The shape of the session's values.
 * @typeParam Flash The shape of its flash values.
 */
export type SessionRequestHandler<Data, Flash> = (
  request: Request,
  session: Session<Data, Flash>,
) => Response | Promise<Response>;

/**
 * Sessions for standard `Request`s: configured once, used per request.
 *
 * @typeParam Data The shape of the session's values.
 * @typeParam Flash The shape of its flash values.
 *
 * @example Load, change and commit by hand
 * ```ts
 * import { createSessionManager } from "@sesame/session";
 *
 * const sessions = createSessionManager<{ theme: string }>();
 *
 * async function handle(request: Request): Promise<Response> {
 *   const session = await sessions.load(request);
 *   session.set("theme", "dark");
 *   const response = Response.json({ theme: session.get("theme") });
 *   const setCookie = await session.commit();
 *   if (setCookie) response.headers.append("Set-Cookie", setCookie);
 *   return response;
 * }
 *
 * await handle(new Request("http://localhost/"));
 * ```
 */
export interface SessionManager<Data = SessionData, Flash = SessionData> {
  /**
   * Loads the session of a request: the stored session its cookie names, or
   * a new, empty one.
   *
   * A cookie that is missing, malformed, duplicated, unknown to the store,
   * expired, or that names a corrupt record never fails the request and is
   * never adopted: the request gets a new session, whose id is created by
   * sesame. Nothing is written until the session is committed, and nothing
   * at all for a session that is only read.
   *
   * @param request The request.
   * @returns The request's session.
   * @throws {SessionStoreError} When the store fails.
   */
  load(request: Request): Promise<Session<Data, Flash>>;
  /**
   * Wraps a handler so that it receives the request's session and its
   * response carries the session cookie.
   *
   * The session is committed after the handler returns, and the `Set-Cookie`
   * header is appended to its response, also when that response's headers
   * are immutable (`Response.redirect()`, a `fetch()` result): the response
   * is then copied. When the handler throws, nothing is written.
   *
   * @param handler The handler.
   * @returns A `(request) => Promise<Response>` function for `Deno.serve`,
   * `Bun.serve`, a Worker's `fetch` and the like.
   */
  handler(
    handler: SessionRequestHandler<Data, Flash>,
  ): (request: Request) => Promise<Response>;
  /**
   * Lists the live sessions of a subject (see `Session.setSubject()`), most
   * recently used first: for a "your devices" page.
   *
   * Needs a store with a subject index (`MemoryStore`, `RedisStore`,
   * `DenoKvStore`).
   *
   * @param subject The subject, such as a user id.
   * @param current The session of the request asking, marked `current`.
   * @returns The sessions; never their ids.
   * @throws {TypeError} When the store keeps no subject index.
   * @throws {SessionStoreError} When the store fails.
   */
  listSessions(
    subject: string,
    current?: Session<Data, Flash>,
  ): Promise<SessionInfo[]>;
  /**
   * Ends every live session of a subject, or all but one ("sign out
   * everywhere else", after a password change). Their records are deleted,
   * so their cookies are dead at once, and a save still in flight for one of
   * them does not bring it back.
   *
   * @param subject The subject, such as a user id.
   * @param options The session to keep, usually the current one.
   * @returns How many sessions were ended.
   * @throws {TypeError} When the store keeps no subject index.
   * @throws {SessionStoreError} When the store fails.
   */
  revokeSessions(
    subject: string,
    options?: RevokeSessionsOptions<Data, Flash>,
  ): Promise<number>;
  /**
   * Ends one session of a subject, named by the `handle` that
   * `listSessions()` gave ("sign out that device").
   *
   * @param subject The subject the session belongs to.
   * @param handle The session's `SessionInfo.handle`.
   * @returns Whether a live session was ended.
   * @throws {TypeError} When the store keeps no subject index.
   * @throws {SessionStoreError} When the store fails.
   */
  revokeSession(subject: string, handle: string): Promise<boolean>;
}

/**
 * A live session of a subject, as `SessionManager.listSessions()` describes
 * it.
 *
 * @example Show a user's devices
 * ```ts
 * import type { SessionInfo } from "@sesame/session";
 *
 * function describe(info: SessionInfo): string {
 *   const seen = new Date(info.lastSeenAt).toISOString();
 *   return `${info.label ?? "unknown device"}, last seen ${seen}` +
 *     (info.current ? " (this device)" : "");
 * }
 * ```
 */
export interface SessionInfo {
  /**
   * An opaque name for the session, for `revokeSession()`. It is derived
   * from the id by a one-way hash and is no credential: showing it to the
   * user is safe.
   */
  handle: string;
  /** When the session was created, in milliseconds since the Unix epoch. */
  createdAt: number;
  /**
   * When the session was last used, in milliseconds since the Unix epoch,
   * to within `touchIntervalSeconds`.
   */
  lastSeenAt: number;
  /** When the session expires unless used, in milliseconds since the Unix epoch. */
  expiresAt: number;
  /** The label given to `setSubject()`. */
  label?: string;
  /** Whether this is the session passed to `listSessions()` as current. */
  current: boolean;
}

/**
 * Options of `SessionManager.revokeSessions()`.
 *
 * @typeParam Data The shape of the session's values.
 * @typeParam Flash The shape of its flash values.
 *
 * @example Keep the current session
 * ```ts ignore
 * await sessions.revokeSessions("user-42", { except: session });
 * ```
 */
export interface RevokeSessionsOptions<
  Data = SessionData,
  Flash = SessionData,
> {
  /**
   * A session to keep, usually the one of the request asking.
   *
   * @default {undefined}
   */
  except?: Session<Data, Flash>;
}

const ACTION = "Cannot create session manager";

/**
 * Creates a session manager: the one function per request that turns a
 * standard `Request` into a session, and the session into a `Set-Cookie`.
 *
 * The manager keeps no state of its own between requests: every request gets
 * its own handle, so concurrent requests never see each other's sessions.
 * Invalid options throw here, once, never per request.
 *
 * @typeParam Data The shape of the session's values.
 * @typeParam Flash The shape of its flash values.
 * @param options The store, cookie and timeouts.
 * @returns The session manager.
 * @throws {TypeError} When an option has the wrong type or an invalid
 * combination of cookie attributes is asked for.
 * @throws {RangeError} When a number is out of range.
 *
 * @example A visit counter on Deno.serve
 * ```ts ignore
 * import { createSessionManager } from "@sesame/session";
 *
 * const sessions = createSessionManager<{ visits: number }>();
 *
 * Deno.serve(sessions.handler((_request, session) => {
 *   const visits = (session.get("visits") ?? 0) + 1;
 *   session.set("visits", visits);
 *   return Response.json({ visits });
 * }));
 * ```
 */
export function createSessionManager<
  Data = SessionData,
  Flash = SessionData,
>(options: SessionManagerOptions = {}): SessionManager<Data, Flash> {
  return new Manager<Data, Flash>(options);
}

/** What a manager over the sealed cookie store uses instead of a store. */
const NO_STORE: SessionStore = {
  compareAndSet: false,
  get: () =>
    Promise.reject(new Error("The sealed cookie store has no records")),
  set: () =>
    Promise.reject(new Error("The sealed cookie store has no records")),
  delete: () =>
    Promise.reject(new Error("The sealed cookie store has no records")),
};

/** What `#inspect()` answers for a stored record that must be deleted. */
const CORRUPT: unique symbol = Symbol("corrupt");

/** The most a browser keeps of one cookie's name and value together. */
const MAX_COOKIE_BYTES = 4096;

class Manager<Data, Flash> implements SessionManager<Data, Flash> {
  #store: SessionStore;
  #sealed: SealedCookieStore | undefined;
  #cookie: SessionCookie;
  #idleMs: number;
  #absoluteMs: number;
  #touchMs: number;
  #maxAttempts: number;
  #rotationGraceMs: number;
  #timeoutMs: number | undefined;
  #maxRecordBytes: number;
  #now: () => number;
  #sync: SyncStore | undefined;
  /** Whether the synchronous store's clock is the manager's. */
  #syncSharesClock = false;
  #commit = (
    handle: SessionHandle<Data, Flash>,
  ): Promise<void> | undefined =>
    this.#sync !== undefined && this.#saveSync(handle, this.#sync)
      ? undefined
      : this.#save(handle);

  constructor(options: SessionManagerOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `${ACTION}: options must be an object, received ${
          describeValue(options)
        }`,
      );
    }
    this.#now = functionOption(ACTION, "now", options.now, Date.now);
    if (isSealed(options.store)) {
      this.#sealed = options.store;
      this.#store = NO_STORE;
    } else {
      // The default store keeps the manager's time, so that a clock given
      // for tests (or one that differs from the system's) decides expiry in
      // both places alike.
      this.#store = checkStore(options.store) ??
        new MemoryStore({ now: this.#now });
    }
    this.#cookie = createSessionCookie(options.cookie);
    const idle = wholeNumberOption(
      ACTION,
      "idleTimeoutSeconds",
      options.idleTimeoutSeconds,
      1800,
      1,
    );
    const absolute = wholeNumberOption(
      ACTION,
      "absoluteTimeoutSeconds",
      options.absoluteTimeoutSeconds,
      Math.max(43200, idle),
      idle,
    );
    this.#idleMs = idle * 1000;
    this.#absoluteMs = absolute * 1000;
    this.#touchMs = options.touchIntervalSeconds === undefined
      ? this.#idleMs / 10
      : wholeNumberOption(
        ACTION,
        "touchIntervalSeconds",
        options.touchIntervalSeconds,
        0,
        0,
        idle - 1,
      ) * 1000;
    this.#maxAttempts = wholeNumberOption(
      ACTION,
      "maxCommitAttempts",
      options.maxCommitAttempts,
      10,
      1,
      1000,
    );
    this.#rotationGraceMs = wholeNumberOption(
      ACTION,
      "rotationGraceSeconds",
      options.rotationGraceSeconds,
      60,
      1,
      3600,
    ) * 1000;
    const timeoutMs = wholeNumberOption(
      ACTION,
      "storeTimeoutMs",
      options.storeTimeoutMs,
      5000,
      1,
      600_000,
    );
    this.#timeoutMs = this.#store.inProcess === true ? undefined : timeoutMs;
    this.#maxRecordBytes = wholeNumberOption(
      ACTION,
      "maxRecordBytes",
      options.maxRecordBytes,
      65536,
      64,
    );
    // Only MemoryStore itself: a subclass may change what its methods do.
    this.#sync = Object.getPrototypeOf(this.#store) === MemoryStore.prototype
      ? (this.#store as MemoryStore)[SYNC]
      : undefined;
    this.#syncSharesClock = this.#sync?.clock === this.#now;
  }

  load(request: Request): Promise<Session<Data, Flash>> {
    try {
      const opened = this.#open(request);
      return opened instanceof SessionHandle ? Promise.resolve(opened) : opened;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * `load()`, answering at once when nothing has to wait: no cookie, an
   * invalid one, or a store in this process.
   */
  #open(
    request: Request,
  ): SessionHandle<Data, Flash> | Promise<SessionHandle<Data, Flash>> {
    if (this.#sealed !== undefined) {
      return this.#loadSealed(request, this.#sealed);
    }
    const id = this.#cookie.read(request);
    if (id === undefined) return new SessionHandle(request, this.#commit);
    if (!isSessionId(id)) {
      return new SessionHandle(request, this.#commit, undefined, true);
    }
    const key = this.#keyOf(id);
    if (this.#sync !== undefined) {
      return this.#handleFor(request, id, key, this.#readSync(key, this.#sync));
    }
    return this.#read(key).then((found) =>
      this.#handleFor(request, id, key, found)
    );
  }

  /** The handle of a request whose cookie named `id`, given what was read. */
  #handleFor(
    request: Request,
    id: string,
    key: string,
    found: Found | typeof ROTATED | undefined,
  ): SessionHandle<Data, Flash> {
    if (found === undefined || found === ROTATED) {
      return new SessionHandle(
        request,
        this.#commit,
        undefined,
        true,
        found === ROTATED,
      );
    }
    return new SessionHandle(request, this.#commit, {
      id,
      record: bind(key, found),
      data: found.record.data,
      flash: found.record.flash,
      owner: ownerOf(found.record),
    });
  }

  handler(
    handler: SessionRequestHandler<Data, Flash>,
  ): (request: Request) => Promise<Response> {
    if (typeof handler !== "function") {
      throw new TypeError(
        `Cannot wrap handler: handler must be a function, received ${typeof handler}`,
      );
    }
    // load() and commit(), without waiting when they finished at once.
    return async (request) => {
      const opened = this.#open(request);
      const session = opened instanceof SessionHandle ? opened : await opened;
      const response = await handler(request, session);
      const committing = session.startCommit();
      if (committing !== undefined) await committing;
      const setCookie = session.setCookie;
      return setCookie === undefined
        ? response
        : withSetCookie(response, setCookie);
    };
  }

  async listSessions(
    subject: string,
    current?: Session<Data, Flash>,
  ): Promise<SessionInfo[]> {
    const found = await this.#sessionsOf(subject, "list sessions");
    const currentKey = (current as SessionHandle<Data, Flash> | undefined)
      ?.bound?.key;
    return found
      .map(({ key, record, entry }) => {
        const info: SessionInfo = {
          handle: sha256Base64url(key),
          createdAt: record.createdAt,
          lastSeenAt: Math.max(
            record.createdAt,
            entry.expiresAt - this.#idleMs,
          ),
          expiresAt: entry.expiresAt,
          current: key === currentKey,
        };
        if (record.label !== undefined) info.label = record.label;
        return info;
      })
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  async revokeSessions(
    subject: string,
    options: RevokeSessionsOptions<Data, Flash> = {},
  ): Promise<number> {
    const found = await this.#sessionsOf(subject, "revoke sessions");
    const keep = (options.except as SessionHandle<Data, Flash> | undefined)
      ?.bound?.key;
    const ended = found.map(({ key }) => key).filter((key) => key !== keep);
    return await this.#end(subject, ended);
  }

  async revokeSession(subject: string, handle: string): Promise<boolean> {
    const found = await this.#sessionsOf(subject, "revoke session");
    const match = found.find(({ key }) => sha256Base64url(key) === handle);
    return match !== undefined && await this.#end(subject, [match.key]) === 1;
  }

  /** Deletes records of a subject and their index entries. */
  async #end(subject: string, keys: string[]): Promise<number> {
    await Promise.all(
      keys.map((key) => this.#call("delete", () => this.#store.delete(key))),
    );
    if (keys.length > 0) {
      const subjects = this.#store.subjects!;
      await this.#call("index", () => subjects.remove(subject, keys));
    }
    return keys.length;
  }

  /**
   * The live sessions of a subject. Index entries whose record is gone,
   * moved or no longer the subject's are dropped from the index.
   */
  async #sessionsOf(
    subject: string,
    action: string,
  ): Promise<(Found & { key: string })[]> {
    const subjects = this.#store.subjects;
    if (subjects === undefined) {
      throw new TypeError(
        `Cannot ${action}: the store keeps no subject index (SessionStore.subjects); use a store that does, such as MemoryStore, RedisStore or DenoKvStore`,
      );
    }
    if (typeof subject !== "string" || subject === "") {
      throw new TypeError(
        `Cannot ${action}: subject must be a non-empty string, received ${
          describeValue(subject)
        }`,
      );
    }
    const keys = await this.#call("index", () => subjects.list(subject));
    const records = await Promise.all(keys.map((key) => this.#read(key)));
    const live: (Found & { key: string })[] = [];
    const dead: string[] = [];
    records.forEach((found, i) => {
      if (
        found !== undefined && found !== ROTATED &&
        found.record.subject === subject
      ) {
        live.push({ ...found, key: keys[i] });
      } else {
        dead.push(keys[i]);
      }
    });
    if (dead.length > 0) {
      await this.#call("index", () => subjects.remove(subject, dead));
    }
    return live;
  }

  /** The store key of an id: the id itself only for in-process stores. */
  #keyOf(id: string): string {
    return this.#store.inProcess === true ? id : hashSessionId(id);
  }

  /** The time to give the synchronous store, read from its own clock. */
  #storeNow(sync: SyncStore, now: number): number {
    return this.#syncSharesClock ? now : sync.clock();
  }

  /** `#read()` for a store that answers at once. */
  #readSync(
    key: string,
    sync: SyncStore,
  ): Found | typeof ROTATED | undefined {
    const now = this.#now();
    const found = this.#inspect(
      key,
      sync.get(key, this.#storeNow(sync, now)),
      now,
    );
    if (found !== CORRUPT) return found;
    void this.#store.delete(key);
    return undefined;
  }

  /**
   * Saves at once what a store in this process can take without waiting:
   * a new record, an update that no other request raced, or a touch.
   * Returns `false`, having changed nothing, for everything else.
   */
  #saveSync(handle: SessionHandle<Data, Flash>, sync: SyncStore): boolean {
    if (
      handle.isStale || handle.destroyedKey !== undefined ||
      handle.regeneratedFrom !== undefined || handle.ownerChanged ||
      handle.owner.subject !== undefined
    ) {
      return false;
    }
    const bound = handle.bound;
    const now = this.#now();
    if (bound === undefined) {
      if (!handle.dirty) return !handle.destroyed;
      const record: SessionRecord = {
        createdAt: now,
        data: handle.data,
        flash: pendingFlash(handle),
      };
      const key = this.#keyOf(handle.id);
      const expiresAt = this.#expiryFor(now, now);
      const value = this.#serialize(record, key);
      const version = sync.set(
        key,
        value,
        expiresAt,
        null,
        this.#storeNow(sync, now),
      );
      if (version === undefined) return false;
      this.#settle(handle, {
        key,
        version,
        expiresAt,
        createdAt: now,
        subject: undefined,
        value,
      }, record);
      this.#sendCookie(handle, expiresAt, now);
      return true;
    }
    const extended = this.#extension(bound, now);
    if (!handle.dirty) {
      if (extended === undefined) return true;
      // Only the version read: never a record changed or rotated meanwhile.
      if (
        !sync.touch(
          bound.key,
          extended,
          bound.version!,
          this.#storeNow(sync, now),
        )
      ) {
        return false;
      }
      bound.expiresAt = extended;
      this.#sendCookie(handle, extended, now);
      return true;
    }
    const record: SessionRecord = {
      createdAt: bound.createdAt,
      data: handle.data,
      flash: pendingFlash(handle),
    };
    const expiresAt = extended ?? bound.expiresAt;
    const value = this.#serialize(record, bound.key);
    const version = sync.set(
      bound.key,
      value,
      expiresAt,
      bound.version ?? null,
      this.#storeNow(sync, now),
    );
    // A concurrent change: the async path re-reads and retries.
    if (version === undefined) return false;
    // The handle's own record: nothing else refers to it.
    bound.version = version;
    bound.expiresAt = expiresAt;
    bound.value = value;
    this.#settle(handle, bound, record);
    if (extended !== undefined) this.#sendCookie(handle, expiresAt, now);
    return true;
  }

  /**
   * Reads the live record under `key`: `ROTATED` for the marker of a
   * regenerated session, `undefined` for none. A corrupt record is deleted.
   */
  async #read(key: string): Promise<Found | typeof ROTATED | undefined> {
    const entry = await this.#call("get", () => this.#store.get(key));
    const found = this.#inspect(key, entry, this.#now());
    if (found !== CORRUPT) return found;
    await this.#call("delete", () => this.#store.delete(key));
    return undefined;
  }

  /**
   * What a stored entry holds at `now`: a live record, the `ROTATED`
   * marker, nothing (absent or expired), or `CORRUPT` for a record to delete.
   */
  #inspect(
    key: string,
    entry: Readonly<StoreEntry> | Readonly<SyncEntry> | null | undefined,
    now: number,
  ): Found | typeof ROTATED | typeof CORRUPT | undefined {
    // Many clients answer null for a missing key.
    if (entry === undefined || entry === null) return undefined;
    if (!(entry.expiresAt > now)) return undefined;
    // A value that is not text is as corrupt as text that is not a record.
    const record = typeof entry.value === "string"
      ? parseRecord(entry.value)
      : undefined;
    if (
      record === undefined ||
      // A record of another key: a store that mixed up its entries.
      (record !== ROTATED && this.#store.inProcess !== true &&
        record.key !== key.slice(0, KEY_CHECK_LENGTH))
    ) {
      return CORRUPT;
    }
    if (record === ROTATED) return ROTATED;
    if (record.createdAt + this.#absoluteMs <= now) return undefined;
    return { entry, record };
  }

  /** Runs a store call, turning a failure into a `SessionStoreError`. */
  #call<T>(
    operation: StoreOperation,
    call: () => Promise<T>,
  ): Promise<T> {
    let pending: Promise<T>;
    try {
      // Promise.resolve() returns a native promise as it is, and also takes
      // the plain value of a store that answers synchronously.
      pending = Promise.resolve(call());
    } catch (cause) {
      pending = Promise.reject(cause);
    }
    if (this.#timeoutMs !== undefined) {
      pending = withTimeout(pending, this.#timeoutMs);
    }
    if (operation === "set") pending = pending.then(checkSetResult);
    return pending.catch((cause) => {
      // A store that refuses a record as too large wrote nothing: say so as
      // it is, like the sealed cookie store does.
      if (cause instanceof SessionTooLargeError) throw cause;
      throw new SessionStoreError(operation, { cause });
    });
  }

  /** Serialises a record for `key`, refusing one over `maxRecordBytes`. */
  #serialize(record: SessionRecord, key: string): string {
    const value = serializeRecord(
      record,
      this.#store.inProcess ? undefined : key,
    );
    // UTF-8 takes at most 3 bytes per UTF-16 unit: count only when it matters.
    if (value.length * 3 > this.#maxRecordBytes) {
      const bytes = utf8Length(value);
      if (bytes > this.#maxRecordBytes) {
        throw new SessionTooLargeError(
          "the session record",
          bytes,
          this.#maxRecordBytes,
        );
      }
    }
    return value;
  }

  /** The compare-and-set precondition to pass, for stores that take one. */
  #ifVersion(
    version: string | number | null | undefined,
  ): Pick<StoreSetOptions, "ifVersion"> {
    if (!this.#store.compareAndSet) return {};
    return { ifVersion: versionText(version) };
  }

  /**
   * The options of a record's write: its expiry, the precondition, and
   * whether the record is privileged, which stores that evict honour by
   * evicting anonymous sessions first.
   */
  #writeOptions(
    record: SessionRecord,
    expiresAt: number,
    version: string | number | null | undefined,
    rotated: boolean,
  ): StoreSetOptions {
    const options: StoreSetOptions = { expiresAt };
    if (this.#store.compareAndSet) options.ifVersion = versionText(version);
    if (rotated || record.subject !== undefined) options.privileged = true;
    return options;
  }

  /** The expiry a session created at `createdAt` gets from activity now. */
  #expiryFor(createdAt: number, now: number): number {
    return Math.min(now + this.#idleMs, createdAt + this.#absoluteMs);
  }

  /** Waits a random, growing moment before retrying a conflicting save. */
  #backoff(attempt: number): Promise<void> {
    const ms = Math.random() * Math.min(2 ** attempt, 64);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Loads a session sealed in the cookie itself. */
  async #loadSealed(
    request: Request,
    sealed: SealedCookieStore,
  ): Promise<SessionHandle<Data, Flash>> {
    const value = this.#cookie.read(request);
    if (value === undefined) return new SessionHandle(request, this.#commit);
    const text = value.length > MAX_COOKIE_BYTES
      ? undefined
      : await sealed.unseal(value);
    const parsed = text === undefined ? undefined : parseJson(text);
    const record = readRecord(parsed);
    const { id, expiresAt } = (parsed ?? {}) as Record<string, unknown>;
    const now = this.#now();
    if (
      record === undefined || record === ROTATED ||
      typeof id !== "string" || !isSessionId(id) ||
      typeof expiresAt !== "number" || !(expiresAt > now) ||
      record.createdAt + this.#absoluteMs <= now
    ) {
      return new SessionHandle(request, this.#commit, undefined, true);
    }
    return new SessionHandle(request, this.#commit, {
      id,
      record: {
        key: "",
        version: undefined,
        expiresAt,
        createdAt: record.createdAt,
        subject: record.subject,
        value: "",
      },
      data: record.data,
      flash: record.flash,
      owner: ownerOf(record),
    });
  }

  /**
   * Seals the whole session into the cookie when it changed, was
   * regenerated, or its expiry is due to move. There is no record to
   * delete: `destroy()` only expires the cookie.
   */
  async #saveSealed(
    handle: SessionHandle<Data, Flash>,
    sealed: SealedCookieStore,
  ): Promise<void> {
    const now = this.#now();
    const bound = handle.regeneratedFrom === undefined
      ? handle.bound
      : undefined;
    let createdAt = now;
    let expiresAt = this.#expiryFor(now, now);
    if (bound !== undefined) {
      const extended = this.#extension(bound, now);
      if (!handle.dirty && extended === undefined) return;
      createdAt = bound.createdAt;
      expiresAt = extended ?? bound.expiresAt;
    } else if (!handle.dirty) {
      if (
        handle.destroyed &&
        (handle.hadCookie || handle.destroyedKey !== undefined)
      ) {
        handle.destroyedKey = undefined;
        handle.setCookie = this.#cookie.serializeDeletion(handle.request);
      }
      return;
    }
    const record: SessionRecord = {
      createdAt,
      data: handle.data,
      flash: pendingFlash(handle),
      ...handle.owner,
    };
    // The id and the expiry travel inside the sealed payload.
    const text = `{"id":"${handle.id}","expiresAt":${expiresAt},${
      serializeRecord(record).slice(1)
    }`;
    const value = await sealed.seal(text);
    const bytes = this.#cookie.nameFor(handle.request).length + 1 +
      value.length;
    if (bytes > MAX_COOKIE_BYTES) {
      throw new SessionTooLargeError(
        "the sealed cookie",
        bytes,
        MAX_COOKIE_BYTES,
      );
    }
    handle.destroyedKey = undefined;
    handle.regeneratedFrom = undefined;
    this.#settle(handle, {
      key: "",
      version: undefined,
      expiresAt,
      createdAt,
      subject: undefined,
      value: "",
    }, record);
    handle.setCookie = this.#cookie.serialize(
      handle.request,
      value,
      Math.ceil((expiresAt - now) / 1000),
    );
  }

  async #save(handle: SessionHandle<Data, Flash>): Promise<void> {
    if (this.#sealed !== undefined) {
      return this.#saveSealed(handle, this.#sealed);
    }
    if (handle.isStale) return;
    const destroyed = handle.destroyedKey;
    if (destroyed !== undefined) {
      await this.#call("delete", () => this.#store.delete(destroyed));
      handle.destroyedKey = undefined;
    }
    if (handle.destroyed && handle.bound === undefined && !handle.dirty) {
      if (destroyed !== undefined || handle.hadCookie) {
        handle.setCookie = this.#cookie.serializeDeletion(handle.request);
      }
      return;
    }
    const bound = handle.bound;
    if (handle.regeneratedFrom !== undefined) {
      await this.#rotate(handle, handle.regeneratedFrom);
    } else if (bound === undefined) {
      if (handle.dirty) await this.#create(handle);
    } else if (handle.dirty) {
      await this.#update(handle, bound);
    } else {
      await this.#touch(handle, bound);
    }
  }

  /** Writes the record of a session that has no record yet, under a new id. */
  async #create(handle: SessionHandle<Data, Flash>): Promise<void> {
    const now = this.#now();
    const record: SessionRecord = {
      createdAt: now,
      data: handle.data,
      flash: pendingFlash(handle),
      ...handle.owner,
    };
    let written: BoundRecord;
    try {
      written = await this.#createRecord(handle.id, record, now, false);
    } catch (error) {
      // As in #rotate(): a retry must not reuse an id that may name a record.
      handle.currentId = undefined;
      throw error;
    }
    this.#settle(handle, written, record);
    this.#sendCookie(handle, written.expiresAt, now);
  }

  /**
   * Writes a record under a new id. The id is fresh, so a store that does
   * not write it (one reporting a record there is broken, one whose clock
   * says the record has already expired) gets no cookie for it: the request
   * fails instead. A record that was written but whose index entry failed
   * is deleted again.
   */
  async #createRecord(
    id: string,
    record: SessionRecord,
    now: number,
    rotated: boolean,
  ): Promise<BoundRecord> {
    const key = this.#keyOf(id);
    const expiresAt = this.#expiryFor(record.createdAt, now);
    const value = this.#serialize(record, key);
    await this.#index(record, key);
    const result = await this.#call(
      "set",
      () =>
        this.#store.set(
          key,
          value,
          this.#writeOptions(record, expiresAt, null, rotated),
        ),
    );
    if (!result.ok) {
      throw new SessionStoreError("set", {
        cause: new Error(
          "The store did not write a record under a brand-new id: it reported one there already, or its clock says the record has expired",
        ),
      });
    }
    if (record.subject !== undefined) {
      try {
        await this.#reindex(record, key, undefined);
      } catch (error) {
        await this.#discard(key);
        throw error;
      }
    }
    return {
      key,
      version: result.version,
      expiresAt,
      createdAt: record.createdAt,
      subject: record.subject,
      value,
    };
  }

  /**
   * Applies the handle's changes to the stored record. With compare-and-set,
   * a record changed by a concurrent request is re-read and the changes are
   * applied to it again; without it, the record is re-read just before the
   * write so that only the keys this request changed are overwritten.
   */
  async #update(
    handle: SessionHandle<Data, Flash>,
    bound: BoundRecord,
  ): Promise<void> {
    const store = this.#store;
    let rebased: Rebased = {
      base: bound,
      record: {
        createdAt: bound.createdAt,
        data: handle.data,
        flash: pendingFlash(handle),
        ...handle.owner,
      },
    };
    if (!store.compareAndSet) {
      const latest = await this.#read(bound.key);
      if (latest === undefined || latest === ROTATED) return drop(handle);
      rebased = rebase(handle, bound.key, latest);
    }
    const reowned = handle.ownerChanged;
    for (let attempt = 1;; attempt++) {
      const { base, record } = rebased;
      const now = this.#now();
      // The data changes; the expiry moves only when it is due, so that the
      // record and the browser's cookie always expire together.
      const extended = this.#extension(base, now);
      const expiresAt = extended ?? base.expiresAt;
      const value = this.#serialize(record, base.key);
      // Indexed before the write, so that the record is never live without
      // its entry; a write that then fails leaves an entry that the next
      // listing drops, and the old subject's entry untouched.
      if (reowned && attempt === 1) await this.#index(record, base.key);
      const result = await this.#call(
        "set",
        () =>
          store.set(
            base.key,
            value,
            this.#writeOptions(record, expiresAt, base.version, false),
          ),
      );
      if (result.ok) {
        if (reowned) await this.#reindex(record, base.key, base.subject);
        const written = { ...base, version: result.version, expiresAt, value };
        this.#settle(handle, written, record);
        if (extended !== undefined) this.#sendCookie(handle, expiresAt, now);
        return;
      }
      if (attempt >= this.#maxAttempts) {
        throw new SessionConflictError(attempt);
      }
      await this.#backoff(attempt);
      const latest = await this.#read(bound.key);
      if (latest === undefined || latest === ROTATED) return drop(handle);
      rebased = rebase(handle, bound.key, latest);
    }
  }

  /**
   * Moves a session to the handle's new id: writes the new record, then
   * replaces the old one with the `ROTATED` marker, on condition that it is
   * still the version the values came from. When a concurrent request
   * changed the old record first, its values are taken over and the new
   * record written again; when one destroyed it, the regeneration is dropped.
   * Until the marker is written the old session stays as it was, so a
   * failure leaves the request in the session it had.
   */
  async #rotate(
    handle: SessionHandle<Data, Flash>,
    old: BoundRecord,
  ): Promise<void> {
    const store = this.#store;
    let rebased: Rebased = {
      base: old,
      record: {
        createdAt: 0,
        data: handle.data,
        flash: pendingFlash(handle),
        ...handle.owner,
      },
    };
    if (!store.compareAndSet) {
      const latest = await this.#read(old.key);
      if (latest === undefined || latest === ROTATED) return drop(handle);
      rebased = rebase(handle, old.key, latest);
    }
    let written: BoundRecord | undefined;
    try {
      for (let attempt = 1;; attempt++) {
        const now = this.#now();
        // regenerate() starts a new lifetime: the new id is a new credential.
        const record = { ...rebased.record, createdAt: now };
        if (written === undefined) {
          written = await this.#createRecord(handle.id, record, now, true);
        } else {
          written = await this.#overwrite(written, record, now);
        }
        const retired = await this.#call(
          "set",
          () =>
            store.set(old.key, serializeRotated(now), {
              expiresAt: now + this.#rotationGraceMs,
              ...this.#ifVersion(rebased.base.version),
            }),
        );
        if (retired.ok) {
          handle.regeneratedFrom = undefined;
          this.#settle(handle, written, record);
          return this.#sendCookie(handle, written.expiresAt, now);
        }
        if (attempt >= this.#maxAttempts) {
          throw new SessionConflictError(attempt);
        }
        await this.#backoff(attempt);
        const latest = await this.#read(old.key);
        if (latest === undefined || latest === ROTATED) {
          await this.#discard(written.key);
          return drop(handle);
        }
        rebased = rebase(handle, old.key, latest);
      }
    } catch (error) {
      if (written !== undefined) await this.#discard(written.key);
      // The new id may still name a record (a clean-up that failed, a write
      // that timed out and lands later). It was never sent: a retry takes
      // another one.
      handle.currentId = undefined;
      throw error;
    }
  }

  /** Rewrites a record this request created and nobody else knows yet. */
  async #overwrite(
    written: BoundRecord,
    record: SessionRecord,
    now: number,
  ): Promise<BoundRecord> {
    const expiresAt = this.#expiryFor(record.createdAt, now);
    const value = this.#serialize(record, written.key);
    await this.#index(record, written.key);
    const result = await this.#call(
      "set",
      () =>
        this.#store.set(
          written.key,
          value,
          // The version this request wrote: nobody else knows the key.
          this.#writeOptions(record, expiresAt, written.version, true),
        ),
    );
    if (!result.ok) {
      throw new SessionStoreError("set", {
        cause: new Error(
          "The store did not write a regenerated session's record: its clock says the record has expired",
        ),
      });
    }
    if (record.subject !== undefined || written.subject !== undefined) {
      await this.#reindex(record, written.key, written.subject);
    }
    return {
      ...written,
      version: result.version,
      expiresAt,
      subject: record.subject,
      value,
    };
  }

  /** Deletes a record this request created, when it cannot be used after all. */
  async #discard(key: string): Promise<void> {
    try {
      await this.#call("delete", () => this.#store.delete(key));
    } catch {
      // Nothing refers to the record: no cookie names it, and it expires.
    }
  }

  /** Binds the handle to the record just written. */
  #settle(
    handle: SessionHandle<Data, Flash>,
    written: BoundRecord,
    record: SessionRecord,
  ): void {
    // Flash values set by this request are for later requests only.
    if (handle.flashChanges !== undefined) {
      for (const [key, value] of handle.flashChanges) {
        if (value !== DELETED) delete record.flash[key];
      }
    }
    written.subject = record.subject;
    handle.bound = written;
    handle.data = record.data;
    handle.incomingFlash = record.flash;
    handle.owner = ownerOf(record);
    handle.ownerChanged = false;
    handle.changes = undefined;
    handle.flashChanges = undefined;
  }

  /**
   * Adds a record to its subject's index, before the record is written: a
   * record is never live without its index entry, and an entry without a
   * live record is dropped when listed.
   */
  async #index(record: SessionRecord, key: string): Promise<void> {
    const subjects = this.#store.subjects;
    if (record.subject === undefined || subjects === undefined) return;
    const subject = record.subject;
    const until = record.createdAt + this.#absoluteMs;
    await this.#call("index", () => subjects.add(subject, key, until));
  }

  /**
   * Brings the index in line with a record just written under `key`: adds
   * its entry once more, since a listing that ran between the first add and
   * the write found no record (or one of another subject) and dropped the
   * entry; then removes the key from the subject it had before, if any.
   * That removal is only tidying: a listing of the old subject drops an
   * entry whose record belongs to another, so its failure is ignored.
   */
  async #reindex(
    record: SessionRecord,
    key: string,
    previous: string | undefined,
  ): Promise<void> {
    const subjects = this.#store.subjects;
    if (subjects === undefined) return;
    await this.#index(record, key);
    if (previous === undefined || previous === record.subject) return;
    try {
      await this.#call("index", () => subjects.remove(previous, [key]));
    } catch {
      // See above: the stale entry is dropped when next listed.
    }
  }

  /** Owes the cookie that carries the handle's id until `expiresAt`. */
  #sendCookie(
    handle: SessionHandle<Data, Flash>,
    expiresAt: number,
    now: number,
  ): void {
    handle.setCookie = this.#cookie.serialize(
      handle.request,
      handle.id,
      Math.ceil((expiresAt - now) / 1000),
    );
  }

  /**
   * The new expiry of a stored session when activity now moves it by at
   * least the touch interval, else `undefined`.
   */
  #extension(bound: BoundRecord, now: number): number | undefined {
    const expiresAt = this.#expiryFor(bound.createdAt, now);
    return expiresAt > bound.expiresAt &&
        expiresAt - bound.expiresAt >= this.#touchMs
      ? expiresAt
      : undefined;
  }

  /** Extends the idle expiry when enough of the idle window has passed. */
  async #touch(
    handle: SessionHandle<Data, Flash>,
    bound: BoundRecord,
  ): Promise<void> {
    const now = this.#now();
    const expiresAt = this.#extension(bound, now);
    if (expiresAt === undefined) return;
    const store = this.#store;
    // A touch is a write like any other: with compare-and-set it extends
    // only the version this request read, so that it never revives a record
    // that was replaced meanwhile (above all the marker of a rotated id);
    // without it, the latest record is read again first, and a marker or a
    // vanished record is left alone.
    let base = bound;
    if (!store.compareAndSet) {
      const latest = await this.#read(bound.key);
      if (latest === undefined || latest === ROTATED) return drop(handle);
      base = bind(bound.key, latest);
    }
    let extended: boolean;
    if (store.touch !== undefined) {
      // A store with compare-and-set keeps a version on every record.
      const options = store.compareAndSet
        ? { ifVersion: versionText(base.version) ?? "" }
        : undefined;
      extended = await this.#call(
        "touch",
        () => store.touch!(base.key, expiresAt, options),
      );
    } else {
      // Without touch(), the stored text is written back unchanged.
      const result = await this.#call(
        "set",
        () =>
          store.set(base.key, base.value, {
            expiresAt,
            ...this.#ifVersion(base.version),
          }),
      );
      extended = result.ok;
      if (result.ok) bound.version = result.version;
    }
    // A record that changed or vanished meanwhile is not extended here, and
    // this request's view of it is out of date: the request that changed it
    // sent the cookie, and a vanished one stays dead.
    if (!extended) return drop(handle);
    bound.expiresAt = expiresAt;
    this.#sendCookie(handle, expiresAt, now);
  }
}

/** A live record as read from the store. */
interface Found {
  entry: Readonly<StoreEntry> | Readonly<SyncEntry>;
  record: SessionRecord;
}

/** A record to write: the stored record it is based on, and its content. */
interface Rebased {
  base: BoundRecord;
  record: SessionRecord;
}

/** The subject and label of a record. */
function ownerOf(record: SessionRecord): Owner {
  if (record.subject === undefined) return NO_OWNER;
  return record.label === undefined
    ? { subject: record.subject }
    : { subject: record.subject, label: record.label };
}

/** What a handle remembers of the record it read. */
function bind(key: string, { entry, record }: Found): BoundRecord {
  return {
    key,
    version: entry.version,
    expiresAt: entry.expiresAt,
    createdAt: record.createdAt,
    subject: record.subject,
    value: entry.value,
  };
}

/** The handle's changes applied to the latest stored record. */
function rebase<Data, Flash>(
  handle: SessionHandle<Data, Flash>,
  key: string,
  latest: Found,
): Rebased {
  const { record } = latest;
  return {
    base: bind(key, latest),
    record: {
      createdAt: record.createdAt,
      data: applyChanges(record.data, handle.changes),
      flash: applyChanges(record.flash, handle.flashChanges),
      ...(handle.ownerChanged ? handle.owner : ownerOf(record)),
    },
  };
}

/**
 * The session was destroyed or regenerated while this request held it: its
 * changes are dropped and no cookie is sent, so a dead id never comes back.
 */
function drop<Data, Flash>(handle: SessionHandle<Data, Flash>): void {
  handle.isStale = true;
  handle.bound = undefined;
  handle.regeneratedFrom = undefined;
  handle.changes = undefined;
  handle.flashChanges = undefined;
}

/** A version as stores take it: text, or `null` for "no record". */
function versionText(version: string | number | null | undefined) {
  return typeof version === "number" ? String(version) : version ?? null;
}

/** Refuses what a store's `set()` returned unless it is `{ ok: boolean }`. */
function checkSetResult<T>(result: T): T {
  const ok = (result as { ok?: unknown } | null | undefined)?.ok;
  if (typeof ok !== "boolean") {
    throw new TypeError(
      `SessionStore.set() must return { ok: boolean }, received ${
        result === null ? "null" : typeof result
      }`,
    );
  }
  return result;
}

/** Rejects with a `TimeoutError` when `promise` takes longer than `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DOMException(
            `The store did not answer within ${ms} ms`,
            "TimeoutError",
          ),
        ),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The length of a string in UTF-8 bytes. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** The flash values to store: those not taken, and those set, by the handle. */
function pendingFlash<Data, Flash>(
  handle: SessionHandle<Data, Flash>,
): SessionData {
  return handle.flashChanges === undefined
    ? handle.incomingFlash
    : applyChanges({ ...handle.incomingFlash }, handle.flashChanges);
}

/** Applies a change set, if any, to a record's values, in place. */
function applyChanges(
  target: SessionData,
  changes: Map<string, unknown> | undefined,
): SessionData {
  if (changes === undefined) return target;
  for (const [key, change] of changes) {
    const value = change instanceof Update
      ? change.apply(getOwn(target, key))
      : change;
    if (value === DELETED || value === undefined) delete target[key];
    else setOwn(target, key, value);
  }
  return target;
}

/**
 * Whether the store keeps sessions in the cookie. Recognised by shape, so
 * that the manager does not load the sealed cookie store's code for apps that
 * do not import it.
 */
function isSealed(store: unknown): store is SealedCookieStore {
  const candidate = store as Partial<SealedCookieStore> | undefined;
  return candidate?.sealed === true &&
    typeof candidate.seal === "function" &&
    typeof candidate.unseal === "function";
}

/** Checks the shape of a store given in the options. */
function checkStore(store: unknown): SessionStore | undefined {
  if (store === undefined) return undefined;
  const candidate = store as Partial<SessionStore>;
  if (
    typeof store !== "object" || store === null ||
    typeof candidate.get !== "function" ||
    typeof candidate.set !== "function" ||
    typeof candidate.delete !== "function" ||
    typeof candidate.compareAndSet !== "boolean"
  ) {
    throw new TypeError(
      `${ACTION}: store must implement SessionStore (get, set, delete and a boolean compareAndSet), received ${
        describeValue(store)
      }`,
    );
  }
  return candidate as SessionStore;
}

/** Appends a `Set-Cookie`, copying the response when its headers are immutable. */
function withSetCookie(response: Response, setCookie: string): Response {
  try {
    response.headers.append("Set-Cookie", setCookie);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.append("Set-Cookie", setCookie);
    return copy;
  }
}
