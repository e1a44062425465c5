// Runs a Worker in the real workerd runtime through Miniflare, with a Workers
// KV namespace bound as SESSIONS. Node only: import it dynamically from tests
// that run on Node.
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
 * Starts workerd, in memory, with the Worker bundled from `entryPoint` and a
 * KV namespace bound as SESSIONS.
 */
export async function startWorkerd(entryPoint: URL): Promise<Workerd> {
  const script = await bundleWorker(entryPoint);
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: "2025-01-01",
    kvNamespaces: ["SESSIONS"],
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
    };
  } catch (error) {
    await mf.dispose();
    throw error;
  }
}
