// SqliteStore over Cloudflare D1 in the real workerd runtime, through
// Miniflare (Node only). The store runs where it runs in production:
// - inside a Worker (tests/fixtures/d1_worker/worker.ts, bundled as
//   Wrangler would, with `nodejs_compat`): the conformance suite and the
//   model's properties are registered there, against workerd's `node:test`
//   stand-in (test_runner.ts), and each runs in workerd at the request of a
//   Node test of the same name; the Worker also serves a tiny app whose
//   concurrent requests go through the store;
// - from Node, through Miniflare's proxy of the same D1 binding
//   (getD1Database()): the store's engine tests (tests/_sqlite.ts), which
//   look at the rows themselves. Each statement of the proxy is a round trip
//   to workerd, too slow for the suites that send thousands.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { SqliteStoreClient } from "../src/stores/sqlite.ts";
import type { TestD1Database } from "./_miniflare.ts";
import { registerSqliteDriver } from "./_sqlite.ts";

const WORKER = new URL("./fixtures/d1_worker/worker.ts", import.meta.url);
const TEST_RUNNER = new URL(
  "./fixtures/d1_worker/test_runner.ts",
  import.meta.url,
);

/** A test registered inside the Worker. */
interface Listed {
  path: string[];
  skip?: string;
}

/** What running one test inside the Worker gave. */
type Outcome =
  | { status: "pass" }
  | { status: "skip"; message: string }
  | { status: "fail"; message: string; stack?: string };

/** The Worker in workerd, with its D1 database. */
interface D1Worker {
  d1: TestD1Database;
  fetch(
    url: string,
    init?: { method?: string; headers?: Record<string, string>; body?: string },
  ): Promise<Response>;
  dispose(): Promise<void>;
}

/** The adapter of the docs, over a D1 binding. */
function d1Client(d1: TestD1Database): SqliteStoreClient {
  return {
    all: async (sql, params) =>
      (await d1.prepare(sql).bind(...params).all()).results,
  };
}

/**
 * Bundles the Worker with `node:test` mapped to workerd's stand-in, and
 * starts it in workerd with a D1 database bound as SESSIONS_DB.
 */
async function startD1Worker(): Promise<D1Worker> {
  const { build } = await import("esbuild");
  const { Miniflare } = await import("miniflare");
  const bundle = await build({
    entryPoints: [fileURLToPath(WORKER)],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["node:*"],
    write: false,
    logLevel: "silent",
    plugins: [{
      name: "node-test-in-workerd",
      setup(build) {
        build.onResolve({ filter: /^node:test$/ }, () => ({
          path: fileURLToPath(TEST_RUNNER),
        }));
      },
    }],
  });
  const mf = new Miniflare({
    modules: true,
    script: bundle.outputFiles[0].text,
    compatibilityDate: "2025-01-01",
    compatibilityFlags: ["nodejs_compat"],
    d1Databases: ["SESSIONS_DB"],
  });
  try {
    await mf.ready;
    return {
      // Miniflare types the binding with @cloudflare/workers-types, which
      // this project does not install.
      d1: await mf.getD1Database("SESSIONS_DB") as unknown as TestD1Database,
      fetch: async (url, init) =>
        await mf.dispatchFetch(url, init) as unknown as Response,
      dispose: () => mf.dispose(),
    };
  } catch (error) {
    await mf.dispose();
    throw error;
  }
}

/** Registers the Worker's tests as suites and tests of the same names. */
function registerListed(
  worker: D1Worker,
  listed: Listed[],
  depth = 0,
): void {
  const groups = new Map<string, Listed[]>();
  for (const each of listed) {
    if (each.path.length === depth + 1) {
      groups.set(`test:${each.path[depth]}`, [each]);
    } else {
      const key = `suite:${each.path[depth]}`;
      groups.set(key, [...groups.get(key) ?? [], each]);
    }
  }
  for (const [key, members] of groups) {
    const name = key.slice(key.indexOf(":") + 1);
    if (key.startsWith("suite:")) {
      describe(name, () => registerListed(worker, members, depth + 1));
      continue;
    }
    const [{ path, skip }] = members;
    test(name, { skip }, async (t) => {
      const response = await worker.fetch("http://worker.test/__tests", {
        method: "POST",
        body: JSON.stringify(path),
      });
      const outcome = await response.json() as Outcome;
      if (outcome.status === "skip") return t.skip(outcome.message);
      if (outcome.status === "fail") {
        throw new Error(
          `${outcome.message} (in workerd)\n${outcome.stack ?? ""}`,
        );
      }
    });
  }
}

// Miniflare (and so workerd) runs from Node only: on Deno and Bun this file
// registers nothing.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
  const worker = await startD1Worker();
  after(() => worker.dispose());
  const listed = await (await worker.fetch("http://worker.test/__tests"))
    .json() as Listed[];
  registerListed(worker, listed);
  registerTests(worker);
}

function registerTests(worker: D1Worker): void {
  // One database for every test: each store gets a table of its own.
  const client = d1Client(worker.d1);
  registerSqliteDriver({
    name: "D1 through Miniflare's binding proxy",
    open: () => Promise.resolve({ client, close() {} }),
    async openBroken() {
      // The binding of a workerd that has stopped.
      const stopped = await startD1Worker();
      await stopped.dispose();
      return { client: d1Client(stopped.d1), close() {} };
    },
  }, { conformance: false });

  describe("SqliteStore inside a Worker, over D1", { timeout: 60_000 }, () => {
    const send = async (path: string, cookie?: string) => {
      const response = await worker.fetch(`http://worker.test${path}`, {
        method: path.startsWith("/peek") || path.startsWith("/devices")
          ? "GET"
          : "POST",
        headers: cookie ? { Cookie: cookie } : {},
      });
      const setCookie = response.headers.get("Set-Cookie") ?? undefined;
      return {
        body: await response.json() as Record<string, unknown>,
        cookie: setCookie?.split(";")[0],
      };
    };

    test("concurrent requests of one session lose no update", async () => {
      const first = await send("/count");
      assert.deepEqual(first.body, { count: 1 });
      const cookie = first.cookie!;
      const counts = await Promise.all(
        Array.from(
          { length: 10 },
          async () => (await send("/count", cookie)).body.count as number,
        ),
      );
      assert.deepEqual(
        counts.sort((a, b) => a - b),
        Array.from({ length: 10 }, (_, i) => i + 2),
      );
      assert.deepEqual((await send("/peek", cookie)).body, {
        count: 11,
        user: null,
      });
    });

    test("a login indexes the session by subject; the old id is gone", async () => {
      const start = await send("/count");
      const login = await send("/login?user=ada", start.cookie);
      assert.ok(login.cookie && login.cookie !== start.cookie);
      assert.deepEqual((await send("/peek", login.cookie)).body, {
        count: 1,
        user: "ada",
      });
      assert.deepEqual((await send("/peek", start.cookie)).body, {
        count: null,
        user: null,
      });
      const other = await send("/login?user=ada");
      assert.deepEqual((await send("/devices?user=ada", other.cookie)).body, {
        sessions: 2,
      });
      const rows = await client.all(
        `SELECT count(*) AS n FROM "worker_sessions_subjects" WHERE subject = ?`,
        ["ada"],
      );
      assert.deepEqual(rows, [{ n: 2 }]);
    });
  });
}
