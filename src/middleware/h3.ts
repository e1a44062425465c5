/**
 * Sessions for [h3](https://h3.dev) v2 apps (and Nitro v3's server routes,
 * built on it): a middleware that loads the request's session into
 * `event.context`, and commits it when the route has answered, adding its
 * `Set-Cookie` to the response.
 *
 * This module does not import h3: the middleware is a plain
 * `(event, next)` function over the few members of h3's `H3Event` it uses.
 * Type the session once for the app by augmenting h3's `H3EventContext`,
 * and `event.context.session` is a `Session<Data>` in every handler.
 *
 * @example A visit counter on srvx
 * ```ts ignore
 * import { defineHandler, H3 } from "h3";
 * import { serve } from "srvx";
 * import { createSessionManager, type Session } from "@sesame/session";
 * import { h3Session } from "@sesame/session/h3";
 *
 * type Data = { visits: number };
 * declare module "h3" {
 *   interface H3EventContext {
 *     session: Session<Data>;
 *   }
 * }
 *
 * const app = new H3()
 *   .use(h3Session(createSessionManager<Data>()))
 *   .get("/", defineHandler((event) => {
 *     const session = event.context.session;
 *     const visits = (session.get("visits") ?? 0) + 1;
 *     session.set("visits", visits);
 *     return { visits };
 *   }));
 *
 * serve({ fetch: app.fetch, port: 3000 });
 * ```
 *
 * It replaces h3's own `useSession()` (a sealed cookie, no server-side
 * store). It is not for h3 v1 (Nuxt 3 and 4, Nitro 2), whose events carry no
 * `Request`. It saves only what a handler changed before it returned: changes
 * made inside a streaming body are not saved, because the response's
 * headers are gone by then.
 *
 * @module
 */
import { adapterName } from "./_adapter_options.ts";
import type { SessionManager } from "../manager.ts";
import type { Session, SessionData } from "../session.ts";

/**
 * Options of {@linkcode h3Session}.
 *
 * @typeParam Name The name of the `event.context` property.
 *
 * @example Keep the session under `event.context.auth`
 * ```ts
 * import type { H3SessionOptions } from "@sesame/session/h3";
 *
 * const options: H3SessionOptions<"auth"> = { name: "auth" };
 * ```
 */
export interface H3SessionOptions<Name extends string = "session"> {
  /**
   * The `event.context` property that holds the session, as declared in
   * the app's augmentation of `H3EventContext`. Give each middleware its
   * own when one app uses two managers (with different cookie names).
   *
   * @default {"session"}
   */
  name?: Name;
}

/**
 * What the middleware uses of h3's `H3Event`; an `H3Event` has all of it.
 *
 * @example An event, as a test might make it
 * ```ts
 * import type { H3EventLike } from "@sesame/session/h3";
 *
 * const event: H3EventLike = {
 *   req: new Request("http://localhost/"),
 *   context: {},
 *   res: { headers: new Headers() },
 * };
 * ```
 */
export interface H3EventLike {
  /** The request, whose `Cookie` header names the session. */
  readonly req: Request;
  /** The request's context, where the session goes. */
  readonly context: object;
  /** The response in the making: its status and headers. */
  readonly res: { status?: number; readonly headers: Headers };
}

/**
 * An h3 middleware that gives each request its session, as made by
 * {@linkcode h3Session}, for `app.use()` or a route's `middleware`.
 *
 * @example Mount it on some routes only
 * ```ts ignore
 * import { H3 } from "h3";
 * import { createSessionManager } from "@sesame/session";
 * import { h3Session, type H3SessionMiddleware } from "@sesame/session/h3";
 *
 * const withSession: H3SessionMiddleware = h3Session(createSessionManager());
 * const app = new H3().use("/account/**", withSession);
 * ```
 */
export type H3SessionMiddleware = (
  event: H3EventLike,
  next: () => unknown,
) => Promise<unknown>;

const ACTION = "Cannot create h3 session middleware";

/**
 * Creates an h3 middleware that loads the request's session into
 * `event.context[name]`, runs the handler, then commits the session and adds
 * its `Set-Cookie` to the response.
 *
 * The cookie goes out with whatever the handler returns: a value, a
 * `Response` (also one with immutable headers, such as
 * `Response.redirect()`, and one with a 4xx status, whose headers h3 would
 * not merge), `redirect()`; and beside the cookies set with h3's
 * `setCookie()`. A session that was only read sends no cookie. A handler
 * that throws (an `HTTPError` too), returns an `Error`, or answers with a
 * status of 500 or more commits nothing. A handler that shows the result of
 * `update()` should `await session.commit()` before answering; the
 * middleware's own commit then only sends the cookie.
 *
 * The manager's run-time errors reach h3's error handling like a handler's:
 * a `SessionStoreError` when the store fails while the session is loaded or
 * committed (answer 503 in the app's `onError`), a `SessionConflictError`
 * when concurrent requests keep changing the session past the retries.
 *
 * @typeParam Data The shape of the session's values, from the manager.
 * @typeParam Flash The shape of its flash values, from the manager.
 * @typeParam Name The name of the context property, from the options.
 * @param sessions The session manager.
 * @param options The name of the context property.
 * @returns The middleware.
 * @throws {TypeError} When `sessions` is not a session manager, `options`
 * is not an object, or the name is not a non-empty string.
 *
 * @example Log in with a redirect, and answer 503 while the store is down
 * ```ts ignore
 * import { defineHandler, H3, HTTPError, readBody, redirect } from "h3";
 * import {
 *   createSessionManager,
 *   type Session,
 *   SessionStoreError,
 * } from "@sesame/session";
 * import { h3Session } from "@sesame/session/h3";
 *
 * type Data = { user: string };
 * declare module "h3" {
 *   interface H3EventContext {
 *     session: Session<Data>;
 *   }
 * }
 *
 * const app = new H3({
 *   onError: (error) =>
 *     error.cause instanceof SessionStoreError
 *       ? new Response("Service unavailable", { status: 503 })
 *       : undefined,
 * })
 *   .use(h3Session(createSessionManager<Data>()))
 *   .post("/login", defineHandler(async (event) => {
 *     const session = event.context.session;
 *     session.regenerate(); // a new id whenever privileges change
 *     session.set("user", "ada");
 *     return redirect("/", 303);
 *   }));
 * ```
 */
export function h3Session<
  Data = SessionData,
  Flash = SessionData,
  const Name extends string = "session",
>(
  sessions: SessionManager<Data, Flash>,
  options: H3SessionOptions<Name> = {},
): H3SessionMiddleware {
  const name = adapterName(ACTION, sessions, options, "name", "session");
  return async (event, next) => {
    const session: Session<Data, Flash> = await sessions.load(event.req);
    (event.context as Record<string, unknown>)[name] = session;
    // A handler that throws rejects here: nothing is committed.
    const value = await next();
    if (value instanceof Error || (event.res.status ?? 200) >= 500) {
      return value;
    }
    if (value instanceof Response && value.status >= 500) return value;
    const setCookie = await session.commit();
    if (setCookie === undefined) return value;
    if (!(value instanceof Response)) {
      // h3 merges these headers into the response it makes of the value.
      event.res.headers.append("Set-Cookie", setCookie);
      return value;
    }
    // h3 merges its prepared headers only into a Response below 400: add
    // the cookie to the Response itself.
    try {
      value.headers.append("Set-Cookie", setCookie);
      return value;
    } catch {
      // Immutable headers (`Response.redirect()`, a `fetch()` result).
      const copy = new Response(value.body, value);
      copy.headers.append("Set-Cookie", setCookie);
      return copy;
    }
  };
}
