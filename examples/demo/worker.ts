/**
 * The demo as a Cloudflare Worker (`export default { fetch }`). Run it in the
 * real workerd runtime with `npm run demo:worker`, which serves it through
 * Miniflare with a KV namespace bound as `SESSIONS`; or deploy it with
 * Wrangler and a KV binding of that name.
 *
 * Configuration comes from the Worker's variables: `SESSION_STORE`
 * (`memory`, `cookie` or `cloudflarekv`), `SESSION_TTL`, `SESSION_SECRET`.
 *
 * @module
 */
import type { CloudflareKvStoreNamespace } from "../../src/stores/cloudflare_kv.ts";
import { createDemoApp } from "./app.ts";
import { readDemoConfig } from "./config.ts";

/** The Worker's bindings. */
export interface Env {
  SESSIONS?: CloudflareKvStoreNamespace;
  [variable: string]: unknown;
}

let app: Promise<(request: Request) => Promise<Response>> | undefined;

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    // One app per isolate: the memory store lives as long as the isolate.
    app ??= readDemoConfig(
      (name) => typeof env[name] === "string" ? env[name] as string : undefined,
      { name: "Cloudflare Workers", cloudflareKv: env.SESSIONS },
    ).then((config) => createDemoApp(config.sessions));
    return app.then((serve) => serve(request));
  },
};
