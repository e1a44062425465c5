// sessionMiddleware() in a real Express 5 app over real HTTP: what an
// Express user relies on, on both of the manager's paths.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import express from "express";
import { createSessionManager, type SessionManager } from "../src/manager.ts";
import type { Session } from "../src/session.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { SessionStoreError } from "../src/errors.ts";
import {
  type NodeSessionOptions,
  sessionMiddleware,
} from "../src/middleware/node.ts";
import { FaultyStore, only } from "./_stores.ts";
import {
  Client,
  cookieNames,
  listen,
  REFUSED,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
  setCookies,
  STORE_PATHS,
  tick,
  withServer,
} from "./_node_server.ts";

type Data = { count: number; user: string };
type AdminData = { role: string };

// Typed access to what the middlewares put on the request. An app declares
// `req.session` once, globally (see sessionMiddleware's docs); tests do not,
// so that files checked together cannot disagree on its type.
const sessionOf = <D>(req: express.Request) =>
  (req as unknown as { session: Session<D> }).session;
const session = sessionOf<Data>;
const admin = (req: express.Request) =>
  (req as unknown as { admin: Session<AdminData> }).admin;

/** An Express app with the session middleware and a route per way to answer. */
function createApp(
  sessions: SessionManager<Data>,
  options?: NodeSessionOptions,
): express.Express {
  const app = express();
  app.set("env", "test"); // Express logs no stack for the failing route.
  app.use(sessionMiddleware(sessions, options));
  app.get("/count", (req, res) => {
    session(req).update("count", (count = 0) => count + 1);
    res.json({ count: session(req).get("count") });
  });
  app.get("/peek", (req, res) => {
    const count = session(req).get("count") ?? 0;
    res.json({ count, user: session(req).get("user") });
  });
  app.post("/increment", (req, res) => {
    session(req).update("count", (count = 0) => count + 1);
    res.end();
  });
  app.post("/login", (req, res) => {
    session(req).regenerate();
    session(req).set("user", "ada");
    res.redirect("/home");
  });
  app.get("/send", (req, res) => {
    session(req).set("user", "ada");
    res.send("signed in");
  });
  app.get("/stream", async (req, res) => {
    session(req).set("user", "ada");
    res.write("a");
    await tick();
    res.write("b");
    await tick();
    res.end("c");
  });
  app.get("/end", (req, res) => {
    session(req).set("user", "ada");
    res.end();
  });
  app.get("/write-head", (req, res) => {
    session(req).set("user", "ada");
    res.writeHead(200, { "Set-Cookie": "a=1", "Content-Type": "text/plain" });
    res.end("ok");
  });
  app.get("/res-cookie", (req, res) => {
    session(req).set("user", "ada");
    res.cookie("theme", "dark");
    res.send("ok");
  });
  app.get("/constant", (req, res) => {
    session(req).set("user", "ada");
    res.send("the same body every time");
  });
  app.get("/fail", (req) => {
    session(req).set("count", 99);
    throw new Error("route failed");
  });
  return app;
}

/** An error handler that answers 503 for a store failure, and records it. */
function answer503(app: express.Express): unknown[] {
  const seen: unknown[] = [];
  app.use(
    (
      error: unknown,
      _req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      seen.push(error);
      if (!(error instanceof SessionStoreError)) return next(error);
      res.status(503).json({ error: "session store unavailable" });
    },
  );
  return seen;
}

for (const { name, store } of STORE_PATHS) {
  const app = (options?: NodeSessionOptions) =>
    createApp(createSessionManager<Data>({ store: store() }), options);

  describe(
    `sessionMiddleware() in Express (${name})`,
    { timeout: 20_000 },
    () => {
      test("counts across requests, with a cookie on the first write only", async () => {
        await withServer(listen(app()), async (client) => {
          const peek = await client.send("/peek");
          assert.deepEqual(await peek.json(), { count: 0 });
          assert.deepEqual(setCookies(peek), []);
          const first = await client.send("/count");
          assert.deepEqual(await first.json(), { count: 1 });
          assert.match(setCookies(first)[0], SESSION_COOKIE);
          for (const count of [2, 3]) {
            const response = await client.send("/count");
            assert.deepEqual(await response.json(), { count });
            assert.deepEqual(setCookies(response), []);
          }
          assert.deepEqual(await client.json("/peek"), { count: 3 });
        });
      });

      test("res.send() and res.json() carry the cookie", async () => {
        await withServer(listen(app()), async ({ origin }) => {
          const sent = await new Client(origin).send("/send");
          assert.equal(await sent.text(), "signed in");
          assert.match(setCookies(sent)[0], SESSION_COOKIE);
          const json = await new Client(origin).send("/count");
          assert.match(json.headers.get("Content-Type")!, /^application\/json/);
          assert.deepEqual(await json.json(), { count: 1 });
          assert.match(setCookies(json)[0], SESSION_COOKIE);
        });
      });

      test("res.redirect() after a login that regenerates the id carries the new cookie", async () => {
        await withServer(listen(app()), async (client) => {
          await client.send("/count");
          const before = client.jar.get("sid");
          const login = await client.send("/login", { method: "POST" });
          assert.equal(login.status, 302);
          assert.equal(login.headers.get("Location"), "/home");
          assert.match(setCookies(login)[0], SESSION_COOKIE);
          assert.notEqual(client.jar.get("sid"), before);
          assert.deepEqual(await client.json("/peek"), {
            count: 1,
            user: "ada",
          });
          const old = await fetch(`${client.origin}/peek`, {
            headers: { Cookie: `sid=${before}` },
          });
          assert.deepEqual(await old.json(), { count: 0 });
        });
      });

      test("res.write() several times before res.end() streams, with the cookie", async () => {
        await withServer(listen(app()), async (client) => {
          const response = await client.send("/stream");
          assert.equal(await response.text(), "abc");
          assert.match(setCookies(response)[0], SESSION_COOKIE);
          assert.deepEqual(await client.json("/peek"), {
            count: 0,
            user: "ada",
          });
        });
      });

      test("middlewares that wrap res.write() and res.end() before and after the session's, as compression does, stream with the cookie", async () => {
        // Each wrapper keeps the method it found and calls it later, many
        // times, after the session's gate has opened.
        const wrap =
          (tag: string): express.RequestHandler => (_req, res, next) => {
            const write = res.write as (chunk: string) => boolean;
            const end = res.end as (chunk: string) => unknown;
            res.write = ((chunk: string) =>
              write.call(res, `${tag}${chunk}`)) as typeof res.write;
            res.end = ((chunk?: string) =>
              end.call(res, `${tag}${chunk ?? ""}`)) as typeof res.end;
            next();
          };
        const sessions = createSessionManager<Data>({ store: store() });
        const wrapped = express();
        wrapped.use(wrap("<"));
        wrapped.use(sessionMiddleware(sessions));
        wrapped.use(wrap(">"));
        wrapped.get("/stream", (req, res) => {
          session(req).update("count", (count = 0) =>
            count + 1);
          for (const chunk of ["a", "b", "c"]) {
            res.write(chunk);
          }
          res.end();
        });
        await withServer(listen(wrapped), async (client) => {
          for (const count of [1, 2]) {
            const response = await client.send("/stream");
            assert.equal(await response.text(), "<>a<>b<>c<>");
            assert.equal(setCookies(response).length, count === 1 ? 1 : 0);
          }
          const loaded = await sessions.load(
            new Request(client.origin, {
              headers: { Cookie: `sid=${client.jar.get("sid")}` },
            }),
          );
          assert.equal(loaded.get("count"), 2);
        });
      });

      test("a plain res.end() carries the cookie", async () => {
        await withServer(listen(app()), async (client) => {
          const response = await client.send("/end");
          assert.equal(response.status, 200);
          assert.equal(await response.text(), "");
          assert.match(setCookies(response)[0], SESSION_COOKIE);
        });
      });

      test("res.writeHead() with the route's own Set-Cookie sends both", async () => {
        await withServer(listen(app()), async (client) => {
          const response = await client.send("/write-head");
          assert.equal(await response.text(), "ok");
          const [own, sid] = setCookies(response);
          assert.equal(own, "a=1");
          assert.match(sid, SESSION_COOKIE);
        });
      });

      test("res.cookie() and the session cookie both arrive", async () => {
        await withServer(listen(app()), async (client) => {
          const response = await client.send("/res-cookie");
          const [theme, sid] = setCookies(response);
          assert.equal(theme, "theme=dark; Path=/");
          assert.match(sid, SESSION_COOKIE);
        });
      });

      test("a route that throws gets a 500 and commits nothing", async () => {
        await withServer(listen(app()), async (client) => {
          const fresh = await client.send("/fail");
          assert.equal(fresh.status, 500);
          assert.deepEqual(setCookies(fresh), []);
          await client.send("/count");
          const failed = await client.send("/fail");
          assert.equal(failed.status, 500);
          assert.deepEqual(setCookies(failed), []);
          assert.deepEqual(await client.json("/peek"), { count: 1 });
        });
      });

      test("a HEAD request carries the cookie of the session it changed", async () => {
        await withServer(listen(app()), async (client) => {
          const head = await client.send("/count", { method: "HEAD" });
          assert.equal(head.status, 200);
          assert.equal(await head.text(), "");
          assert.match(setCookies(head)[0], SESSION_COOKIE);
          assert.deepEqual(await client.json("/peek"), { count: 1 });
        });
      });

      test("a 304 for a matching If-None-Match carries the cookie", async () => {
        await withServer(listen(app()), async (client) => {
          const first = await fetch(`${client.origin}/constant`);
          const etag = first.headers.get("ETag");
          assert.ok(etag);
          const response = await client.send("/constant", {
            // fetch() adds "Cache-Control: no-cache", which Express obeys,
            // to a conditional request without a Cache-Control of its own.
            headers: { "If-None-Match": etag, "Cache-Control": "max-age=0" },
          });
          assert.equal(response.status, 304);
          assert.equal(response.headers.get("ETag"), etag);
          assert.match(setCookies(response)[0], SESSION_COOKIE);
          assert.deepEqual(await client.json("/peek"), {
            count: 0,
            user: "ada",
          });
        });
      });

      test("20 parallel update() requests with one cookie end at 20", async () => {
        await withServer(listen(app()), async (client) => {
          await client.send("/login", { method: "POST" });
          const responses = await client.parallel(20, "/increment", {
            method: "POST",
          });
          assert.deepEqual(
            responses.map((r) =>
              r.status
            ),
            Array(20).fill(200),
          );
          assert.deepEqual(await client.json("/peek"), {
            count: 20,
            user: "ada",
          });
        });
      });

      test("https: () => true gives the __Host- cookie with Secure", async () => {
        await withServer(listen(app({ https: () => true })), async (client) => {
          const response = await client.send("/count");
          assert.match(setCookies(response)[0], SECURE_SESSION_COOKIE);
          assert.deepEqual(await client.json("/count"), { count: 2 });
        });
      });

      test("https() reads the request: a proxy's X-Forwarded-Proto", async () => {
        const https = (req: { headers: Record<string, unknown> }) =>
          req.headers["x-forwarded-proto"] === "https";
        await withServer(listen(app({ https })), async (client) => {
          const secure = await client.send("/count", {
            headers: { "X-Forwarded-Proto": "https" },
          });
          assert.match(setCookies(secure)[0], SECURE_SESSION_COOKIE);
          const plain = await fetch(`${client.origin}/count`);
          assert.match(setCookies(plain)[0], SESSION_COOKIE);
        });
      });
    },
  );
}

describe("sessionMiddleware() in Express, two session managers", () => {
  const managers = () => ({
    users: createSessionManager<Data>(),
    admins: createSessionManager<AdminData>({ cookie: { name: "admin" } }),
  });

  test("one on req.session, one on the property given as an option", async () => {
    const { users, admins } = managers();
    const app = express();
    app.use(sessionMiddleware(users));
    app.use(sessionMiddleware(admins, { property: "admin" }));
    app.get("/both", (req, res) => {
      session(req).set("user", "ada");
      admin(req).set("role", "owner");
      res.json({});
    });
    app.get("/peek", (req, res) => {
      res.json({
        user: session(req).get("user"),
        role: admin(req).get("role"),
      });
    });
    await withServer(listen(app), async (client) => {
      const both = await client.send("/both");
      assert.deepEqual(cookieNames(both).sort(), ["admin", "sid"]);
      assert.deepEqual(await client.json("/peek"), {
        user: "ada",
        role: "owner",
      });
    });
  });

  test("each on req.session of its own router", async () => {
    const { users, admins } = managers();
    const adminRouter = express.Router();
    adminRouter.use(sessionMiddleware(admins));
    adminRouter.get("/promote", (req, res) => {
      sessionOf<AdminData>(req).set("role", "owner");
      res.json({ role: sessionOf<AdminData>(req).get("role") });
    });
    const userRouter = express.Router();
    userRouter.use(sessionMiddleware(users));
    userRouter.get("/count", (req, res) => {
      session(req).update("count", (count = 0) => count + 1);
      res.json({ count: session(req).get("count") });
    });
    const app = express();
    app.use("/admin", adminRouter);
    app.use(userRouter);
    await withServer(listen(app), async (client) => {
      const promote = await client.send("/admin/promote");
      assert.deepEqual(cookieNames(promote), ["admin"]);
      const count = await client.send("/count");
      assert.deepEqual(cookieNames(count), ["sid"]);
      assert.deepEqual(await client.json("/count"), { count: 2 });
      assert.deepEqual(await client.json("/admin/promote"), { role: "owner" });
    });
  });
});

describe("sessionMiddleware() in Express, a failing store", () => {
  test("a store failing at load reaches next(error) as a SessionStoreError: 503, no cookie", async () => {
    const store = new FaultyStore();
    const app = createApp(createSessionManager<Data>({ store }));
    const seen = answer503(app);
    await withServer(listen(app), async (client) => {
      await client.send("/count");
      store.fault = only(["get"], REFUSED);
      const response = await client.send("/count");
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), {
        error: "session store unavailable",
      });
      assert.deepEqual(setCookies(response), []);
    });
    assert.equal(seen.length, 1);
    assert.ok(seen[0] instanceof SessionStoreError);
    assert.equal(seen[0].operation, "get");
    assert.equal((seen[0].cause as Error).message, "connection refused");
  });

  test("a store failing at commit reaches next(error) as a SessionStoreError: 503, no cookie", async () => {
    const inner = new MemoryStore();
    const store = new FaultyStore({ inner, fault: only(["set"], REFUSED) });
    const app = createApp(createSessionManager<Data>({ store }));
    const seen = answer503(app);
    await withServer(listen(app), async (client) => {
      for (const path of ["/count", "/stream", "/write-head"]) {
        const response = await client.send(path);
        assert.equal(response.status, 503, path);
        assert.deepEqual(await response.json(), {
          error: "session store unavailable",
        });
        assert.deepEqual(setCookies(response), [], path);
      }
    });
    assert.equal(inner.size, 0);
    assert.equal(seen.length, 3);
    for (const error of seen) {
      assert.ok(error instanceof SessionStoreError);
      assert.equal(error.operation, "set");
    }
  });
});
