/// <reference types="@types/bun" />
/**
 * The demo on `Bun.serve`: `npm run demo:bun`. Redis goes through Bun's own
 * client; a Redis Cluster through ioredis's `Cluster`, since Bun's client
 * does not follow the cluster's redirections. PostgreSQL goes through Bun's
 * own `SQL` client.
 *
 * @module
 */
import { RedisClient, SQL } from "bun";
import { Database } from "bun:sqlite";
import { createSqliteStoreClient } from "../../src/stores/sqlite.ts";
import { createDemoApp } from "./app.ts";
import { readDemoConfig } from "./config.ts";
import { connectIoredisCluster } from "./ioredis.ts";

let config;
try {
  config = await readDemoConfig((name) => process.env[name], {
    name: "Bun",
    redisCluster: connectIoredisCluster,
    sqlite: (path) => {
      const db = new Database(path);
      db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000");
      return Promise.resolve(createSqliteStoreClient(db));
    },
    postgres: (url) => {
      // Fails a statement within 2 seconds while PostgreSQL is down, and
      // connects again on the next one.
      const sql = new SQL(url, { connectionTimeout: 2 });
      return Promise.resolve({
        query: (text, params) => sql.unsafe(text, params),
      });
    },
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
