import { functionValue, wholeNumber } from "../_options.ts";
import { SYNC, type SyncStore } from "../_sync.ts";
import type {
  SessionStore,
  StoreEntry,
  StoreSetOptions,
  StoreSetResult,
  StoreTouchOptions,
  SubjectIndex,
} from "../store.ts";

/**
 * Options of {@linkcode MemoryStore}.
 *
 * @example A smaller store
 * ```ts
 * import { MemoryStore } from "@sesame/session";
 *
 * const store = new MemoryStore({ maxEntries: 1_000 });
 * ```
 */
export interface MemoryStoreOptions {
  /**
   * How many records the store holds at most. Past it, writing a new record
   * evicts the least recently used anonymous one, so a flood of new sessions
   * cannot exhaust memory, nor push out signed-in users: records written as
   * `privileged` (sessions with a subject, and regenerated ones) are evicted
   * only when no anonymous record is left. A record of a few small values
   * takes a few hundred bytes.
   *
   * @default {100_000}
   */
  maxEntries?: number;
  /**
   * The clock, in milliseconds since the Unix epoch. Replace it in tests to
   * move time without waiting.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

interface MemoryEntry {
  key: string;
  value: string;
  expiresAt: number;
  /** A number, made text only for the asynchronous API (it costs ~0.1 µs). */
  version: number;
  /** The next less recently used entry (toward the head of the list). */
  older: MemoryEntry | undefined;
  /** The next more recently used entry (toward the tail of the list). */
  newer: MemoryEntry | undefined;
  /** The recency list the entry is in: privileged entries are evicted last. */
  list: Recency;
}

/** Entries from least to most recently used, linked through themselves. */
interface Recency {
  oldest: MemoryEntry | undefined;
  newest: MemoryEntry | undefined;
}

const ACTION = "Cannot create memory store";

/** What `#set()` answers for a write whose expiry had passed: no version. */
const EXPIRED = 0;

/**
 * The embedded default store: records in a `Map` in this process.
 *
 * Every operation is O(1). Expired records are never returned and are
 * reclaimed when next touched or when evicted; the store starts no timer, so
 * it never keeps a process alive. When full, it evicts the least recently
 * used anonymous record, and a signed-in or regenerated one only when no
 * anonymous record is left. It supports compare-and-set, so concurrent
 * requests of one session lose no updates. Records live as long as the
 * process: use a shared store (Redis, Deno KV, …) when several processes
 * serve one site, or when sessions must survive a restart.
 *
 * @example Use the memory store explicitly
 * ```ts
 * import { createSessionManager, MemoryStore } from "@sesame/session";
 *
 * const sessions = createSessionManager({
 *   store: new MemoryStore({ maxEntries: 10_000 }),
 * });
 * ```
 */
export class MemoryStore implements SessionStore {
  /** The memory store sets only what its precondition allows. */
  readonly compareAndSet = true;
  /** Records never leave the process, so ids need no hashing. */
  readonly inProcess = true;

  /**
   * Which records belong to which subject, for listing and revoking a
   * user's sessions. Entries leave with their records (deleted, expired or
   * evicted), so the index never outgrows the store. A key may be listed
   * under two subjects while a change of subject is being saved; the
   * manager removes the old entry once the record is written.
   */
  readonly subjects: SubjectIndex = {
    add: (subject, key, expiresAt) => {
      let keys = this.#bySubject.get(subject);
      if (keys === undefined) this.#bySubject.set(subject, keys = new Map());
      keys.set(key, Math.max(expiresAt, keys.get(key) ?? 0));
      let subjects = this.#subjectsOf.get(key);
      if (subjects === undefined) this.#subjectsOf.set(key, subjects = []);
      if (!subjects.includes(subject)) subjects.push(subject);
      return Promise.resolve();
    },
    list: (subject) => {
      const keys = this.#bySubject.get(subject);
      if (keys === undefined) return Promise.resolve([]);
      const now = this.#now();
      const live: string[] = [];
      for (const [key, expiresAt] of keys) {
        if (expiresAt > now) live.push(key);
        else this.#unindex(subject, key);
      }
      return Promise.resolve(live);
    },
    remove: (subject, keys) => {
      for (const key of keys) this.#unindex(subject, key);
      return Promise.resolve();
    },
  };

  #entries = new Map<string, MemoryEntry>();
  // Entries from least to most recently used, linked through the entries
  // themselves: moving or evicting one is O(1), without iterating the Map
  // (which slows down as deletions pile up in it). Anonymous and privileged
  // entries are kept apart, so that eviction takes anonymous ones first.
  #anonymous: Recency = { oldest: undefined, newest: undefined };
  #privileged: Recency = { oldest: undefined, newest: undefined };
  #bySubject = new Map<string, Map<string, number>>();
  #subjectsOf = new Map<string, string[]>();
  #maxEntries: number;
  #now: () => number;
  #nextVersion = 1;

  /**
   * @internal The same operations, answered at once, which the manager uses
   * instead of the asynchronous API. Granted to MemoryStore itself only: a
   * subclass may change what the methods do, so it takes the asynchronous
   * path, as a wrapper does.
   */
  readonly [SYNC]?: SyncStore;

  /**
   * Creates an empty store.
   *
   * @param options The capacity and clock.
   * @throws {TypeError} When an option has the wrong type.
   * @throws {RangeError} When `maxEntries` is not a whole number of at least 1.
   */
  constructor(options: MemoryStoreOptions = {}) {
    this.#maxEntries = wholeNumber(options.maxEntries, {
      action: ACTION,
      name: "maxEntries",
      fallback: 100_000,
      min: 1,
    });
    this.#now = functionValue(options.now, {
      action: ACTION,
      name: "now",
      fallback: Date.now,
    });
    if (new.target !== MemoryStore) return;
    this[SYNC] = {
      clock: this.#now,
      get: (key, now) => this.#get(key, now),
      set: (key, value, expiresAt, ifVersion, now) =>
        this.#set(key, value, expiresAt, ifVersion, now),
      touch: (key, expiresAt, ifVersion, now) =>
        this.#touch(key, expiresAt, ifVersion, now),
    };
  }

  /**
   * How many records the store holds, counting expired ones it has not
   * reclaimed yet.
   */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Reads the live record under `key` and marks it as recently used.
   *
   * @param key The record's key.
   * @returns The entry, or `undefined` when there is none or it has expired.
   */
  get(key: string): Promise<StoreEntry | undefined> {
    const entry = this.#get(key, this.#now());
    return Promise.resolve(
      entry === undefined ? undefined : {
        value: entry.value,
        expiresAt: entry.expiresAt,
        version: String(entry.version),
      },
    );
  }

  #get(key: string, now: number): MemoryEntry | undefined {
    const entry = this.#live(key, now);
    if (entry !== undefined) this.#use(entry);
    return entry;
  }

  /**
   * Writes `value` under `key` if `options.ifVersion` allows it, evicting the
   * least recently used anonymous record (or, when there is none, the least
   * recently used privileged one) when the store is full. A write whose
   * expiry has already passed deletes the record and answers
   * `{ ok: false, expired: true }`.
   *
   * @param key The record's key.
   * @param value The serialised record.
   * @param options The expiry and the compare-and-set precondition.
   * @returns Whether the record was written, and its new version.
   */
  set(
    key: string,
    value: string,
    options: StoreSetOptions,
  ): Promise<StoreSetResult> {
    const version = this.#set(
      key,
      value,
      options.expiresAt,
      options.ifVersion,
      this.#now(),
      options.privileged === true,
    );
    return Promise.resolve(
      version === undefined
        ? { ok: false }
        : version === EXPIRED
        ? { ok: false, expired: true }
        : { ok: true, version: String(version) },
    );
  }

  /**
   * `set()`, answering the new version, `undefined` when the precondition
   * failed, or `EXPIRED` when it held but the expiry had passed. The precondition is a version as `get()` answers it (text) or
   * as the synchronous API does (a number).
   */
  #set(
    key: string,
    value: string,
    expiresAt: number,
    ifVersion: string | number | null | undefined,
    now: number,
    privileged = false,
  ): number | undefined {
    const current = this.#live(key, now);
    if (ifVersion !== undefined && !matches(current, ifVersion)) {
      return undefined;
    }
    if (!(expiresAt > now)) {
      this.#drop(key);
      return EXPIRED;
    }
    const version = this.#nextVersion++;
    if (current !== undefined) {
      current.value = value;
      current.expiresAt = expiresAt;
      current.version = version;
      if (privileged && current.list !== this.#privileged) {
        this.#unlink(current);
        current.list = this.#privileged;
      }
      this.#use(current);
      return version;
    }
    const list = privileged ? this.#privileged : this.#anonymous;
    const entry: MemoryEntry = {
      key,
      value,
      expiresAt,
      version,
      older: list.newest,
      newer: undefined,
      list,
    };
    if (list.newest === undefined) list.oldest = entry;
    else list.newest.newer = entry;
    list.newest = entry;
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#maxEntries) {
      this.#drop((this.#anonymous.oldest ?? this.#privileged.oldest)!.key);
    }
    return version;
  }

  /**
   * Deletes the record under `key`, if any.
   *
   * @param key The record's key.
   */
  delete(key: string): Promise<void> {
    this.#drop(key);
    return Promise.resolve();
  }

  /**
   * Moves the expiry of the live record under `key` without changing its
   * value or version, if its version is `options.ifVersion` (when given).
   *
   * @param key The record's key.
   * @param expiresAt The new expiry, in milliseconds since the Unix epoch.
   * @param options The version to extend.
   * @returns `false` when no live record (of that version) was extended, or
   * `expiresAt` has already passed.
   */
  touch(
    key: string,
    expiresAt: number,
    options?: StoreTouchOptions,
  ): Promise<boolean> {
    return Promise.resolve(
      this.#touch(key, expiresAt, options?.ifVersion, this.#now()),
    );
  }

  #touch(
    key: string,
    expiresAt: number,
    ifVersion: string | number | undefined,
    now: number,
  ): boolean {
    const entry = this.#live(key, now);
    if (
      entry === undefined || !(expiresAt > now) ||
      (ifVersion !== undefined && !matches(entry, ifVersion))
    ) {
      return false;
    }
    entry.expiresAt = expiresAt;
    this.#use(entry);
    return true;
  }

  /** The entry under `key` unless it has expired; an expired one is dropped. */
  #live(key: string, now: number): MemoryEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt > now) return entry;
    this.#drop(key);
    return undefined;
  }

  /** Makes an entry the most recently used of its list. */
  #use(entry: MemoryEntry): void {
    const list = entry.list;
    if (entry === list.newest) return;
    this.#unlink(entry);
    entry.older = list.newest;
    entry.newer = undefined;
    if (list.newest === undefined) list.oldest = entry;
    else list.newest.newer = entry;
    list.newest = entry;
  }

  /** Takes an entry out of its recency list. */
  #unlink(entry: MemoryEntry): void {
    const list = entry.list;
    if (entry.older === undefined) list.oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) list.newest = entry.older;
    else entry.newer.older = entry.older;
  }

  /** Removes a record and its subject index entries. */
  #drop(key: string): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
      this.#unlink(entry);
    }
    const subjects = this.#subjectsOf.get(key);
    if (subjects !== undefined) {
      for (const subject of [...subjects]) this.#unindex(subject, key);
    }
  }

  /** Removes a key from one subject's index. */
  #unindex(subject: string, key: string): void {
    const subjects = this.#subjectsOf.get(key);
    const at = subjects?.indexOf(subject) ?? -1;
    if (at === -1) return;
    if (subjects!.length === 1) this.#subjectsOf.delete(key);
    else subjects!.splice(at, 1);
    const keys = this.#bySubject.get(subject)!;
    keys.delete(key);
    if (keys.size === 0) this.#bySubject.delete(subject);
  }
}

/** Whether a live entry (or its absence, for `null`) meets a precondition. */
function matches(
  entry: MemoryEntry | undefined,
  ifVersion: string | number | null,
): boolean {
  if (ifVersion === null) return entry === undefined;
  if (entry === undefined) return false;
  return typeof ifVersion === "number"
    ? entry.version === ifVersion
    : String(entry.version) === ifVersion;
}
