/**
 * Sessions for [Elysia](https://elysiajs.com) apps on Bun: a plugin that
 * loads the request's session into the context (`derive`), typed, and
 * commits it after the route handled the request (`onAfterHandle`), adding
 * its `Set-Cookie` to the response beside the cookies the route set.
 *
 * This module does not import Elysia: the plugin is a function that
 * `app.use()` calls with the app, and its type tells Elysia what it adds to
 * the context, so that `session` is a `Session<Data>` in every route after
 * it, without a cast.
 *
 * @example A visit counter
 * ```ts ignore
 * import { Elysia } from "elysia";
 * import { createSessionManager } from "@sesame/session";
 * import { elysiaSession } from "@sesame/session/elysia";
 *
 * const sessions = createSessionManager<{ visits: number }>();
 *
 * new Elysia()
 *   .use(elysiaSession(sessions))
 *   .get("/", ({ session }) => {
 *     const visits = (session.get("visits") ?? 0) + 1;
 *     session.set("visits", visits);
 *     return { visits };
 *   })
 *   .listen(3000);
 * ```
 *
 * It is not a cookie helper for other cookies (use Elysia's `cookie`), and
 * it saves only what a route changed before it returned: changes made inside
 * a generator or a stream body are not saved, because the response's headers
 * are gone by then. Outside Elysia, use `SessionManager.handler()` or
 * `SessionManager.load()`.
 *
 * @module
 */
import { describeValue } from "../_options.ts";
import { adapterName } from "./_adapter_options.ts";
import type { SessionManager } from "../manager.ts";
import type { Session, SessionData } from "../session.ts";
import { failedStatus, putSetCookie } from "./_elysia_response.ts";

/**
 * Options of {@linkcode elysiaSession}.
 *
 * @typeParam Name The name of the context property.
 *
 * @example Keep the session under `auth`
 * ```ts
 * import type { ElysiaSessionOptions } from "@sesame/session/elysia";
 *
 * const options: ElysiaSessionOptions<"auth"> = { name: "auth" };
 * ```
 */
export interface ElysiaSessionOptions<Name extends string = "session"> {
  /**
   * The context property that holds the session. Give each plugin its own
   * when one app uses two managers (with different cookie names).
   *
   * @default {"session"}
   */
  name?: Name;
  /**
   * Where the hooks apply, in Elysia's terms: `"scoped"` for the app that
   * uses the plugin and the one that uses that app, `"global"` for every
   * app up the chain, `"local"` for the app that uses it only.
   *
   * @default {"scoped"}
   */
  as?: "local" | "scoped" | "global";
}

/**
 * What the plugin's hooks read of Elysia's context; Elysia's `Context` has
 * all of it.
 *
 * @example The context of a request, as a test might make it
 * ```ts
 * import type { ElysiaContextLike } from "@sesame/session/elysia";
 *
 * const context: ElysiaContextLike = {
 *   request: new Request("http://localhost/"),
 *   set: { headers: {} },
 * };
 * ```
 */
export interface ElysiaContextLike {
  /** The request, whose `Cookie` header names the session. */
  readonly request: Request;
  /** The response in the making: its status, headers and cookies. */
  readonly set: {
    status?: number | string;
    headers: Record<string, unknown>;
    cookie?: Record<string, unknown>;
  };
}

/**
 * The lifecycle hooks of Elysia that the plugin registers, typed loosely;
 * an `Elysia` instance has them.
 *
 * @example What the plugin asks of the app
 * ```ts
 * import type { ElysiaAppLike } from "@sesame/session/elysia";
 *
 * const registered: string[] = [];
 * const app: ElysiaAppLike = {
 *   derive: () => registered.push("derive"),
 *   onAfterHandle: () => registered.push("onAfterHandle"),
 * };
 * ```
 */
export interface ElysiaAppLike {
  /** Adds properties to the context of every request. */
  derive(
    options: { as: "local" | "scoped" | "global" },
    derive: (context: ElysiaContextLike) => unknown,
  ): unknown;
  /** Runs after a route returned, before the response is made. */
  onAfterHandle(
    options: { as: "local" | "scoped" | "global" },
    hook: (context: ElysiaContextLike) => unknown,
  ): unknown;
}

/**
 * An Elysia plugin that gives each request its session, as made by
 * {@linkcode elysiaSession}: `app.use()` calls it with the app, and its
 * result's type adds `{ [name]: Session<Data, Flash> }` to the context of
 * the routes that follow.
 *
 * @typeParam Data The shape of the session's values.
 * @typeParam Flash The shape of its flash values.
 * @typeParam Name The name of the context property.
 * @typeParam Scope Where the hooks apply.
 *
 * @example Share one plugin between apps
 * ```ts ignore
 * import { Elysia } from "elysia";
 * import { createSessionManager } from "@sesame/session";
 * import { elysiaSession, type ElysiaSession } from "@sesame/session/elysia";
 *
 * // One plugin value: a request that passes both loads its session once.
 * const withSession: ElysiaSession = elysiaSession(createSessionManager());
 * const account = new Elysia({ prefix: "/account" })
 *   .use(withSession) // for the types of the routes below
 *   .get("/", ({ session }) => ({ id: session.isNew ? null : "known" }));
 * new Elysia().use(withSession).use(account).listen(3000);
 * ```
 */
export type ElysiaSession<
  Data = SessionData,
  Flash = SessionData,
  Name extends string = "session",
  Scope extends "local" | "scoped" | "global" = "scoped",
> = <App extends ElysiaAppLike>(
  app: App,
) =>
  & App
  & ElysiaContextAddition<Scope, { [Key in Name]: Session<Data, Flash> }>;

/**
 * Where Elysia keeps the types of what a plugin adds to the context: its
 * `use()` reads them from the plugin's result, by scope.
 *
 * @typeParam Scope Where the hooks apply.
 * @typeParam Added The properties added to the context.
 *
 * @example The session added to the routes of the app and its parent
 * ```ts
 * import type { Session } from "@sesame/session";
 * import type { ElysiaContextAddition } from "@sesame/session/elysia";
 *
 * type Added = ElysiaContextAddition<"scoped", { session: Session }>;
 * ```
 */
export type ElysiaContextAddition<Scope, Added> = Scope extends "global"
  ? { "~Singleton": { derive: Added } }
  : Scope extends "local" ? { "~Volatile": { derive: Added } }
  : { "~Ephemeral": { derive: Added } };

const ACTION = "Cannot create Elysia session plugin";
const SCOPES = ["local", "scoped", "global"];

/**
 * Creates an Elysia plugin that loads the request's session into the
 * context, and commits it after the route returned, adding its `Set-Cookie`
 * to the response.
 *
 * The cookie goes out with whatever the route returns: a value, a
 * `Response` (also one with immutable headers, such as
 * `Response.redirect()`), `redirect()`, `status()`; and beside the cookies
 * the route set through Elysia's `cookie` (the plugin adds the session's to
 * the same jar, with the attributes the manager chose). A session that was
 * only read sends no cookie. A route that throws, or answers with a status
 * of 500 or more, commits nothing. A route that shows the result of
 * `update()` should `await session.commit()` before answering; the plugin's
 * own commit then only sends the cookie.
 *
 * The manager's run-time errors reach Elysia's `onError` like a route's: a
 * `SessionStoreError` when the store fails while the session is loaded or
 * committed (answer 503 there), a `SessionConflictError` when concurrent
 * requests keep changing the session past the retries.
 *
 * Do not sign every cookie (`cookie: { sign: true }` in Elysia's options):
 * the session cookie carries its own proof; list the names to sign instead.
 *
 * @typeParam Data The shape of the session's values, from the manager.
 * @typeParam Flash The shape of its flash values, from the manager.
 * @typeParam Name The name of the context property, from the options.
 * @typeParam Scope Where the hooks apply, from the options.
 * @param sessions The session manager.
 * @param options The context property's name and the hooks' scope.
 * @returns The plugin, for `app.use()`.
 * @throws {TypeError} When `sessions` is not a session manager, `options`
 * is not an object, the name is not a non-empty string, or `as` is not one
 * of Elysia's scopes.
 *
 * @example Log in, count, log out, and answer 503 while the store is down
 * ```ts ignore
 * import { Elysia } from "elysia";
 * import { createSessionManager, SessionStoreError } from "@sesame/session";
 * import { elysiaSession } from "@sesame/session/elysia";
 *
 * const sessions = createSessionManager<{ user: string; count: number }>();
 *
 * new Elysia()
 *   .onError(({ error }) => {
 *     if (error instanceof SessionStoreError) {
 *       return new Response("Service unavailable", { status: 503 });
 *     }
 *   })
 *   .use(elysiaSession(sessions))
 *   .post("/login", ({ session, redirect }) => {
 *     session.regenerate(); // a new id whenever privileges change
 *     session.set("user", "ada");
 *     return redirect("/", 303);
 *   })
 *   .post("/count", async ({ session }) => {
 *     session.update("count", (count = 0) => count + 1);
 *     await session.commit(); // so that the answer shows the saved count
 *     return { count: session.get("count") };
 *   })
 *   .post("/logout", ({ session, redirect }) => {
 *     session.destroy();
 *     return redirect("/", 303);
 *   })
 *   .listen(3000);
 * ```
 */
export function elysiaSession<
  Data = SessionData,
  Flash = SessionData,
  const Name extends string = "session",
  const Scope extends "local" | "scoped" | "global" = "scoped",
>(
  sessions: SessionManager<Data, Flash>,
  options: ElysiaSessionOptions<Name> & { as?: Scope } = {},
): ElysiaSession<Data, Flash, Name, Scope> {
  const name = adapterName(ACTION, sessions, options, "name", "session");
  const as = options.as ?? "scoped";
  if (!SCOPES.includes(as)) {
    throw new TypeError(
      `${ACTION}: as must be "local", "scoped" or "global", received ${
        describeValue(as)
      }`,
    );
  }
  // Each request's session, for the hook that commits it.
  const opened = new WeakMap<Request, Session<Data, Flash>>();
  const plugin = (app: ElysiaAppLike) => {
    app.derive({ as }, async ({ request }) => {
      // One plugin used by an app and its child (for the child's types)
      // loads the session once.
      let session = opened.get(request);
      if (session === undefined) {
        session = await sessions.load(request);
        opened.set(request, session);
      }
      return { [name]: session };
    });
    app.onAfterHandle({ as }, async (context) => {
      const session = opened.get(context.request);
      if (session === undefined) return;
      opened.delete(context.request);
      if (failedStatus(context)) return;
      const setCookie = await session.commit();
      if (setCookie !== undefined) putSetCookie(context.set, setCookie);
    });
    return app;
  };
  return plugin as unknown as ElysiaSession<Data, Flash, Name, Scope>;
}
