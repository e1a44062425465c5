/// <reference types="@types/bun" />
/**
 * An Elysia app for `tests/elysia_test.ts`, beside the demo: the cases the
 * demo's contract has no route for (a redirect after login, a streaming
 * answer, a route that throws or answers 500, Elysia's own cookies, a store
 * that is down). Not a demo: run by the test with `bun fixture.ts`.
 *
 * @module
 */
import { Elysia } from "elysia";
import {
  createSessionManager,
  MemoryStore,
  SessionStoreError,
} from "../../mod.ts";
import { elysiaSession } from "../../src/middleware/elysia.ts";
import { RedisStore } from "../../src/stores/redis.ts";

type Data = { count: number; user: string };

// STORE=down: every call of the store fails.
const store = process.env.STORE === "down"
  ? new RedisStore({
    client: { eval: () => Promise.reject(new Error("connection refused")) },
  })
  : new MemoryStore();
const sessions = createSessionManager<Data>({ store });
const withSession = elysiaSession(sessions);

// A child app that uses the same plugin, for its routes' types.
const child = new Elysia({ prefix: "/child" })
  .use(withSession)
  .get("/count", ({ session }) => {
    const count = (session.get("count") ?? 0) + 1;
    session.set("count", count);
    return { count };
  });

const app = new Elysia()
  .onError(({ error }) => {
    if (error instanceof SessionStoreError) {
      return new Response("store down", { status: 503 });
    }
  })
  .use(withSession)
  .use(child)
  .get("/peek", ({ session }) => ({
    count: session.get("count") ?? null,
    user: session.get("user") ?? null,
  }))
  .get("/count", ({ session }) => {
    const count = (session.get("count") ?? 0) + 1;
    session.set("count", count);
    return { count };
  })
  .post("/login", ({ session, redirect }) => {
    session.regenerate();
    session.set("user", "ada");
    return redirect("/peek", 303);
  })
  .post("/logout", ({ session }) => {
    session.destroy();
    return Response.redirect("http://127.0.0.1/", 303);
  })
  .get("/stream", ({ session }) => {
    session.set("count", 42);
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
  .get("/throw", ({ session }) => {
    session.set("count", 1000);
    throw new Error("the route failed");
  })
  .get("/status500", ({ session, status }) => {
    session.set("count", 1000);
    return status(500, "failed");
  })
  .get("/theme", ({ session, cookie: { theme } }) => {
    theme.set({ value: "dark", path: "/", httpOnly: true });
    session.set("count", 7);
    return { theme: "dark" };
  })
  .get("/header-cookie", ({ session, set }) => {
    set.headers["set-cookie"] = "lang=en; Path=/";
    session.set("count", 8);
    return { lang: "en" };
  })
  .listen({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0) });

console.log(`fixture listening on http://127.0.0.1:${app.server!.port}/`);
