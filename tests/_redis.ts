// Redis clients for the RedisStore tests: a fake that answers without a
// server, wrappers that count calls or parse replies as JSON, the runtime's
// own client connected to a redis-server (ioredis on Deno and Node, Bun's
// built-in client on Bun), and commands that look at the server directly.
import type { RedisStoreClient } from "../src/stores/redis.ts";

const IS_BUN = "Bun" in globalThis;

/** The client that connectTo() uses on this runtime, to name the tests. */
export const CLIENT_NAME = IS_BUN ? "Bun RedisClient" : "ioredis";

/** The longest any one call of a connected client may take before it rejects. */
const CALL_TIMEOUT_MS = 10_000;

/** A connection to Redis through the runtime's client, and how to close it. */
export interface Connection {
  /** The client as the store takes it; every call is bounded in time. */
  client: RedisStoreClient;
  close(): Promise<void>;
}

/** The part of Bun's `RedisClient` that these tests use. */
interface BunRedisClient {
  readonly connected: boolean;
  connect(): Promise<void>;
  send(command: string, args: string[]): Promise<unknown>;
  close(): void;
}

/**
 * Connects to `port` of 127.0.0.1. With `failFast`, ioredis makes one
 * connection attempt and rejects calls instead of retrying (Bun's adapter
 * always fails fast while Redis is down).
 */
export async function connectTo(
  port: number,
  { failFast = false } = {},
): Promise<Connection> {
  let client: RedisStoreClient;
  let close: () => Promise<void>;
  if (IS_BUN) {
    // Resolved at run time only, so that Deno and Node never look for it.
    const bun = "bun";
    const { RedisClient } = await import(bun) as {
      RedisClient: new (
        url: string,
        options: Record<string, unknown>,
      ) => BunRedisClient;
    };
    // Bun's client never reconnects by itself once a connection has failed
    // (it rejects every later command), so the adapter reconnects when
    // needed; without autoReconnect, a call fails at once while Redis is down
    // instead of after ~30 s of retries.
    const redis = new RedisClient(`redis://127.0.0.1:${port}`, {
      autoReconnect: false,
      connectionTimeout: 2_000,
    });
    client = {
      async eval(script, keys, args) {
        if (!redis.connected) await redis.connect();
        return await redis.send("EVAL", [
          script,
          String(keys.length),
          ...keys,
          ...args,
        ]);
      },
    };
    close = () => Promise.resolve(redis.close());
  } else {
    const { Redis } = await import("ioredis");
    const redis = new Redis({
      host: "127.0.0.1",
      port,
      lazyConnect: true,
      connectTimeout: 2_000,
      commandTimeout: CALL_TIMEOUT_MS,
      // Fail a call after one reconnection attempt rather than queue it.
      maxRetriesPerRequest: failFast ? 0 : 1,
      retryStrategy: failFast ? () => null : () => 50,
    });
    // Failures reach the store as rejections; the events are noise here.
    redis.on("error", () => {});
    client = {
      eval: (script, keys, args) =>
        redis.eval(script, keys.length, ...keys, ...args),
    };
    close = async () => {
      redis.disconnect();
      await Promise.resolve();
    };
  }
  return { client: bounded(client), close };
}

/** A client whose calls reject when they take longer than CALL_TIMEOUT_MS. */
function bounded(client: RedisStoreClient): RedisStoreClient {
  return {
    eval(script, keys, args) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`EVAL took over ${CALL_TIMEOUT_MS} ms`)),
          CALL_TIMEOUT_MS,
        );
      });
      return Promise.race([client.eval(script, keys, args), timeout])
        .finally(() => clearTimeout(timer));
    },
  };
}

/** A client that answers every call with `reply`, without a server. */
export function replying(reply: unknown): RedisStoreClient {
  return { eval: () => Promise.resolve(reply) };
}

/** A client that counts its calls. */
export function counting(client: RedisStoreClient) {
  const counter = {
    calls: 0,
    client: {
      eval(script: string, keys: string[], args: string[]) {
        counter.calls++;
        return client.eval(script, keys, args);
      },
    } satisfies RedisStoreClient,
  };
  return counter;
}

/**
 * A client that parses replies as JSON the way `@upstash/redis` does by
 * default: every string that is JSON text becomes its value (a number only
 * when it converts back to the same text), recursively through arrays.
 */
export function parsingJson(client: RedisStoreClient): RedisStoreClient {
  const parse = (reply: unknown): unknown => {
    if (Array.isArray(reply)) return reply.map(parse);
    if (typeof reply !== "string") return reply;
    try {
      const value: unknown = JSON.parse(reply);
      return typeof value === "number" && String(value) !== reply
        ? reply
        : value;
    } catch {
      return reply;
    }
  };
  return {
    eval: async (script, keys, args) =>
      parse(await client.eval(script, keys, args)),
  };
}

/** Runs a Lua one-liner on `key` through the store's own client interface. */
export function command(
  client: RedisStoreClient,
  name: string,
  key: string,
  ...args: string[]
): Promise<unknown> {
  return client.eval(
    `return redis.call('${name}', KEYS[1], unpack(ARGV))`,
    [key],
    args,
  );
}

/** The keys under `prefix`, sorted. */
export async function keysUnder(
  client: RedisStoreClient,
  prefix: string,
): Promise<string[]> {
  const keys = await client.eval(
    "return redis.call('KEYS', ARGV[1])",
    [],
    [prefix + "*"],
  );
  return (keys as string[]).map(String).sort();
}
