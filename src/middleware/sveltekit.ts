/**
 * Sessions for [SvelteKit](https://svelte.dev/docs/kit) apps: a `handle`
 * hook that loads the request's session into `event.locals`, lets SvelteKit
 * answer, then commits the session and adds its `Set-Cookie` to the
 * response.
 *
 * It is the few lines an app would write in `hooks.server.ts` itself, with
 * the three details that are easy to get wrong done once: a response whose
 * headers are immutable (an endpoint that returns `fetch()`'s response or
 * `Response.redirect()`) is copied instead of failing on `append`; a
 * response of 500 or more (a load, action or endpoint that threw) commits
 * nothing; and TypeScript checks that `App.Locals` declares the session
 * with the manager's type.
 *
 * @example src/hooks.server.ts and src/app.d.ts
 * ```ts ignore
 * // src/app.d.ts
 * import type { Session } from "@sesame/session";
 * declare global {
 *   namespace App {
 *     interface Locals {
 *       session: Session<{ user: string }>;
 *     }
 *   }
 * }
 * export {};
 *
 * // src/hooks.server.ts
 * import { createSessionManager } from "@sesame/session";
 * import { createSessionHandle } from "@sesame/session/sveltekit";
 *
 * const sessions = createSessionManager<{ user: string }>();
 * export const handle = createSessionHandle(sessions);
 *
 * // src/routes/+page.server.ts
 * export const load = ({ locals }) => ({ user: locals.session.get("user") });
 * ```
 *
 * Form actions, endpoints and remote functions change `locals.session`; the
 * hook commits after SvelteKit answered, so a `redirect()` of an action
 * carries the cookie. Changes made while a page streams (inside a promise
 * that `load` returned unawaited) come too late: the cookie has been sent.
 * Combine it with other hooks through `sequence()` of `@sveltejs/kit/hooks`.
 * This module does not import SvelteKit: it works on the shape of `handle`.
 *
 * @module
 */
import { describeValue } from "../_options.ts";
import type { SessionManager } from "../manager.ts";
import type { Session, SessionData } from "../session.ts";

/**
 * Options of {@linkcode createSessionHandle}.
 *
 * @typeParam Local The name of the property of `event.locals`.
 *
 * @example Keep the session under `locals.auth`
 * ```ts
 * import type { SessionHandleOptions } from "@sesame/session/sveltekit";
 *
 * const options: SessionHandleOptions<"auth"> = { local: "auth" };
 * ```
 */
export interface SessionHandleOptions<Local extends string = "session"> {
  /**
   * The property of `event.locals` that holds the session, as declared in
   * `App.Locals`. Give each of two managers in one app its own.
   *
   * @default {"session"}
   */
  local?: Local;
}

/**
 * What the hook uses of SvelteKit's `RequestEvent`.
 *
 * @typeParam Data The shape of the session's values.
 * @typeParam Flash The shape of its flash values.
 * @typeParam Local The name of the property of `event.locals`.
 */
export interface SessionHandleEvent<
  Data = SessionData,
  Flash = SessionData,
  Local extends string = "session",
> {
  /** The request; the session is read from its `Cookie` header. */
  readonly request: Request;
  /**
   * The request's locals, where the hook puts the session: `App.Locals`
   * must declare it, with this session type.
   */
  readonly locals: { [Name in Local]: Session<Data, Flash> };
}

/**
 * A SvelteKit `handle` hook, as {@linkcode createSessionHandle} makes it:
 * SvelteKit's `Handle` type accepts it where `App.Locals` declares the
 * session.
 *
 * @typeParam Data The shape of the session's values.
 * @typeParam Flash The shape of its flash values.
 * @typeParam Local The name of the property of `event.locals`.
 *
 * @example Before another hook
 * ```ts ignore
 * import { sequence } from "@sveltejs/kit/hooks";
 * import { createSessionHandle } from "@sesame/session/sveltekit";
 *
 * export const handle = sequence(createSessionHandle(sessions), authorize);
 * ```
 */
export type SessionHandleHook<
  Data = SessionData,
  Flash = SessionData,
  Local extends string = "session",
> = <Event extends SessionHandleEvent<Data, Flash, Local>>(input: {
  event: Event;
  resolve: (event: Event) => Response | Promise<Response>;
}) => Promise<Response>;

/**
 * Creates a SvelteKit `handle` hook that loads the request's session into
 * `event.locals`, resolves the request, then commits the session and
 * appends its `Set-Cookie` to the response.
 *
 * A session that was only read sends no cookie. A response with a status of
 * 500 or more commits nothing, since SvelteKit turns what a load, action or
 * endpoint throws into such a response. The manager's run-time errors
 * reject the hook: a `SessionStoreError` when the store fails while the
 * session is loaded or committed, which SvelteKit answers with a 500 unless
 * the app catches it around the hook (a 503, say). A `commit()` of the
 * route's own throws inside the route, where SvelteKit turns it into a 500
 * response: catch it there.
 *
 * @typeParam Data The shape of the session's values, from the manager.
 * @typeParam Flash The shape of its flash values, from the manager.
 * @typeParam Local The name of the property of `event.locals`.
 * @param sessions The session manager.
 * @param options The property of `event.locals`.
 * @returns The hook, for `export const handle` or `sequence()`.
 * @throws {TypeError} When `local` is not a non-empty string.
 *
 * @example A 503 when the store fails
 * ```ts ignore
 * import { json, type Handle } from "@sveltejs/kit";
 * import { SessionStoreError } from "@sesame/session";
 * import { createSessionHandle } from "@sesame/session/sveltekit";
 *
 * const withSession = createSessionHandle(sessions);
 * export const handle: Handle = async (input) => {
 *   try {
 *     return await withSession(input);
 *   } catch (error) {
 *     if (!(error instanceof SessionStoreError)) throw error;
 *     return json({ error: "session store unavailable" }, { status: 503 });
 *   }
 * };
 * ```
 */
export function createSessionHandle<
  Data = SessionData,
  Flash = SessionData,
  Local extends string = "session",
>(
  sessions: SessionManager<Data, Flash>,
  options: SessionHandleOptions<Local> = {},
): SessionHandleHook<Data, Flash, Local> {
  const local = options.local ?? "session";
  if (typeof local !== "string" || local === "") {
    throw new TypeError(
      `Cannot create session handle: local must be a non-empty string, received ${
        describeValue(local)
      }`,
    );
  }
  return async ({ event, resolve }) => {
    const session = await sessions.load(event.request);
    (event.locals as Record<string, unknown>)[local] = session;
    const response = await resolve(event);
    if (response.status >= 500) return response;
    const setCookie = await session.commit();
    return setCookie === undefined
      ? response
      : withSetCookie(response, setCookie);
  };
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
