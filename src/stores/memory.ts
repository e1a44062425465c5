import { functionOption, wholeNumberOption } from "../_options.ts";
import { SYNC, type SyncStore } from "../_sync.ts";
import type {
  SessionStore,
  StoreEntry,
  StoreSetOptions,
  StoreSetResult,
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
   * evicts the least recently used one, so a flood of new sessions cannot
   * exhaust memory. A record of a few small values takes a few hundred bytes.
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
}

const ACTION = "Cannot create memory store";

/**
 * The embedded default store: records in a `Map` in this process.
 *
 * Every operation is O(1). Expired records are never returned and are
 * reclaimed when next touched or when evicted; the store starts no timer, so
 * it never keeps a process alive. It supports compare-and-set, so concurrent
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
   * evicted), so the index never outgrows the store.
   */
  readonly subjects: SubjectIndex = {
    add: (subject, key, expiresAt) => {
      if (this.#subjectOf.get(key) !== subject) this.#unindex(key);
      let keys = this.#bySubject.get(subject);
      if (keys === undefined) this.#bySubject.set(subject, keys = new Map());
      keys.set(key, Math.max(expiresAt, keys.get(key) ?? 0));
      this.#subjectOf.set(key, subject);
      return Promise.resolve();
    },
    list: (subject) => {
      const keys = this.#bySubject.get(subject);
      if (keys === undefined) return Promise.resolve([]);
      const now = this.#now();
      const live: string[] = [];
      for (const [key, expiresAt] of keys) {
        if (expiresAt > now) live.push(key);
        else this.#unindex(key);
      }
      return Promise.resolve(live);
    },
    remove: (subject, keys) => {
      for (const key of keys) {
        if (this.#subjectOf.get(key) === subject) this.#unindex(key);
      }
      return Promise.resolve();
    },
  };

  #entries = new Map<string, MemoryEntry>();
  // Entries from least (#oldest) to most (#newest) recently used, linked
  // through the entries themselves: moving or evicting one is O(1), without
  // iterating the Map (which slows down as deletions pile up in it).
  #oldest: MemoryEntry | undefined;
  #newest: MemoryEntry | undefined;
  #bySubject = new Map<string, Map<string, number>>();
  #subjectOf = new Map<string, string>();
  #maxEntries: number;
  #now: () => number;
  #nextVersion = 1;

  /** @internal The same operations, answered at once. */
  readonly [SYNC]: SyncStore;

  /**
   * Creates an empty store.
   *
   * @param options The capacity and clock.
   * @throws {TypeError} When an option has the wrong type.
   * @throws {RangeError} When `maxEntries` is not a whole number of at least 1.
   */
  constructor(options: MemoryStoreOptions = {}) {
    this.#maxEntries = wholeNumberOption(
      ACTION,
      "maxEntries",
      options.maxEntries,
      100_000,
      1,
    );
    this.#now = functionOption(ACTION, "now", options.now, Date.now);
    this[SYNC] = {
      clock: this.#now,
      get: (key, now) => this.#get(key, now),
      set: (key, value, expiresAt, ifVersion, now) =>
        this.#set(key, value, expiresAt, ifVersion, now),
      touch: (key, expiresAt, now) => this.#touch(key, expiresAt, now),
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
   * least recently used record when the store is full.
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
    );
    return Promise.resolve(
      version === undefined
        ? { ok: false }
        : { ok: true, version: String(version) },
    );
  }

  /**
   * `set()`, answering the new version, or `undefined` for a refusal. The
   * precondition is a version as `get()` answers it (text) or as the
   * synchronous API does (a number).
   */
  #set(
    key: string,
    value: string,
    expiresAt: number,
    ifVersion: string | number | null | undefined,
    now: number,
  ): number | undefined {
    const current = this.#live(key, now);
    if (
      ifVersion === null
        ? current !== undefined
        : typeof ifVersion === "number"
        ? current?.version !== ifVersion
        : typeof ifVersion === "string" &&
          (current === undefined || String(current.version) !== ifVersion)
    ) {
      return undefined;
    }
    const version = this.#nextVersion++;
    if (!(expiresAt > now)) {
      this.#drop(key);
    } else if (current !== undefined) {
      current.value = value;
      current.expiresAt = expiresAt;
      current.version = version;
      this.#use(current);
    } else {
      const entry: MemoryEntry = {
        key,
        value,
        expiresAt,
        version,
        older: this.#newest,
        newer: undefined,
      };
      if (this.#newest === undefined) this.#oldest = entry;
      else this.#newest.newer = entry;
      this.#newest = entry;
      this.#entries.set(key, entry);
      if (this.#entries.size > this.#maxEntries) this.#drop(this.#oldest!.key);
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
   * value or version.
   *
   * @param key The record's key.
   * @param expiresAt The new expiry, in milliseconds since the Unix epoch.
   * @returns `false` when there was no live record.
   */
  touch(key: string, expiresAt: number): Promise<boolean> {
    return Promise.resolve(this.#touch(key, expiresAt, this.#now()));
  }

  #touch(key: string, expiresAt: number, now: number): boolean {
    const entry = this.#live(key, now);
    if (entry === undefined) return false;
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

  /** Makes an entry the most recently used. */
  #use(entry: MemoryEntry): void {
    if (entry === this.#newest) return;
    this.#unlink(entry);
    entry.older = this.#newest;
    entry.newer = undefined;
    this.#newest!.newer = entry;
    this.#newest = entry;
  }

  /** Takes an entry out of the recency list. */
  #unlink(entry: MemoryEntry): void {
    if (entry.older === undefined) this.#oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.#newest = entry.older;
    else entry.newer.older = entry.older;
  }

  /** Removes a record and its subject index entry. */
  #drop(key: string): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
      this.#unlink(entry);
    }
    this.#unindex(key);
  }

  /** Removes a key from the subject index. */
  #unindex(key: string): void {
    const subject = this.#subjectOf.get(key);
    if (subject === undefined) return;
    this.#subjectOf.delete(key);
    const keys = this.#bySubject.get(subject)!;
    keys.delete(key);
    if (keys.size === 0) this.#bySubject.delete(subject);
  }
}
