import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { setCookie } from "hono/cookie";
import { HTTPException } from "hono/http-exception";
import { createSessionManager, type SessionManager } from "../src/manager.ts";
import type { Session } from "../src/session.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { SessionStoreError } from "../src/errors.ts";
import { createSessionMiddleware } from "../src/middleware/hono.ts";
import { CookieJar } from "./_cookie_jar.ts";
import { FaultyStore, only } from "./_stores.ts";

const ORIGIN = "http://app.test";

type Data = { count: number; user: string };
type Env = { Variables: { session: Session<Data> } };

/** A Hono app with the session middleware and a few routes. */
function createApp(sessions: SessionManager<Data>): Hono<Env> {
  const app = new Hono<Env>();
  app.use(createSessionMiddleware(sessions));
  app.get("/count", (c) => {
    const session = c.get("session");
    const count: number = (session.get("count") ?? 0) + 1;
    session.set("count", count);
    return c.json({ count });
  });
  app.get("/peek", (c) => c.json({ count: c.var.session.get("count") ?? 0 }));
  app.post("/increment", async (c) => {
    const session = c.get("session");
    session.update("count", (count = 0) => count + 1);
    await session.commit();
    return c.json({ count: session.get("count") });
  });
  app.post("/login", (c) => {
    const session = c.get("session");
    session.regenerate();
    session.set("user", "ada");
    return c.redirect("/home", 303);
  });
  app.post("/logout", (c) => {
    c.get("session").destroy();
    return Response.redirect(`${ORIGIN}/`, 303);
  });
  app.get("/whoami", (c) => c.json({ user: c.get("session").get("user") }));
  return app;
}

/** Sends a request carrying the jar's cookies and keeps the ones it sets. */
async function send(
  app: Hono<Env>,
  jar: CookieJar,
  path: string,
  init?: RequestInit,
): Promise<Response> {
  const response = await app.fetch(jar.request(`${ORIGIN}${path}`, init));
  jar.storeFrom(response);
  return response;
}

/** How the store fails: the connection is refused. */
const REFUSED = { reject: new Error("connection refused") };

describe("createSessionMiddleware()", () => {
  test("carries the session from request to request", async () => {
    const app = createApp(createSessionManager<Data>());
    const jar = new CookieJar();
    for (let count = 1; count <= 3; count++) {
      const response = await send(app, jar, "/count");
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { count });
    }
    assert.match(jar.get("sid")!, /^[\w-]{43}$/);
  });

  test("stores the session under c.get() and c.var, typed by the app", async () => {
    const sessions = createSessionManager<Data>();
    const app = new Hono<Env>();
    app.use(createSessionMiddleware(sessions));
    app.get("/", (c) => {
      const viaGet: Session<Data> = c.get("session");
      const viaVar: Session<Data> = c.var.session;
      viaGet.set("user", "ada");
      const user: string | undefined = viaVar.get("user");
      return c.json({ same: viaGet === viaVar, user, isNew: viaGet.isNew });
    });
    const response = await app.request("/");
    assert.deepEqual(await response.json(), {
      same: true,
      user: "ada",
      isNew: true,
    });
  });

  test("is rejected at compile time by an app that does not declare its variable", () => {
    const sessions = createSessionManager<Data>();
    const app = new Hono<Env>();
    // These only type-check: registering a middleware does not run it.
    // @ts-expect-error The app has no "auth" variable.
    app.use(createSessionMiddleware(sessions, { variable: "auth" }));
    const other = createSessionManager<{ name: string }>();
    // @ts-expect-error The app's session holds other values.
    app.use(createSessionMiddleware(other));
    app.use("/admin/*", createSessionMiddleware(sessions));
    app.get("/route", createSessionMiddleware(sessions), (c) => c.text("ok"));
    const anyApp = new Hono<{ Variables: { session: Session } }>();
    anyApp.use(createSessionMiddleware(createSessionManager()));
    assert.equal(typeof createSessionMiddleware(sessions), "function");
  });

  test("sends no Set-Cookie when the session was only read", async () => {
    const store = new MemoryStore();
    const app = createApp(createSessionManager<Data>({ store }));
    const response = await app.request("/peek");
    assert.deepEqual(await response.json(), { count: 0 });
    assert.equal(response.headers.get("Set-Cookie"), null);
    assert.equal(store.size, 0);
  });

  test("sends the cookie with c.redirect()", async () => {
    const app = createApp(createSessionManager<Data>());
    const jar = new CookieJar();
    const response = await send(app, jar, "/login", { method: "POST" });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("Location"), "/home");
    assert.match(response.headers.get("Set-Cookie")!, /^sid=[\w-]{43}; /);
    const whoami = await send(app, jar, "/whoami");
    assert.deepEqual(await whoami.json(), { user: "ada" });
  });

  test("sends the cookie with Response.redirect(), whose headers are immutable", async () => {
    const app = new Hono<Env>();
    app.use(createSessionMiddleware(createSessionManager<Data>()));
    app.get("/", (c) => {
      c.get("session").set("user", "ada");
      return Response.redirect(`${ORIGIN}/home`, 302);
    });
    const response = await app.request("/");
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("Location"), `${ORIGIN}/home`);
    assert.match(response.headers.get("Set-Cookie")!, /^sid=[\w-]{43}; /);
  });

  test("sends the cookie with a fetch() result, whose headers are immutable", async () => {
    const app = new Hono<Env>();
    app.use(createSessionMiddleware(createSessionManager<Data>()));
    const upstream = "data:text/plain,proxied";
    app.get("/", async (c) => {
      c.get("session").set("user", "ada");
      return await fetch(upstream);
    });
    const response = await app.request("/");
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "proxied");
    assert.equal(
      response.headers.get("Content-Type"),
      (await fetch(upstream)).headers.get("Content-Type"),
    );
    assert.match(response.headers.get("Set-Cookie")!, /^sid=[\w-]{43}; /);
  });

  test("copies a response whose headers refuse changes, keeping its cookies", async () => {
    // Bun's Response.redirect() and fetch() results have mutable headers: this
    // fake makes the copy run on every runtime, with an upstream cookie that
    // Hono's `c.res` setter merges into the copy.
    const app = new Hono<Env>();
    app.use(createSessionMiddleware(createSessionManager<Data>()));
    app.get("/", (c) => {
      c.get("session").set("user", "ada");
      const response = new Response("proxied", {
        status: 202,
        headers: { "Set-Cookie": "upstream=1", "X-Upstream": "yes" },
      });
      Object.defineProperty(response.headers, "append", {
        value: () => {
          throw new TypeError("Headers are immutable");
        },
      });
      return response;
    });
    const response = await app.request("/");
    assert.equal(response.status, 202);
    assert.equal(response.headers.get("X-Upstream"), "yes");
    assert.equal(await response.text(), "proxied");
    const cookies = response.headers.getSetCookie();
    assert.equal(cookies.length, 2);
    assert.equal(cookies[0], "upstream=1");
    assert.match(cookies[1], /^sid=[\w-]{43}; /);
  });

  test("keeps the cookies the app set itself", async () => {
    const app = new Hono<Env>();
    app.use(createSessionMiddleware(createSessionManager<Data>()));
    app.get("/", (c) => {
      c.get("session").set("user", "ada");
      setCookie(c, "theme", "dark");
      return c.text("ok");
    });
    const cookies = (await app.request("/")).headers.getSetCookie();
    assert.equal(cookies.length, 2);
    assert.equal(cookies[0], "theme=dark; Path=/");
    assert.match(cookies[1], /^sid=[\w-]{43}; /);
  });

  test("regenerate() in a route moves the session to a new id", async () => {
    const store = new MemoryStore();
    const app = createApp(createSessionManager<Data>({ store }));
    const jar = new CookieJar();
    await send(app, jar, "/count");
    const before = jar.get("sid")!;
    await send(app, jar, "/login", { method: "POST" });
    const after = jar.get("sid")!;
    assert.notEqual(after, before);
    const whoami = await send(app, jar, "/whoami");
    assert.deepEqual(await whoami.json(), { user: "ada" });
    const peek = await send(app, jar, "/peek");
    assert.deepEqual(await peek.json(), { count: 1 });
    // The old cookie no longer reaches the session.
    const old = await app.request("/whoami", {
      headers: { Cookie: `sid=${before}` },
    });
    assert.deepEqual(await old.json(), {});
  });

  test("destroy() in a route deletes the record and expires the cookie", async () => {
    const store = new MemoryStore();
    const app = createApp(createSessionManager<Data>({ store }));
    const jar = new CookieJar();
    await send(app, jar, "/login", { method: "POST" });
    assert.equal(store.size, 1);
    const response = await send(app, jar, "/logout", { method: "POST" });
    assert.equal(response.status, 303);
    assert.match(response.headers.get("Set-Cookie")!, /^sid=; .*Max-Age=0/);
    assert.equal(jar.get("sid"), undefined);
    assert.equal(store.size, 0);
  });

  test("stores the session under a custom variable name", async () => {
    const sessions = createSessionManager<Data>();
    const app = new Hono<{ Variables: { auth: Session<Data> } }>();
    app.use(createSessionMiddleware(sessions, { variable: "auth" }));
    app.get("/", (c) => {
      const session: Session<Data> = c.get("auth");
      session.set("user", "ada");
      return c.json({ user: c.var.auth.get("user") });
    });
    const response = await app.request("/");
    assert.deepEqual(await response.json(), { user: "ada" });
    assert.match(response.headers.get("Set-Cookie")!, /^sid=/);
  });

  test("commits nothing when a handler throws, and Hono answers 500", async () => {
    const store = new MemoryStore();
    const app = new Hono<Env>();
    app.use(createSessionMiddleware(createSessionManager<Data>({ store })));
    app.get("/", (c) => {
      c.get("session").set("user", "ada");
      throw new Error("handler failed");
    });
    const response = await app.request("/");
    assert.equal(response.status, 500);
    assert.equal(response.headers.get("Set-Cookie"), null);
    assert.equal(store.size, 0);
  });

  test("commits nothing when onError answered a handler's error", async () => {
    const store = new MemoryStore();
    const app = new Hono<Env>();
    app.use(createSessionMiddleware(createSessionManager<Data>({ store })));
    app.get("/", (c) => {
      c.get("session").set("user", "ada");
      throw new Error("handler failed");
    });
    const seen: unknown[] = [];
    app.onError((error, c) => {
      seen.push(error);
      return c.text("Sorry", 418);
    });
    const response = await app.request("/");
    assert.equal(response.status, 418);
    assert.equal(await response.text(), "Sorry");
    assert.equal(response.headers.get("Set-Cookie"), null);
    assert.equal(store.size, 0);
    assert.equal((seen[0] as Error).message, "handler failed");
  });

  test("commits nothing when a handler throws an HTTPException", async () => {
    const store = new MemoryStore();
    const app = new Hono<Env>();
    app.use(createSessionMiddleware(createSessionManager<Data>({ store })));
    app.get("/", (c) => {
      c.get("session").set("user", "ada");
      throw new HTTPException(401, { message: "Sign in first" });
    });
    const response = await app.request("/");
    assert.equal(response.status, 401);
    assert.equal(await response.text(), "Sign in first");
    assert.equal(response.headers.get("Set-Cookie"), null);
    assert.equal(store.size, 0);
  });

  test("a store failing at load reaches onError as a SessionStoreError", async () => {
    const store = new FaultyStore({ inProcess: true, touch: false });
    const app = createApp(createSessionManager<Data>({ store }));
    const seen: unknown[] = [];
    app.onError((error, c) => {
      seen.push(error);
      return c.text("Service unavailable", 503);
    });
    const jar = new CookieJar();
    await send(app, jar, "/count");
    store.fault = only(["get"], REFUSED);
    const response = await send(app, jar, "/count");
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("Set-Cookie"), null);
    assert.equal(seen.length, 1);
    assert.ok(seen[0] instanceof SessionStoreError);
    assert.equal(seen[0].operation, "get");
    assert.equal(
      seen[0].message,
      "Cannot get session record: the store failed",
    );
    assert.equal((seen[0].cause as Error).message, "connection refused");
  });

  test("a store failing at commit reaches onError as a SessionStoreError", async () => {
    const inner = new MemoryStore();
    const store = new FaultyStore({ inner, inProcess: true, touch: false });
    const app = createApp(createSessionManager<Data>({ store }));
    const seen: unknown[] = [];
    app.onError((error, c) => {
      seen.push(error);
      return c.text("Service unavailable", 503);
    });
    store.fault = only(["set"], REFUSED);
    const response = await app.request("/count");
    assert.equal(response.status, 503);
    assert.equal(await response.text(), "Service unavailable");
    assert.equal(response.headers.get("Set-Cookie"), null);
    assert.equal(inner.size, 0);
    assert.equal(seen.length, 1);
    assert.ok(seen[0] instanceof SessionStoreError);
    assert.equal(seen[0].operation, "set");
  });

  test("20 parallel update() + commit() requests end at 20", async () => {
    const app = createApp(createSessionManager<Data>());
    const jar = new CookieJar();
    await send(app, jar, "/login", { method: "POST" });
    const responses = await Promise.all(
      Array.from(
        { length: 20 },
        () => app.fetch(jar.request(`${ORIGIN}/increment`, { method: "POST" })),
      ),
    );
    const counts = await Promise.all(
      responses.map(async (response) => {
        assert.equal(response.status, 200);
        return ((await response.json()) as { count: number }).count;
      }),
    );
    // Each request saw the count as it committed it: 1 to 20, none lost.
    assert.deepEqual(
      counts.sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const peek = await send(app, jar, "/peek");
    assert.deepEqual(await peek.json(), { count: 20 });
  });

  test("rejects what is not a session manager", () => {
    assert.throws(
      () => createSessionMiddleware({} as never),
      {
        name: "TypeError",
        message:
          "Cannot create session middleware: sessions must be a session manager, received an object",
      },
    );
    assert.throws(
      () => createSessionMiddleware(undefined as never),
      {
        name: "TypeError",
        message:
          "Cannot create session middleware: sessions must be a session manager, received undefined",
      },
    );
  });

  test("rejects options that are not an object", () => {
    assert.throws(
      () => createSessionMiddleware(createSessionManager(), "auth" as never),
      {
        name: "TypeError",
        message:
          'Cannot create session middleware: options must be an object, received "auth"',
      },
    );
  });

  test("rejects a variable name that is not a non-empty string", () => {
    const sessions = createSessionManager();
    assert.throws(() => createSessionMiddleware(sessions, { variable: "" }), {
      name: "TypeError",
      message:
        'Cannot create session middleware: variable must be a non-empty string, received ""',
    });
    assert.throws(
      () => createSessionMiddleware(sessions, { variable: 42 as never }),
      {
        name: "TypeError",
        message:
          "Cannot create session middleware: variable must be a non-empty string, received 42",
      },
    );
  });
});
