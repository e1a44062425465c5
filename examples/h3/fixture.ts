/**
 * An h3 app for `tests/h3_test.ts`, beside the demo: the cases the demo's
 * contract has no route for (see `tests/_framework_suite.ts`). Not a demo:
 * the test runs its build, `node dist/fixture.mjs`.
 *
 * @module
 */
import process from "node:process";
import {
  defineHandler,
  H3,
  HTTPError,
  redirect,
  setCookie,
  setResponseStatus,
} from "h3";
import { serve } from "srvx";
import {
  createSessionManager,
  MemoryStore,
  type Session,
  SessionStoreError,
} from "../../mod.ts";
import { h3Session } from "../../src/middleware/h3.ts";
import { RedisStore } from "../../src/stores/redis.ts";

type Data = { count: number; user: string };

declare module "h3" {
  interface H3EventContext {
    session: Session<Data>;
  }
}

// STORE=down: every call of the store fails.
const store = process.env.STORE === "down"
  ? new RedisStore({
    client: { eval: () => Promise.reject(new Error("connection refused")) },
  })
  : new MemoryStore();

const app = new H3({
  silent: true,
  onError: (error) =>
    error.cause instanceof SessionStoreError
      ? new Response("store down", { status: 503 })
      : undefined,
})
  .use(h3Session(createSessionManager<Data>({ store })))
  .get("/peek", (event) => ({
    count: event.context.session.get("count") ?? null,
    user: event.context.session.get("user") ?? null,
  }))
  .get("/count", (event) => {
    const session = event.context.session;
    const count = (session.get("count") ?? 0) + 1;
    session.set("count", count);
    return { count };
  })
  .post("/login", (event) => {
    event.context.session.regenerate();
    event.context.session.set("user", "ada");
    return redirect("/peek", 303);
  })
  .post("/logout", (event) => {
    event.context.session.destroy();
    return Response.redirect("http://127.0.0.1/", 303);
  })
  .get("/stream", (event) => {
    event.context.session.set("count", 42);
    const encoder = new TextEncoder();
    let n = 0;
    return new Response(
      new ReadableStream({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          if (++n > 3) controller.close();
          else controller.enqueue(encoder.encode(`chunk ${n}\n`));
        },
      }),
      { headers: { "Content-Type": "text/plain" } },
    );
  })
  .get("/throw", (event) => {
    event.context.session.set("count", 1000);
    throw new HTTPError({ status: 500, message: "the route failed" });
  })
  .get("/status500", (event) => {
    event.context.session.set("count", 1000);
    setResponseStatus(event, 500);
    return "failed";
  })
  .get("/theme", (event) => {
    setCookie(event, "theme", "dark", { path: "/", httpOnly: true });
    event.context.session.set("count", 7);
    return { theme: "dark" };
  })
  .get(
    "/forbidden",
    defineHandler((event) => {
      event.context.session.set("count", 403);
      return new Response("no", { status: 403 });
    }),
  );

const server = serve({
  fetch: app.fetch,
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  silent: true,
  // SIGTERM ends the process at once, as it ends the other demos on Node
  // (srvx would close gracefully, and an open Redis connection would keep
  // the process alive after that).
  gracefulShutdown: false,
});
await server.ready();
const { port } = new URL(server.url!);
console.log(`fixture listening on http://127.0.0.1:${port}/`);
