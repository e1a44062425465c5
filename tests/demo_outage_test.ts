// The demo over a real Redis that goes away and comes back, on Deno, Bun,
// node:http, Express and Fastify: while Redis is down, requests that need it
// answer 503 with a short JSON error (never a 500, never a stack trace)
// within a few seconds; once it is back on the same port, requests work
// again. Redis runs without persistence, so the sessions it held are gone
// after the restart: the old cookie gets a new session, and is never adopted.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cookiePair } from "./_cookie_jar.ts";
import { type DemoServer, startDemo } from "./_demo_server.ts";
import {
  findPostgresBin,
  POSTGRES_SEARCHED,
  type PostgresServer,
  startPostgresServer,
} from "./_postgres_server.ts";
import {
  findRedisServer,
  type RedisServer,
  startRedisServer,
} from "./_redis_server.ts";

const RUNTIMES = ["deno", "bun", "node", "express", "fastify"];
const UNAVAILABLE = { error: "session store unavailable" };
/** How long a request may take to fail while Redis is down. */
const FAIL_FAST_MS = 3_000;

interface Answer {
  status: number;
  body: unknown;
  text: string;
  setCookie: string[];
  ms: number;
}

/** Sends a GET, or a POST of the URL-encoded `form` when there is one. */
async function send(
  demo: DemoServer,
  path: string,
  cookie?: string,
  form?: string,
): Promise<Answer> {
  const started = Date.now();
  const headers: Record<string, string> = {};
  if (cookie !== undefined) headers.Cookie = cookie;
  if (form !== undefined) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
  }
  const response = await fetch(demo.origin + path, {
    method: form === undefined ? "GET" : "POST",
    body: form,
    headers,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return {
    status: response.status,
    body,
    text,
    setCookie: response.headers.getSetCookie(),
    ms: Date.now() - started,
  };
}

/** The `name=value` part of the only Set-Cookie of an answer. */
function cookieOf(answer: Answer): string {
  assert.equal(answer.setCookie.length, 1, "one Set-Cookie");
  return cookiePair(answer.setCookie[0]);
}

/** Retries `path` until it answers 200, for at most `ms`. */
async function until200(
  demo: DemoServer,
  path: string,
  cookie: string | undefined,
  ms: number,
): Promise<Answer> {
  const deadline = Date.now() + ms;
  for (;;) {
    const answer = await send(demo, path, cookie);
    if (answer.status === 200) return answer;
    assert.equal(answer.status, 503, `while reconnecting: ${answer.text}`);
    if (Date.now() > deadline) {
      assert.fail(`${path} still answers ${answer.status} after ${ms} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function assertUnavailable(answer: Answer, what: string): void {
  assert.equal(answer.status, 503, `${what}: ${answer.text}`);
  assert.deepEqual(answer.body, UNAVAILABLE, what);
  // Exactly this text: no stack trace, no driver message, no path.
  assert.equal(answer.text, JSON.stringify(UNAVAILABLE), what);
  assert.deepEqual(answer.setCookie, [], `${what}: no cookie while down`);
  assert.ok(answer.ms < FAIL_FAST_MS, `${what} took ${answer.ms} ms`);
}

// The suite spawns servers and drives them from Node: it runs once, under
// Node's test runner, not again under Deno's and Bun's.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
  const redisPath = findRedisServer();
  if (redisPath === undefined && process.env.CI === "true") {
    throw new Error(
      "redis-server is required in CI (apt-get install redis-server)",
    );
  }
  if (redisPath === undefined) {
    console.warn(
      "!!! redis-server not found: SKIPPING the demo outage tests (apt-get install redis-server)",
    );
  }

  describe("the demo while Redis goes down and comes back", {
    concurrency: true,
  }, () => {
    for (const runtime of RUNTIMES) {
      test(
        `${runtime}: 503 while Redis is down, a new session once it is back`,
        {
          skip: redisPath === undefined ? "redis-server not found" : false,
          timeout: 90_000,
        },
        async () => {
          let redis: RedisServer | undefined;
          let demo: DemoServer | undefined;
          try {
            redis = await startRedisServer(redisPath!);
            demo = await startDemo(runtime, {
              SESSION_STORE: "redis",
              REDIS_URL: redis.url,
            });

            // Up: a session counts.
            const first = await send(demo, "/count");
            assert.equal(first.status, 200, first.text);
            assert.deepEqual(first.body, { count: 1 });
            const cookie = cookieOf(first);
            assert.deepEqual((await send(demo, "/count", cookie)).body, {
              count: 2,
            });

            // Down: what needs Redis answers 503 at once; what does not, works.
            await redis.stop();
            assertUnavailable(await send(demo, "/count", cookie), "GET /count");
            assertUnavailable(await send(demo, "/peek", cookie), "GET /peek");
            assertUnavailable(await send(demo, "/", cookie), "GET /");
            assertUnavailable(
              await send(demo, "/count"),
              "GET /count without a cookie",
            );
            assertUnavailable(await send(demo, "/nope", cookie), "GET /nope");
            // Nothing to load, but a new session to save: the save fails.
            assertUnavailable(
              await send(demo, "/login", undefined, "user=ada"),
              "POST /login without a cookie",
            );
            const anonymous = await send(demo, "/peek");
            assert.equal(anonymous.status, 200, "/peek without a cookie");
            assert.deepEqual(anonymous.body, { count: null, user: null });
            // Many at once: all fail fast, none with a 500.
            const burst = await Promise.all(
              Array.from({ length: 50 }, () => send(demo!, "/count", cookie)),
            );
            for (const answer of burst) assertUnavailable(answer, "a burst");

            // Back, on the same port and empty: the old cookie names nothing.
            await redis.start();
            const back = await until200(demo, "/count", cookie, 15_000);
            assert.deepEqual(back.body, { count: 1 }, "a new session");
            const fresh = cookieOf(back);
            assert.notEqual(fresh, cookie, "the old id is not adopted");
            assert.deepEqual((await send(demo, "/peek", cookie)).body, {
              count: null,
              user: null,
            });
            assert.deepEqual((await send(demo, "/count", fresh)).body, {
              count: 2,
            });
          } finally {
            await demo?.stop();
            await redis?.stop();
          }
        },
      );
    }
  });
}

// The same over PostgreSQL, which keeps its data across the restart: once it
// is back, the old cookie finds its session again. And a restart of the demo
// (on another runtime, even) keeps the sessions too.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
  const bin = findPostgresBin();
  const missing = `PostgreSQL was not found (${POSTGRES_SEARCHED})`;
  if (bin === undefined && process.env.CI === "true") {
    throw new Error(`${missing}: CI must run the demo outage tests`);
  }
  if (bin === undefined) {
    console.warn(`!!! ${missing}: SKIPPING the demo tests over PostgreSQL`);
  }
  const skip = bin === undefined ? missing : false;
  const env = (postgres: PostgresServer) => ({
    SESSION_STORE: "postgres",
    DATABASE_URL: postgres.url,
  });

  // One at a time: a PostgreSQL cluster and a demo each are heavy enough
  // that several at once on a small machine slow the 503s past FAIL_FAST_MS.
  describe("the demo while PostgreSQL goes down and comes back", () => {
    for (const runtime of RUNTIMES) {
      test(
        `${runtime}: 503 while PostgreSQL is down, the same session once it is back`,
        { skip, timeout: 90_000 },
        async () => {
          let postgres: PostgresServer | undefined;
          let demo: DemoServer | undefined;
          try {
            postgres = await startPostgresServer(bin!);
            demo = await startDemo(runtime, env(postgres));
            const first = await send(demo, "/count");
            assert.equal(first.status, 200, first.text);
            const cookie = cookieOf(first);
            assert.deepEqual((await send(demo, "/count", cookie)).body, {
              count: 2,
            });

            await postgres.stop();
            assertUnavailable(await send(demo, "/count", cookie), "GET /count");
            assertUnavailable(await send(demo, "/peek", cookie), "GET /peek");
            assertUnavailable(
              await send(demo, "/count"),
              "GET /count without a cookie",
            );
            assertUnavailable(
              await send(demo, "/login", undefined, "user=ada"),
              "POST /login without a cookie",
            );
            const burst = await Promise.all(
              Array.from({ length: 50 }, () => send(demo!, "/count", cookie)),
            );
            for (const answer of burst) assertUnavailable(answer, "a burst");

            // Back, with its data: the session goes on where it was.
            await postgres.start();
            const back = await until200(demo, "/count", cookie, 15_000);
            assert.deepEqual(back.body, { count: 3 }, "the same session");
            assert.deepEqual((await send(demo, "/peek", cookie)).body, {
              count: 3,
              user: null,
            });
          } finally {
            await demo?.stop();
            await postgres?.close();
          }
        },
      );
    }

    test("a restart of the demo keeps its sessions, also on another runtime", {
      skip,
      timeout: 90_000,
    }, async () => {
      let postgres: PostgresServer | undefined;
      try {
        postgres = await startPostgresServer(bin!);
        let cookie: string | undefined;
        let expected = 1;
        for (const runtime of ["node", "deno", "bun", "node"]) {
          const demo = await startDemo(runtime, env(postgres));
          try {
            const answer = await send(demo, "/count", cookie);
            assert.deepEqual(answer.body, { count: expected++ }, runtime);
            cookie ??= cookieOf(answer);
          } finally {
            await demo.stop();
          }
        }
      } finally {
        await postgres?.close();
      }
    });

    test("the demo does not start while PostgreSQL is down, and says why", {
      skip,
      timeout: 90_000,
    }, async () => {
      let postgres: PostgresServer | undefined;
      try {
        postgres = await startPostgresServer(bin!);
        await postgres.stop();
        await assert.rejects(
          startDemo("node", env(postgres)),
          /exited with 1:\n(.|\n)*Cannot start the demo: /,
        );
      } finally {
        await postgres?.close();
      }
    });
  });
}
