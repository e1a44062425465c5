import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createDemoApp } from "../examples/demo/app.ts";
import { readDemoConfig } from "../examples/demo/config.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { RedisStore } from "../src/stores/redis.ts";
import { SealedCookieStore } from "../src/stores/sealed_cookie.ts";
import { CookieJar } from "./_cookie_jar.ts";
import { always, FaultyStore } from "./_stores.ts";

const ORIGIN = "http://127.0.0.1:8000";

function client(app = createDemoApp()) {
  const jar = new CookieJar();
  return {
    jar,
    async send(method: string, path: string, body?: string) {
      const response = await app(
        jar.request(ORIGIN + path, {
          method,
          body,
          headers: body === undefined
            ? {}
            : { "Content-Type": "application/x-www-form-urlencoded" },
        }),
      );
      jar.storeFrom(response);
      return response;
    },
  };
}

describe("demo app", () => {
  test("GET /count counts per session", async () => {
    const alice = client();
    for (let n = 1; n <= 3; n++) {
      assert.deepEqual(await (await alice.send("GET", "/count")).json(), {
        count: n,
      });
    }
  });

  test("GET /peek never creates a session", async () => {
    const store = new MemoryStore();
    const visitor = client(createDemoApp({ store }));
    const response = await visitor.send("GET", "/peek");
    assert.deepEqual(await response.json(), { count: null, user: null });
    assert.equal(response.headers.get("Set-Cookie"), null);
    assert.equal(store.size, 0);
  });

  test("POST /login regenerates the id and keeps the count", async () => {
    const visitor = client();
    await visitor.send("GET", "/count");
    const before = visitor.jar.get("sid");
    const login = await visitor.send("POST", "/login", "user=ada");
    assert.deepEqual(await login.json(), { user: "ada" });
    assert.notEqual(visitor.jar.get("sid"), before);
    assert.deepEqual(await (await visitor.send("GET", "/peek")).json(), {
      count: 1,
      user: "ada",
    });
  });

  test("POST /login refuses a missing or empty user", async () => {
    const visitor = client();
    assert.equal((await visitor.send("POST", "/login", "user=")).status, 400);
    assert.equal(
      (await visitor.send("POST", "/login", "name=ada")).status,
      400,
    );
    assert.equal(
      (await visitor.send("POST", "/login", `user=${"x".repeat(101)}`)).status,
      400,
    );
  });

  test("POST /login reads a multipart form, and a form of any other type", async () => {
    const form = new FormData();
    form.set("user", " ada ");
    const app = createDemoApp();
    const multipart = await app(
      new Request(`${ORIGIN}/login`, { method: "POST", body: form }),
    );
    assert.deepEqual(await multipart.json(), { user: "ada" });
    const text = await app(
      new Request(`${ORIGIN}/login`, { method: "POST", body: "user=grace" }),
    );
    assert.deepEqual(await text.json(), { user: "grace" });
  });

  test("POST /login refuses a cross-origin form post", async () => {
    const app = createDemoApp();
    const response = await app(
      new Request(`${ORIGIN}/login`, {
        method: "POST",
        body: "user=mallory",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Origin: "https://evil.example",
        },
      }),
    );
    assert.equal(response.status, 403);
    assert.equal(response.headers.get("Set-Cookie"), null);
  });

  test("POST /logout destroys the session and expires the cookie", async () => {
    const visitor = client();
    await visitor.send("POST", "/login", "user=ada");
    const logout = await visitor.send("POST", "/logout");
    assert.deepEqual(await logout.json(), { user: null });
    assert.match(logout.headers.get("Set-Cookie")!, /Max-Age=0/);
    assert.deepEqual(await (await visitor.send("GET", "/peek")).json(), {
      count: null,
      user: null,
    });
  });

  test("GET / shows the count and escapes the user name", async () => {
    const visitor = client();
    await visitor.send("GET", "/count");
    await visitor.send(
      "POST",
      "/login",
      "user=" + encodeURIComponent("<b>ada</b>"),
    );
    const page = await visitor.send("GET", "/");
    assert.equal(page.headers.get("Content-Type"), "text/html; charset=utf-8");
    const html = await page.text();
    assert.match(html, /<output id="count">1<\/output>/);
    assert.match(html, /&lt;b&gt;ada&lt;\/b&gt;/);
    assert.doesNotMatch(html, /<b>ada<\/b>/);
  });

  test("any other route answers 404", async () => {
    const visitor = client();
    for (
      const [method, path] of [["GET", "/nope"], ["POST", "/count"], [
        "GET",
        "/login",
      ]]
    ) {
      assert.equal((await visitor.send(method, path)).status, 404);
    }
  });

  test("a failing store answers 503", async () => {
    const store = new FaultyStore({
      compareAndSet: false,
      touch: false,
      fault: always({ reject: new Error("down") }),
    });
    const visitor = client(createDemoApp({ store }));
    const response = await visitor.send("GET", "/count");
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), {
      error: "session store unavailable",
    });
  });
});

describe("demo configuration", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const node = { name: "Node" };

  test("defaults to port 8000 and the memory store", async () => {
    const config = await readDemoConfig(env({}), node);
    assert.equal(config.port, 8000);
    assert.ok(config.sessions.store instanceof MemoryStore);
    assert.equal(config.sessions.idleTimeoutSeconds, undefined);
  });

  test("SESSION_TTL sets the idle timeout", async () => {
    const config = await readDemoConfig(
      env({ SESSION_TTL: "2", PORT: "9000" }),
      node,
    );
    assert.equal(config.port, 9000);
    assert.equal(config.sessions.idleTimeoutSeconds, 2);
  });

  test("SESSION_STORE=redis with REDIS_CLUSTER_NODES opens the cluster, not REDIS_URL", async () => {
    const opened: string[][] = [];
    const runtime = {
      name: "Node",
      redis: () => Promise.reject(new Error("REDIS_URL was used")),
      redisCluster: (nodes: string[]) => {
        opened.push(nodes);
        return Promise.resolve({ eval: () => Promise.resolve(null) });
      },
    };
    const config = await readDemoConfig(
      env({
        SESSION_STORE: "redis",
        REDIS_URL: "redis://127.0.0.1:1",
        REDIS_CLUSTER_NODES: "127.0.0.1:7000, redis-2:7001,[::1]:7002",
      }),
      runtime,
    );
    assert.ok(config.sessions.store instanceof RedisStore);
    assert.deepEqual(opened, [[
      "127.0.0.1:7000",
      "redis-2:7001",
      "[::1]:7002",
    ]]);
    for (const nodes of ["127.0.0.1", "127.0.0.1:7000,", "redis://h:1"]) {
      await assert.rejects(
        readDemoConfig(
          env({ SESSION_STORE: "redis", REDIS_CLUSTER_NODES: nodes }),
          runtime,
        ),
        {
          message:
            `REDIS_CLUSTER_NODES must be host:port pairs separated by commas, e.g. 127.0.0.1:7000,127.0.0.1:7001, received ${
              JSON.stringify(nodes)
            }`,
        },
      );
    }
  });

  test("SESSION_STORE=cookie takes SESSION_SECRET", async () => {
    const config = await readDemoConfig(
      env({ SESSION_STORE: "cookie", SESSION_SECRET: "s".repeat(32) }),
      node,
    );
    assert.ok(config.sessions.store instanceof SealedCookieStore);
  });

  test("a missing variable or an unavailable store is a clear startup error", async () => {
    const cases: [Record<string, string>, string][] = [
      [
        { SESSION_STORE: "mongo" },
        'SESSION_STORE must be one of "memory", "redis", "denokv", "cookie", "cloudflarekv", "durable", "postgres", "sqlite", "d1", received "mongo"',
      ],
      [
        { SESSION_STORE: "redis" },
        "SESSION_STORE=redis needs REDIS_URL, e.g. redis://127.0.0.1:6379, or REDIS_CLUSTER_NODES, e.g. 127.0.0.1:7000,127.0.0.1:7001",
      ],
      [
        { SESSION_STORE: "redis", REDIS_CLUSTER_NODES: "127.0.0.1:7000" },
        "SESSION_STORE=redis is not available on Node",
      ],
      [
        { SESSION_STORE: "redis", REDIS_URL: "redis://127.0.0.1:1" },
        "SESSION_STORE=redis is not available on Node",
      ],
      [
        { SESSION_STORE: "denokv" },
        "SESSION_STORE=denokv is not available on Node",
      ],
      [
        { SESSION_STORE: "durable" },
        "SESSION_STORE=durable is not available on Node",
      ],
      [
        { SESSION_STORE: "cookie", SESSION_SECRET: "short" },
        "SESSION_STORE=cookie needs SESSION_SECRET of at least 32 characters (generate one with: openssl rand -base64 32)",
      ],
      [
        { SESSION_TTL: "-5" },
        'SESSION_TTL must be a whole number from 1 to 315360000, received "-5"',
      ],
      [
        { PORT: "http" },
        'PORT must be a whole number from 0 to 65535, received "http"',
      ],
    ];
    for (const [vars, message] of cases) {
      await assert.rejects(readDemoConfig(env(vars), node), { message });
    }
  });
});
