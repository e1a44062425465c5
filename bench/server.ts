/**
 * A hello-world HTTP server for the HTTP part of the benchmark, bare or with
 * sesame, on 127.0.0.1 and a port of the system's choosing, which it prints
 * as `listening on <port>`. `run.ts` starts and stops it; by hand:
 *
 * ```sh
 * deno run -A bench/server.ts --app sesame
 * bun bench/server.ts --app sesame --store redis --redis redis://127.0.0.1:6379
 * node --import tsx bench/server.ts --server hono-node --app bare
 * ```
 *
 * Options:
 * - `--server`: `deno` (`Deno.serve`), `bun` (`Bun.serve`), `hono-node`
 *   (`@hono/node-server`, which builds the `Request` lazily; sesame through
 *   `sessions.handler()`), `node-http` (plain node:http, no
 *   conversion; sesame through `@sesame/session/node`'s `nodeSession`),
 *   `express` (Express 5; sesame through `sessionMiddleware`) or `fastify`
 *   (Fastify 5; sesame through `fastifySession`); by default the runtime's
 *   own;
 * - `--app`: `bare` (answers "Hello, world"), `bare-async` (the same from
 *   an async function), `floor` (the floor of a returning visitor: the
 *   `Cookie` header looked up in a `Map`, a JSON record parsed, incremented
 *   and stringified back), `sesame` (adds 1 to the session's `visits`, then
 *   answers the same), on `node-http` and `express` `express-session`
 *   (the same with express-session's MemoryStore), and on `fastify`
 *   `fastify-session` (`@fastify/session` with its MemoryStore, as its
 *   README configures it);
 * - `--store`: `memory` (default) or `redis` (with `--redis <url>`).
 *
 * @module
 */
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import process from "node:process";
// @ts-types="./_express_session.d.ts"
import expressSession from "express-session";
import { serve as serveHono } from "@hono/node-server";
import express from "express";
import Fastify from "fastify";
import fastifyCookie from "@fastify/cookie";
import fastifySessionPlugin from "@fastify/session";
import { createSessionManager, MemoryStore } from "../mod.ts";
import {
  fastifySession,
  nodeSession,
  sessionMiddleware,
} from "../src/middleware/node.ts";
import { RedisStore } from "../src/stores/redis.ts";
import { connectRedis } from "./_redis.ts";
import { runtime } from "./_runtime.ts";

declare module "fastify" {
  /** What the `fastify-session` app keeps in `@fastify/session`'s session. */
  interface Session {
    visits?: number;
  }
}

/** The servers this file can start. */
export type ServerName =
  | "deno"
  | "bun"
  | "hono-node"
  | "node-http"
  | "express"
  | "fastify";

/** The applications this file can serve. */
export type AppName =
  | "bare"
  | "bare-async"
  | "floor"
  | "sesame"
  | "express-session"
  | "fastify-session";

const BODY = "Hello, world";
const HEADERS = { "content-type": "text/plain;charset=UTF-8" };

interface Options {
  server: ServerName;
  app: AppName;
  store: "memory" | "redis";
  redis?: string;
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    server: runtime === "node" ? "hono-node" : runtime,
    app: "bare",
    store: "memory",
  };
  for (let i = 0; i < args.length; i += 2) {
    const [name, value] = [args[i], args[i + 1]];
    if (name === "--server") options.server = value as ServerName;
    else if (name === "--app") options.app = value as AppName;
    else if (name === "--store") options.store = value as "memory" | "redis";
    else if (name === "--redis") options.redis = value;
    else throw new Error(`Unknown option ${name}`);
  }
  return options;
}

/** A fetch-style handler for the app. */
async function fetchHandler(
  options: Options,
): Promise<(request: Request) => Response | Promise<Response>> {
  if (options.app === "bare") return () => new Response(BODY);
  // What an async handler costs by itself: sesame's handler is one.
  // deno-lint-ignore require-await
  if (options.app === "bare-async") return async () => new Response(BODY);
  if (options.app === "floor") return floorHandler();
  if (options.app !== "sesame") {
    throw new Error(`--app ${options.app} needs --server node-http`);
  }
  const sessions = await sesameManager(options);
  return sessions.handler((_request, session) => {
    const visits = (session.get("visits") ?? 0) + 1;
    session.set("visits", visits);
    return new Response(BODY);
  });
}

/**
 * The floor of a returning visitor as a handler: read the `Cookie` header,
 * look its value up in a `Map`, parse the record, add 1, stringify it back.
 * No validation, no expiry, no cookie to send: what a session layer cannot
 * do without.
 */
function floorHandler(): (request: Request) => Response {
  const records = new Map<string, string>();
  return (request) => {
    const id = request.headers.get("cookie") ?? "";
    const text = records.get(id);
    const record = text === undefined
      ? { createdAt: Date.now(), data: { visits: 0 } }
      : JSON.parse(text);
    record.data.visits++;
    records.set(id, JSON.stringify(record));
    return new Response(BODY);
  };
}

/** The manager of the `sesame` app, over the store the options name. */
async function sesameManager(options: Options) {
  let store;
  if (options.store === "redis") {
    if (options.redis === undefined) {
      throw new Error("--store redis needs --redis");
    }
    store = new RedisStore({ client: await connectRedis(options.redis) });
  } else {
    store = new MemoryStore();
  }
  return createSessionManager<{ visits: number }>({ store });
}

/** A node:http listener for the app, without a `Request` in between. */
async function nodeListener(
  options: Options,
): Promise<(req: IncomingMessage, res: ServerResponse) => void> {
  if (options.app === "bare") {
    return (_req, res) => {
      res.writeHead(200, HEADERS);
      res.end(BODY);
    };
  }
  if (options.app === "sesame") {
    const session = nodeSession(await sesameManager(options));
    const failed = (res: ServerResponse) => () => {
      res.writeHead(503);
      res.end();
    };
    return async (req, res) => {
      const loaded = await session(req, res, failed(res));
      loaded.set("visits", (loaded.get("visits") ?? 0) + 1);
      res.writeHead(200, HEADERS);
      res.end(BODY);
    };
  }
  if (options.app !== "express-session") {
    throw new Error(`--app ${options.app} needs --server hono-node`);
  }
  return expressSessionListener();
}

/** express-session as its README configures it, with its MemoryStore. */
function expressSessionMiddleware() {
  return expressSession({
    secret: "a-32-character-benchmark-secret!-0123456789abcdef",
    name: "sid",
    resave: false,
    saveUninitialized: false,
    store: new expressSession.MemoryStore(),
    cookie: { maxAge: 1_800_000, sameSite: "lax", httpOnly: true },
  });
}

/** A visit counted in express-session's `req.session`. */
function countVisit(req: IncomingMessage): void {
  const session = (req as unknown as { session: { visits?: number } }).session;
  session.visits = (session.visits ?? 0) + 1;
}

/** express-session on plain node:http. */
function expressSessionListener(): (
  req: IncomingMessage,
  res: ServerResponse,
) => void {
  const middleware = expressSessionMiddleware();
  return (req, res) => {
    middleware(req, res, (error) => {
      if (error) {
        res.writeHead(500);
        res.end();
        return;
      }
      countVisit(req);
      res.writeHead(200, HEADERS);
      res.end(BODY);
    });
  };
}

/** An Express 5 app for the app. */
async function expressApp(options: Options): Promise<express.Express> {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  if (options.app === "sesame") {
    app.use(sessionMiddleware(await sesameManager(options)));
  } else if (options.app === "express-session") {
    app.use(expressSessionMiddleware() as unknown as express.RequestHandler);
  } else if (options.app !== "bare") {
    throw new Error(`--app ${options.app} is not served by express`);
  }
  app.get("/", (req, res) => {
    const session = (req as unknown as {
      session?: {
        get(key: "visits"): number | undefined;
        set(key: "visits", value: number): void;
      };
    }).session;
    if (options.app === "sesame") {
      session!.set("visits", (session!.get("visits") ?? 0) + 1);
    } else if (options.app === "express-session") {
      countVisit(req);
    }
    res.type("text/plain").send(BODY);
  });
  return app;
}

/** A Fastify 5 app for the app. */
async function fastifyApp(options: Options) {
  const app = Fastify();
  if (options.app === "sesame") {
    await app.register(fastifySession(await sesameManager(options)));
  } else if (options.app === "fastify-session") {
    await app.register(fastifyCookie);
    await app.register(fastifySessionPlugin, {
      secret: "a-32-character-benchmark-secret!-0123456789abcdef",
      cookieName: "sid",
      saveUninitialized: false,
      cookie: { secure: false, maxAge: 1_800_000, sameSite: "lax" },
    });
  } else if (options.app !== "bare") {
    throw new Error(`--app ${options.app} is not served by fastify`);
  }
  app.get("/", (request, reply) => {
    if (options.app === "sesame") {
      const session = (request as unknown as {
        session: {
          get(key: "visits"): number | undefined;
          set(key: "visits", value: number): void;
        };
      }).session;
      session.set("visits", (session.get("visits") ?? 0) + 1);
    } else if (options.app === "fastify-session") {
      const session = request.session;
      session.set("visits", (session.get("visits") ?? 0) + 1);
    }
    reply.type("text/plain;charset=UTF-8").send(BODY);
  });
  return app;
}

interface BunServe {
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request) => Response | Promise<Response>;
  }): { port: number };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const listening = (port: number) => console.log(`listening on ${port}`);
  switch (options.server) {
    case "deno":
      Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        onListen: ({ port }) => listening(port),
      }, await fetchHandler(options));
      break;
    case "bun": {
      const bun = (globalThis as unknown as { Bun: BunServe }).Bun;
      const server = bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch: await fetchHandler(options),
      });
      listening(server.port);
      break;
    }
    case "hono-node": {
      serveHono({
        fetch: await fetchHandler(options),
        hostname: "127.0.0.1",
        port: 0,
      }, (info) => listening(info.port));
      break;
    }
    case "node-http": {
      const server = createServer(await nodeListener(options));
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        if (typeof address === "object" && address !== null) {
          listening(address.port);
        }
      });
      break;
    }
    case "express": {
      const server = (await expressApp(options)).listen(0, "127.0.0.1", () => {
        const address = server.address();
        if (typeof address === "object" && address !== null) {
          listening(address.port);
        }
      });
      break;
    }
    case "fastify": {
      const app = await fastifyApp(options);
      await app.listen({ host: "127.0.0.1", port: 0 });
      const address = app.server.address();
      if (typeof address === "object" && address !== null) {
        listening(address.port);
      }
      break;
    }
    default:
      throw new Error(`Unknown server ${options.server}`);
  }
}

await main();
