/**
 * Connects the Redis store to `ioredis` (on Node and Deno; to a Redis Cluster
 * through its `Cluster` on Bun as well), set to fail a command at once while
 * Redis is down (the demo then answers 503) and to reconnect by itself.
 *
 * @module
 */
import { Cluster, Redis } from "ioredis";
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

/**
 * A Redis store client over an `ioredis` `Cluster` that starts from `nodes`
 * (`host:port` of some of the masters), once the first attempt to learn the
 * cluster's slots has succeeded or failed. Each call goes to the master that
 * owns its one key.
 */
export async function connectIoredisCluster(
  nodes: string[],
): Promise<RedisStoreClient> {
  const cluster = new Cluster(
    nodes.map((node) => {
      const colon = node.lastIndexOf(":");
      // "[::1]:7000" names the host ::1.
      const host = node.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
      return { host, port: Number(node.slice(colon + 1)) };
    }),
    {
      enableOfflineQueue: false,
      clusterRetryStrategy: () => 200,
      redisOptions: { maxRetriesPerRequest: 0, connectTimeout: 2000 },
    },
  );
  // Connection errors surface per command; do not crash on the event.
  cluster.on("error", () => {});
  await new Promise((resolve) => {
    cluster.once("ready", resolve);
    cluster.once("error", resolve);
  });
  return {
    eval: (script, keys, args) =>
      cluster.eval(script, keys.length, ...keys, ...args),
  };
}
