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
 * It imports neither Express nor Fastify nor `node:http`: it works on the
 * shapes of their request and response objects.
 *
 * @module
 */
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
        reply.statusCode >= 500
      ) {
        done(null, payload);
        return;
      }
      const send = (setCookie: string | undefined) => {
        if (setCookie !== undefined) reply.header("set-cookie", setCookie);
        done(null, payload);
      };
      const fail = (error: unknown) => {
        // The error reply passes here again: it must commit nothing.
        failed.add(request);
        done(error as Error);
      };
      let committing;
      try {
        committing = SessionHandle.commitNow(session);
      } catch (error) {
        fail(error);
        return;
      }
      if (typeof committing === "object") committing.then(send, fail);
      else send(committing);
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
