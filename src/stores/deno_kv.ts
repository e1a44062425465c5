/**
 * A session store over [Deno KV](https://docs.deno.com/deploy/kv/), for
 * sessions that survive restarts and are shared by every process that opens
 * the same database: a local SQLite file, a self-hosted `denokv`, or Deno
 * Deploy.
 *
 * `Deno.openKv()` needs the `--unstable-kv` flag (or `"unstable": ["kv"]` in
 * `deno.json`) on the Deno CLI; on Deno Deploy it needs nothing.
 *
 * @example Keep sessions in Deno KV
 * ```ts ignore
 * import { createSessionManager } from "@sesame/session";
 * import { DenoKvStore } from "@sesame/session/deno-kv";
 *
 * const kv = await Deno.openKv();
 * const sessions = createSessionManager<{ visits: number }>({
 *   store: new DenoKvStore({ kv }),
 * });
 *
 * Deno.serve(sessions.handler((_request, session) => {
 *   const visits = (session.get("visits") ?? 0) + 1;
 *   session.set("visits", visits);
 *   return Response.json({ visits });
 * }));
 * ```
 *
 * It is not for records over 64 KiB (Deno KV's limit for one value), nor for
 * Bun, Node or Workers, which have no Deno KV.
 *
 * @module
 */
import { describeValue, functionValue } from "../_options.ts";
import { DenoKvSubjectIndex } from "./_deno_kv_subjects.ts";
import { SessionTooLargeError } from "../errors.ts";
import type {
  SessionStore,
  StoreEntry,
  StoreSetOptions,
  StoreSetResult,
  SubjectIndex,
} from "../store.ts";

/**
 * The part of a Deno KV database that {@linkcode DenoKvStore} uses: a
 * `Deno.Kv` from `Deno.openKv()` fits it as it is.
 *
 * Keys are arrays of strings here; `Deno.Kv` takes more kinds of key parts,
 * which is why it fits.
 *
 * @example Check that a `Deno.Kv` is a client
 * ```ts ignore
 * import type { DenoKvStoreClient } from "@sesame/session/deno-kv";
 *
 * const kv = await Deno.openKv(":memory:");
 * const client: DenoKvStoreClient = kv;
 * kv.close();
 * ```
 */
export interface DenoKvStoreClient {
  /**
   * Reads the entry under `key`, with strong consistency.
   *
   * @param key The entry's key.
   * @returns The value and its versionstamp, both `null` when there is none.
   */
  get(
    key: readonly string[],
  ): Promise<
    { value: unknown; versionstamp: string } | {
      value: null;
      versionstamp: null;
    }
  >;
  /**
   * Writes `value` under `key`.
   *
   * @param key The entry's key.
   * @param value The value.
   * @param options `expireIn`: the milliseconds after which Deno KV may
   * delete the entry.
   */
  set(
    key: readonly string[],
    value: unknown,
    options?: { expireIn?: number },
  ): Promise<unknown>;
  /**
   * Deletes the entry under `key`, if any.
   *
   * @param key The entry's key.
   */
  delete(key: readonly string[]): Promise<unknown>;
  /**
   * Lists the entries whose keys start with `selector.prefix`.
   *
   * @param selector The key prefix.
   * @returns The entries, in key order.
   */
  list(
    selector: { prefix: readonly string[] },
  ): AsyncIterable<{ key: readonly unknown[]; value: unknown }>;
  /**
   * Starts an atomic operation: checks and mutations that commit together,
   * or not at all.
   *
   * @returns The operation; its methods may be called one by one, without
   * chaining.
   */
  atomic(): {
    /** Makes the commit fail unless `key` has `versionstamp` (`null`: no entry). */
    check(
      check: { key: readonly string[]; versionstamp: string | null },
    ): unknown;
    /** Writes `value` under `key` on commit. */
    set(
      key: readonly string[],
      value: unknown,
      options?: { expireIn?: number },
    ): unknown;
    /** Deletes the entry under `key` on commit. */
    delete(key: readonly string[]): unknown;
    /** Commits: `ok: false` when a check failed and nothing was written. */
    commit(): Promise<{ ok: true; versionstamp: string } | { ok: false }>;
  };
}

/**
 * Options of {@linkcode DenoKvStore}.
 *
 * @example A store under its own key prefix
 * ```ts ignore
 * import type { DenoKvStoreOptions } from "@sesame/session/deno-kv";
 *
 * const options: DenoKvStoreOptions = {
 *   kv: await Deno.openKv(),
 *   prefix: ["my-app", "sessions"],
 * };
 * ```
 */
export interface DenoKvStoreOptions {
  /**
   * The database, as `Deno.openKv()` returns it. The store never closes it:
   * the code that opened it does, when it is done.
   */
  kv: DenoKvStoreClient;
  /**
   * The key prefix the store keeps all its entries under: records under
   * `[...prefix, "s", key]` and the subject index under
   * `[...prefix, "u", subject, key]`. Give each application (or each test)
   * that shares a database its own prefix.
   *
   * @default {["sesame"]}
   */
  prefix?: readonly string[];
  /**
   * The clock, in milliseconds since the Unix epoch, by which the store
   * decides that an entry has expired. Replace it in tests to move time
   * without waiting.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

const ACTION = "Cannot create Deno KV store";

/** The largest value Deno KV keeps under one key, in bytes. */
const MAX_VALUE_BYTES = 65_536;
/**
 * A record is stored as one `Uint8Array`: a format byte, the expiry as a
 * big-endian float64, then the record's UTF-8 text. Deno KV keeps bytes as
 * they are (a string or an object would go through V8 serialisation), so the
 * size of a record is known before it is written.
 */
const FORMAT = 1;
const HEADER_BYTES = 9;
/** How often a create over an expired entry is retried when the key keeps changing. */
const CREATE_ATTEMPTS = 10;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A record as read back from its bytes. */
interface Decoded {
  value: string;
  expiresAt: number;
}

/**
 * A session store over Deno KV: records survive restarts and are shared by
 * every process and region that opens the same database.
 *
 * Layout: the record of a session lives under `[...prefix, "s", key]` and
 * the subject index under `[...prefix, "u", subject, key]`, where `key` is
 * the SHA-256 digest of the session id (the id itself never reaches the
 * database) and `prefix` defaults to `["sesame"]`.
 *
 * Expiry is enforced by the store on read: Deno KV deletes an entry only some
 * time after its `expireIn`, and does not report it, so each record carries
 * its expiry and one past it is treated as absent. Versions are Deno KV
 * versionstamps, and every conditional write is one atomic operation, so
 * concurrent requests of one session lose no updates.
 *
 * A record's JSON text may take at most 65,527 bytes of UTF-8: Deno KV keeps
 * at most 64 KiB (65,536 bytes) per value, and 9 of them hold the expiry.
 * Saving a larger session fails with a `SessionStoreError` whose `cause` is a
 * `SessionTooLargeError`, and leaves the stored record as it was.
 *
 * There is no `touch()`: Deno KV cannot extend an expiry without rewriting the
 * value, so the manager rewrites the record unchanged to extend it.
 *
 * `Deno.openKv()` needs `--unstable-kv` on the Deno CLI; Deno Deploy needs no
 * flag.
 *
 * @example Sessions that survive a restart
 * ```ts ignore
 * import { createSessionManager } from "@sesame/session";
 * import { DenoKvStore } from "@sesame/session/deno-kv";
 *
 * const kv = await Deno.openKv(":memory:");
 * const sessions = createSessionManager<{ user: string }>({
 *   store: new DenoKvStore({ kv, prefix: ["my-app", "sessions"] }),
 * });
 *
 * const session = await sessions.load(new Request("http://localhost/"));
 * session.set("user", "ada");
 * const setCookie = await session.commit();
 *
 * const cookie = setCookie!.split(";")[0];
 * const next = await sessions.load(
 *   new Request("http://localhost/", { headers: { Cookie: cookie } }),
 * );
 * console.log(next.get("user")); // "ada"
 * kv.close();
 * ```
 */
export class DenoKvStore implements SessionStore {
  /** Writes with a precondition are atomic checks on the versionstamp. */
  readonly compareAndSet = true;
  /** Records leave the process, so they are keyed by the digest of the id. */
  readonly inProcess = false;
  /**
   * Which sessions belong to a subject: one entry per session under
   * `[...prefix, "u", subject, key]`, which expires with the session. Deno KV
   * keys take at most 2 KiB, which bounds the length of a subject.
   */
  readonly subjects: SubjectIndex;

  #kv: DenoKvStoreClient;
  #records: readonly string[];
  #now: () => number;

  /**
   * Creates a store over a Deno KV database.
   *
   * @param options The database, key prefix and clock.
   * @throws {TypeError} When `kv` is not a Deno KV client, `prefix` not an
   * array of strings, or `now` not a function.
   */
  constructor(options: DenoKvStoreOptions) {
    const kv = options?.kv;
    if (
      typeof kv !== "object" || kv === null ||
      !["get", "set", "delete", "list", "atomic"].every((method) =>
        typeof (kv as unknown as Record<string, unknown>)[method] ===
          "function"
      )
    ) {
      throw new TypeError(
        `${ACTION}: kv must be a Deno KV client such as Deno.openKv() returns, received ${
          describeValue(kv)
        }`,
      );
    }
    const prefix = prefixOption(options.prefix);
    this.#kv = kv;
    this.#now = functionValue(options.now, {
      action: ACTION,
      name: "now",
      fallback: Date.now,
    });
    this.#records = [...prefix, "s"];
    this.subjects = new DenoKvSubjectIndex(kv, [...prefix, "u"], this.#now);
  }

  /**
   * Reads the live record under `key`.
   *
   * @param key The record's key.
   * @returns The entry, with its versionstamp as `version`, or `undefined`
   * when there is none or it has expired.
   */
  async get(key: string): Promise<StoreEntry | undefined> {
    const entry = await this.#kv.get([...this.#records, key]);
    if (entry.versionstamp === null) return undefined;
    const record = decodeLive(entry.value, this.#now());
    return record && { ...record, version: entry.versionstamp };
  }

  /**
   * Writes `value` under `key` if `options.ifVersion` allows it, as one
   * atomic operation. A record whose expiry has already passed is deleted
   * instead of written.
   *
   * @param key The record's key.
   * @param value The serialised record.
   * @param options The expiry and the compare-and-set precondition.
   * @returns Whether the record was written, and the commit's versionstamp.
   * @throws {SessionTooLargeError} When `value` takes more than 65,527 bytes
   * of UTF-8; nothing is written then.
   */
  async set(
    key: string,
    value: string,
    options: StoreSetOptions,
  ): Promise<StoreSetResult> {
    const { expiresAt, ifVersion } = options;
    const bytes = encode(value, expiresAt);
    const recordKey = [...this.#records, key];
    for (let attempt = 1;; attempt++) {
      // The versionstamp the commit requires under the key: the one read
      // here, so that an entry read as expired may be replaced, but nothing
      // written since.
      let required: string | null | undefined;
      if (ifVersion !== undefined) {
        const current = await this.#kv.get(recordKey);
        const live = current.versionstamp !== null &&
          decodeLive(current.value, this.#now()) !== undefined;
        if (
          ifVersion === null
            ? live
            : !live || current.versionstamp !== ifVersion
        ) {
          return { ok: false };
        }
        required = current.versionstamp;
      }
      const operation = this.#kv.atomic();
      if (required !== undefined) {
        operation.check({ key: recordKey, versionstamp: required });
      }
      const expireIn = expiresAt - this.#now();
      if (expireIn > 0) {
        operation.set(recordKey, bytes, { expireIn: Math.ceil(expireIn) });
      } else {
        operation.delete(recordKey);
      }
      const result = await operation.commit();
      // A write that has already expired deleted the entry: nothing is live.
      if (result.ok && !(expireIn > 0)) return { ok: false, expired: true };
      if (result.ok) return { ok: true, version: result.versionstamp };
      // A version that moved on never comes back. A create lost to another
      // write to the key: read again, the key may hold nothing live still.
      if (ifVersion !== null) return { ok: false };
      if (attempt === CREATE_ATTEMPTS) {
        throw new Error(
          `Cannot write session record: the entry kept changing between read and write (${attempt} attempts)`,
        );
      }
    }
  }

  /**
   * Deletes the record under `key`, if any.
   *
   * @param key The record's key.
   */
  async delete(key: string): Promise<void> {
    await this.#kv.delete([...this.#records, key]);
  }
}

/** Returns the prefix option as a copy, or the default, and throws when it is not an array of strings. */
function prefixOption(value: unknown): string[] {
  if (value === undefined) return ["sesame"];
  if (!Array.isArray(value)) {
    throw new TypeError(
      `${ACTION}: prefix must be an array of strings, received ${
        describeValue(value)
      }`,
    );
  }
  const prefix = [...value];
  const index = prefix.findIndex((part) => typeof part !== "string");
  if (index !== -1) {
    throw new TypeError(
      `${ACTION}: prefix must be an array of strings, received ${
        describeValue(prefix[index])
      } at index ${index}`,
    );
  }
  return prefix;
}

/** The bytes a record is stored as; throws when they do not fit one Deno KV value. */
function encode(value: string, expiresAt: number): Uint8Array {
  // The manager's JSON text has no lone surrogates, so UTF-8 keeps it exactly.
  const text = encoder.encode(value);
  const size = HEADER_BYTES + text.length;
  if (size > MAX_VALUE_BYTES) {
    throw new SessionTooLargeError("the Deno KV value", size, MAX_VALUE_BYTES);
  }
  const bytes = new Uint8Array(size);
  bytes[0] = FORMAT;
  new DataView(bytes.buffer).setFloat64(1, expiresAt);
  bytes.set(text, HEADER_BYTES);
  return bytes;
}

/**
 * The record stored as `raw`, unless it expired by `now`; an entry that is
 * not a record of this format counts as absent too.
 */
function decodeLive(raw: unknown, now: number): Decoded | undefined {
  if (
    !(raw instanceof Uint8Array) || raw.length < HEADER_BYTES ||
    raw[0] !== FORMAT
  ) {
    return undefined;
  }
  const expiresAt = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
    .getFloat64(1);
  if (!(expiresAt > now)) return undefined;
  try {
    return { value: decoder.decode(raw.subarray(HEADER_BYTES)), expiresAt };
  } catch {
    return undefined;
  }
}
