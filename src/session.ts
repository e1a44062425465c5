/**
 * The default shape of session data and flash values: any JSON-compatible
 * values under string keys.
 */
export type SessionData = Record<string, unknown>;

/**
 * What a session needs of a request: its `Cookie` header, and whether it
 * came over https (which picks the cookie's name and `Secure`). A standard
 * `Request` is one as it is; a server that has no `Request` at hand (Node's
 * `node:http`, a framework built on it) can give this much instead, without
 * building one.
 *
 * @example A request of Node's `node:http`, without building a `Request`
 * ```ts
 * import type { SessionRequest } from "@sesame/session";
 *
 * function sessionRequest(
 *   incoming: { headers: { cookie?: string } },
 *   https: boolean,
 * ): SessionRequest {
 *   return {
 *     url: https ? "https://localhost/" : "http://localhost/",
 *     headers: { get: (name) => name === "cookie" ? incoming.headers.cookie ?? null : null },
 *   };
 * }
 * ```
 */
export interface SessionRequest {
  /** The request's URL. Only its scheme is read: `https:` or not. */
  readonly url: string;
  /** The request's headers. Only `Cookie` is read, as `get("cookie")`. */
  readonly headers: { get(name: string): string | null };
}

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
   * `true` when a concurrent request ended the session this request holds:
   * its cookie named a session that `regenerate()` moved to a new id moments
   * ago (the request was in flight during a login), or the session was
   * destroyed or regenerated while this request was saving. A stale handle
   * starts empty or keeps what it had, but nothing set on it is saved and it
   * sends no cookie, so it neither reaches the new session nor overwrites
   * the browser's new cookie.
   */
  readonly stale: boolean;
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
   * Whom the session belongs to, as set by `setSubject()`: typically the
   * user id, after login. `undefined` for an anonymous session.
   */
  readonly subject: string | undefined;
  /**
   * Says whom the session belongs to, so that the manager can list and
   * revoke all sessions of that subject (`listSessions()`,
   * `revokeSessions()`: "sign out everywhere"). Call it at login, after
   * `regenerate()`; `undefined` detaches the session.
   *
   * @param subject The subject, such as a user id; not shown to anyone.
   * @param options A label describing the session to its owner, such as the
   * browser and device, shown by `listSessions()`.
   *
   * @example Attach the session to a user at login
   * ```ts
   * import { createSessionManager } from "@sesame/session";
   *
   * const sessions = createSessionManager();
   * const request = new Request("http://localhost/login", { method: "POST" });
   * const session = await sessions.load(request);
   * session.regenerate();
   * session.setSubject("user-42", {
   *   label: request.headers.get("User-Agent") ?? "unknown device",
   * });
   * await session.commit();
   * ```
   */
  setSubject(subject: string | undefined, options?: SubjectOptions): void;
  /**
   * Gives this session a lifetime of its own, instead of the manager's: at
   * login, a short one for a shared computer, a long one for "remember me".
   * It is stored with the session, so every later request (on any server)
   * honours it; it stays through `regenerate()`, and `destroy()` drops it.
   *
   * Each field left out keeps the manager's value. A timeout above the
   * manager's `maxIdleTimeoutSeconds` or `maxAbsoluteTimeoutSeconds` is
   * lowered to it (those default to the manager's own timeouts, so by
   * default a session can only shorten its lifetime). At commit the
   * expiry is computed anew from the session's creation and now, and the
   * cookie is sent again; the server enforces the lifetime as it does the
   * manager's. Call it after `regenerate()`, which starts the absolute
   * timeout anew.
   *
   * @param lifetime The timeouts, in seconds, and whether the cookie is
   * persistent.
   * @throws {TypeError} When a timeout is not a whole number of seconds
   * above zero, or `persistent` not a boolean.
   *
   * @example "Remember me" at login
   * ```ts
   * import { createSessionManager } from "@sesame/session";
   *
   * const sessions = createSessionManager({
   *   maxIdleTimeoutSeconds: 30 * 24 * 60 * 60,
   *   maxAbsoluteTimeoutSeconds: 30 * 24 * 60 * 60,
   * });
   * const app = sessions.handler(async (request, session) => {
   *   const form = await request.formData();
   *   session.regenerate();
   *   session.setSubject("user-42");
   *   if (form.get("remember") === "on") {
   *     session.setLifetime({
   *       idleTimeoutSeconds: 7 * 24 * 60 * 60,
   *       absoluteTimeoutSeconds: 30 * 24 * 60 * 60,
   *     });
   *   } else {
   *     session.setLifetime({ persistent: false });
   *   }
   *   return new Response("Signed in");
   * });
   * await app(
   *   new Request("http://localhost/login", {
   *     method: "POST",
   *     body: new URLSearchParams({ remember: "on" }),
   *   }),
   * );
   * ```
   */
  setLifetime(lifetime: SessionLifetime): void;
  /**
   * Changes a value by a function of its latest stored value: the
   * read-modify-write for counters, lists and carts.
   *
   * The function runs at once on the value this request sees, and again at
   * commit on the latest stored value whenever a concurrent request changed
   * the record first, so concurrent updates never lose each other (20
   * parallel `update("count", (n = 0) => n + 1)` end at exactly 20). It must
   * therefore be pure: compute a new value from its argument, without side
   * effects and without changing the argument in place. Returning
   * `undefined` deletes the value. Commit before answering when the
   * response shows the result, so that it shows the committed value.
   *
   * @param key The value's name.
   * @param apply Computes the new value from the current one (`undefined`
   * when unset).
   * @returns The new value as this request sees it now.
   * @throws {TypeError} When `apply` is not a function or returns a value
   * that JSON cannot keep.
   *
   * @example Count concurrently without losing an increment
   * ```ts
   * import { createSessionManager } from "@sesame/session";
   *
   * const sessions = createSessionManager<{ count: number }>();
   * const app = sessions.handler(async (_request, session) => {
   *   session.update("count", (count = 0) => count + 1);
   *   await session.commit();
   *   return Response.json({ count: session.get("count") });
   * });
   * await app(new Request("http://localhost/count"));
   * ```
   */
  update<K extends keyof Data & string>(
    key: K,
    apply: (current: Data[K] | undefined) => Data[K] | undefined,
  ): Data[K] | undefined;
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
   * Reads a flash value set by an earlier request without removing it: it
   * stays for a later request until `takeFlash()` or `takeAllFlash()` takes
   * it. For a check ("is there a notice?") that must not consume it.
   *
   * @param key The flash value's name.
   * @returns The value, or `undefined` when there is none (or this request
   * already took it).
   */
  peekFlash<K extends keyof Flash & string>(key: K): Flash[K] | undefined;
  /**
   * Reads every flash value set by earlier requests and removes them all:
   * for a layout that shows whatever messages are waiting. To read them all
   * without removing them, follow it with `keepFlash()`.
   *
   * @returns A new object with the values (empty when there are none).
   *
   * @example Show every waiting message once
   * ```ts
   * import { createSessionManager } from "@sesame/session";
   *
   * const sessions = createSessionManager<
   *   Record<string, never>,
   *   { notice: string; error: string }
   * >();
   * const app = sessions.handler((_request, session) => {
   *   const { notice, error } = session.takeAllFlash();
   *   return Response.json({ notice, error });
   * });
   * await app(new Request("http://localhost/"));
   * ```
   */
  takeAllFlash(): Partial<Flash>;
  /**
   * Keeps flash values that this request took (with `takeFlash()` or
   * `takeAllFlash()`) for one more request: the next request reads them
   * again, as if this one had not. For a response that did not show them,
   * such as a redirect or an error page. Values not taken stay anyway.
   *
   * Kept before the commit, a value costs no write when nothing else
   * changed. A value that this request flashed under the same key wins
   * over the kept one.
   *
   * @param key The flash value to keep; without it, every value this
   * request took.
   *
   * @example Keep the notice across a redirect
   * ```ts
   * import { createSessionManager } from "@sesame/session";
   *
   * const sessions = createSessionManager<
   *   Record<string, never>,
   *   { notice: string }
   * >();
   * const app = sessions.handler((request, session) => {
   *   const notice = session.takeFlash("notice");
   *   if (new URL(request.url).pathname === "/old") {
   *     session.keepFlash("notice");
   *     return Response.redirect(new URL("/new", request.url), 303);
   *   }
   *   return new Response(notice ?? "");
   * });
   * await app(new Request("http://localhost/old"));
   * ```
   */
  keepFlash(key?: keyof Flash & string): void;
  /**
   * Moves the session to a new id, keeping its values; when the session is
   * committed, the old id loses them and its cookie is dead from then on. Call
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
   * Only the keys this request changed are written, onto the latest stored
   * record: when a concurrent request changed the record first, the record
   * is read again and the changes (and `update()` functions) are applied to
   * it, so both requests' changes survive. Afterwards `get()` shows the
   * record as committed. When a concurrent request destroyed or regenerated
   * the session meanwhile, nothing is written and `stale` becomes `true`.
   *
   * @throws {SessionStoreError} When the store fails; no cookie is produced
   * for the failed write.
   * @throws {SessionConflictError} When concurrent requests kept changing
   * the record past the retries.
   */
  commit(): Promise<string | undefined>;
}

/**
 * Options of `Session.setSubject()`.
 *
 * @example A label from the request
 * ```ts
 * import type { SubjectOptions } from "@sesame/session";
 *
 * const options: SubjectOptions = { label: "Firefox on Linux" };
 * ```
 */
export interface SubjectOptions {
  /**
   * A description of the session for its owner, such as the browser and
   * device; at most 200 characters.
   *
   * @default {undefined}
   */
  label?: string;
}

/**
 * A session's own lifetime, for `Session.setLifetime()`. Every field left
 * out keeps the manager's value.
 *
 * @example A short session on a shared computer
 * ```ts
 * import type { SessionLifetime } from "@sesame/session";
 *
 * const shared: SessionLifetime = {
 *   idleTimeoutSeconds: 5 * 60,
 *   absoluteTimeoutSeconds: 60 * 60,
 *   persistent: false,
 * };
 * ```
 */
export interface SessionLifetime {
  /**
   * How long the session lives without requests, in seconds; at most the
   * manager's `maxIdleTimeoutSeconds`.
   *
   * @default {the manager's idleTimeoutSeconds}
   */
  idleTimeoutSeconds?: number;
  /**
   * How long the session lives from its creation however active it is, in
   * seconds; at most the manager's `maxAbsoluteTimeoutSeconds`.
   *
   * @default {the manager's absoluteTimeoutSeconds}
   */
  absoluteTimeoutSeconds?: number;
  /**
   * Whether the cookie outlives the browser session: `false` sends it
   * without `Max-Age`, so that the browser drops it when it closes (the
   * server-side timeouts still apply).
   *
   * @default {the manager's cookie.persistent}
   */
  persistent?: boolean;
}
