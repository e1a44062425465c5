/**
 * Reads the demo's configuration from environment variables, the same way on
 * every runtime. Each runtime's entry file says which stores it can open.
 *
 * - `PORT`: the port on 127.0.0.1 (default 8000);
 * - `SESSION_STORE`: where sessions live: `memory` (the default), `redis`
 *   (with `REDIS_URL`, or `REDIS_CLUSTER_NODES` for a Redis Cluster:
 *   `host:port` of some of its masters, separated by commas), `denokv`
 *   (Deno only; `DENO_KV_PATH` optionally names the database file), `cookie`
 *   (the sealed cookie store, with `SESSION_SECRET`), `cloudflarekv` (the
 *   Worker's KV binding), `durable` (the Worker's Durable Objects),
 *   `postgres` (with `DATABASE_URL`, e.g.
 *   `postgres://user:password@127.0.0.1:5432/app`; the demo creates the
 *   store's tables at start), `sqlite` (Deno, Bun and Node; `SQLITE_PATH`
 *   names the database file, `sesame-sessions.sqlite` in the working
 *   directory by default; the demo creates the tables at start), or `d1`
 *   (the Worker's D1 binding; the tables are created on the first request);
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
  DurableObjectStore,
  type DurableObjectStoreNamespace,
} from "../../src/stores/durable_object.ts";
import {
  DenoKvStore,
  type DenoKvStoreClient,
} from "../../src/stores/deno_kv.ts";
import {
  PostgresStore,
  type PostgresStoreClient,
} from "../../src/stores/postgres.ts";
import { RedisStore, type RedisStoreClient } from "../../src/stores/redis.ts";
import { SealedCookieStore } from "../../src/stores/sealed_cookie.ts";
import {
  SqliteStore,
  type SqliteStoreClient,
} from "../../src/stores/sqlite.ts";

/** What a runtime's entry file can open, for the stores that need it. */
export interface DemoRuntime {
  /** The runtime's name, for error messages. */
  name: string;
  /** Connects to Redis at a URL (a Redis that is down is not an error). */
  redis?: (url: string) => Promise<RedisStoreClient>;
  /** Connects to a Redis Cluster through some of its nodes, as `host:port`. */
  redisCluster?: (nodes: string[]) => Promise<RedisStoreClient>;
  /** Opens Deno KV, at a path or the default location. */
  denoKv?: (path: string | undefined) => Promise<DenoKvStoreClient>;
  /** The Worker's KV namespace binding. */
  cloudflareKv?: CloudflareKvStoreNamespace;
  /** The Worker's binding of the SessionDurableObject class. */
  durableObject?: DurableObjectStoreNamespace;
  /**
   * Connects to PostgreSQL at a URL, with a client that fails a statement
   * at once while the database is down and reconnects once it is back.
   */
  postgres?: (url: string) => Promise<PostgresStoreClient>;
  /** Opens a SQLite database file, creating it if missing. */
  sqlite?: (path: string) => Promise<SqliteStoreClient>;
  /** The Worker's D1 database binding, adapted. */
  d1?: SqliteStoreClient;
}

/** What the demo needs to start. */
export interface DemoConfig {
  port: number;
  sessions: SessionManagerOptions;
}

/** The stores the demo knows, by their SESSION_STORE name. */
const STORES = [
  "memory",
  "redis",
  "denokv",
  "cookie",
  "cloudflarekv",
  "durable",
  "postgres",
  "sqlite",
  "d1",
];

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
      const nodes = env("REDIS_CLUSTER_NODES");
      if (nodes) {
        if (!runtime.redisCluster) throw unavailable();
        return new RedisStore({
          client: await runtime.redisCluster(clusterNodes(nodes)),
        });
      }
      const url = env("REDIS_URL");
      if (!url) {
        throw new Error(
          "SESSION_STORE=redis needs REDIS_URL, e.g. redis://127.0.0.1:6379, or REDIS_CLUSTER_NODES, e.g. 127.0.0.1:7000,127.0.0.1:7001",
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
    case "postgres": {
      const url = env("DATABASE_URL");
      if (!url) {
        throw new Error(
          "SESSION_STORE=postgres needs DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres",
        );
      }
      if (!runtime.postgres) throw unavailable();
      const store = new PostgresStore({ client: await runtime.postgres(url) });
      // Creates the tables the first time; harmless afterwards.
      await store.migrate();
      return store;
    }
    case "sqlite":
    case "d1": {
      const client = name === "d1" ? runtime.d1 : await runtime.sqlite?.(
        env("SQLITE_PATH") || "sesame-sessions.sqlite",
      );
      if (!client) throw unavailable();
      const store = new SqliteStore({ client });
      // Creates the tables the first time; harmless afterwards.
      await store.migrate();
      return store;
    }
    case "cloudflarekv":
      if (!runtime.cloudflareKv) throw unavailable();
      return new CloudflareKvStore({ namespace: runtime.cloudflareKv });
    case "durable":
      if (!runtime.durableObject) throw unavailable();
      return new DurableObjectStore({ namespace: runtime.durableObject });
    default:
      throw new Error(
        `SESSION_STORE must be one of ${
          STORES.map((s) => `"${s}"`).join(", ")
        }, received ${JSON.stringify(name)}`,
      );
  }
}

/** A node of REDIS_CLUSTER_NODES: a host name or IP literal, and a port. */
const NODE = /^(?:\[[\dA-Fa-f:.]+\]|[\w.-]+):\d{1,5}$/;

/** REDIS_CLUSTER_NODES as a list of `host:port`. */
function clusterNodes(text: string): string[] {
  const nodes = text.split(",").map((node) => node.trim());
  if (!nodes.every((node) => NODE.test(node))) {
    throw new Error(
      `REDIS_CLUSTER_NODES must be host:port pairs separated by commas, e.g. 127.0.0.1:7000,127.0.0.1:7001, received ${
        JSON.stringify(text)
      }`,
    );
  }
  return nodes;
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
