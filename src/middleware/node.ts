/**
 * Sessions on Node's own servers, without converting requests and responses:
 * a Connect/Express middleware, a Fastify plugin, and the helper both are
 * built on, for plain `node:http` and frameworks on `req`/`res` (Koa too).
 *
 * The session is read from the request's `Cookie` header directly (no
 * `Request` is built), and committed just before the response's headers go
 * out, whatever writes them (`res.send`, `res.json`, `res.redirect`,
 * streaming, `res.end`); its `Set-Cookie` is added to those the response
 * already has. A response with a status of 500 or more commits nothing, as
 * `handler()` commits nothing for a handler that throws.
 *
 * @example Express
 * ```ts ignore
 * import express from "express";
 * import { createSessionManager } from "@sesame/session";
 * import { sessionMiddleware } from "@sesame/session/node";
 *
 * const sessions = createSessionManager<{ visits: number }>();
 * const app = express();
 * app.use(sessionMiddleware(sessions));
 * app.get("/", (req, res) => {
 *   const visits = (req.session.get("visits") ?? 0) + 1;
 *   req.session.set("visits", visits);
 *   res.json({ visits });
 * });
 * app.listen(3000);
 * ```
 *
 * CSRF protection (see `@sesame/session/csrf`) comes as the same pair for
 * each: {@linkcode csrfMiddleware} and {@linkcode fastifyCsrf} refuse
 * cross-origin requests before the session is loaded,
 * {@linkcode csrfTokenMiddleware} and {@linkcode fastifyCsrfToken} require
 * the session's token after it is.
 *
 * It imports neither Express nor Fastify nor `node:http`: it works on the
 * shapes of their request and response objects.
 *
 * @module
 */
import { commitRefused } from "../_csrf_refused.ts";
import { describeValue } from "../_options.ts";
import {
  CsrfError,
  type CsrfProtection,
  type CsrfRequestLike,
} from "../csrf.ts";
import { openNow, type SessionManager } from "../manager.ts";
import type { Session, SessionData } from "../session.ts";
import { commitBeforeHeaders, IncomingSession } from "./_node_response.ts";
import { SessionHandle } from "../_handle.ts";

/**
 * What the helpers read of Node's `IncomingMessage` (Express's `req` and
 * Fastify's `request.raw` are ones).
 */
export interface NodeRequest {
  /** The request headers, lower-cased, as Node parses them. */
  headers: { cookie?: string | undefined };
  /**
   * The connection: `encrypted` is `true` for TLS; `remoteAddress` tells
   * whether the peer is your proxy.
   */
  socket?: {
    encrypted?: boolean;
    readonly remoteAddress?: string | undefined;
  } | null;
}

/**
 * What the helpers use of Node's `ServerResponse` (Express's `res` and
 * Fastify's `reply.raw` are ones).
 */
export interface NodeResponse {
  /** The status code the response is sent with. */
  statusCode: number;
  /** Whether the headers have been sent. */
  readonly headersSent: boolean;
  /** Reads a header set so far. */
  getHeader(name: string): number | string | string[] | undefined;
  /** Sets a header, replacing one of the same name. */
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  /** Sends the status line and the headers. */
  writeHead(...args: unknown[]): unknown;
  /** Sends part of the body (and the headers first, if not sent yet). */
  write(...args: unknown[]): boolean;
  /** Ends the response (sending the headers first, if not sent yet). */
  end(...args: unknown[]): unknown;
}

/**
 * Options of {@linkcode nodeSession} and {@linkcode sessionMiddleware}.
 *
 * @example Behind a proxy that terminates TLS
 * ```ts
 * import type { NodeSessionOptions } from "@sesame/session/node";
 *
 * const options: NodeSessionOptions = {
 *   https: (req) => req.headers["x-forwarded-proto"] === "https",
 * };
 * ```
 */
export interface NodeSessionOptions {
  /**
   * Whether a request came over https, which picks the cookie's name
   * (`__Host-`) and `Secure` when the cookie's `secure` is `"auto"`. The
   * default trusts only the connection itself: behind a proxy that
   * terminates TLS, say how the proxy tells (and trust only your proxy).
   *
   * @default {(req) => req.socket?.encrypted === true}
   */
  https?: (req: NodeRequest & { headers: Record<string, unknown> }) => boolean;
}

/**
 * Options of {@linkcode sessionMiddleware} and {@linkcode fastifySession}.
 *
 * @example A second manager beside the main one
 * ```ts
 * import type { SessionMiddlewareOptions } from "@sesame/session/node";
 *
 * const options: SessionMiddlewareOptions = { property: "adminSession" };
 * ```
 */
export interface SessionMiddlewareOptions extends NodeSessionOptions {
  /**
   * The request property that holds the session: give each of two managers
   * in one app (with different cookie names) its own.
   *
   * @default {"session"}
   */
  property?: string;
}

/** Makes the `SessionRequest` of Node's requests, https told as `options` say. */
function sessionRequests(
  options: NodeSessionOptions,
): (req: NodeRequest) => IncomingSession {
  const https = options.https ??
    ((req: NodeRequest) => req.socket?.encrypted === true);
  return (req) =>
    new IncomingSession(req, https(req as Parameters<typeof https>[0]));
}

/** Whether the session was opened at once, or is on its way. */
function pending<T>(opened: T | Promise<T>): opened is Promise<T> {
  return typeof (opened as Promise<T>).then === "function";
}

/**
 * Opens the session of a request and sets its commit before the response's
 * headers: the session at once when the store answered at once (no promise,
 * no wait for the next microtask), else a promise of it.
 */
function sessionOpener<Data, Flash>(
  sessions: SessionManager<Data, Flash>,
  options: NodeSessionOptions,
): (
  req: NodeRequest,
  res: NodeResponse,
  onError: (error: unknown) => void,
) => Session<Data, Flash> | Promise<Session<Data, Flash>> {
  const requestOf = sessionRequests(options);
  return (req, res, onError) => {
    const opened = openNow(sessions, requestOf(req));
    if (!pending(opened)) {
      commitBeforeHeaders(res, opened, onError);
      return opened;
    }
    return opened.then((session) => {
      commitBeforeHeaders(res, session, onError);
      return session;
    });
  };
}

/** A Connect/Express middleware. */
export type NodeMiddleware = (
  req: NodeRequest,
  res: NodeResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * Loads the session of a `node:http` request and commits it just before the
 * response's headers go out. For plain `node:http` servers and frameworks on
 * `req`/`res`; Express and Fastify have their own helpers below.
 *
 * When the commit fails (a `SessionStoreError`), nothing of the response is
 * sent and `onError` gets the error: it answers instead (a 503, say). It
 * also gets what a call of the route's throws when it had to wait for the
 * commit (an invalid header in `writeHead()`), which the route can no longer
 * catch. When loading fails, the returned promise rejects with the
 * `SessionStoreError`: catch it, as the example does, since an unhandled
 * rejection ends a Node process.
 *
 * @param sessions The session manager.
 * @param options How to tell https requests.
 * @returns `(req, res, onError) => Promise<Session>`.
 *
 * @example A plain node:http server
 * ```ts ignore
 * import { createServer } from "node:http";
 * import { createSessionManager } from "@sesame/session";
 * import { nodeSession } from "@sesame/session/node";
 *
 * const sessions = createSessionManager<{ visits: number }>();
 * const session = nodeSession(sessions);
 *
 * createServer(async (req, res) => {
 *   const unavailable = () => {
 *     res.statusCode = 503;
 *     res.end();
 *   };
 *   // The store failing: loading rejects, committing calls `unavailable`.
 *   const s = await session(req, res, unavailable).catch(() => undefined);
 *   if (s === undefined) return unavailable();
 *   s.set("visits", (s.get("visits") ?? 0) + 1);
 *   res.end(String(s.get("visits")));
 * }).listen(3000);
 * ```
 */
export function nodeSession<Data = SessionData, Flash = SessionData>(
  sessions: SessionManager<Data, Flash>,
  options: NodeSessionOptions = {},
): (
  req: NodeRequest,
  res: NodeResponse,
  onError: (error: unknown) => void,
) => Promise<Session<Data, Flash>> {
  const open = sessionOpener(sessions, options);
  return (req, res, onError) => {
    try {
      const opened = open(req, res, onError);
      return pending(opened) ? opened : Promise.resolve(opened);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/**
 * A Connect/Express middleware: the session on `req.session`, committed just
 * before the response's headers go out. A store failure, when loading or
 * committing, goes to `next(error)` as a `SessionStoreError`, for an error
 * handler to answer (a 503, say).
 *
 * With Express, type `req.session` once for the app:
 * `declare global { namespace Express { interface Request { session: Session<MyData> } } }`.
 *
 * @param sessions The session manager.
 * @param options How to tell https requests.
 * @returns The middleware.
 *
 * @example Express with a 503 on store failure
 * ```ts ignore
 * import express from "express";
 * import { createSessionManager, SessionStoreError } from "@sesame/session";
 * import { sessionMiddleware } from "@sesame/session/node";
 *
 * const app = express();
 * app.use(sessionMiddleware(createSessionManager()));
 * app.use((error, _req, res, next) => {
 *   if (!(error instanceof SessionStoreError)) return next(error);
 *   res.status(503).json({ error: "session store unavailable" });
 * });
 * ```
 */
export function sessionMiddleware<Data = SessionData, Flash = SessionData>(
  sessions: SessionManager<Data, Flash>,
  options: SessionMiddlewareOptions = {},
): NodeMiddleware {
  const open = sessionOpener(sessions, options);
  const property = options.property ?? "session";
  return (req, res, next) => {
    let opened;
    try {
      opened = open(req, res, next);
    } catch (error) {
      next(error);
      return;
    }
    if (pending(opened)) {
      opened.then((session) => {
        (req as unknown as Record<string, unknown>)[property] = session;
        next();
      }, next);
      return;
    }
    (req as unknown as Record<string, unknown>)[property] = opened;
    next();
  };
}

/** What the Fastify plugin uses of a Fastify request. */
export interface FastifyRequestLike {
  /** Node's incoming message. */
  raw: NodeRequest;
}

/** What the Fastify plugin uses of a Fastify reply. */
export interface FastifyReplyLike {
  /** The status code the reply is sent with. */
  statusCode: number;
  /** Adds a header; Fastify keeps every `set-cookie` it is given. */
  header(name: string, value: string): unknown;
}

/**
 * What the Fastify plugin uses of a Fastify instance. Its hooks end through
 * their callback, at once when the store answered at once: Fastify waits for
 * no promise then.
 */
export interface FastifyInstanceLike {
  /** Declares a property of every request. */
  decorateRequest(name: string, value: null): unknown;
  /** Loads the session when a request arrives. */
  addHook(
    name: "onRequest",
    hook: (
      request: FastifyRequestLike,
      reply: FastifyReplyLike,
      done: (error?: Error) => void,
    ) => void,
  ): unknown;
  /** Notes a request whose route failed: it commits nothing. */
  addHook(
    name: "onError",
    hook: (
      request: FastifyRequestLike,
      reply: FastifyReplyLike,
      error: unknown,
      done: () => void,
    ) => void,
  ): unknown;
  /** Commits the session and adds its `Set-Cookie` to the reply. */
  addHook(
    name: "onSend",
    hook: (
      request: FastifyRequestLike,
      reply: FastifyReplyLike,
      payload: unknown,
      done: (error: Error | null, payload?: unknown) => void,
    ) => void,
  ): unknown;
}

/** A Fastify plugin, as `fastify.register()` takes it. */
export type FastifyPlugin = (instance: FastifyInstanceLike) => Promise<void>;

/**
 * A Fastify plugin: the session on `request.session`, committed in `onSend`
 * (so its `Set-Cookie` joins those the route set). A route that fails, or a
 * reply with a status of 500 or more, commits nothing. A store failure, when
 * loading or committing, reaches Fastify's error handler as a
 * `SessionStoreError`, for it to answer (a 503, say).
 *
 * It applies to the context it is registered in and its children (like a
 * plugin wrapped in `fastify-plugin`): register it on the root for the whole
 * app, or in a plugin for that plugin's routes only. Type `request.session`
 * once for the app: `declare module "fastify" { interface FastifyRequest { session: Session<MyData> } }`.
 *
 * @param sessions The session manager.
 * @param options How to tell https requests.
 * @returns The plugin, for `fastify.register()`.
 *
 * @example Fastify
 * ```ts ignore
 * import Fastify from "fastify";
 * import { createSessionManager, type Session } from "@sesame/session";
 * import { fastifySession } from "@sesame/session/node";
 *
 * declare module "fastify" {
 *   interface FastifyRequest {
 *     session: Session<{ visits: number }>;
 *   }
 * }
 *
 * const app = Fastify();
 * await app.register(fastifySession(createSessionManager<{ visits: number }>()));
 * app.get("/", (request) => {
 *   const visits = (request.session.get("visits") ?? 0) + 1;
 *   request.session.set("visits", visits);
 *   return { visits };
 * });
 * await app.listen({ port: 3000 });
 * ```
 */
export function fastifySession<Data = SessionData, Flash = SessionData>(
  sessions: SessionManager<Data, Flash>,
  options: SessionMiddlewareOptions = {},
): FastifyPlugin {
  const requestOf = sessionRequests(options);
  const property = options.property ?? "session";
  const failed = new WeakSet<FastifyRequestLike>();
  // The request's property that holds the session.
  const slots = (request: FastifyRequestLike) =>
    request as unknown as Record<string, Session<Data, Flash> | null>;
  const install = (fastify: FastifyInstanceLike) => {
    fastify.decorateRequest(property, null);
    fastify.addHook("onRequest", (request, _reply, done) => {
      let opened;
      try {
        opened = openNow(sessions, requestOf(request.raw));
      } catch (error) {
        done(error as Error);
        return;
      }
      if (pending(opened)) {
        opened.then((session) => {
          slots(request)[property] = session;
          done();
        }, (error) => done(error as Error));
        return;
      }
      slots(request)[property] = opened;
      done();
    });
    fastify.addHook("onError", (request, _reply, _error, done) => {
      failed.add(request);
      done();
    });
    fastify.addHook("onSend", (request, reply, payload, done) => {
      const session = slots(request)[property];
      if (
        session === undefined || session === null || failed.has(request) ||
        reply.statusCode >= 500 || commitRefused(session)
      ) {
        done(null, payload);
        return;
      }
      let committing;
      try {
        committing = SessionHandle.commitNow(session);
      } catch (error) {
        // The error reply passes here again: it must commit nothing.
        failed.add(request);
        done(error as Error);
        return;
      }
      if (typeof committing === "object") {
        committing.then((setCookie) => {
          if (setCookie !== undefined) reply.header("set-cookie", setCookie);
          done(null, payload);
        }, (error) => {
          failed.add(request);
          done(error as Error);
        });
        return;
      }
      // Answered at once (the memory store): no closure, no promise.
      if (committing !== undefined) reply.header("set-cookie", committing);
      done(null, payload);
    });
  };
  // Fastify reports a plugin's rejection (a second session plugin in one
  // context: "The decorator 'session' has already been added!") as the
  // registration's error; a throw escapes it, and the start hangs.
  const plugin: FastifyPlugin = (fastify) => {
    try {
      install(fastify);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  };
  // As fastify-plugin does: the hooks apply in the context it is registered
  // in, not in a child context of its own.
  Object.assign(plugin, {
    [Symbol.for("skip-override")]: true,
    [Symbol.for("fastify.display-name")]: "@sesame/session",
  });
  return plugin;
}

/** Answers 403 on Node's response. */
function forbid(res: NodeResponse): void {
  res.statusCode = 403;
  res.setHeader("content-type", "text/plain; charset=utf-8");
  res.end("Forbidden");
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

/** Reads the `property` option of the token middlewares. */
function propertyOption(
  options: { property?: string },
  action: string,
): string {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `${action}: options must be an object, received ${
        describeValue(options)
      }`,
    );
  }
  const property = options.property ?? "session";
  if (typeof property !== "string" || property === "") {
    throw new TypeError(
      `${action}: property must be a non-empty string, received ${
        describeValue(property)
      }`,
    );
  }
  return property;
}

/** The session a session middleware put on a request, or a helpful error. */
function sessionOn(request: object, property: string): Session {
  const session = (request as Record<string, unknown>)[property];
  if (typeof session !== "object" || session === null) {
    throw new TypeError(
      `CSRF token check: no session on the request's "${property}"; load the session (sessionMiddleware() or fastifySession()) before it`,
    );
  }
  return session as Session;
}

/**
 * A Connect/Express middleware that answers 403 to an unsafe request from
 * another origin, by `Sec-Fetch-Site` and `Origin` (see
 * `CsrfProtection.check()`); its own host is the request's `Host` header.
 *
 * Mount it before {@linkcode sessionMiddleware}: a refused request then
 * loads no session and commits nothing.
 *
 * @param protection The CSRF protection, from `createCsrfProtection()`.
 * @returns The middleware.
 * @throws {TypeError} When `protection` is not a CSRF protection.
 *
 * @example Express
 * ```ts ignore
 * import express from "express";
 * import { createSessionManager } from "@sesame/session";
 * import { createCsrfProtection } from "@sesame/session/csrf";
 * import { csrfMiddleware, sessionMiddleware } from "@sesame/session/node";
 *
 * const app = express();
 * app.use(csrfMiddleware(createCsrfProtection()));
 * app.use(sessionMiddleware(createSessionManager()));
 * ```
 */
export function csrfMiddleware(protection: CsrfProtection): NodeMiddleware {
  checkProtection(protection, "Cannot create CSRF middleware");
  return (req, res, next) => {
    if (protection.check(req as unknown as CsrfRequestLike).allowed) next();
    else forbid(res);
  };
}

/**
 * Options of {@linkcode csrfTokenMiddleware} and {@linkcode fastifyCsrfToken}.
 *
 * @example The session of a second manager
 * ```ts
 * import type { CsrfTokenOptions } from "@sesame/session/node";
 *
 * const options: CsrfTokenOptions = { property: "adminSession" };
 * ```
 */
export interface CsrfTokenOptions {
  /**
   * The request property that holds the session, as given to the session
   * middleware or plugin.
   *
   * @default {"session"}
   */
  property?: string;
}

/**
 * A Connect/Express middleware that answers 403 to an unsafe request without
 * the session's CSRF token, as `CsrfProtection.requireToken()` decides it;
 * the session of a refused request commits nothing.
 *
 * The token is read from the token header (`x-csrf-token`), or from the form
 * field (`_csrf`) of `req.body`: Node's request has no parsed body, so mount
 * a body parser (`express.urlencoded()` for forms, or one for multipart)
 * before this middleware, and this middleware after
 * {@linkcode sessionMiddleware}, on the app or on the routes that take forms.
 *
 * @param protection The CSRF protection, from `createCsrfProtection()`.
 * @param options The request property that holds the session.
 * @returns The middleware.
 * @throws {TypeError} When `protection` is not a CSRF protection, or the
 * property is not a non-empty string.
 *
 * @example Express with a form
 * ```ts ignore
 * import express from "express";
 * import { createSessionManager } from "@sesame/session";
 * import { createCsrfProtection } from "@sesame/session/csrf";
 * import {
 *   csrfMiddleware,
 *   csrfTokenMiddleware,
 *   sessionMiddleware,
 * } from "@sesame/session/node";
 *
 * const csrf = createCsrfProtection();
 * const app = express();
 * app.use(csrfMiddleware(csrf));
 * app.use(sessionMiddleware(createSessionManager<{ name: string }>()));
 * app.use(express.urlencoded({ extended: false }));
 * app.use(csrfTokenMiddleware(csrf));
 * app.get("/", (req, res) => {
 *   res.send(`<form method="post" action="/name">
 *     <input type="hidden" name="_csrf" value="${csrf.token(req.session)}">
 *     <input name="name"><button>Save</button>
 *   </form>`);
 * });
 * app.post("/name", (req, res) => {
 *   req.session.set("name", String(req.body.name));
 *   res.redirect(303, "/");
 * });
 * ```
 */
export function csrfTokenMiddleware(
  protection: CsrfProtection,
  options: CsrfTokenOptions = {},
): NodeMiddleware {
  const action = "Cannot create CSRF token middleware";
  checkProtection(protection, action);
  const property = propertyOption(options, action);
  return (req, res, next) => {
    let checking: Promise<void>;
    try {
      checking = protection.requireToken(
        req as unknown as CsrfRequestLike,
        sessionOn(req, property),
      );
    } catch (error) {
      next(error);
      return;
    }
    checking.then(() => next(), (error) => {
      if (error instanceof CsrfError) forbid(res);
      else next(error);
    });
  };
}

/** What the Fastify CSRF hooks use of a Fastify reply. */
export interface FastifyCsrfReplyLike {
  /** Sets the status code. */
  code(statusCode: number): unknown;
  /** Sets a header. */
  header(name: string, value: string): unknown;
  /** Sends the reply. */
  send(payload: string): unknown;
}

/** What the Fastify CSRF hooks read of a Fastify request. */
export interface FastifyCsrfRequestLike extends CsrfRequestLike {
  /** The request method. */
  readonly method: string;
}

/** A Fastify hook of the CSRF protection, as `addHook()` and route options take it. */
export type FastifyCsrfHook = (
  request: FastifyCsrfRequestLike,
  reply: FastifyCsrfReplyLike,
  done: (error?: Error) => void,
) => void;

/** What {@linkcode fastifyCsrf} uses of a Fastify instance. */
export interface FastifyCsrfInstanceLike {
  /** Checks a request when it arrives. */
  addHook(name: "onRequest", hook: FastifyCsrfHook): unknown;
}

/** The Fastify plugin of {@linkcode fastifyCsrf}, as `fastify.register()` takes it. */
export type FastifyCsrfPlugin = (
  instance: FastifyCsrfInstanceLike,
) => Promise<void>;

/** Answers 403 on a Fastify reply. */
function refuseReply(reply: FastifyCsrfReplyLike): void {
  reply.code(403);
  reply.header("content-type", "text/plain; charset=utf-8");
  reply.send("Forbidden");
}

/**
 * A Fastify plugin that answers 403 to an unsafe request from another
 * origin, by `Sec-Fetch-Site` and `Origin` (see `CsrfProtection.check()`),
 * in an `onRequest` hook.
 *
 * Register it before {@linkcode fastifySession}, in the same context: its
 * hook then runs first, and a refused request loads no session and commits
 * nothing. Like the session plugin, it applies to the context it is
 * registered in and its children.
 *
 * @param protection The CSRF protection, from `createCsrfProtection()`.
 * @returns The plugin, for `fastify.register()`.
 * @throws {TypeError} When `protection` is not a CSRF protection.
 *
 * @example Fastify
 * ```ts ignore
 * import Fastify from "fastify";
 * import { createSessionManager } from "@sesame/session";
 * import { createCsrfProtection } from "@sesame/session/csrf";
 * import { fastifyCsrf, fastifySession } from "@sesame/session/node";
 *
 * const app = Fastify();
 * await app.register(fastifyCsrf(createCsrfProtection()));
 * await app.register(fastifySession(createSessionManager()));
 * ```
 */
export function fastifyCsrf(protection: CsrfProtection): FastifyCsrfPlugin {
  checkProtection(protection, "Cannot create CSRF plugin");
  const hook: FastifyCsrfHook = (request, reply, done) => {
    // An early reply: Fastify skips the rest of the request's hooks.
    if (protection.check(request).allowed) done();
    else refuseReply(reply);
  };
  const plugin: FastifyCsrfPlugin = (fastify) => {
    try {
      fastify.addHook("onRequest", hook);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  };
  Object.assign(plugin, {
    [Symbol.for("skip-override")]: true,
    [Symbol.for("fastify.display-name")]: "@sesame/session/csrf",
  });
  return plugin;
}

/**
 * A Fastify `preHandler` hook that answers 403 to an unsafe request without
 * the session's CSRF token, as `CsrfProtection.requireToken()` decides it;
 * the session of a refused request commits nothing.
 *
 * The token is read from the token header (`x-csrf-token`), or from the form
 * field (`_csrf`) of `request.body`, which Fastify parses before
 * `preHandler` hooks run: register a parser for forms
 * (`@fastify/formbody`, `@fastify/multipart`). Add it after
 * {@linkcode fastifySession} with `fastify.addHook("preHandler", hook)`, or
 * per route with `{ preHandler: hook }`.
 *
 * @param protection The CSRF protection, from `createCsrfProtection()`.
 * @param options The request property that holds the session.
 * @returns The hook.
 * @throws {TypeError} When `protection` is not a CSRF protection, or the
 * property is not a non-empty string.
 *
 * @example Fastify with a form route
 * ```ts ignore
 * import Fastify from "fastify";
 * import formbody from "@fastify/formbody";
 * import { createSessionManager } from "@sesame/session";
 * import { createCsrfProtection } from "@sesame/session/csrf";
 * import {
 *   fastifyCsrf,
 *   fastifyCsrfToken,
 *   fastifySession,
 * } from "@sesame/session/node";
 *
 * const csrf = createCsrfProtection();
 * const app = Fastify();
 * await app.register(fastifyCsrf(csrf));
 * await app.register(fastifySession(createSessionManager()));
 * await app.register(formbody);
 * app.post("/name", { preHandler: fastifyCsrfToken(csrf) }, (request) => {
 *   request.session.set("name", String(request.body.name));
 *   return { saved: true };
 * });
 * ```
 */
export function fastifyCsrfToken(
  protection: CsrfProtection,
  options: CsrfTokenOptions = {},
): FastifyCsrfHook {
  const action = "Cannot create CSRF token hook";
  checkProtection(protection, action);
  const property = propertyOption(options, action);
  return (request, reply, done) => {
    let checking: Promise<void>;
    try {
      checking = protection.requireToken(request, sessionOn(request, property));
    } catch (error) {
      done(error as Error);
      return;
    }
    checking.then(() => done(), (error) => {
      if (error instanceof CsrfError) refuseReply(reply);
      else done(error as Error);
    });
  };
}
