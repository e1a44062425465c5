// One end-to-end suite over real HTTP, run against the demo on every runtime
// and server (Deno.serve, Bun.serve, node:http, Express and Fastify on Node,
// a Worker in workerd) with every store that runtime offers, through two
// independent clients: fetch with a real cookie jar (tough-cookie) and curl
// with its cookie jar file.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CookieJar } from "tough-cookie";
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
import {
  clusterUnavailable,
  findRedisCli,
  type RedisCluster,
  startRedisCluster,
} from "./_redis_cluster.ts";

/** The combinations under test: each runtime with each store it offers. */
const MATRIX: [runtime: string, store: string][] = [
  ["deno", "memory"],
  ["deno", "redis"],
  ["deno", "denokv"],
  ["deno", "cookie"],
  ["bun", "memory"],
  ["bun", "redis"],
  ["bun", "cookie"],
  ["node", "memory"],
  ["node", "redis"],
  ["node", "cookie"],
  ["express", "memory"],
  ["express", "redis"],
  ["express", "cookie"],
  ["fastify", "memory"],
  ["fastify", "redis"],
  ["fastify", "cookie"],
  // SESSION_STORE=redis with REDIS_CLUSTER_NODES: three masters.
  ["deno", "redis-cluster"],
  ["bun", "redis-cluster"],
  ["node", "redis-cluster"],
  ["express", "redis-cluster"],
  ["fastify", "redis-cluster"],
  ["deno", "postgres"],
  ["bun", "postgres"],
  ["node", "postgres"],
  ["worker", "memory"],
  ["worker", "cookie"],
  ["worker", "cloudflarekv"],
  ["worker", "durable"],
  // SQLite in a file: node:sqlite on Deno, bun:sqlite, better-sqlite3 on Node.
  ["deno", "sqlite"],
  ["bun", "sqlite"],
  ["node", "sqlite"],
  ["express", "sqlite"],
  ["fastify", "sqlite"],
  ["worker", "d1"],
  // Framework demos (examples/<framework>/), built by the first that starts.
  ["elysia", "memory"],
  ["elysia", "redis"],
  ["elysia", "cookie"],
  ["next", "memory"],
  ["next", "redis"],
  ["next", "cookie"],
  ["sveltekit", "memory"],
  ["sveltekit", "redis"],
  ["sveltekit", "cookie"],
  ["h3", "memory"],
  ["h3", "redis"],
  ["h3", "cookie"],
  ["astro", "memory"],
  ["astro", "redis"],
  ["astro", "cookie"],
  ["react-router", "memory"],
  ["react-router", "redis"],
  ["react-router", "cookie"],
];

/** Stores whose saves are compare-and-set, so parallel increments are exact. */
const EXACT = new Set([
  "memory",
  "redis",
  "denokv",
  "redis-cluster",
  "durable",
  "postgres",
  "sqlite",
  "d1",
]);
// Long enough for a burst of requests on a busy machine, short enough to wait
// out once per row.
const TTL_SECONDS = 5;
const SECRET = "an end-to-end secret of 32+ chars";
const ID = /^[A-Za-z0-9_-]{43}$/;

/** fetch with a real cookie jar, as a browser keeps cookies. */
class FetchClient {
  jar = new CookieJar();
  constructor(readonly origin: string) {}

  async send(method: string, path: string, body?: string): Promise<Response> {
    const url = this.origin + path;
    const headers: Record<string, string> = {};
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.Cookie = cookie;
    if (body !== undefined) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    const response = await fetch(url, {
      method,
      body,
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    for (const line of response.headers.getSetCookie()) {
      await this.jar.setCookie(line, url);
    }
    return response;
  }

  async json(method: string, path: string, body?: string): Promise<unknown> {
    return await (await this.send(method, path, body)).json();
  }

  /** The session cookie as the jar keeps it. */
  async session() {
    const cookies = await this.jar.getCookies(this.origin);
    return cookies.find((cookie) => cookie.key === "sid");
  }
}

/** curl with its own cookie jar file. */
class CurlClient {
  constructor(readonly origin: string, readonly jarPath: string) {}

  json(method: string, path: string, body?: string): Promise<unknown> {
    const args = [
      "-sS",
      "--max-time",
      "10",
      "-b",
      this.jarPath,
      "-c",
      this.jarPath,
      "-X",
      method,
    ];
    if (body !== undefined) args.push("--data", body);
    args.push(this.origin + path);
    return new Promise((resolve, reject) => {
      execFile("curl", args, (error, stdout, stderr) => {
        if (error) reject(new Error(`curl failed: ${stderr}`));
        else resolve(JSON.parse(stdout));
      });
    });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The suite spawns servers and drives them from Node: it runs once, under
// Node's test runner, not again under Deno's and Bun's.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
  describe("end to end over HTTP", { concurrency: 3 }, () => {
    let redis: RedisServer | undefined;
    let redisCluster: RedisCluster | undefined;
    let dir: string;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "sesame-e2e-"));
      const path = findRedisServer();
      if (path === undefined) {
        if (process.env.CI === "true") {
          throw new Error(
            "redis-server is required in CI (apt-get install redis-server)",
          );
        }
        console.warn(
          "!!! redis-server not found: the redis combinations will fail",
        );
        return;
      }
      redis = await startRedisServer(path);
      const missing = clusterUnavailable();
      if (missing !== undefined) {
        if (process.env.CI === "true") {
          throw new Error(`${missing}: CI must run the redis-cluster rows`);
        }
        console.warn(
          `!!! ${missing}: the redis-cluster combinations will fail`,
        );
        return;
      }
      redisCluster = await startRedisCluster(path, findRedisCli()!);
    });
    let postgres: PostgresServer | undefined;
    before(async () => {
      const bin = findPostgresBin();
      if (bin === undefined) {
        const message = `PostgreSQL was not found (${POSTGRES_SEARCHED})`;
        if (process.env.CI === "true") {
          throw new Error(`${message}: CI must run the postgres rows`);
        }
        console.warn(`!!! ${message}: the postgres combinations will fail`);
        return;
      }
      postgres = await startPostgresServer(bin);
    });
    after(async () => {
      await postgres?.close();
      await redisCluster?.stop();
      await redis?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    test("Deno KV in a file keeps sessions across a restart of the demo", async () => {
      const env = {
        SESSION_STORE: "denokv",
        DENO_KV_PATH: join(dir, "restart.kv"),
      };
      let server = await startDemo("deno", env);
      const client = new FetchClient(server.origin);
      try {
        await client.json("GET", "/count");
        await client.json("GET", "/count");
      } finally {
        await server.stop();
      }
      server = await startDemo("deno", env);
      try {
        // Same port is not guaranteed: carry the cookie to the new origin.
        const cookie = await client.jar.getCookieString(client.origin);
        const response = await fetch(server.origin + "/count", {
          headers: { Cookie: cookie },
        });
        assert.deepEqual(await response.json(), { count: 3 });
      } finally {
        await server.stop();
      }
    });

    for (const runtime of ["deno", "bun", "node"]) {
      test(`SQLite in a file keeps sessions across a restart of the ${runtime} demo`, async () => {
        const env = {
          SESSION_STORE: "sqlite",
          SQLITE_PATH: join(dir, `restart-${runtime}.sqlite`),
        };
        let server = await startDemo(runtime, env);
        const client = new FetchClient(server.origin);
        try {
          await client.json("GET", "/count");
          await client.json("POST", "/login", "user=ada");
          await client.json("GET", "/count");
        } finally {
          await server.stop();
        }
        server = await startDemo(runtime, env);
        try {
          // Same port is not guaranteed: carry the cookie to the new origin.
          const cookie = await client.jar.getCookieString(client.origin);
          const response = await fetch(server.origin + "/count", {
            headers: { Cookie: cookie },
          });
          assert.deepEqual(await response.json(), { count: 3 });
          const peek = await fetch(server.origin + "/peek", {
            headers: { Cookie: cookie },
          });
          assert.deepEqual(await peek.json(), { count: 3, user: "ada" });
        } finally {
          await server.stop();
        }
      });
    }

    for (const [runtime, store] of MATRIX) {
      describe(`${runtime} with the ${store} store`, () => {
        let server: DemoServer;

        before(async () => {
          server = await startDemo(runtime, {
            SESSION_STORE: store,
            SESSION_TTL: String(TTL_SECONDS),
            SESSION_SECRET: SECRET,
            REDIS_URL: redis?.url ?? "redis://127.0.0.1:1",
            DENO_KV_PATH: join(dir, `${runtime}.kv`),
            SQLITE_PATH: join(dir, `${runtime}.sqlite`),
            DATABASE_URL: postgres?.url ??
              "postgres://postgres@127.0.0.1:1/postgres",
            ...(store === "redis-cluster" && {
              SESSION_STORE: "redis",
              REDIS_CLUSTER_NODES: redisCluster?.nodes.join(",") ??
                "127.0.0.1:1",
            }),
          });
        }, { timeout: 600_000 }); // a framework demo may build first
        after(() => server?.stop());

        test("counts per session; /peek creates nothing; other routes are 404", async () => {
          const client = new FetchClient(server.origin);
          assert.deepEqual(await client.json("GET", "/peek"), {
            count: null,
            user: null,
          });
          assert.equal(await client.session(), undefined);
          for (let n = 1; n <= 3; n++) {
            assert.deepEqual(await client.json("GET", "/count"), { count: n });
          }
          const other = new FetchClient(server.origin);
          assert.deepEqual(await other.json("GET", "/count"), { count: 1 });
          const missing = await client.send("GET", "/nope");
          assert.equal(missing.status, 404);
          await missing.body?.cancel();
        });

        test("the cookie is HttpOnly, SameSite=Lax, Path=/ and lives as long as the session", async () => {
          const client = new FetchClient(server.origin);
          await client.json("GET", "/count");
          const cookie = (await client.session())!;
          assert.equal(cookie.httpOnly, true);
          assert.equal(cookie.sameSite, "lax");
          assert.equal(cookie.path, "/");
          assert.equal(
            cookie.secure,
            false,
            "plain http: no Secure, no __Host-",
          );
          assert.equal(cookie.maxAge, TTL_SECONDS);
          if (store !== "cookie") assert.match(cookie.value, ID);
        });

        test("an id it did not issue is never adopted", async () => {
          const planted = "A".repeat(43);
          const response = await fetch(server.origin + "/count", {
            headers: { Cookie: `sid=${planted}` },
          });
          assert.deepEqual(await response.json(), { count: 1 });
          const setCookie = response.headers.get("Set-Cookie")!;
          assert.ok(setCookie.startsWith("sid="));
          assert.ok(!setCookie.includes(planted));
        });

        test("login regenerates the id and keeps the data; logout ends the session", async () => {
          const client = new FetchClient(server.origin);
          await client.json("GET", "/count");
          const before = (await client.session())!.value;
          assert.deepEqual(await client.json("POST", "/login", "user=ada"), {
            user: "ada",
          });
          const after = (await client.session())!.value;
          assert.notEqual(after, before);
          assert.deepEqual(await client.json("GET", "/peek"), {
            count: 1,
            user: "ada",
          });

          const replay = await fetch(server.origin + "/peek", {
            headers: { Cookie: `sid=${before}` },
          });
          // The sealed cookie store keeps no state, so it cannot kill the old
          // cookie (documented); every other store does.
          assert.deepEqual(
            await replay.json(),
            store === "cookie"
              ? { count: 1, user: null }
              : { count: null, user: null },
          );

          const logout = await client.send("POST", "/logout");
          assert.deepEqual(await logout.json(), { user: null });
          assert.match(logout.headers.get("Set-Cookie")!, /Max-Age=0/);
          assert.equal(await client.session(), undefined);
          assert.deepEqual(await client.json("GET", "/peek"), {
            count: null,
            user: null,
          });
          if (store !== "cookie") {
            const dead = await fetch(server.origin + "/peek", {
              headers: { Cookie: `sid=${after}` },
            });
            assert.deepEqual(await dead.json(), { count: null, user: null });
          }
        });

        test("login takes a same-origin post, URL-encoded or multipart, and refuses others", async () => {
          const post = (body: BodyInit, headers: Record<string, string>) =>
            fetch(server.origin + "/login", {
              method: "POST",
              body,
              headers,
              signal: AbortSignal.timeout(10_000),
            });
          const form = "application/x-www-form-urlencoded";
          const cross = await post("user=mallory", {
            "Content-Type": form,
            Origin: "https://evil.example",
          });
          assert.equal(cross.status, 403);
          assert.deepEqual(await cross.json(), {
            error: "cross-origin request",
          });
          assert.deepEqual(cross.headers.getSetCookie(), []);
          for (const body of ["user=", "name=ada", `user=${"x".repeat(101)}`]) {
            const refused = await post(body, { "Content-Type": form });
            assert.equal(refused.status, 400, body);
            assert.deepEqual(await refused.json(), {
              error: 'form field "user" must be 1 to 100 characters',
            });
            assert.deepEqual(refused.headers.getSetCookie(), []);
          }
          const same = await post("user=+ada+", {
            "Content-Type": form,
            Origin: server.origin,
          });
          assert.deepEqual(await same.json(), { user: "ada" });
          const multipart = new FormData();
          multipart.set("user", "grace");
          const fromForm = await post(multipart, {});
          assert.deepEqual(await fromForm.json(), { user: "grace" });
          assert.equal(fromForm.headers.getSetCookie().length, 1);
        });

        test("curl with its cookie jar sees the same behaviour", async () => {
          const jarPath = join(dir, `${runtime}-${store}.jar`);
          const curl = new CurlClient(server.origin, jarPath);
          assert.deepEqual(await curl.json("GET", "/count"), { count: 1 });
          assert.deepEqual(await curl.json("GET", "/count"), { count: 2 });
          assert.deepEqual(await curl.json("POST", "/login", "user=grace"), {
            user: "grace",
          });
          // curl marks HttpOnly cookies in its jar file.
          assert.match(
            await readFile(jarPath, "utf8"),
            /^#HttpOnly_127\.0\.0\.1\t.*\tsid\t/m,
          );
          assert.deepEqual(await curl.json("GET", "/peek"), {
            count: 2,
            user: "grace",
          });
          assert.deepEqual(await curl.json("POST", "/logout"), { user: null });
          assert.deepEqual(await curl.json("GET", "/peek"), {
            count: null,
            user: null,
          });
          assert.doesNotMatch(await readFile(jarPath, "utf8"), /\tsid\t/);
        });

        if (EXACT.has(store)) {
          test("20 parallel GET /count with one cookie end at 20", async () => {
            const client = new FetchClient(server.origin);
            await client.json("POST", "/login", "user=ada");
            const cookie = await client.jar.getCookieString(server.origin);
            const counts = await Promise.all(
              Array.from({ length: 20 }, async () => {
                const response = await fetch(server.origin + "/count", {
                  headers: { Cookie: cookie },
                  signal: AbortSignal.timeout(10_000),
                });
                return ((await response.json()) as { count: number }).count;
              }),
            );
            assert.deepEqual(
              counts.sort((a, b) => a - b),
              Array.from({ length: 20 }, (_, i) => i + 1),
            );
            // The same Cookie header as the parallel requests: the jar's copy
            // may have reached its Max-Age on a busy machine.
            const peek = await fetch(server.origin + "/peek", {
              headers: { Cookie: cookie },
              signal: AbortSignal.timeout(10_000),
            });
            assert.deepEqual(await peek.json(), { count: 20, user: "ada" });
          });
        }

        test("an idle session expires on the server", async () => {
          const client = new FetchClient(server.origin);
          await client.json("GET", "/count");
          const value = (await client.session())!.value;
          await sleep(TTL_SECONDS * 1000 + 500);
          // Replayed by hand: the server, not the browser, must refuse it.
          const response = await fetch(server.origin + "/peek", {
            headers: { Cookie: `sid=${value}` },
          });
          assert.deepEqual(await response.json(), { count: null, user: null });
        });
      });
    }
  });
}
