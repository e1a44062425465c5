/**
 * The demo on h3 v2, served by srvx on Node: `npm run demo:h3` bundles it
 * with esbuild and serves the bundle. `h3Session` of `@sesame/session/h3`
 * puts the session on `event.context.session` (typed below, for the whole
 * app) and commits it when the handler has answered; a store that fails
 * reaches `onError`, which answers 503. The routes and their answers are
 * those of `../demo/routes.ts`. Redis goes through ioredis.
 *
 * @module
 */
import process from "node:process";
import { defineHandler, H3, type H3Event } from "h3";
import { serve } from "srvx";
import {
  createSessionManager,
  type Session,
  SessionStoreError,
} from "../../mod.ts";
import { h3Session } from "../../src/middleware/h3.ts";
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

declare module "h3" {
  interface H3EventContext {
    session: Session<DemoData>;
  }
}

let config;
try {
  config = await readDemoConfig((name) => process.env[name], {
    name: "Node",
    redis: connectIoredis,
    redisCluster: connectIoredisCluster,
  });
} catch (error) {
  console.error(`Cannot start the demo: ${(error as Error).message}`);
  process.exit(1);
}

const app = new H3({
  // h3 wraps what a handler throws in an HTTPError, the original as cause.
  onError: (error) =>
    error.cause instanceof SessionStoreError || error instanceof
        SessionStoreError
      ? json(STORE_UNAVAILABLE)
      : undefined,
})
  // h3 answers HEAD with the GET route and /count/ with /count; the demo
  // has neither.
  .use((event, next) =>
    event.req.method === "HEAD" ||
      (event.url.pathname !== "/" && event.url.pathname.endsWith("/"))
      ? json(NOT_FOUND)
      : next()
  )
  .use(h3Session(createSessionManager<DemoData>(config.sessions)))
  .get(
    "/count",
    defineHandler(async (event) => json(await count(event.context.session))),
  )
  .get("/peek", defineHandler((event) => json(peek(event.context.session))))
  .post(
    "/login",
    defineHandler(async (event) =>
      json(await login(event.context.session, post(event)))
    ),
  )
  .post(
    "/logout",
    defineHandler((event) => json(logout(event.context.session, post(event)))),
  )
  .get(
    "/",
    defineHandler((event) =>
      new Response(home(event.context.session), {
        headers: { "Content-Type": HTML_TYPE },
      })
    ),
  )
  .all("/**", () => json(NOT_FOUND));

const server = serve({
  fetch: app.fetch,
  hostname: "127.0.0.1",
  port: config.port,
  silent: true,
  // SIGTERM ends the process at once, as it ends the other demos on Node
  // (srvx would close gracefully, and an open Redis connection would keep
  // the process alive after that).
  gracefulShutdown: false,
});
await server.ready();
const { port } = new URL(server.url!);
console.log(`sesame demo listening on http://127.0.0.1:${port}/`);

function json({ status, body }: DemoAnswer): Response {
  return Response.json(body, { status });
}

function post(event: H3Event): DemoPost {
  return {
    origin: event.req.headers.get("Origin"),
    targetOrigin: event.url.origin,
    contentType: event.req.headers.get("Content-Type") ?? "",
    body: async () => new Uint8Array(await event.req.arrayBuffer()),
  };
}
