/**
 * Serves the demo Worker in the real workerd runtime, through Miniflare, on
 * 127.0.0.1:`PORT`, with a KV namespace bound as `SESSIONS` and the
 * `SessionDurableObject` class bound as `SESSION_OBJECTS` and a D1 database
 * bound as `SESSIONS_DB` (all in memory):
 * `npm run demo:worker`. `SESSION_STORE`, `SESSION_TTL` and `SESSION_SECRET`
 * become the Worker's variables.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { URL as NodeURL } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { readDemoConfig } from "./config.ts";

const env = (name: string) => process.env[name] || undefined;
let port: number;
try {
  // Check the configuration here, where a mistake can stop the start.
  const placeholder = {
    getWithMetadata: () => Promise.reject(new Error("not in the Worker")),
    put: () => Promise.reject(new Error("not in the Worker")),
    delete: () => Promise.reject(new Error("not in the Worker")),
  };
  port = (await readDemoConfig(env, {
    name: "Cloudflare Workers",
    cloudflareKv: placeholder,
    durableObject: {
      idFromName: () => {
        throw new Error("not in the Worker");
      },
      get: () => {
        throw new Error("not in the Worker");
      },
    },
    // Answers every statement with no rows: enough for the store's
    // migrate() to find nothing wrong here; the Worker's own runs in workerd.
    d1: { all: () => [] },
  })).port;
} catch (error) {
  console.error(`Cannot start the demo: ${(error as Error).message}`);
  process.exit(1);
}

const bundle = await build({
  entryPoints: [fileURLToPath(new NodeURL("./worker.ts", import.meta.url))],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  write: false,
  logLevel: "silent",
});

const bindings: Record<string, string> = {};
for (const name of ["SESSION_STORE", "SESSION_TTL", "SESSION_SECRET"]) {
  const value = env(name);
  if (value !== undefined) bindings[name] = value;
}

const mf = new Miniflare({
  modules: true,
  script: bundle.outputFiles[0].text,
  compatibilityDate: "2025-01-01",
  kvNamespaces: ["SESSIONS"],
  d1Databases: ["SESSIONS_DB"],
  durableObjects: {
    SESSION_OBJECTS: { className: "SessionDurableObject", useSQLite: true },
  },
  bindings,
  host: "127.0.0.1",
  port,
});
const url = await mf.ready;
console.log(`sesame demo listening on http://127.0.0.1:${url.port}/`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    mf.dispose().finally(() => process.exit(0));
  });
}
