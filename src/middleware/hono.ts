/**
 * Sessions for [Hono](https://hono.dev) apps: a middleware that loads the
 * request's session into a context variable and sends the session cookie
 * with whatever response the app gives.
 *
 * The app declares the variable in its `Variables`, so that `c.get("session")`
 * is typed; TypeScript then also checks that the middleware's manager and
 * variable name match that declaration. This module does not import Hono:
 * it works with any Hono 4 app on any runtime and adds no dependency.
 *
 * @example A visit counter
 * ```ts
 * import { Hono } from "hono";
 * import { createSessionManager, type Session } from "@sesame/session";
 * import { createSessionMiddleware } from "@sesame/session/hono";
 *
 * type Data = { visits: number };
 * const sessions = createSessionManager<Data>();
 *
 * const app = new Hono<{ Variables: { session: Session<Data> } }>();
 * app.use(createSessionMiddleware(sessions));
 * app.get("/", (c) => {
 *   const session = c.get("session");
 *   const visits = (session.get("visits") ?? 0) + 1;
 *   session.set("visits", visits);
 *   return c.json({ visits });
 * });
 *
 * const response = await app.request("http://localhost/");
 * const cookie = response.headers.get("Set-Cookie"); // "sid=…; HttpOnly; …"
 * ```
 *
 * It is not a cookie helper for other cookies (use `hono/cookie`), and it
 * saves only what a handler changed before it returned: changes made later,
 * inside a streaming body, are not saved, because the cookie has been sent
 * by then. Outside Hono, use `SessionManager.handler()` or
 * `SessionManager.load()`.
 *
 * @module
 */

import { commitRefused } from "../_csrf_refused.ts";
import { describeValue } from "../_options.ts";
import { adapterName } from "./_adapter_options.ts";
import {
  CsrfError,
  type CsrfProtection,
  type CsrfRequestLike,
} from "../csrf.ts";
import type { SessionManager } from "../manager.ts";
import type { Session, SessionData } from "../session.ts";

/**
 * Options of {@linkcode createSessionMiddleware}.
 *
 * @typeParam Variable The name of the context variable.
 *
 * @example Keep the session under `c.get("auth")`
 * ```ts
 * import type { SessionMiddlewareOptions } from "@sesame/session/hono";
 *
 * const options: SessionMiddlewareOptions<"auth"> = { variable: "auth" };
 * ```
 */
export interface SessionMiddlewareOptions<Variable extends string = "session"> {
  /**
   * The name of the context variable that holds the session, as declared in
   * the app's `Variables` and read with `c.get()` or `c.var`. Give each
   * middleware its own name when one app uses two managers.
   *
   * @default {"session"}
   */
  variable?: Variable;
}

/**
 * A Hono middleware that gives each request its session, as made by
 * {@linkcode createSessionMiddleware}.
 *
 * The context is described by the few members the middleware uses, so that
 * this package does not depend on Hono; a Hono `Context` has them all.
 *
 * @typeParam Data The shape of the session's values.
 * @typeParam Flash The shape of its flash values.
 * @typeParam Variable The name of the context variable.
 *
 * @example Mount it on some routes only
 * ```ts
 * import { Hono } from "hono";
 * import { createSessionManager, type Session } from "@sesame/session";
 * import {
 *   createSessionMiddleware,
 *   type SessionMiddleware,
 * } from "@sesame/session/hono";
 *
 * const sessions = createSessionManager();
 * const withSession: SessionMiddleware = createSessionMiddleware(sessions);
 *
 * const app = new Hono<{ Variables: { session: Session } }>();
 * app.use("/account/*", withSession);
 * ```
 */
export type SessionMiddleware<
  Data = SessionData,
  Flash = SessionData,
  Variable extends string = "session",
> = (
  c: {
    /** The request; the middleware reads the session cookie of `raw`. */
    readonly req: { readonly raw: Request };
    /** Stores the session in the context variable. */
    set: (variable: Variable, session: Session<Data, Flash>) => void;
    /**
     * The context variables. The middleware never reads them: they are here
     * so that TypeScript checks that the app declares the variable, with
     * this session type.
     */
    readonly var: { readonly [Name in Variable]?: Session<Data, Flash> };
    /** The response, which the middleware replaces when its headers are immutable. */
    res: Response;
    /** The error a later handler threw, which Hono's `onError` answered. */
    readonly error?: unknown;
  },
  next: () => Promise<void>,
) => Promise<void>;

const ACTION = "Cannot create session middleware";

/**
 * Creates a Hono middleware that loads the request's session into a context
 * variable, runs the rest of the app, then commits the session and appends
 * its `Set-Cookie` to the response.
 *
 * The cookie is appended also when the response's headers are immutable (a
 * handler returned `Response.redirect()` or a `fetch()` result): the
 * response is then copied. A session that was only read sends no cookie.
 * When a later handler throws, nothing is committed and Hono's `onError`
 * answers as usual. A handler that shows the result of `update()` should
 * `await session.commit()` before answering; the middleware's own commit
 * then only sends the cookie. Do not append the session's `Set-Cookie`
 * yourself.
 *
 * The manager's run-time errors reach Hono's `onError` like a handler's: a
 * `SessionStoreError` when the store fails while the session is loaded or
 * committed, a `SessionConflictError` when concurrent requests keep changing
 * the session past the retries.
 *
 * Declare the variable in the app's `Variables` (or in Hono's
 * `ContextVariableMap`): `app.use()` rejects, at compile time, a middleware
 * whose variable name or session type the app does not declare.
 *
 * @typeParam Data The shape of the session's values, from the manager.
 * @typeParam Flash The shape of its flash values, from the manager.
 * @typeParam Variable The name of the context variable, from the options.
 * @param sessions The session manager.
 * @param options The name of the context variable.
 * @returns The middleware, for `app.use()` or a route.
 * @throws {TypeError} When `sessions` is not a session manager, `options`
 * is not an object, or the variable name is not a non-empty string.
 *
 * @example Log in, count and log out
 * ```ts
 * import { Hono } from "hono";
 * import { createSessionManager, type Session } from "@sesame/session";
 * import { createSessionMiddleware } from "@sesame/session/hono";
 *
 * type Data = { user: string; count: number };
 * const sessions = createSessionManager<Data>();
 *
 * const app = new Hono<{ Variables: { session: Session<Data> } }>();
 * app.use(createSessionMiddleware(sessions));
 * app.post("/login", (c) => {
 *   const session = c.get("session");
 *   session.regenerate(); // a new id whenever privileges change
 *   session.set("user", "ada");
 *   return c.redirect("/", 303);
 * });
 * app.post("/count", async (c) => {
 *   const session = c.get("session");
 *   session.update("count", (count = 0) => count + 1);
 *   await session.commit(); // so that the answer shows the saved count
 *   return c.json({ count: session.get("count") });
 * });
 * app.post("/logout", (c) => {
 *   c.get("session").destroy();
 *   return c.redirect("/", 303);
 * });
 *
 * const login = await app.request("http://localhost/login", { method: "POST" });
 * const cookie = login.headers.get("Set-Cookie")!.split(";")[0];
 * const count = await app.request("http://localhost/count", {
 *   method: "POST",
 *   headers: { Cookie: cookie },
 * });
 * await count.json(); // { count: 1 }
 * ```
 *
 * @example Answer 503 while the store is down
 * ```ts
 * import { Hono } from "hono";
 * import {
 *   createSessionManager,
 *   type Session,
 *   SessionStoreError,
 * } from "@sesame/session";
 * import { createSessionMiddleware } from "@sesame/session/hono";
 *
 * const sessions = createSessionManager();
 * const app = new Hono<{ Variables: { auth: Session } }>();
 * app.use(createSessionMiddleware(sessions, { variable: "auth" }));
 * app.onError((error, c) =>
 *   error instanceof SessionStoreError
 *     ? c.text("Service unavailable", 503)
 *     : c.text("Internal server error", 500)
 * );
 * ```
 */
export function createSessionMiddleware<
  Data = SessionData,
  Flash = SessionData,
  Variable extends string = "session",
>(
  sessions: SessionManager<Data, Flash>,
  options: SessionMiddlewareOptions<Variable> = {},
): SessionMiddleware<NoInfer<Data>, NoInfer<Flash>, NoInfer<Variable>> {
  // The NoInfer above keeps `app.use()`'s expected type from widening the
  // type parameters (`Variable` to `string`), which would let a middleware
  // whose variable the app does not declare through the type check.
  const variable = adapterName(
    ACTION,
    sessions,
    options,
    "variable",
    "session" as Variable,
  );
  return async (c, next) => {
    const session = await sessions.load(c.req.raw);
    c.set(variable, session);
    await next();
    // Hono catches what a later handler throws, answers it with `onError`
    // and records it in `c.error`: the handler did not finish its work.
    // Nor is a request that a CSRF token check refused (see
    // createCsrfTokenMiddleware()): it commits nothing.
    if (c.error !== undefined || commitRefused(session)) return;
    const setCookie = await session.commit();
    if (setCookie === undefined) return;
    try {
      c.res.headers.append("Set-Cookie", setCookie);
    } catch {
      // Immutable headers. Hono's `res` setter copies the response again and
      // merges the old response's headers into the copy (Set-Cookie
      // included), so the cookie goes onto what the setter stored.
      c.res = new Response(c.res.body, c.res);
      c.res.headers.append("Set-Cookie", setCookie);
    }
  };
}

/**
 * A Hono middleware that refuses cross-origin requests, as made by
 * {@linkcode createCsrfMiddleware}. Hono's `MiddlewareHandler` is one.
 *
 * @example Type a middleware variable
 * ```ts
 * import { createCsrfProtection } from "@sesame/session/csrf";
 * import {
 *   createCsrfMiddleware,
 *   type CsrfMiddleware,
 * } from "@sesame/session/hono";
 *
 * const checkOrigin: CsrfMiddleware = createCsrfMiddleware(createCsrfProtection());
 * ```
 */
export type CsrfMiddleware = (
  c: {
    /** The request; the middleware reads its method and headers. */
    readonly req: { readonly raw: Request };
  },
  next: () => Promise<void>,
) => Promise<Response | void>;

/**
 * Creates a Hono middleware that answers 403 to an unsafe request from
 * another origin, by `Sec-Fetch-Site` and `Origin` (see
 * `CsrfProtection.check()`), before anything after it runs.
 *
 * Mount it before {@linkcode createSessionMiddleware}: a refused request
 * then loads no session and commits nothing.
 *
 * @param protection The CSRF protection, from `createCsrfProtection()`.
 * @returns The middleware, for `app.use()` or a route.
 * @throws {TypeError} When `protection` is not a CSRF protection.
 *
 * @example Refuse cross-origin posts before the session is loaded
 * ```ts
 * import { Hono } from "hono";
 * import { createSessionManager, type Session } from "@sesame/session";
 * import { createCsrfProtection } from "@sesame/session/csrf";
 * import {
 *   createCsrfMiddleware,
 *   createSessionMiddleware,
 * } from "@sesame/session/hono";
 *
 * const csrf = createCsrfProtection();
 * const app = new Hono<{ Variables: { session: Session } }>();
 * app.use(createCsrfMiddleware(csrf));
 * app.use(createSessionMiddleware(createSessionManager()));
 * app.post("/delete", (c) => c.text("deleted"));
 *
 * const forged = await app.request("http://localhost/delete", {
 *   method: "POST",
 *   headers: { "Sec-Fetch-Site": "cross-site" },
 * });
 * forged.status; // 403
 * ```
 */
export function createCsrfMiddleware(
  protection: CsrfProtection,
): CsrfMiddleware {
  checkProtection(protection, "Cannot create CSRF middleware");
  return (c, next) =>
    protection.check(c.req.raw).allowed ? next() : Promise.resolve(forbidden());
}

/**
 * Options of {@linkcode createCsrfTokenMiddleware}.
 *
 * @typeParam Variable The name of the session's context variable.
 *
 * @example The session under `c.get("auth")`
 * ```ts
 * import type { CsrfTokenMiddlewareOptions } from "@sesame/session/hono";
 *
 * const options: CsrfTokenMiddlewareOptions<"auth"> = { variable: "auth" };
 * ```
 */
export interface CsrfTokenMiddlewareOptions<
  Variable extends string = "session",
> {
  /**
   * The context variable that holds the session, as given to
   * {@linkcode createSessionMiddleware}.
   *
   * @default {"session"}
   */
  variable?: Variable;
}

/**
 * A Hono middleware that requires the session's CSRF token, as made by
 * {@linkcode createCsrfTokenMiddleware}. Hono's `MiddlewareHandler` is one.
 *
 * @typeParam Variable The name of the session's context variable.
 *
 * @example Type a middleware variable
 * ```ts
 * import { createCsrfProtection } from "@sesame/session/csrf";
 * import {
 *   createCsrfTokenMiddleware,
 *   type CsrfTokenMiddleware,
 * } from "@sesame/session/hono";
 *
 * const requireToken: CsrfTokenMiddleware = createCsrfTokenMiddleware(
 *   createCsrfProtection(),
 * );
 * ```
 */
export type CsrfTokenMiddleware<Variable extends string = "session"> = (
  c: {
    /**
     * The request; its body is read from a clone (or, when a middleware
     * before read it already, through Hono's `parseBody()`, which keeps it).
     */
    readonly req: {
      readonly raw: Request;
      parseBody?: () => Promise<unknown>;
    };
    /** The context variables: the session is read from them. */
    readonly var: { readonly [Name in Variable]?: unknown };
  },
  next: () => Promise<void>,
) => Promise<Response | void>;

/**
 * Creates a Hono middleware that answers 403 to an unsafe request without
 * the session's CSRF token (in the token header, or the form field of a
 * urlencoded or multipart body), as `CsrfProtection.requireToken()` decides
 * it: every unsafe request, or with `tokenPolicy: "fallback"` only those
 * that carried neither `Sec-Fetch-Site` nor `Origin`. The session of a
 * refused request commits nothing.
 *
 * Mount it after {@linkcode createSessionMiddleware}, on the whole app or on
 * the routes that take forms. Render the token with
 * `csrf.token(c.get("session"))`.
 *
 * @typeParam Variable The name of the session's context variable.
 * @param protection The CSRF protection, from `createCsrfProtection()`.
 * @param options The session's context variable.
 * @returns The middleware.
 * @throws {TypeError} When `protection` is not a CSRF protection, or the
 * variable name is not a non-empty string.
 *
 * @example A form with its token
 * ```ts
 * import { Hono } from "hono";
 * import { createSessionManager, type Session } from "@sesame/session";
 * import { createCsrfProtection } from "@sesame/session/csrf";
 * import {
 *   createCsrfMiddleware,
 *   createCsrfTokenMiddleware,
 *   createSessionMiddleware,
 * } from "@sesame/session/hono";
 *
 * const csrf = createCsrfProtection();
 * const app = new Hono<{ Variables: { session: Session<{ name: string }> } }>();
 * app.use(createCsrfMiddleware(csrf));
 * app.use(createSessionMiddleware(createSessionManager<{ name: string }>()));
 * app.use(createCsrfTokenMiddleware(csrf));
 * app.get("/", (c) =>
 *   c.html(
 *     `<form method="post" action="/name">
 *       <input type="hidden" name="_csrf" value="${csrf.token(c.get("session"))}">
 *       <input name="name"><button>Save</button>
 *     </form>`,
 *   ));
 * app.post("/name", async (c) => {
 *   const { name } = await c.req.parseBody();
 *   c.get("session").set("name", String(name));
 *   return c.redirect("/", 303);
 * });
 *
 * const page = await app.request("http://localhost/");
 * const cookie = page.headers.get("Set-Cookie")!.split(";")[0];
 * const token = (await page.text()).match(/value="([\w-]{43})"/)![1];
 * const saved = await app.request("http://localhost/name", {
 *   method: "POST",
 *   headers: { Cookie: cookie },
 *   body: new URLSearchParams({ _csrf: token, name: "Ada" }),
 * });
 * saved.status; // 303
 * ```
 */
export function createCsrfTokenMiddleware<Variable extends string = "session">(
  protection: CsrfProtection,
  options: CsrfTokenMiddlewareOptions<Variable> = {},
): CsrfTokenMiddleware<NoInfer<Variable>> {
  const action = "Cannot create CSRF token middleware";
  checkProtection(protection, action);
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `${action}: options must be an object, received ${
        describeValue(options)
      }`,
    );
  }
  const variable = options.variable ?? "session" as Variable;
  if (typeof variable !== "string" || variable === "") {
    throw new TypeError(
      `${action}: variable must be a non-empty string, received ${
        describeValue(variable)
      }`,
    );
  }
  return async (c, next) => {
    const session = c.var[variable] as Session | undefined;
    if (session === undefined || session === null) {
      throw new TypeError(
        `CSRF token middleware: no session in the context variable "${variable}"; mount createSessionMiddleware() before it`,
      );
    }
    const raw = c.req.raw;
    let request: Request | CsrfRequestLike = raw;
    if (raw.bodyUsed && typeof c.req.parseBody === "function") {
      // A middleware before this one read the body through Hono, which
      // keeps what it parsed.
      const body = await c.req.parseBody().catch(() => undefined);
      request = { method: raw.method, headers: raw.headers, body };
    }
    try {
      await protection.requireToken(request, session);
    } catch (error) {
      if (error instanceof CsrfError) return error.getResponse();
      throw error;
    }
    await next();
  };
}

/** Throws unless `protection` is what `createCsrfProtection()` makes. */
function checkProtection(protection: CsrfProtection, action: string): void {
  if (
    typeof protection?.check !== "function" ||
    typeof protection.requireToken !== "function"
  ) {
    throw new TypeError(
      `${action}: protection must be a CSRF protection from createCsrfProtection(), received ${
        describeValue(protection)
      }`,
    );
  }
}

/** The answer to a refused request. */
function forbidden(): Response {
  return new Response("Forbidden", {
    status: 403,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
}
