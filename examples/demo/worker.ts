/**
 * The demo as a Cloudflare Worker (`export default { fetch }`). Run it in the
 * real workerd runtime with `npm run demo:worker`, which serves it through
 * Miniflare with a KV namespace bound as `SESSIONS`; or deploy it with
 * Wrangler and a KV binding of that name. For `SESSION_STORE=durable`, the
 * module exports `SessionDurableObject`, bound as `SESSION_OBJECTS` (a
 * SQLite-backed class: `new_sqlite_classes` in its migration). For
 * `SESSION_STORE=d1`, a D1 database bound as `SESSIONS_DB` (the first
 * request of an isolate creates the tables if they are missing).
 *
 * Configuration comes from the Worker's variables: `SESSION_STORE`
 * (`memory`, `cookie`, `cloudflarekv`, `durable` or `d1`), `SESSION_TTL`,
 * `SESSION_SECRET`.
 *
 * @module
 */
import type { CloudflareKvStoreNamespace } from "../../src/stores/cloudflare_kv.ts";
import type { DurableObjectStoreNamespace } from "../../src/stores/durable_object.ts";
import type { SqliteStoreClient } from "../../src/stores/sqlite.ts";
import { createDemoApp } from "./app.ts";
import { readDemoConfig } from "./config.ts";

/** The part of a D1 database binding that the SQLite store's adapter uses. */
export interface D1Binding {
  prepare(sql: string): {
    bind(...values: unknown[]): { all(): Promise<{ results: unknown[] }> };
  };
}

/** The SQLite store's client over a D1 binding. */
function d1Client(db: D1Binding): SqliteStoreClient {
  return {
    all: async (sql, params) =>
      (await db.prepare(sql).bind(...params).all()).results,
  };
}

/** The Worker's bindings. */
export interface Env {
  SESSIONS?: CloudflareKvStoreNamespace;
  SESSION_OBJECTS?: DurableObjectStoreNamespace;
  SESSIONS_DB?: D1Binding;
  [variable: string]: unknown;
}

// The Durable Object class that SESSION_OBJECTS binds.
export { SessionDurableObject } from "../../src/stores/durable_object.ts";

let app: Promise<(request: Request) => Promise<Response>> | undefined;

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    // One app per isolate: the memory store lives as long as the isolate.
    app ??= readDemoConfig(
      (name) => typeof env[name] === "string" ? env[name] as string : undefined,
      {
        name: "Cloudflare Workers",
        cloudflareKv: env.SESSIONS,
        durableObject: env.SESSION_OBJECTS,
        d1: env.SESSIONS_DB && d1Client(env.SESSIONS_DB),
      },
    ).then((config) => createDemoApp(config.sessions));
    return app.then((serve) => serve(request));
  },
};
