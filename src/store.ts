/**
 * An entry as a {@linkcode SessionStore} returns it.
 *
 * @example An entry as the memory store returns it
 * ```ts
 * import type { StoreEntry } from "@sesame/session";
 *
 * const entry: StoreEntry = {
 *   value: '{"createdAt":1700000000000,"data":{"count":1}}',
 *   expiresAt: 1700001800000,
 *   version: "1",
 * };
 * ```
 */
export interface StoreEntry {
  /** The serialised record, exactly as it was last written. */
  value: string;
  /**
   * When the entry expires, in milliseconds since the Unix epoch: the
   * `expiresAt` of the last `set()` or `touch()`.
   */
  expiresAt: number;
  /**
   * An opaque token that changes whenever `set()` writes the entry and stays
   * the same across `touch()`. Required when the store's `compareAndSet` is
   * `true`; ignored otherwise.
   */
  version?: string;
}

/**
 * Options of {@linkcode SessionStore.set}.
 *
 * @example Create a record only if no record has the key
 * ```ts
 * import type { StoreSetOptions } from "@sesame/session";
 *
 * const options: StoreSetOptions = {
 *   expiresAt: Date.now() + 30 * 60 * 1000,
 *   ifVersion: null,
 * };
 * ```
 */
export interface StoreSetOptions {
  /**
   * When the entry expires, in milliseconds since the Unix epoch. The store
   * must not return the entry from `get()` at or after this instant; it may
   * free the space later.
   */
  expiresAt: number;
  /**
   * The compare-and-set precondition, given only to stores whose
   * `compareAndSet` is `true`:
   * - absent (`undefined`): write unconditionally;
   * - `null`: write only if no live entry has the key;
   * - a version: write only if the live entry has exactly this version.
   *
   * The check and the write must be one atomic step.
   */
  ifVersion?: string | null;
  /**
   * Whether the record belongs to a session that was signed in (it has a
   * subject) or regenerated. A store that evicts records to stay within a
   * bound evicts those written without it first, so that a flood of
   * anonymous sessions cannot push signed-in users out. Once given for a
   * key, it holds for that key until its entry is deleted or expires.
   * Stores that never evict ignore it.
   *
   * @default {false}
   */
  privileged?: boolean;
}

/**
 * Options of {@linkcode SessionStore.touch}.
 *
 * @example Extend only the version that was read
 * ```ts
 * import type { StoreTouchOptions } from "@sesame/session";
 *
 * const options: StoreTouchOptions = { ifVersion: "8" };
 * ```
 */
export interface StoreTouchOptions {
  /**
   * The compare-and-set precondition, given only to stores whose
   * `compareAndSet` is `true`: move the expiry only if the live entry has
   * exactly this version. The check and the move must be one atomic step,
   * so that a touch never extends an entry that another request replaced
   * meanwhile (such as the short-lived marker a regenerated session leaves
   * under its old key).
   */
  ifVersion?: string;
}

/**
 * The result of {@linkcode SessionStore.set}.
 *
 * @example The results a store returns
 * ```ts
 * import type { StoreSetResult } from "@sesame/session";
 *
 * const written: StoreSetResult = { ok: true, version: "8" };
 * const conflict: StoreSetResult = { ok: false };
 * const expired: StoreSetResult = { ok: false, expired: true };
 * ```
 */
export type StoreSetResult =
  /** The entry was written; `version` is its new version, when the store keeps versions. */
  | { ok: true; version?: string }
  /**
   * Nothing live was written: the `ifVersion` precondition did not hold, or
   * it held but `expiresAt` had already passed by the store's clock, in which
   * case the entry was deleted and `expired` is `true`.
   */
  | { ok: false; expired?: boolean };

/**
 * An index of session records by subject (typically a user id), for listing
 * a user's sessions and revoking them ("sign out everywhere").
 *
 * The index only remembers which keys belong to a subject; whether a session
 * is still alive is decided by its record, so an index may return keys whose
 * records have expired or been deleted, and the manager drops them. An entry
 * may be forgotten once its `expiresAt` has passed.
 *
 * @example An index over a `Map`
 * ```ts
 * import type { SubjectIndex } from "@sesame/session";
 *
 * const keys = new Map<string, Set<string>>();
 * const subjects: SubjectIndex = {
 *   add(subject, key) {
 *     keys.set(subject, (keys.get(subject) ?? new Set()).add(key));
 *     return Promise.resolve();
 *   },
 *   list(subject) {
 *     return Promise.resolve([...(keys.get(subject) ?? [])]);
 *   },
 *   remove(subject, removed) {
 *     for (const key of removed) keys.get(subject)?.delete(key);
 *     return Promise.resolve();
 *   },
 * };
 * ```
 */
export interface SubjectIndex {
  /**
   * Records that the record under `key` belongs to `subject`.
   *
   * @param subject The subject, an arbitrary string chosen by the
   * application.
   * @param key The record's key.
   * @param expiresAt The latest time the record can live to, in milliseconds
   * since the Unix epoch: the entry may be forgotten after it.
   */
  add(subject: string, key: string, expiresAt: number): Promise<void>;
  /**
   * Lists the keys recorded for `subject`, in any order, without duplicates.
   *
   * @param subject The subject.
   * @returns The keys; an empty array for an unknown subject.
   */
  list(subject: string): Promise<string[]>;
  /**
   * Forgets keys of `subject`; forgetting an unknown key is not an error.
   *
   * @param subject The subject.
   * @param keys The keys to forget.
   */
  remove(subject: string, keys: string[]): Promise<void>;
}

/**
 * The persistence contract: a small, asynchronous key-value interface that
 * every session store implements.
 *
 * Keys are opaque strings chosen by the session manager: the session id
 * itself for stores whose `inProcess` is `true`, and otherwise a SHA-256
 * digest of it, so that records which leave the process never reveal a usable
 * cookie. Values are the manager's serialised records (JSON text); a store
 * keeps them as they are and never interprets them.
 *
 * Every method may throw or reject; the manager wraps the failure in a
 * `SessionStoreError`. A method must never leave a half-written entry.
 *
 * @example A store over a `Map`, without compare-and-set
 * ```ts
 * import { createSessionManager, type SessionStore } from "@sesame/session";
 *
 * const entries = new Map<string, { value: string; expiresAt: number }>();
 * const store: SessionStore = {
 *   compareAndSet: false,
 *   get(key) {
 *     const entry = entries.get(key);
 *     return Promise.resolve(
 *       entry && entry.expiresAt > Date.now() ? entry : undefined,
 *     );
 *   },
 *   set(key, value, { expiresAt }) {
 *     entries.set(key, { value, expiresAt });
 *     return Promise.resolve({ ok: true });
 *   },
 *   delete(key) {
 *     entries.delete(key);
 *     return Promise.resolve();
 *   },
 * };
 *
 * const sessions = createSessionManager({ store });
 * ```
 */
export interface SessionStore {
  /**
   * Whether `set()` honours `ifVersion` atomically and `get()` returns
   * versions. The manager then saves concurrent requests of one session
   * without losing updates; without it, concurrent saves fall back to
   * last-write-wins per key.
   */
  readonly compareAndSet: boolean;
  /**
   * Whether records never leave this process. Only then does the manager key
   * records by the raw session id instead of its SHA-256 digest.
   *
   * @default {false}
   */
  readonly inProcess?: boolean;
  /**
   * Reads the live entry under `key`.
   *
   * @param key The record's key.
   * @returns The entry, or `undefined` when there is none or it has expired.
   */
  get(key: string): Promise<StoreEntry | undefined>;
  /**
   * Writes `value` under `key`, to expire at `options.expiresAt`.
   *
   * A write whose `expiresAt` has already passed by the store's own clock
   * leaves no live entry and answers `{ ok: false, expired: true }` (when
   * the precondition held), so that the manager
   * never sends a cookie for a record that is already gone.
   *
   * @param key The record's key.
   * @param value The serialised record.
   * @param options The expiry and, for compare-and-set stores, the precondition.
   * @returns Whether a live entry was written, and its new version.
   */
  set(
    key: string,
    value: string,
    options: StoreSetOptions,
  ): Promise<StoreSetResult>;
  /**
   * Deletes the entry under `key`; deleting a missing key is not an error.
   *
   * @param key The record's key.
   */
  delete(key: string): Promise<void>;
  /**
   * Moves the expiry of the live entry under `key` to `expiresAt` without
   * rewriting its value or changing its version. Optional: stores that cannot
   * extend an expiry alone leave it out, and the manager rewrites the stored
   * value unchanged instead.
   *
   * A store whose `compareAndSet` is `true` must honour
   * `options.ifVersion` atomically: the manager extends only the exact
   * version its request read. An expiry that has already passed by the
   * store's clock moves nothing and answers `false`.
   *
   * @param key The record's key.
   * @param expiresAt The new expiry, in milliseconds since the Unix epoch.
   * @param options For compare-and-set stores, the version to extend.
   * @returns `false` when no live entry (of that version) was extended.
   */
  touch?(
    key: string,
    expiresAt: number,
    options?: StoreTouchOptions,
  ): Promise<boolean>;
  /**
   * The index of records by subject, for listing and revoking a user's
   * sessions. Optional: without it, the manager's `listSessions()` and
   * `revokeSessions()` throw.
   */
  readonly subjects?: SubjectIndex;
}
