/**
 * Connects the Redis store to `ioredis` (on Node and Deno), set to fail a
 * command at once while Redis is down (the demo then answers 503) and to
 * reconnect by itself.
 *
 * @module
 */
import { Redis } from "ioredis";
import type { RedisStoreClient } from "../../src/stores/redis.ts";

/**
 * A Redis store client over an `ioredis` connection to `url`, once the first
 * connection attempt has succeeded or failed.
 */
export async function connectIoredis(url: string): Promise<RedisStoreClient> {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: () => 200,
  });
  // Connection errors surface per command; do not crash on the event.
  redis.on("error", () => {});
  await new Promise((resolve) => {
    redis.once("ready", resolve);
    redis.once("error", resolve);
  });
  return {
    eval: (script, keys, args) =>
      redis.eval(script, keys.length, ...keys, ...args),
  };
}
