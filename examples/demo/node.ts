/**
 * The demo on Node's `node:http`: `npm run demo:node`.
 *
 * @module
 */
import { serve } from "../node/http.ts";
import { createDemoApp } from "./app.ts";
import { readDemoConfig } from "./config.ts";
import { connectIoredis } from "./ioredis.ts";

let config;
try {
  config = await readDemoConfig((name) => process.env[name], {
    name: "Node",
    redis: connectIoredis,
  });
} catch (error) {
  console.error(`Cannot start the demo: ${(error as Error).message}`);
  process.exit(1);
}

serve(createDemoApp(config.sessions), {
  hostname: "127.0.0.1",
  port: config.port,
  onListen: (port) =>
    console.log(`sesame demo listening on http://127.0.0.1:${port}/`),
});
