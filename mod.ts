/**
 * Web-standard HTTP sessions for Deno, Bun, Node and Cloudflare Workers.
 *
 * A session manager turns a standard `Request` into a session handle, and the
 * handle into a `Set-Cookie` header value. Session ids are 256 random bits;
 * records live in a store behind a small key-value interface (in this
 * process by default). There is no global session state: concurrent requests
 * never see each other's sessions, and an id that sesame did not issue is
 * never adopted.
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
 *
 * It is not an authentication library: it keeps who the user is once the
 * application has decided it, and makes that state hard to steal or fix.
 *
 * @module
 */

export {
  createSessionManager,
  type RevokeSessionsOptions,
  type SessionHandlerOptions,
  type SessionInfo,
  type SessionManager,
  type SessionManagerOptions,
  type SessionRequestHandler,
} from "./src/manager.ts";
export type {
  Session,
  SessionData,
  SessionLifetime,
  SessionRequest,
  SubjectOptions,
} from "./src/session.ts";
export type { SessionCookieOptions } from "./src/cookie.ts";
export type { SessionEvent } from "./src/events.ts";
export type {
  SessionStore,
  StoreEntry,
  StoreSetOptions,
  StoreSetResult,
  StoreTouchOptions,
  SubjectIndex,
} from "./src/store.ts";
export { MemoryStore, type MemoryStoreOptions } from "./src/stores/memory.ts";
export {
  SessionConflictError,
  SessionError,
  SessionStoreError,
  SessionTooLargeError,
  type StoreOperation,
} from "./src/errors.ts";
