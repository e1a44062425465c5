/**
 * A session store over Cloudflare Workers KV, for sessions shared by every
 * isolate and location of a Worker.
 *
 * It takes the KV namespace binding itself (`env.SESSIONS`) through a small
 * structural interface, so it needs neither `@cloudflare/workers-types` nor
 * any import at run time.
 *
 * @example A visit counter in a Worker
 * ```ts ignore
 * import { createSessionManager } from "@sesame/session";
 * import {
 *   CloudflareKvStore,
 *   type CloudflareKvStoreNamespace,
 * } from "@sesame/session/cloudflare-kv";
 *
 * interface Env {
 *   SESSIONS: CloudflareKvStoreNamespace;
 * }
 *
 * let app: ((request: Request) => Promise<Response>) | undefined;
 *
 * export default {
 *   fetch(request: Request, env: Env): Promise<Response> {
 *     app ??= createSessionManager<{ visits: number }>({
 *       store: new CloudflareKvStore({ namespace: env.SESSIONS }),
 *     }).handler((_request, session) => {
 *       const visits = (session.get("visits") ?? 0) + 1;
 *       session.set("visits", visits);
 *       return Response.json({ visits });
 *     });
 *     return app(request);
 *   },
 * };
 * ```
 *
 * It is not for data that must change everywhere at once: KV is eventually
 * consistent and has no conditional writes (see {@linkcode CloudflareKvStore}).
 *
 * @module
 */

import { describeValue, functionValue } from "../_options.ts";
import type {
  SessionStore,
  StoreEntry,
  StoreSetOptions,
  StoreSetResult,
} from "../store.ts";

/**
 * The part of a Workers KV namespace binding (`KVNamespace`) that
 * {@linkcode CloudflareKvStore} uses. A real binding fits it as it is.
 *
 * @example A namespace over a `Map`, for tests outside a Worker
 * ```ts
 * import type { CloudflareKvStoreNamespace } from "@sesame/session/cloudflare-kv";
 *
 * const entries = new Map<string, { value: string; metadata: unknown }>();
 * const namespace: CloudflareKvStoreNamespace = {
 *   getWithMetadata(key) {
 *     const entry = entries.get(key);
 *     return Promise.resolve(entry ?? { value: null, metadata: null });
 *   },
 *   put(key, value, options) {
 *     entries.set(key, { value, metadata: options?.metadata ?? null });
 *     return Promise.resolve();
 *   },
 *   delete(key) {
 *     entries.delete(key);
 *     return Promise.resolve();
 *   },
 * };
 * ```
 */
export interface CloudflareKvStoreNamespace {
  /**
   * Reads the value under `key` as text, with the metadata it was written
   * with.
   *
   * @param key The KV key.
   * @param type Always `"text"`.
   * @returns The value and metadata; both `null` when the key is missing.
   */
  getWithMetadata(
    key: string,
    type: "text",
  ): Promise<{ value: string | null; metadata: unknown }>;
  /**
   * Writes `value` under `key`.
   *
   * @param key The KV key.
   * @param value The value.
   * @param options When KV may delete the key (`expirationTtl`, in seconds
   * from now, at least 60), and the metadata to keep with it.
   */
  put(
    key: string,
    value: string,
    options?: { expirationTtl?: number; metadata?: unknown },
  ): Promise<void>;
  /**
   * Deletes the value under `key`; deleting a missing key is not an error.
   *
   * @param key The KV key.
   */
  delete(key: string): Promise<void>;
}

/**
 * Options of {@linkcode CloudflareKvStore}.
 *
 * @example A namespace shared with other data
 * ```ts
 * import type { CloudflareKvStoreOptions } from "@sesame/session/cloudflare-kv";
 *
 * function optionsFor(env: {
 *   CACHE: CloudflareKvStoreOptions["namespace"];
 * }): CloudflareKvStoreOptions {
 *   return { namespace: env.CACHE, prefix: "app:session:" };
 * }
 * ```
 */
export interface CloudflareKvStoreOptions {
  /**
   * The KV namespace binding that holds the records, such as `env.SESSIONS`
   * for a `[[kv_namespaces]]` entry with `binding = "SESSIONS"`.
   */
  namespace: CloudflareKvStoreNamespace;
  /**
   * What every KV key of this store starts with, so that sessions can share a
   * namespace with other data: the key of a record is the prefix followed by
   * the 43 characters the manager chooses. KV keys hold at most 512 bytes,
   * so the prefix holds at most 469 bytes in UTF-8. `""` is fine for a
   * namespace that holds sessions only.
   *
   * @default {"sesame:"}
   */
  prefix?: string;
  /**
   * The clock, in milliseconds since the Unix epoch, that decides when a
   * record has expired. Replace it in tests to move time without waiting.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/** The metadata kept with every record. */
interface RecordMetadata {
  /** When the record expires, in milliseconds since the Unix epoch. */
  expiresAt: number;
}

const ACTION = "Cannot create Cloudflare KV store";

/** The most bytes a KV key can hold. */
const MAX_KEY_BYTES = 512;

/** The length of the keys the manager passes: base64url SHA-256 digests. */
const MANAGER_KEY_LENGTH = 43;

/** The shortest time to live that KV accepts, in seconds. */
const MIN_TTL_SECONDS = 60;

/**
 * A store that keeps records in Cloudflare Workers KV.
 *
 * Each record is one KV key (the prefix and a SHA-256 digest of the session
 * id, never the id itself) whose value is the record as the manager wrote
 * it; its expiry travels in the key's metadata. A record is never returned
 * at or after its expiry. KV itself accepts no expiry less than 60 seconds
 * away and deletes expired keys lazily, so a record may stay in KV for up to
 * a minute after it expired; it is written with an `expirationTtl` so that
 * KV reclaims the space.
 *
 * Limits of KV that matter for sessions
 * ({@link https://developers.cloudflare.com/kv/platform/limits/ | KV limits}):
 *
 * - **Eventual consistency.** A write is visible at once to reads in the
 *   location that made it, but may take up to 60 seconds (sometimes more)
 *   to reach other locations. A user's requests normally reach the same
 *   location, but one served elsewhere meanwhile can see the session as it
 *   was: a logout (`destroy()`) or a `regenerate()` may take that long to
 *   take effect everywhere, and writes made in two locations within that
 *   window can overwrite each other. Keep revocation that must be immediate
 *   (a banned user) in a strongly consistent store, such as a Durable
 *   Object.
 * - **No compare-and-set.** KV has no conditional writes, so the store
 *   declares `compareAndSet: false`: the manager re-reads a record just
 *   before writing it and overwrites only the keys the request changed, and
 *   concurrent requests that change the same key resolve by last write wins.
 * - **One write per second per key.** Faster writes to one record are
 *   rejected; `commit()` then throws `SessionStoreError`. Sessions written
 *   on every request of a busy page can meet it: write only on change, and
 *   keep the manager's `touchIntervalSeconds` well above a second (a tenth
 *   of the idle timeout by default).
 * - **Sizes.** A value holds at most 25 MiB and a key 512 bytes; a record's
 *   metadata takes a few dozen of its 1024 bytes. Sessions should stay tiny
 *   anyway: keep ids and flags in them, not documents.
 *
 * There is no `touch()`, since KV cannot move an expiry without rewriting
 * the value (the manager rewrites it unchanged instead), and no `subjects`
 * index: listing or revoking a user's sessions needs a store with an index,
 * which KV, without atomic updates, cannot keep reliably.
 *
 * @example Log in and out in a Worker
 * ```ts ignore
 * import { createSessionManager } from "@sesame/session";
 * import {
 *   CloudflareKvStore,
 *   type CloudflareKvStoreNamespace,
 * } from "@sesame/session/cloudflare-kv";
 *
 * interface Env {
 *   SESSIONS: CloudflareKvStoreNamespace;
 * }
 *
 * let app: ((request: Request) => Promise<Response>) | undefined;
 *
 * export default {
 *   fetch(request: Request, env: Env): Promise<Response> {
 *     app ??= createSessionManager<{ user: string }>({
 *       store: new CloudflareKvStore({ namespace: env.SESSIONS }),
 *     }).handler(async (request, session) => {
 *       const { pathname } = new URL(request.url);
 *       if (request.method === "POST" && pathname === "/login") {
 *         const form = await request.formData();
 *         session.regenerate(); // a new id for the new privilege
 *         session.set("user", String(form.get("user")));
 *       } else if (request.method === "POST" && pathname === "/logout") {
 *         session.destroy();
 *       }
 *       return Response.json({ user: session.get("user") ?? null });
 *     });
 *     return app(request);
 *   },
 * };
 * ```
 *
 * @example A record's life in the store
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   CloudflareKvStore,
 *   type CloudflareKvStoreNamespace,
 * } from "@sesame/session/cloudflare-kv";
 *
 * const written: Record<string, unknown> = {};
 * const namespace: CloudflareKvStoreNamespace = {
 *   getWithMetadata: () => Promise.resolve({ value: null, metadata: null }),
 *   put(key, _value, options) {
 *     written[key] = options;
 *     return Promise.resolve();
 *   },
 *   delete: () => Promise.resolve(),
 * };
 *
 * const now = Date.UTC(2026, 0, 1);
 * const store = new CloudflareKvStore({ namespace, now: () => now });
 * await store.set("key", "{}", { expiresAt: now + 1000 });
 * assert.deepEqual(written["sesame:key"], {
 *   expirationTtl: 60,
 *   metadata: { expiresAt: now + 1000 },
 * });
 * ```
 */
export class CloudflareKvStore implements SessionStore {
  /** KV has no conditional writes: concurrent saves are last-write-wins per key. */
  readonly compareAndSet = false;
  /** Records leave the process, so the manager keys them by a digest of the id. */
  readonly inProcess = false;

  #namespace: CloudflareKvStoreNamespace;
  #prefix: string;
  #now: () => number;

  /**
   * Creates a store over a KV namespace.
   *
   * @param options The namespace, key prefix and clock.
   * @throws {TypeError} When an option has the wrong type.
   * @throws {RangeError} When the prefix is longer than 469 bytes in UTF-8.
   */
  constructor(options: CloudflareKvStoreOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `${ACTION}: options must be an object, received ${
          describeValue(options)
        }`,
      );
    }
    this.#namespace = namespaceOption(options.namespace);
    this.#prefix = prefixOption(options.prefix);
    this.#now = functionValue(options.now, {
      action: ACTION,
      name: "now",
      fallback: Date.now,
    });
  }

  /**
   * Reads the record under `key`, unless its expiry has passed.
   *
   * A KV value without the metadata this store writes is treated as absent.
   *
   * @param key The record's key.
   * @returns The entry, or `undefined` when there is none or it has expired.
   */
  async get(key: string): Promise<StoreEntry | undefined> {
    const { value, metadata } = await this.#namespace.getWithMetadata(
      this.#prefix + key,
      "text",
    );
    const expiresAt = expiryOf(metadata);
    if (
      typeof value !== "string" || expiresAt === undefined ||
      expiresAt <= this.#now()
    ) {
      return undefined;
    }
    return { value, expiresAt };
  }

  /**
   * Writes `value` under `key` until `options.expiresAt`, unconditionally;
   * a record whose expiry has already passed is deleted instead.
   *
   * KV is asked to delete the key once the expiry has passed, or 60 seconds
   * from now when that is sooner, as KV accepts no shorter time to live.
   *
   * @param key The record's key.
   * @param value The serialised record.
   * @param options The expiry; `ifVersion` is ignored.
   * @returns `{ ok: true }`, without a version; `{ ok: false, expired: true }` when the
   * expiry has already passed and the record was deleted instead.
   */
  async set(
    key: string,
    value: string,
    options: StoreSetOptions,
  ): Promise<StoreSetResult> {
    const { expiresAt } = options;
    const remainingMs = expiresAt - this.#now();
    if (!(remainingMs > 0)) {
      // Already expired: nothing is live, and the manager sends no cookie.
      await this.#namespace.delete(this.#prefix + key);
      return { ok: false, expired: true };
    }
    const metadata: RecordMetadata = { expiresAt };
    await this.#namespace.put(this.#prefix + key, value, {
      expirationTtl: Math.max(MIN_TTL_SECONDS, Math.ceil(remainingMs / 1000)),
      metadata,
    });
    return { ok: true };
  }

  /**
   * Deletes the record under `key`, if any.
   *
   * @param key The record's key.
   */
  async delete(key: string): Promise<void> {
    await this.#namespace.delete(this.#prefix + key);
  }
}

/** The expiry kept in a record's metadata, or `undefined` when it has none. */
function expiryOf(metadata: unknown): number | undefined {
  if (typeof metadata !== "object" || metadata === null) return undefined;
  const { expiresAt } = metadata as Partial<RecordMetadata>;
  return typeof expiresAt === "number" && Number.isFinite(expiresAt)
    ? expiresAt
    : undefined;
}

/** Checks the `namespace` option: anything with the methods the store calls. */
function namespaceOption(value: unknown): CloudflareKvStoreNamespace {
  const candidate = value as Partial<CloudflareKvStoreNamespace>;
  if (
    typeof value !== "object" || value === null ||
    typeof candidate.getWithMetadata !== "function" ||
    typeof candidate.put !== "function" ||
    typeof candidate.delete !== "function"
  ) {
    throw new TypeError(
      `${ACTION}: namespace must be a KV namespace binding (getWithMetadata, put and delete), received ${
        describeValue(value)
      }`,
    );
  }
  return value as CloudflareKvStoreNamespace;
}

/** Checks the `prefix` option: a string that leaves room for the key in 512 bytes. */
function prefixOption(value: unknown): string {
  if (value === undefined) return "sesame:";
  if (typeof value !== "string") {
    throw new TypeError(
      `${ACTION}: prefix must be a string, received ${describeValue(value)}`,
    );
  }
  const maxBytes = MAX_KEY_BYTES - MANAGER_KEY_LENGTH;
  if (new TextEncoder().encode(value).length > maxBytes) {
    throw new RangeError(
      `${ACTION}: prefix must be at most ${maxBytes} bytes in UTF-8, received ${
        describeValue(value)
      }`,
    );
  }
  return value;
}
