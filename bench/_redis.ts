// Private module of the benchmark: a `RedisStoreClient` over `ioredis` that
// counts its round trips, on every runtime (Deno and Bun load ioredis through
// their Node compatibility, so all three measure the same client).
import { Redis } from "ioredis";
import type { RedisStoreClient } from "../src/stores/redis.ts";

/** A Redis store client that counts the commands it sends. */
export interface CountingRedisClient extends RedisStoreClient {
  /** Commands sent so far: each is one round trip to Redis. */
  roundTrips: number;
  /** Deletes every key of the database. */
  flush(): Promise<void>;
  /** Closes the connection. */
  close(): Promise<void>;
}

/**
 * Connects to the Redis at `url`.
 *
 * @param url Such as `redis://127.0.0.1:6379`.
 * @param evalsha Send `EVALSHA` with the script's SHA-1 (the script body only
 * once per connection) instead of `EVAL` with the whole script every time:
 * what a client wrapper can do without any change to sesame.
 */
export async function connectRedis(
  url: string,
  evalsha = false,
): Promise<CountingRedisClient> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableAutoPipelining: false,
  });
  await redis.connect();
  const scripts = new Map<string, string>();
  const client: CountingRedisClient = {
    roundTrips: 0,
    eval(script, keys, args) {
      client.roundTrips++;
      if (!evalsha) return redis.eval(script, keys.length, ...keys, ...args);
      return evalBySha(script, keys, args);
    },
    async flush() {
      await redis.flushdb();
    },
    async close() {
      await redis.quit();
    },
  };
  async function evalBySha(
    script: string,
    keys: string[],
    args: string[],
  ): Promise<unknown> {
    let sha = scripts.get(script);
    if (sha === undefined) {
      sha = String(await redis.script("LOAD", script));
      scripts.set(script, sha);
    }
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  }
  return client;
}

/**
 * A Redis store client that answers in this process, by running the store's
 * four record scripts (get, set, touch, delete) on a `Map`: what the Redis
 * store costs in CPU, without the network. Recognises the scripts by their
 * first line; anything else (the subject index) throws.
 */
export function inProcessRedis(): CountingRedisClient {
  const keys = new Map<string, { value: string; expiresAt: number }>();
  const live = (key: string) => {
    const entry = keys.get(key);
    if (entry !== undefined && entry.expiresAt <= Date.now()) {
      keys.delete(key);
      return undefined;
    }
    return entry;
  };
  const versioned = (value: string | undefined) =>
    value !== undefined && /^[\w-]{22}:/.test(value);
  const client: CountingRedisClient = {
    roundTrips: 0,
    eval(script, [key], args) {
      client.roundTrips++;
      const entry = live(key);
      if (script.startsWith("local stored = redis.call('GET'")) {
        return Promise.resolve(
          entry === undefined ? null : [entry.value, entry.expiresAt],
        );
      }
      if (script.startsWith("if ARGV[3] ~= 'any'")) {
        const [expiresAt, value, mode, expected] = args;
        const head = entry?.value.slice(0, 23);
        if (
          (mode === "absent" && versioned(head)) ||
          (mode === "version" && head !== `${expected}:`)
        ) {
          return Promise.resolve(0);
        }
        if (Number(expiresAt) <= Date.now()) keys.delete(key);
        else keys.set(key, { value, expiresAt: Number(expiresAt) });
        return Promise.resolve(1);
      }
      if (script.startsWith("local head = redis.call('GETRANGE'")) {
        if (entry === undefined || !versioned(entry.value)) {
          return Promise.resolve(0);
        }
        entry.expiresAt = Number(args[0]);
        return Promise.resolve(1);
      }
      if (script.startsWith("return redis.call('DEL'")) {
        return Promise.resolve(keys.delete(key) ? 1 : 0);
      }
      return Promise.reject(new Error("Not a record script"));
    },
    flush() {
      keys.clear();
      return Promise.resolve();
    },
    close() {
      return Promise.resolve();
    },
  };
  return client;
}
