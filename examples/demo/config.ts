/**
 * Reads the demo's configuration from environment variables, the same way on
 * every runtime. Each runtime's entry file says which stores it can open.
 *
 * - `PORT`: the port on 127.0.0.1 (default 8000);
 * - `SESSION_STORE`: where sessions live: `memory` (the default), `redis`
 *   (with `REDIS_URL`), `denokv` (Deno only; `DENO_KV_PATH` optionally names
 *   the database file), `cookie` (the sealed cookie store, with
 *   `SESSION_SECRET`), or `cloudflarekv` (the Worker's KV binding);
 * - `SESSION_TTL`: the idle timeout in seconds (default 1800); the absolute
 *   timeout is 12 hours, or `SESSION_TTL` when that is longer.
 *
 * @module
 */
import { MemoryStore, type SessionManagerOptions } from "../../mod.ts";
import {
  CloudflareKvStore,
  type CloudflareKvStoreNamespace,
} from "../../src/stores/cloudflare_kv.ts";
import {
  DenoKvStore,
  type DenoKvStoreClient,
} from "../../src/stores/deno_kv.ts";
import { RedisStore, type RedisStoreClient } from "../../src/stores/redis.ts";
import { SealedCookieStore } from "../../src/stores/sealed_cookie.ts";

/** What a runtime's entry file can open, for the stores that need it. */
export interface DemoRuntime {
  /** The runtime's name, for error messages. */
  name: string;
  /** Connects to Redis at a URL (a Redis that is down is not an error). */
  redis?: (url: string) => Promise<RedisStoreClient>;
  /** Opens Deno KV, at a path or the default location. */
  denoKv?: (path: string | undefined) => Promise<DenoKvStoreClient>;
  /** The Worker's KV namespace binding. */
  cloudflareKv?: CloudflareKvStoreNamespace;
}

/** What the demo needs to start. */
export interface DemoConfig {
  port: number;
  sessions: SessionManagerOptions;
}

/** The stores the demo knows, by their SESSION_STORE name. */
const STORES = ["memory", "redis", "denokv", "cookie", "cloudflarekv"];

/**
 * Builds the demo configuration from environment variables.
 *
 * @param env Looks up one variable.
 * @param runtime What this runtime can open.
 * @throws {Error} With a message for the person starting the demo.
 */
export async function readDemoConfig(
  env: (name: string) => string | undefined,
  runtime: DemoRuntime,
): Promise<DemoConfig> {
  const port = wholeNumber(env, "PORT", 8000, 0, 65535);
  const name = env("SESSION_STORE") || "memory";
  const sessions: SessionManagerOptions = {
    store: await openStore(name, env, runtime),
  };
  if (env("SESSION_TTL")) {
    const ttl = wholeNumber(env, "SESSION_TTL", 0, 1, 10 * 365 * 86400);
    sessions.idleTimeoutSeconds = ttl;
    sessions.absoluteTimeoutSeconds = Math.max(ttl, 12 * 60 * 60);
  }
  return { port, sessions };
}

async function openStore(
  name: string,
  env: (name: string) => string | undefined,
  runtime: DemoRuntime,
): Promise<SessionManagerOptions["store"]> {
  const unavailable = () =>
    new Error(
      `SESSION_STORE=${name} is not available on ${runtime.name}`,
    );
  switch (name) {
    case "memory":
      return new MemoryStore();
    case "redis": {
      const url = env("REDIS_URL");
      if (!url) {
        throw new Error(
          "SESSION_STORE=redis needs REDIS_URL, e.g. redis://127.0.0.1:6379",
        );
      }
      if (!runtime.redis) throw unavailable();
      return new RedisStore({ client: await runtime.redis(url) });
    }
    case "denokv":
      if (!runtime.denoKv) throw unavailable();
      return new DenoKvStore({
        kv: await runtime.denoKv(env("DENO_KV_PATH") || undefined),
      });
    case "cookie": {
      const secret = env("SESSION_SECRET");
      if (!secret || secret.length < 32) {
        throw new Error(
          "SESSION_STORE=cookie needs SESSION_SECRET of at least 32 characters (generate one with: openssl rand -base64 32)",
        );
      }
      return new SealedCookieStore({ secrets: [secret] });
    }
    case "cloudflarekv":
      if (!runtime.cloudflareKv) throw unavailable();
      return new CloudflareKvStore({ namespace: runtime.cloudflareKv });
    default:
      throw new Error(
        `SESSION_STORE must be one of ${
          STORES.map((s) => `"${s}"`).join(", ")
        }, received ${JSON.stringify(name)}`,
      );
  }
}

function wholeNumber(
  env: (name: string) => string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env(name);
  if (!text) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new Error(
      `${name} must be a whole number from ${min} to ${max}, received ${
        JSON.stringify(text)
      }`,
    );
  }
  return value;
}
