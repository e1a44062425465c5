// fastifySession() in a real Fastify 5 app over real HTTP: what a Fastify
// user relies on, on both of the manager's paths.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { createSessionManager, type SessionManager } from "../src/manager.ts";
import type { Session } from "../src/session.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { SessionStoreError } from "../src/errors.ts";
import {
  fastifySession,
  type NodeSessionOptions,
} from "../src/middleware/node.ts";
import { FaultyStore, only } from "./_stores.ts";
import {
  cookieNames,
  type Listening,
  REFUSED,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
  setCookies,
  STORE_PATHS,
  withServer,
} from "./_node_server.ts";

type Data = { count: number; user: string };
type AdminData = { role: string };

// Typed access to the session on the request. An app declares
// `request.session` once (see fastifySession's docs); tests do not, so that
// files checked together cannot disagree on its type.
const sessionOf = <D = Data>(request: FastifyRequest) =>
  (request as unknown as { session: Session<D> }).session;

/** Serves a Fastify app on a free port of 127.0.0.1. */
async function listen(app: FastifyInstance): Promise<Listening> {
  const origin = await app.listen({ port: 0, host: "127.0.0.1" });
  return { origin, close: () => app.close() };
}

/**
 * A Fastify app with the session plugin, a route per way to answer, and an
 * error handler that answers 503 for a store failure and records the errors
 * it sees in `seen`.
 */
async function createApp(
  sessions: SessionManager<Data>,
  options?: NodeSessionOptions,
  seen: unknown[] = [],
): Promise<FastifyInstance> {
  const app = Fastify();
  // Before the routes: they keep the error handler they were declared with.
  app.setErrorHandler((error, _request, reply: FastifyReply) => {
    seen.push(error);
    if (!(error instanceof SessionStoreError)) return reply.send(error);
    return reply.code(503).send({ error: "session store unavailable" });
  });
  await app.register(fastifySession(sessions, options));
  app.get("/count", (request) => {
    sessionOf(request).update("count", (count = 0) => count + 1);
    return { count: sessionOf(request).get("count") };
  });
  app.get("/peek", (request) => {
    const session = sessionOf(request);
    return { count: session.get("count") ?? 0, user: session.get("user") };
  });
  app.post("/increment", (request, reply) => {
    sessionOf(request).update("count", (count = 0) => count + 1);
    reply.send();
  });
  app.post("/login", (request, reply) => {
    sessionOf(request).regenerate();
    sessionOf(request).set("user", "ada");
    return reply.redirect("/home");
  });
  app.get("/send", (request, reply) => {
    sessionOf(request).set("user", "ada");
    reply.type("text/plain").send("signed in");
  });
  app.get("/stream", (request, reply) => {
    sessionOf(request).set("user", "ada");
    reply.type("text/plain").send(Readable.from(["a", "b", "c"]));
  });
  app.get("/own-cookie", (request, reply) => {
    sessionOf(request).set("user", "ada");
    reply.header("set-cookie", "a=1");
    return "ok";
  });
  app.get("/conditional", (request, reply) => {
    sessionOf(request).set("user", "ada");
    reply.header("etag", '"v1"');
    if (request.headers["if-none-match"] === '"v1"') {
      return reply.code(304).send();
    }
    return "the same body every time";
  });
  app.get("/fail", (request) => {
    sessionOf(request).set("count", 99);
    throw new Error("route failed");
  });
  app.get("/forbidden", (request) => {
    sessionOf(request).set("count", 99);
    throw Object.assign(new Error("Sign in first"), { statusCode: 403 });
  });
  return app;
}

for (const { name, store } of STORE_PATHS) {
  const app = (options?: NodeSessionOptions) =>
    createApp(createSessionManager<Data>({ store: store() }), options);

  describe(`fastifySession() in Fastify (${name})`, { timeout: 20_000 }, () => {
    test("counts across requests, with a cookie on the first write only", async () => {
      await withServer(listen(await app()), async (client) => {
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

    test("reply.send() of a string carries the cookie", async () => {
      await withServer(listen(await app()), async (client) => {
        const response = await client.send("/send");
        assert.equal(await response.text(), "signed in");
        assert.match(setCookies(response)[0], SESSION_COOKIE);
        assert.deepEqual(await client.json("/peek"), { count: 0, user: "ada" });
      });
    });

    test("reply.redirect() after a login that regenerates the id carries the new cookie", async () => {
      await withServer(listen(await app()), async (client) => {
        await client.send("/count");
        const before = client.jar.get("sid");
        const login = await client.send("/login", { method: "POST" });
        assert.equal(login.status, 302);
        assert.equal(login.headers.get("Location"), "/home");
        assert.match(setCookies(login)[0], SESSION_COOKIE);
        assert.notEqual(client.jar.get("sid"), before);
        assert.deepEqual(await client.json("/peek"), { count: 1, user: "ada" });
        const old = await fetch(`${client.origin}/peek`, {
          headers: { Cookie: `sid=${before}` },
        });
        assert.deepEqual(await old.json(), { count: 0 });
      });
    });

    test("a streamed body carries the cookie", async () => {
      await withServer(listen(await app()), async (client) => {
        const response = await client.send("/stream");
        assert.equal(await response.text(), "abc");
        assert.match(setCookies(response)[0], SESSION_COOKIE);
      });
    });

    test("reply.header('set-cookie') and the session cookie both arrive", async () => {
      await withServer(listen(await app()), async (client) => {
        const response = await client.send("/own-cookie");
        const [own, sid] = setCookies(response);
        assert.equal(own, "a=1");
        assert.match(sid, SESSION_COOKIE);
      });
    });

    test("a route that throws gets a 500 and commits nothing", async () => {
      await withServer(listen(await app()), async (client) => {
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

    test("a route that throws a 4xx error commits nothing either", async () => {
      await withServer(listen(await app()), async (client) => {
        await client.send("/count");
        const response = await client.send("/forbidden");
        assert.equal(response.status, 403);
        assert.deepEqual(setCookies(response), []);
        assert.deepEqual(await client.json("/peek"), { count: 1 });
      });
    });

    test("a HEAD request carries the cookie of the session it changed", async () => {
      await withServer(listen(await app()), async (client) => {
        const head = await client.send("/count", { method: "HEAD" });
        assert.equal(head.status, 200);
        assert.equal(await head.text(), "");
        assert.match(setCookies(head)[0], SESSION_COOKIE);
        assert.deepEqual(await client.json("/peek"), { count: 1 });
      });
    });

    test("a 304 carries the cookie", async () => {
      await withServer(listen(await app()), async (client) => {
        const response = await client.send("/conditional", {
          headers: { "If-None-Match": '"v1"' },
        });
        assert.equal(response.status, 304);
        assert.match(setCookies(response)[0], SESSION_COOKIE);
        assert.deepEqual(await client.json("/peek"), { count: 0, user: "ada" });
      });
    });

    test("20 parallel update() requests with one cookie end at 20", async () => {
      await withServer(listen(await app()), async (client) => {
        await client.send("/login", { method: "POST" });
        const responses = await client.parallel(20, "/increment", {
          method: "POST",
        });
        assert.deepEqual(responses.map((r) => r.status), Array(20).fill(200));
        assert.deepEqual(await client.json("/peek"), {
          count: 20,
          user: "ada",
        });
      });
    });

    test("https: () => true gives the __Host- cookie with Secure", async () => {
      await withServer(
        listen(await app({ https: () => true })),
        async (client) => {
          const response = await client.send("/count");
          assert.match(setCookies(response)[0], SECURE_SESSION_COOKIE);
          assert.deepEqual(await client.json("/count"), { count: 2 });
        },
      );
    });
  });
}

test("fastifySession(): two session managers, each in its own plugin context", async () => {
  const app = Fastify();
  await app.register(async (users) => {
    await users.register(fastifySession(createSessionManager<Data>()));
    users.get("/count", (request) => {
      sessionOf(request).update("count", (count = 0) => count + 1);
      return { count: sessionOf(request).get("count") };
    });
  });
  await app.register(async (admins) => {
    const sessions = createSessionManager<AdminData>({
      cookie: { name: "admin" },
    });
    await admins.register(fastifySession(sessions));
    admins.get("/admin/promote", (request) => {
      sessionOf<AdminData>(request).set("role", "owner");
      return { role: sessionOf<AdminData>(request).get("role") };
    });
  });
  await withServer(listen(app), async (client) => {
    const promote = await client.send("/admin/promote");
    assert.deepEqual(cookieNames(promote), ["admin"]);
    const count = await client.send("/count");
    assert.deepEqual(cookieNames(count), ["sid"]);
    assert.deepEqual(await client.json("/count"), { count: 2 });
    assert.deepEqual(await client.json("/admin/promote"), { role: "owner" });
  });
});

test("fastifySession(): two session managers on one route, each on its own property", async () => {
  const app = Fastify();
  await app.register(fastifySession(createSessionManager<Data>()));
  await app.register(
    fastifySession(
      createSessionManager<AdminData>({ cookie: { name: "admin" } }),
      { property: "admin" },
    ),
  );
  const admin = (request: unknown) =>
    (request as { admin: Session<AdminData> }).admin;
  app.get("/both", (request) => {
    sessionOf(request).set("user", "ada");
    admin(request).set("role", "owner");
    return {};
  });
  app.get("/peek", (request) => ({
    user: sessionOf(request).get("user"),
    role: admin(request).get("role"),
  }));
  await withServer(listen(app), async (client) => {
    const both = await client.send("/both");
    assert.deepEqual(cookieNames(both).sort(), ["admin", "sid"]);
    assert.deepEqual(await client.json("/peek"), {
      user: "ada",
      role: "owner",
    });
  });
});

test("fastifySession(): a second one in the same context fails the start at once", async () => {
  // Under the default of 10 s, a start that hangs fails this test's timeout.
  const app = Fastify({ pluginTimeout: 2_000 });
  await app.register(fastifySession(createSessionManager()));
  app.register(fastifySession(createSessionManager()));
  await assert.rejects(async () => await app.ready(), {
    code: "FST_ERR_DEC_ALREADY_PRESENT",
    message: "The decorator 'session' has already been added!",
  });
  await app.close();
});

describe("fastifySession() in Fastify, a failing store", () => {
  test("a store failing at load reaches the error handler as a SessionStoreError: 503, no cookie", async () => {
    const store = new FaultyStore();
    const seen: unknown[] = [];
    const sessions = createSessionManager<Data>({ store });
    const app = await createApp(sessions, {}, seen);
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

  test("a store failing at commit reaches the error handler as a SessionStoreError: 503, no cookie", async () => {
    const inner = new MemoryStore();
    const store = new FaultyStore({ inner, fault: only(["set"], REFUSED) });
    const seen: unknown[] = [];
    const sessions = createSessionManager<Data>({ store });
    const app = await createApp(sessions, {}, seen);
    await withServer(listen(app), async (client) => {
      // Fastify keeps the headers a route set on its error reply, as for
      // any error: the route's own cookie, never the session's.
      const cookies = { "/count": [], "/stream": [], "/own-cookie": ["a=1"] };
      for (const [path, expected] of Object.entries(cookies)) {
        const response = await client.send(path);
        assert.equal(response.status, 503, path);
        assert.deepEqual(await response.json(), {
          error: "session store unavailable",
        });
        assert.deepEqual(setCookies(response), expected, path);
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
