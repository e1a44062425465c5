// The manager: the one function per request that turns a standard `Request`
// into a session, and the session into a `Set-Cookie`. It is a thin
// coordinator: its options are read by `manager_options.ts`, and sessions are
// opened and saved by a backend chosen once, here (see `_backend.ts`).

import { BACKEND, providesBackend, type SessionBackend } from "./_backend.ts";
import { SessionHandle } from "./_handle.ts";
import { StoreBackend } from "./_store_backend.ts";
import type { SubjectSessions } from "./_subject_index.ts";
import {
  type ManagerConfig,
  readConfig,
  type SessionManagerOptions,
} from "./manager_options.ts";
import type { CsrfProtection } from "./csrf.ts";
import type { Session, SessionData, SessionRequest } from "./session.ts";
import { MemoryStore } from "./stores/memory.ts";

export type { SessionManagerOptions } from "./manager_options.ts";

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
 * Options of `SessionManager.handler()`.
 *
 * @example CSRF protection for every request of the handler
 * ```ts
 * import { createSessionManager } from "@sesame/session";
 * import { createCsrfProtection } from "@sesame/session/csrf";
 *
 * const sessions = createSessionManager();
 * const csrf = createCsrfProtection();
 * const serve = sessions.handler(
 *   (_request, session) => new Response(csrf.token(session)),
 *   { csrf },
 * );
 * ```
 */
export interface SessionHandlerOptions {
  /**
   * CSRF protection from `createCsrfProtection()`: unsafe requests that it
   * refuses get a 403 before their session is loaded, and a `CsrfError`
   * that the handler throws becomes a 403 with nothing committed.
   *
   * @default {undefined}
   */
  csrf?: CsrfProtection;
}

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
   * @param request The request: a standard `Request`, or only what a
   * session reads of one (`SessionRequest`), for servers that have no
   * `Request` at hand.
   * @returns The request's session.
   * @throws {SessionStoreError} When the store fails.
   */
  load(request: Request | SessionRequest): Promise<Session<Data, Flash>>;
  /**
   * Wraps a handler so that it receives the request's session and its
   * response carries the session cookie.
   *
   * The session is committed after the handler returns, and the `Set-Cookie`
   * header is appended to its response, also when that response's headers
   * are immutable (`Response.redirect()`, a `fetch()` result): the response
   * is then copied. When the handler throws, nothing is written.
   *
   * With `options.csrf`, an unsafe request that the protection refuses
   * gets a 403 before its session is loaded, and a `CsrfError` the handler
   * throws (from `requireToken()`) becomes a 403 with nothing committed.
   *
   * @param handler The handler.
   * @param options CSRF protection for the handler's requests.
   * @returns A `(request) => Promise<Response>` function for `Deno.serve`,
   * `Bun.serve`, a Worker's `fetch` and the like.
   */
  handler(
    handler: SessionRequestHandler<Data, Flash>,
    options?: SessionHandlerOptions,
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

/** The backend for a store given in the options, or the default store. */
function backendFor(store: unknown, config: ManagerConfig): SessionBackend {
  if (providesBackend(store)) return store[BACKEND](config);
  // The default store keeps the manager's time, so that a clock given for
  // tests (or one that differs from the system's) decides expiry in both
  // places alike.
  return new StoreBackend(
    store ?? new MemoryStore({ now: config.now }),
    config,
  );
}

/**
 * Opens the session of `request`: the session itself when that finished at
 * once (a store in this process), else a promise of it. For adapters that
 * must not wait when nothing has to wait; a manager that is not this
 * module's (a wrapper of the application's) is asked through `load()`.
 */
export function openNow<Data, Flash>(
  sessions: SessionManager<Data, Flash>,
  request: Request | SessionRequest,
): Session<Data, Flash> | Promise<Session<Data, Flash>> {
  return sessions instanceof Manager
    ? sessions.openNow(request)
    : sessions.load(request);
}

class Manager<Data, Flash> implements SessionManager<Data, Flash> {
  #backend: SessionBackend;

  constructor(options: SessionManagerOptions) {
    const config = readConfig(options);
    this.#backend = backendFor(options.store, config);
  }

  openNow(
    request: Request | SessionRequest,
  ): Session<Data, Flash> | Promise<Session<Data, Flash>> {
    return this.#backend.open<Data, Flash>(request);
  }

  load(request: Request | SessionRequest): Promise<Session<Data, Flash>> {
    try {
      const opened = this.#backend.open<Data, Flash>(request);
      return opened instanceof SessionHandle ? Promise.resolve(opened) : opened;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  handler(
    handler: SessionRequestHandler<Data, Flash>,
    options?: SessionHandlerOptions,
  ): (request: Request) => Promise<Response> {
    if (typeof handler !== "function") {
      throw new TypeError(
        `Cannot wrap handler: handler must be a function, received ${typeof handler}`,
      );
    }
    const backend = this.#backend;
    // load() and commit(), without waiting when they finished at once.
    const wrapped = async (request: Request): Promise<Response> => {
      const opened = backend.open<Data, Flash>(request);
      const session = opened instanceof SessionHandle ? opened : await opened;
      const response = await handler(request, session);
      const committing = session.startCommit();
      if (committing !== undefined) await committing;
      const setCookie = session.setCookie;
      return setCookie === undefined
        ? response
        : withSetCookie(response, setCookie);
    };
    const csrf = options?.csrf;
    if (csrf === undefined) return wrapped;
    if (typeof csrf?.handler !== "function") {
      throw new TypeError(
        "Cannot wrap handler: options.csrf must come from createCsrfProtection() (@sesame/session/csrf)",
      );
    }
    return csrf.handler(wrapped);
  }

  async listSessions(
    subject: string,
    current?: Session<Data, Flash>,
  ): Promise<SessionInfo[]> {
    return await this.#subjects("list sessions").list(subject, current);
  }

  async revokeSessions(
    subject: string,
    options: RevokeSessionsOptions<Data, Flash> = {},
  ): Promise<number> {
    const subjects = this.#subjects("revoke sessions");
    return await subjects.revoke(subject, options.except);
  }

  async revokeSession(subject: string, handle: string): Promise<boolean> {
    return await this.#subjects("revoke session").revokeOne(subject, handle);
  }

  /** The backend's subject index; throws when it keeps none. */
  #subjects(action: string): SubjectSessions {
    const subjects = this.#backend.subjects;
    if (subjects === undefined) {
      throw new TypeError(
        `Cannot ${action}: the store keeps no subject index (SessionStore.subjects); use a store that does, such as MemoryStore, RedisStore or DenoKvStore`,
      );
    }
    return subjects;
  }
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
