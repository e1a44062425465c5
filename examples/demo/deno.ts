/**
 * The demo on `Deno.serve`: `npm run demo` (or `npm run demo:deno`).
 *
 * @module
 */
import { createDemoApp } from "./app.ts";
import { readDemoConfig } from "./config.ts";
import { connectIoredis, connectIoredisCluster } from "./ioredis.ts";
import { openNodeSqlite } from "./node_sqlite.ts";
import { connectPostgresJs } from "./postgres_js.ts";

let config;
try {
  config = await readDemoConfig((name) => Deno.env.get(name), {
    name: "Deno",
    redis: connectIoredis,
    redisCluster: connectIoredisCluster,
    denoKv: (path) => Deno.openKv(path),
    postgres: connectPostgresJs,
    sqlite: openNodeSqlite,
  });
} catch (error) {
  console.error(`Cannot start the demo: ${(error as Error).message}`);
  Deno.exit(1);
}

Deno.serve(
  {
    hostname: "127.0.0.1",
    port: config.port,
    onListen: ({ hostname, port }) =>
      console.log(`sesame demo listening on http://${hostname}:${port}/`),
  },
  createDemoApp(config.sessions),
);
