/**
 * A session store over Redis or Valkey, shared by every process that serves
 * the site, with compare-and-set, expiry kept by Redis itself and an index of
 * sessions by subject.
 *
 * The store depends on no Redis client: it takes any object with an
 * `eval(script, keys, args)` method, so ioredis, node-redis, `@upstash/redis`
 * and Bun's built-in client all fit with a wrapper of a few lines at most
 * (see {@linkcode RedisStoreClient}). Each store call is one `EVAL` of a small Lua
 * script, hence one round trip and one atomic step on the server.
 *
 * @example Sessions in Redis through ioredis
 * ```ts ignore
 * import { Redis } from "ioredis";
 * import { createSessionManager } from "@sesame/session";
 * import { RedisStore } from "@sesame/session/redis";
 *
 * const redis = new Redis(process.env.REDIS_URL!);
 * const sessions = createSessionManager({
 *   store: new RedisStore({
 *     client: { eval: (s, k, a) => redis.eval(s, k.length, ...k, ...a) },
 *   }),
 * });
 * ```
 *
 * **Keys.** The store keeps two kinds of keys, both under its prefix
 * (`"sesame:"` unless `prefix` says otherwise):
 *
 * | Key | Type | Holds | Expires |
 * | --- | --- | --- | --- |
 * | `prefix + "s:" + key` | string | one session record: a 22-character version, `:` and the serialised record; `key` is the SHA-256 of the session id, in base64url | with the session (`PXAT`, moved by `touch()`) |
 * | `prefix + "u:" + subject` | sorted set | the subject index: the record keys of one subject's sessions, scored by their expiry | with the subject's last session |
 *
 * **Redis Cluster.** Every script the store sends reads and writes exactly
 * one key, and names it in `KEYS`: a cluster client routes each call to the
 * master that owns that key's slot, and no call can fail with `CROSSSLOT`,
 * whatever slots a subject's sessions live in. No key carries a hash tag, on
 * purpose: records spread over every master by the hash of their key, and a
 * subject's index lives in a slot of its own. No script needs the index and
 * a record together, on a cluster or on a single server: the manager keeps
 * them in step through calls of their own (it adds the index entry before
 * and after writing a record, and a listing checks each entry against its
 * record), so their being on different masters loses nothing.
 * Keep hash tags (`{…}`) out of `prefix`: one would put every key of the
 * store in a single slot, hence every session on a single master. Use a
 * cluster client (ioredis's `Cluster`, node-redis's `createCluster`; see
 * {@linkcode RedisStoreClient}); a client of one node gets `MOVED` errors.
 *
 * Sessions are found by these key names alone: changing `prefix` on a
 * running site (as would a later version that changed the layout) signs
 * every user out once, and the old keys expire by themselves.
 *
 * It is not a cache or a general key-value client: it keeps session records
 * and nothing else, under its own key prefix.
 *
 * @module
 */
import { describeValue } from "../_options.ts";
import {
  createVersion,
  DELETE,
  expiryArgument,
  GET,
  isNil,
  malformed,
  RedisSubjectIndex,
  SET,
  toFlag,
  toInteger,
  toText,
  TOUCH,
  VERSION,
  VERSIONED,
} from "./_redis_protocol.ts";
import type {
  SessionStore,
  StoreEntry,
  StoreSetOptions,
  StoreSetResult,
  StoreTouchOptions,
  SubjectIndex,
} from "../store.ts";

/**
 * The one method {@linkcode RedisStore} needs from a Redis client: run a Lua
 * script with `EVAL`.
 *
 * The method sends `EVAL script keys.length ...keys ...args` and resolves
 * with the script's reply as the client decodes it: a string, a number, `null`
 * (or `undefined` or `false`) for a nil reply, or an array of these. Replies
 * as bytes (`Uint8Array`, Node's `Buffer`) are read as UTF-8. Errors are
 * passed through unchanged; the session manager wraps them in a
 * `SessionStoreError`.
 *
 * Adapters for common clients, checked against each client's types or
 * reference:
 *
 * | Client | `client` option |
 * | --- | --- |
 * | [ioredis](https://github.com/redis/ioredis) | `{ eval: (s, k, a) => redis.eval(s, k.length, ...k, ...a) }` |
 * | ioredis's [`Cluster`](https://github.com/redis/ioredis#cluster), for Redis Cluster | `{ eval: (s, k, a) => cluster.eval(s, k.length, ...k, ...a) }` |
 * | [node-redis](https://github.com/redis/node-redis) v4 and later | `{ eval: (s, k, a) => client.eval(s, { keys: k, arguments: a }) }` |
 * | node-redis's [`createCluster`](https://github.com/redis/node-redis/blob/master/docs/clustering.md), for Redis Cluster | `{ eval: (s, k, a) => cluster.eval(s, { keys: k, arguments: a }) }` |
 * | [`@upstash/redis`](https://upstash.com/docs/redis/sdks/ts/overview) | `redis` itself: its `eval(script, keys, args)` fits as it is |
 * | [Bun's `RedisClient`](https://bun.com/docs/runtime/redis) | `{ eval: (s, k, a) => redis.send("EVAL", [s, String(k.length), ...k, ...a]) }`, reconnecting as in the example below |
 *
 * Bun's client (checked with Bun 1.4) does not reconnect by itself once a
 * connection has failed: every later command rejects until `connect()` is
 * called, so its adapter should reconnect when `redis.connected` is `false`.
 * Bun's client talks to one node and does not follow a cluster's `MOVED`
 * redirections (Bun 1.4): on Bun, reach a Redis Cluster through ioredis's
 * `Cluster`, which runs there too. `@upstash/redis` parses replies as JSON
 * by default; the store's replies are built so that this leaves them
 * intact, so `automaticDeserialization` may stay on.
 *
 * @example Adapt ioredis
 * ```ts ignore
 * import { Redis } from "ioredis";
 * import type { RedisStoreClient } from "@sesame/session/redis";
 *
 * // While Redis is down, fail a call after one reconnection attempt
 * // instead of twenty.
 * const redis = new Redis("redis://127.0.0.1:6379", {
 *   maxRetriesPerRequest: 1,
 * });
 * const client: RedisStoreClient = {
 *   eval: (script, keys, args) =>
 *     redis.eval(script, keys.length, ...keys, ...args),
 * };
 * ```
 *
 * @example Adapt node-redis
 * ```ts ignore
 * import { createClient } from "redis";
 * import type { RedisStoreClient } from "@sesame/session/redis";
 *
 * const redis = await createClient({ url: "redis://127.0.0.1:6379" })
 *   .connect();
 * const client: RedisStoreClient = {
 *   eval: (script, keys, args) =>
 *     redis.eval(script, { keys, arguments: args }),
 * };
 * ```
 *
 * @example Adapt ioredis's Cluster, for Redis Cluster
 * ```ts ignore
 * import { Cluster } from "ioredis";
 * import type { RedisStoreClient } from "@sesame/session/redis";
 *
 * // Any of the masters will do: the client learns the others from them.
 * const cluster = new Cluster([
 *   { host: "10.0.0.1", port: 6379 },
 *   { host: "10.0.0.2", port: 6379 },
 * ], { redisOptions: { maxRetriesPerRequest: 1 } });
 * const client: RedisStoreClient = {
 *   eval: (script, keys, args) =>
 *     cluster.eval(script, keys.length, ...keys, ...args),
 * };
 * ```
 *
 * @example Adapt node-redis's createCluster, for Redis Cluster
 * ```ts ignore
 * import { createCluster } from "redis";
 * import type { RedisStoreClient } from "@sesame/session/redis";
 *
 * const cluster = await createCluster({
 *   rootNodes: [{ url: "redis://10.0.0.1:6379" }, { url: "redis://10.0.0.2:6379" }],
 * }).connect();
 * const client: RedisStoreClient = {
 *   eval: (script, keys, args) =>
 *     cluster.eval(script, { keys, arguments: args }),
 * };
 * ```
 *
 * @example Use `@upstash/redis` as it is
 * ```ts ignore
 * import { Redis } from "@upstash/redis";
 * import type { RedisStoreClient } from "@sesame/session/redis";
 *
 * const client: RedisStoreClient = Redis.fromEnv();
 * ```
 *
 * @example Adapt Bun's built-in client, reconnecting after an outage
 * ```ts ignore
 * import { RedisClient } from "bun";
 * import type { RedisStoreClient } from "@sesame/session/redis";
 *
 * // Without autoReconnect, a call fails at once while Redis is down
 * // (instead of after about 30 seconds of retries), and the adapter
 * // reconnects on the next call.
 * const redis = new RedisClient("redis://127.0.0.1:6379", {
 *   autoReconnect: false,
 * });
 * const client: RedisStoreClient = {
 *   async eval(script, keys, args) {
 *     if (!redis.connected) await redis.connect();
 *     return await redis.send("EVAL", [
 *       script,
 *       String(keys.length),
 *       ...keys,
 *       ...args,
 *     ]);
 *   },
 * };
 * ```
 */
export interface RedisStoreClient {
  /**
   * Runs `EVAL script keys.length ...keys ...args` and resolves with the
   * reply.
   *
   * @param script The Lua script's source.
   * @param keys The keys the script touches (`KEYS` in Lua).
   * @param args The other arguments (`ARGV` in Lua).
   * @returns The script's reply.
   */
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
}

/**
 * Options of {@linkcode RedisStore}.
 *
 * @example A store under its own prefix
 * ```ts ignore
 * import { Redis } from "ioredis";
 * import { RedisStore } from "@sesame/session/redis";
 *
 * const redis = new Redis();
 * const store = new RedisStore({
 *   client: { eval: (s, k, a) => redis.eval(s, k.length, ...k, ...a) },
 *   prefix: "shop:sessions:",
 * });
 * ```
 */
export interface RedisStoreOptions {
  /**
   * The connection: anything with an `eval(script, keys, args)` method (see
   * {@linkcode RedisStoreClient} for adapters). The store never connects,
   * closes or configures it; give it a client that reconnects after an
   * outage and fails a call rather than queueing it for long while Redis is
   * down, so that requests fail fast with a `SessionStoreError`.
   */
  client: RedisStoreClient;
  /**
   * The prefix of every key the store writes: records live under
   * `prefix + "s:" + key` and subject indexes under
   * `prefix + "u:" + subject`. Give apps or environments that share one
   * database different prefixes. Keep hash tags (`{…}`) out of it: in Redis
   * Cluster, one would put every session in a single slot, on a single
   * master. None is needed there: every script touches a single key.
   *
   * @default {"sesame:"}
   */
  prefix?: string;
}

const ACTION = "Cannot create Redis store";
const SET_ACTION = "Cannot set session record in Redis";
const TOUCH_ACTION = "Cannot touch session record in Redis";

/**
 * A session store in Redis 7.0 or later, or Valkey, for sessions shared by
 * several processes or kept across restarts. A compatible service works when
 * it runs Lua scripts with `GET`, `GETRANGE`, `SET … PXAT`, `PEXPIREAT`,
 * `PEXPIRETIME`, `TIME`, `ZADD … GT`, `ZRANGE`, `ZREM` and
 * `ZREMRANGEBYSCORE`.
 *
 * **What is stored.** Each record is one string key,
 * `prefix + "s:" + key`, holding `version + ":" + value`: a random 128-bit
 * version (22 base64url characters) and the manager's serialised record.
 * Keys are SHA-256 digests of session ids (the manager hashes ids for every
 * store that is not `inProcess`), so a key listing or a dump of the database
 * holds no usable cookie. The subject index is one sorted set per subject,
 * `prefix + "u:" + subject`, whose members are record keys scored by their
 * expiry; records and indexes live under different infixes, so no subject can
 * ever name a record key.
 *
 * **Expiry.** Redis keeps the expiry: records are written with
 * `SET … PXAT expiresAt` and extended by `touch()` with `PEXPIREAT`, and
 * `get()` reads the exact expiry back with `PEXPIRETIME`. Redis frees expired
 * records by itself, and decides expiry by its own clock: keep the clocks of
 * the application's hosts and of Redis in sync (NTP). Expiries are whole
 * milliseconds; a fractional one is rounded down. A subject's sorted set
 * drops expired members whenever it is written or listed, and expires with
 * its last member.
 *
 * **Compare-and-set.** Every `set()` writes a new random version, so a
 * version never repeats for a key, not even after the record is deleted and
 * created again, and `touch()` keeps it. The check of `ifVersion` and the
 * write (or, for `touch()`, the move of the expiry) are one Lua script,
 * hence atomic; it reads only the 23-byte version header of the current
 * value, never the whole record.
 *
 * **Cost.** Every method is one `EVAL`: loading a session is one round trip,
 * saving a change one, extending the expiry one. Scripts are sent in full
 * (under 500 bytes each); each touches a single key, so the store works on
 * Redis Cluster as well, its records spread over every master (see the
 * module's documentation for the key layout).
 *
 * **Limits.** A Redis string holds at most 512 MB, but every request reads
 * and writes its whole record: keep sessions to a few kilobytes. Keys and
 * subjects go to Redis as UTF-8, so strings with unpaired surrogates (not
 * valid Unicode) are not kept apart. A key under the store's prefix that it
 * did not write (no version header, or no expiry) reads as no record.
 *
 * **Errors.** The store lets every error of the client through as it is (the
 * manager wraps it in a `SessionStoreError` whose `cause` it is), and
 * rejects with an `Error` when a reply has an unexpected shape. A failure
 * never leaves a half-written record: each script runs atomically.
 *
 * @example Share sessions between processes through ioredis
 * ```ts ignore
 * import { Redis } from "ioredis";
 * import { createSessionManager } from "@sesame/session";
 * import { RedisStore } from "@sesame/session/redis";
 *
 * const redis = new Redis(process.env.REDIS_URL!, {
 *   // Fail a store call while Redis is down instead of queueing it.
 *   maxRetriesPerRequest: 1,
 * });
 * const sessions = createSessionManager<{ visits: number }>({
 *   store: new RedisStore({
 *     client: { eval: (s, k, a) => redis.eval(s, k.length, ...k, ...a) },
 *   }),
 * });
 *
 * Deno.serve(sessions.handler((_request, session) => {
 *   const visits = session.update("visits", (n = 0) => n + 1);
 *   return Response.json({ visits });
 * }));
 * ```
 *
 * @example Use Bun's built-in client
 * ```ts ignore
 * import { RedisClient } from "bun";
 * import { createSessionManager } from "@sesame/session";
 * import { RedisStore } from "@sesame/session/redis";
 *
 * // REDIS_URL, or redis://localhost:6379.
 * const redis = new RedisClient(undefined, { autoReconnect: false });
 * const sessions = createSessionManager({
 *   store: new RedisStore({
 *     client: {
 *       async eval(s, k, a) {
 *         // Bun's client stays closed after a failed connection.
 *         if (!redis.connected) await redis.connect();
 *         return await redis.send("EVAL", [s, String(k.length), ...k, ...a]);
 *       },
 *     },
 *   }),
 * });
 *
 * Bun.serve({ fetch: sessions.handler(() => new Response("Hello")) });
 * ```
 */
export class RedisStore implements SessionStore {
  /** The store sets only what its precondition allows, atomically. */
  readonly compareAndSet = true;

  /**
   * The index of records by subject: a sorted set per subject, in the same
   * database and under the same prefix as the records.
   */
  readonly subjects: SubjectIndex;

  #client: RedisStoreClient;
  #records: string;

  /**
   * Creates a store over a client. It sends nothing until it is first used.
   *
   * @param options The client and the key prefix.
   * @throws {TypeError} When `client` has no `eval` method or `prefix` is not
   * a string.
   */
  constructor(options: RedisStoreOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `${ACTION}: options must be an object, received ${
          describeValue(options)
        }`,
      );
    }
    const { client, prefix = "sesame:" } = options;
    if (
      (typeof client !== "object" && typeof client !== "function") ||
      client === null || typeof client.eval !== "function"
    ) {
      throw new TypeError(
        `${ACTION}: client must have an eval(script, keys, args) method, received ${
          describeValue(client)
        }`,
      );
    }
    if (typeof prefix !== "string") {
      throw new TypeError(
        `${ACTION}: prefix must be a string, received ${describeValue(prefix)}`,
      );
    }
    this.#client = client;
    this.#records = prefix + "s:";
    this.subjects = new RedisSubjectIndex(client, prefix + "u:");
  }

  /**
   * Reads the live record under `key` and its expiry.
   *
   * @param key The record's key.
   * @returns The entry, or `undefined` when there is none or it has expired.
   */
  async get(key: string): Promise<StoreEntry | undefined> {
    const reply = await this.#client.eval(GET, [this.#records + key], []);
    if (isNil(reply)) return undefined;
    const [stored, expiresAt] = Array.isArray(reply) && reply.length === 2
      ? [toText(reply[0]), toInteger(reply[1])]
      : [];
    if (stored === undefined || expiresAt === undefined) {
      throw malformed(
        "Cannot get session record from Redis",
        "nil or an array of a string and a whole number",
        reply,
      );
    }
    // A key without an expiry or a version header was not written here.
    if (expiresAt <= 0 || !VERSIONED.test(stored)) return undefined;
    return {
      value: stored.slice(23),
      expiresAt,
      version: stored.slice(0, 22),
    };
  }

  /**
   * Writes `value` under `key` with a new version if `options.ifVersion`
   * allows it. A write whose expiry has already passed by the server's clock
   * deletes the record and answers `{ ok: false, expired: true }`.
   *
   * @param key The record's key.
   * @param value The serialised record.
   * @param options The expiry and the compare-and-set precondition.
   * @returns Whether the record was written, and its new version.
   * @throws {TypeError} When `options.expiresAt` is not a number.
   * @throws {RangeError} When `options.expiresAt` is beyond ±2^53 - 1.
   */
  async set(
    key: string,
    value: string,
    options: StoreSetOptions,
  ): Promise<StoreSetResult> {
    const expiresAt = expiryArgument(SET_ACTION, options.expiresAt);
    const { ifVersion } = options;
    if (typeof ifVersion === "string" && !VERSION.test(ifVersion)) {
      // Not a version this store wrote, so no live record has it.
      return { ok: false };
    }
    const version = createVersion();
    const reply = await this.#client.eval(SET, [this.#records + key], [
      expiresAt,
      `${version}:${value}`,
      ifVersion === undefined
        ? "any"
        : ifVersion === null
        ? "absent"
        : "version",
      ifVersion ?? "",
    ]);
    const written = toInteger(reply);
    if (written === 1) return { ok: true, version };
    if (written === 0) return { ok: false };
    if (written === 2) return { ok: false, expired: true };
    throw malformed(SET_ACTION, "1, 0 or 2", reply);
  }

  /**
   * Deletes the record under `key`, if any.
   *
   * @param key The record's key.
   */
  async delete(key: string): Promise<void> {
    await this.#client.eval(DELETE, [this.#records + key], []);
  }

  /**
   * Moves the expiry of the live record under `key` without changing its
   * value or version, if its version is `options.ifVersion` (when given):
   * the check and the move are one script.
   *
   * @param key The record's key.
   * @param expiresAt The new expiry, in milliseconds since the Unix epoch.
   * @param options The version to extend.
   * @returns `false` when no live record (of that version) was extended, or
   * `expiresAt` has already passed by the server's clock.
   * @throws {TypeError} When `expiresAt` is not a number.
   * @throws {RangeError} When `expiresAt` is beyond ±2^53 - 1.
   */
  async touch(
    key: string,
    expiresAt: number,
    options?: StoreTouchOptions,
  ): Promise<boolean> {
    const ifVersion = options?.ifVersion;
    const expiry = expiryArgument(TOUCH_ACTION, expiresAt);
    if (ifVersion !== undefined && !VERSION.test(ifVersion)) return false;
    const reply = await this.#client.eval(TOUCH, [this.#records + key], [
      expiry,
      ifVersion ?? "",
    ]);
    return toFlag(reply, TOUCH_ACTION);
  }
}
