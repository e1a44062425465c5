/**
 * The demo on `Deno.serve`: `npm run demo` (or `deno task demo`).
 *
 * @module
 */
import { createDemoApp } from "./app.ts";
import { readDemoConfig } from "./config.ts";

let config;
try {
  config = readDemoConfig((name) => Deno.env.get(name));
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
