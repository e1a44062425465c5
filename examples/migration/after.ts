/**
 * After the migration: the app of `before.ts` on sesame, with the same
 * routes and the same node-redis client. What changed, line by line:
 * `sessionMiddleware(createSessionManager({ store: new RedisStore(...) }))`
 * instead of `session({ store, secret, ... })` (no secret: ids are 256
 * random bits and the store sees only their digests); `req.session.get()` /
 * `set()` instead of properties; `regenerate()` keeps the values and needs
 * no callback; `destroy()` expires the cookie itself; the session is
 * committed as the response goes out, compare-and-set in Redis.
 *
 * ```sh
 * REDIS_URL=redis://127.0.0.1:6379 node --import tsx examples/migration/after.ts
 * ```
 *
 * @module
 */
import process from "node:process";
import express from "express";
import { createClient } from "redis";
import { createSessionManager, type Session } from "../../mod.ts";
import { sessionMiddleware } from "../../src/middleware/node.ts";
import { RedisStore } from "../../src/stores/redis.ts";

type Data = { count: number; user: string };

/** The session of a request, as `sessionMiddleware` put it there. */
const sessionOf = (req: express.Request) =>
  (req as unknown as { session: Session<Data> }).session;

/** What the app uses of a node-redis client. */
export interface NodeRedis {
  eval(
    script: string,
    options: { keys: string[]; arguments: string[] },
  ): Promise<unknown>;
}

/** The app, over a node-redis client that is connected. */
export function createApp(redis: NodeRedis): express.Express {
  const sessions = createSessionManager<Data>({
    store: new RedisStore({
      client: { eval: (s, k, a) => redis.eval(s, { keys: k, arguments: a }) },
    }),
    idleTimeoutSeconds: 30 * 60,
  });
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(sessionMiddleware(sessions));

  app.get("/count", (req, res) => {
    const count = sessionOf(req).update("count", (n = 0) => n + 1);
    res.json({ count });
  });
  app.post("/login", (req, res) => {
    const user = String(req.body?.user ?? "").trim();
    if (user === "") return void res.status(400).json({ error: "user" });
    sessionOf(req).regenerate();
    sessionOf(req).set("user", user);
    res.json({ user });
  });
  app.get("/peek", (req, res) => {
    const session = sessionOf(req);
    res.json({
      count: session.get("count") ?? null,
      user: session.get("user") ?? null,
    });
  });
  app.post("/logout", (req, res) => {
    sessionOf(req).destroy();
    res.json({ user: null });
  });
  return app;
}

if (import.meta.main ?? process.argv[1]?.endsWith("after.ts")) {
  const redis = createClient({ url: process.env.REDIS_URL });
  await redis.connect();
  createApp(redis).listen(Number(process.env.PORT ?? 8000), "127.0.0.1");
}
