/// <reference types="@types/bun" />
/**
 * The demo on `Bun.serve`: `npm run demo:bun`. Redis goes through Bun's own
 * client.
 *
 * @module
 */
import { RedisClient } from "bun";
import { createDemoApp } from "./app.ts";
import { readDemoConfig } from "./config.ts";

let config;
try {
  config = await readDemoConfig((name) => process.env[name], {
    name: "Bun",
    redis: async (url) => {
      // Bun's client does not reconnect once a connection failed: connect
      // again on demand, so that requests fail fast (503) while Redis is
      // down and work again as soon as it is back.
      const redis = new RedisClient(url, {
        autoReconnect: false,
        connectionTimeout: 2000,
      });
      await redis.connect().catch(() => {});
      return {
        eval: async (script, keys, args) => {
          if (!redis.connected) await redis.connect();
          return await redis.send("EVAL", [
            script,
            String(keys.length),
            ...keys,
            ...args,
          ]);
        },
      };
    },
  });
} catch (error) {
  console.error(`Cannot start the demo: ${(error as Error).message}`);
  process.exit(1);
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: config.port,
  fetch: createDemoApp(config.sessions),
});
console.log(`sesame demo listening on http://127.0.0.1:${server.port}/`);
