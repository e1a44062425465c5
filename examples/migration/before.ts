/**
 * Before the migration: an Express 5 app with express-session and
 * connect-redis over node-redis. `after.ts` is the same app on sesame;
 * tests/migration_test.ts runs both against a real redis-server and checks
 * that they answer alike.
 *
 * ```sh
 * REDIS_URL=redis://127.0.0.1:6379 node --import tsx examples/migration/before.ts
 * ```
 *
 * @module
 */
import process from "node:process";
import express from "express";
// express-session ships no types; this one file of the benchmark has them.
// @ts-types="../../bench/_express_session.d.ts"
import session from "express-session";
import { RedisStore } from "connect-redis";
import { createClient } from "redis";

/** express-session's `req.session`, as this app uses it. */
interface ExpressSession {
  count?: number;
  user?: string;
  regenerate(done: (error?: unknown) => void): void;
  destroy(done: (error?: unknown) => void): void;
}

const sessionOf = (req: express.Request) =>
  (req as unknown as { session: ExpressSession }).session;

/** The app, over a node-redis client that is connected. */
export function createApp(redis: unknown): express.Express {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(session({
    store: new RedisStore({ client: redis, prefix: "sess:" }),
    secret: process.env.SESSION_SECRET ?? "a secret of at least 32 characters!",
    name: "sid",
    resave: false,
    saveUninitialized: false,
    rolling: false,
    cookie: { httpOnly: true, sameSite: "lax", maxAge: 30 * 60 * 1000 },
  }));

  app.get("/count", (req, res) => {
    const data = sessionOf(req);
    data.count = (data.count ?? 0) + 1;
    res.json({ count: data.count });
  });
  app.post("/login", (req, res, next) => {
    const user = String(req.body?.user ?? "").trim();
    if (user === "") return void res.status(400).json({ error: "user" });
    // express-session's regenerate() drops the values: copy them over.
    const count = sessionOf(req).count;
    sessionOf(req).regenerate((error) => {
      if (error) return next(error);
      Object.assign(sessionOf(req), { count, user });
      res.json({ user });
    });
  });
  app.get("/peek", (req, res) => {
    const data = sessionOf(req);
    res.json({ count: data.count ?? null, user: data.user ?? null });
  });
  app.post("/logout", (req, res, next) => {
    sessionOf(req).destroy((error) => {
      if (error) return next(error);
      res.clearCookie("sid").json({ user: null });
    });
  });
  return app;
}

if (import.meta.main ?? process.argv[1]?.endsWith("before.ts")) {
  const redis = createClient({ url: process.env.REDIS_URL });
  await redis.connect();
  createApp(redis).listen(Number(process.env.PORT ?? 8000), "127.0.0.1");
}
