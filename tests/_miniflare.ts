// Runs a Worker in the real workerd runtime through Miniflare, with a Workers
// KV namespace bound as SESSIONS and a D1 database as SESSIONS_DB. Node only:
// import it dynamically from tests that run on Node.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import type { CloudflareKvStoreNamespace } from "../src/stores/cloudflare_kv.ts";

/** The KV namespace as the tests use it: the store's subset, plus reads and listing. */
export interface TestKvNamespace extends CloudflareKvStoreNamespace {
  get(key: string, type: "text"): Promise<string | null>;
  list(options: { prefix: string; cursor?: string }): Promise<{
    keys: { name: string; expiration?: number; metadata?: unknown }[];
    list_complete: boolean;
    cursor?: string;
  }>;
}

/** A D1 database binding as the tests use it (see SqliteStoreClient's adapter). */
export interface TestD1Database {
  prepare(sql: string): {
    bind(...values: unknown[]): { all(): Promise<{ results: unknown[] }> };
  };
}

/** A running workerd with one Worker and its KV namespace. */
export interface Workerd {
  /** The SESSIONS namespace, read and written in workerd. */
  namespace: TestKvNamespace;
  /** Sends a request to the Worker's `fetch` handler. */
  fetch(
    url: string,
    init?: { method?: string; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Stops workerd. */
  dispose(): Promise<void>;
  /** The D1 database bound as SESSIONS_DB, driven from Node. */
  d1Database(): Promise<TestD1Database>;
}

/** What else to bind besides the KV namespace. */
export interface WorkerdOptions {
  /**
   * Durable Object bindings: binding name to the name of a class that the
   * Worker's module exports (SQLite-backed), or to the class and its backend.
   */
  durableObjects?: Record<
    string,
    string | { className: string; useSQLite: boolean }
  >;
}

/** Bundles a Worker's entry module into one ES module, as Wrangler would. */
async function bundleWorker(entryPoint: URL): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(entryPoint)],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

/**
 * Starts workerd, in memory, with the Worker bundled from `entryPoint`, a
 * KV namespace bound as SESSIONS and the Durable Objects of `options`.
 */
export async function startWorkerd(
  entryPoint: URL,
  options: WorkerdOptions = {},
): Promise<Workerd> {
  const script = await bundleWorker(entryPoint);
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: "2025-01-01",
    kvNamespaces: ["SESSIONS"],
    d1Databases: ["SESSIONS_DB"],
    durableObjects: Object.fromEntries(
      Object.entries(options.durableObjects ?? {}).map((
        [binding, target],
      ) => [
        binding,
        typeof target === "string"
          ? { className: target, useSQLite: true }
          : target,
      ]),
    ),
  });
  try {
    await mf.ready;
    // Miniflare types the namespace with @cloudflare/workers-types, which
    // this project does not install: describe what the tests use instead.
    const namespace = await mf.getKVNamespace(
      "SESSIONS",
    ) as unknown as TestKvNamespace;
    return {
      namespace,
      fetch: async (url, init) =>
        await mf.dispatchFetch(url, init) as unknown as Response,
      dispose: () => mf.dispose(),
      d1Database: async () =>
        await mf.getD1Database("SESSIONS_DB") as unknown as TestD1Database,
    };
  } catch (error) {
    await mf.dispose();
    throw error;
  }
}
