/// <reference types="@types/bun" />
/**
 * The demo on Elysia and Bun: `npm run demo:elysia` builds it with
 * `bun build` and serves the bundle. `elysiaSession` of
 * `@sesame/session/elysia` puts a typed `session` in every route's context
 * and commits it after the route returned; a store that fails reaches
 * `onError`, which answers 503. The routes and their answers are those of
 * `../demo/routes.ts`. Redis goes through ioredis.
 *
 * @module
 */
import { Elysia } from "elysia";
import { createSessionManager, SessionStoreError } from "../../mod.ts";
import { elysiaSession } from "../../src/middleware/elysia.ts";
import { readDemoConfig } from "../demo/config.ts";
import { connectIoredis, connectIoredisCluster } from "../demo/ioredis.ts";
import {
  count,
  type DemoAnswer,
  type DemoData,
  type DemoPost,
  home,
  HTML_TYPE,
  login,
  logout,
  NOT_FOUND,
  peek,
  STORE_UNAVAILABLE,
} from "../demo/routes.ts";

let config;
try {
  config = await readDemoConfig((name) => process.env[name], {
    name: "Bun",
    redis: connectIoredis,
    redisCluster: connectIoredisCluster,
  });
} catch (error) {
  console.error(`Cannot start the demo: ${(error as Error).message}`);
  process.exit(1);
}

const sessions = createSessionManager<DemoData>(config.sessions);

const app = new Elysia({ strictPath: true })
  // Before the session: a failing store answers 503, other paths 404.
  .onError({ as: "global" }, ({ code, error }) => {
    if (error instanceof SessionStoreError) return json(STORE_UNAVAILABLE);
    if (code === "NOT_FOUND") return json(NOT_FOUND);
  })
  // Elysia answers HEAD with the GET route; the demo has no HEAD routes.
  .onRequest(({ request }) => {
    if (request.method === "HEAD") return json(NOT_FOUND);
  })
  .use(elysiaSession(sessions))
  .get("/count", async ({ session }) => json(await count(session)))
  .get("/peek", ({ session }) => json(peek(session)))
  .post(
    "/login",
    async ({ session, request }) => json(await login(session, post(request))),
    { parse: "none" },
  )
  .post(
    "/logout",
    ({ session, request }) => json(logout(session, post(request))),
    { parse: "none" },
  )
  .get(
    "/",
    ({ session }) =>
      new Response(home(session), { headers: { "Content-Type": HTML_TYPE } }),
  )
  .listen({ hostname: "127.0.0.1", port: config.port });

console.log(`sesame demo listening on http://127.0.0.1:${app.server!.port}/`);

function json({ status, body }: DemoAnswer): Response {
  return Response.json(body, { status });
}

function post(request: Request): DemoPost {
  return {
    origin: request.headers.get("Origin"),
    targetOrigin: new URL(request.url).origin,
    contentType: request.headers.get("Content-Type") ?? "",
    body: async () => new Uint8Array(await request.arrayBuffer()),
  };
}
