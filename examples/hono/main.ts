/**
 * A Hono app with sessions: a visit counter, login and logout, and a flash
 * message that survives the redirect after each.
 *
 * The app is the module's default export, which every runtime serves as it
 * is, so this file starts no server itself:
 *
 * - Deno: `deno serve --allow-net examples/hono/main.ts` (port 8000), or
 *   `Deno.serve(app.fetch)` from another module;
 * - Bun: `bun run examples/hono/main.ts` (port 3000), or `Bun.serve(app)`;
 * - Cloudflare Workers: the default export is the Worker (give the manager a
 *   `CloudflareKvStore`: a Worker's memory is not shared between isolates).
 *
 * Node needs an adapter from `fetch` handlers to `node:http`, such as
 * `@hono/node-server`, which this repository does not install.
 *
 * Try it: `curl -c jar -b jar localhost:8000/`, then
 * `curl -c jar -b jar -d user=ada localhost:8000/login` and `/` again.
 *
 * @module
 */
import { Hono } from "hono";
import {
  createSessionManager,
  type Session,
  SessionStoreError,
} from "../../mod.ts";
import { createSessionMiddleware } from "../../src/middleware/hono.ts";

/** The session values. */
interface Data {
  visits: number;
  user: string;
}

/** The flash values: shown once, on the next request. */
interface Flash {
  notice: string;
}

const sessions = createSessionManager<Data, Flash>({
  idleTimeoutSeconds: 30 * 60,
});

const app = new Hono<{ Variables: { session: Session<Data, Flash> } }>();

app.use(createSessionMiddleware(sessions));

app.get("/", (c) => {
  const session = c.get("session");
  const visits = (session.get("visits") ?? 0) + 1;
  session.set("visits", visits);
  return c.json({
    user: session.get("user") ?? null,
    visits,
    notice: session.takeFlash("notice") ?? null,
  });
});

app.post("/login", async (c) => {
  const form = await c.req.parseBody();
  const user = typeof form.user === "string" ? form.user.trim() : "";
  if (user === "" || user.length > 64) {
    return c.json({ error: "user must be 1 to 64 characters" }, 400);
  }
  const session = c.get("session");
  // A new id whenever privileges change: an id planted or seen before the
  // login is worthless after it.
  session.regenerate();
  session.set("user", user);
  session.flash("notice", `Welcome, ${user}`);
  return c.redirect("/", 303);
});

app.post("/logout", (c) => {
  const session = c.get("session");
  session.destroy();
  // Set after destroy(): starts a new, anonymous session for the message.
  session.flash("notice", "Signed out");
  return c.redirect("/", 303);
});

app.onError((error, c) => {
  if (error instanceof SessionStoreError) {
    return c.json({ error: "sessions are unavailable" }, 503);
  }
  console.error(error);
  return c.json({ error: "internal error" }, 500);
});

export default app;
