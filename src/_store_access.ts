// Private module: every call the manager makes to a store goes through here.
// Timeouts, error wrapping and result checks; keys (hashed for stores whose
// records leave the process); what a stored entry means; the write options
// and the size limit of a record.

import { reportExpired } from "./_events.ts";
import { lifetimeOf, pastAbsolute } from "./_lifetime.ts";
import {
  type BoundRecord,
  KEY_CHECK_LENGTH,
  parseRecord,
  ROTATED,
  serializeRecord,
  type SessionRecord,
} from "./_record.ts";
import { openRecord, RecordSecret, sealRecord } from "./_record_seal.ts";
import type { SyncEntry } from "./_sync.ts";
import {
  SessionStoreError,
  SessionTooLargeError,
  type StoreOperation,
} from "./errors.ts";
import type { ManagerConfig } from "./manager_options.ts";
import { hashSessionId } from "./session_id.ts";
import type { SessionStore, StoreEntry, StoreSetOptions } from "./store.ts";

/** A live record as read from the store. */
export interface Found {
  entry: Readonly<StoreEntry> | Readonly<SyncEntry>;
  record: SessionRecord;
  /** The key that opened the record, when it was sealed. */
  secret?: RecordSecret;
}

/** What a read finds: a live record, a rotated id's marker, or nothing. */
export type Read = Found | typeof ROTATED | undefined;

/** What `inspect()` answers for a stored record that must be deleted. */
export const CORRUPT: unique symbol = Symbol("corrupt");

/** The calls of one manager to its store. */
export class StoreAccess {
  /** The store. */
  readonly store: SessionStore;
  /** The manager's configuration. */
  readonly config: ManagerConfig;
  #timeoutMs: number | undefined;

  constructor(store: SessionStore, config: ManagerConfig) {
    this.store = store;
    this.config = config;
    // The in-process memory store is not timed.
    this.#timeoutMs = store.inProcess === true
      ? undefined
      : config.storeTimeoutMs;
  }

  /**
   * The store key of an id: the id itself only for in-process stores that
   * keep records in clear.
   */
  keyOf(id: string): string {
    return this.store.inProcess === true && !this.config.encryptAtRest
      ? id
      : hashSessionId(id);
  }

  /**
   * The key to seal a session's records with, when the manager encrypts at
   * rest (or the bound record was sealed): `undefined` in clear.
   */
  secretFor(
    id: string,
    bound?: { readonly secret?: RecordSecret },
  ): RecordSecret | undefined {
    return bound?.secret ??
      (this.config.encryptAtRest ? new RecordSecret(id) : undefined);
  }

  /**
   * `serialize()`, sealing the values first when there is a secret. The
   * record itself is left as it is.
   */
  async encode(
    record: SessionRecord,
    key: string,
    secret: RecordSecret | undefined,
  ): Promise<string> {
    return this.serialize(
      secret === undefined ? record : await sealRecord(record, secret),
      key,
    );
  }

  /** Runs a store call, turning a failure into a `SessionStoreError`. */
  call<T>(operation: StoreOperation, call: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      // Promise.resolve() returns a native promise as it is, and also takes
      // the plain value of a store that answers synchronously.
      pending = Promise.resolve(call());
    } catch (cause) {
      pending = Promise.reject(cause);
    }
    if (this.#timeoutMs !== undefined) {
      pending = withTimeout(pending, this.#timeoutMs);
    }
    if (operation === "set") pending = pending.then(checkSetResult);
    const events = this.config.events;
    const started = events === undefined ? 0 : performance.now();
    return pending.catch((cause) => {
      // A store that refuses a record as too large wrote nothing: say so as
      // it is, like the sealed cookie store does.
      if (cause instanceof SessionTooLargeError) throw cause;
      const error = new SessionStoreError(operation, { cause });
      events?.emit({
        type: "store error",
        at: this.config.now(),
        handle: undefined,
        subject: undefined,
        operation,
        error,
        durationMs: performance.now() - started,
      });
      throw error;
    });
  }

  /**
   * Reads the live record under `key`: `ROTATED` for the marker of a
   * regenerated session, `undefined` for none. A corrupt record is deleted.
   *
   * A sealed record is opened with `secret`, or from the `id` when a
   * request's cookie named it; without either, only its readable part is
   * there (its values empty), which is all a listing needs.
   *
   * @param opening Whether a request's cookie named the key: a session
   * found expired is then reported.
   */
  async read(
    key: string,
    opening = false,
    unlock?: { id?: string; secret?: RecordSecret },
  ): Promise<Read> {
    const entry = await this.call("get", () => this.store.get(key));
    let found = this.inspect(key, entry, this.config.now(), opening);
    if (
      found !== CORRUPT && found !== undefined && found !== ROTATED &&
      found.record.sealed !== undefined && unlock !== undefined
    ) {
      const secret = unlock.secret ??
        (unlock.id === undefined ? undefined : new RecordSecret(unlock.id));
      // Sealed under a key this request does not have (a manager that
      // encrypts wrote it meanwhile): as if gone, and left as it is.
      if (secret === undefined) return undefined;
      found = await openRecord(found.record, secret)
        ? { ...found, secret }
        : CORRUPT;
    }
    if (found !== CORRUPT) return found;
    await this.call("delete", () => this.store.delete(key));
    return undefined;
  }

  /**
   * What a stored entry holds at `now`: a live record, the `ROTATED`
   * marker, nothing (absent or expired), or `CORRUPT` for a record to delete.
   */
  inspect(
    key: string,
    entry: Readonly<StoreEntry> | Readonly<SyncEntry> | null | undefined,
    now: number,
    opening = false,
  ): Read | typeof CORRUPT {
    // Many clients answer null for a missing key.
    if (entry === undefined || entry === null) return undefined;
    if (!(entry.expiresAt > now)) {
      if (opening && this.config.events !== undefined) {
        this.#reportExpired(key, entry, now);
      }
      return undefined;
    }
    // A value that is not text is as corrupt as text that is not a record.
    const record = typeof entry.value === "string"
      ? parseRecord(entry.value)
      : undefined;
    if (
      record === undefined ||
      // A record of another key: a store that mixed up its entries.
      (record !== ROTATED && this.store.inProcess !== true &&
        record.key !== key.slice(0, KEY_CHECK_LENGTH))
    ) {
      return CORRUPT;
    }
    if (record === ROTATED) return ROTATED;
    const lifetime = lifetimeOf(this.config, record.lifetime);
    if (pastAbsolute(lifetime, record.createdAt, now)) {
      const events = this.config.events;
      if (opening && events !== undefined) {
        reportExpired(events, key, record, entry.expiresAt, now, true);
      }
      return undefined;
    }
    return { entry, record };
  }

  /** Reports the record of an entry the store returned past its expiry. */
  #reportExpired(
    key: string,
    entry: Readonly<StoreEntry> | Readonly<SyncEntry>,
    now: number,
  ): void {
    const record = typeof entry.value === "string"
      ? parseRecord(entry.value)
      : undefined;
    if (record === undefined || record === ROTATED) return;
    const lifetime = lifetimeOf(this.config, record.lifetime);
    reportExpired(
      this.config.events!,
      key,
      record,
      entry.expiresAt,
      now,
      pastAbsolute(lifetime, record.createdAt, now),
    );
  }

  /** Deletes a record this request created, when it cannot be used after all. */
  async discard(key: string): Promise<void> {
    try {
      await this.call("delete", () => this.store.delete(key));
    } catch {
      // Nothing refers to the record: no cookie names it, and it expires.
    }
  }

  /** Serialises a record for `key`, refusing one over `maxRecordBytes`. */
  serialize(record: SessionRecord, key: string): string {
    const value = serializeRecord(
      record,
      this.store.inProcess ? undefined : key,
    );
    const max = this.config.maxRecordBytes;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: count only when it matters.
    if (value.length * 3 > max) {
      const bytes = utf8Length(value);
      if (bytes > max) {
        throw new SessionTooLargeError("the session record", bytes, max);
      }
    }
    return value;
  }

  /**
   * The options of a record's write: its expiry, the precondition, and
   * whether the record is privileged, which stores that evict honour by
   * evicting anonymous sessions first.
   */
  writeOptions(
    record: SessionRecord,
    expiresAt: number,
    version: string | number | null | undefined,
    rotated: boolean,
  ): StoreSetOptions {
    const options: StoreSetOptions = { expiresAt };
    if (this.store.compareAndSet) options.ifVersion = versionText(version);
    if (rotated || record.subject !== undefined) options.privileged = true;
    return options;
  }

  /** The compare-and-set precondition to pass, for stores that take one. */
  ifVersion(
    version: string | number | null | undefined,
  ): Pick<StoreSetOptions, "ifVersion"> {
    if (!this.store.compareAndSet) return {};
    return { ifVersion: versionText(version) };
  }
}

/** What a handle remembers of the record it read. */
export function bind(
  key: string,
  { entry, record, secret }: Found,
): BoundRecord {
  const bound: BoundRecord = {
    key,
    version: entry.version,
    expiresAt: entry.expiresAt,
    createdAt: record.createdAt,
    value: entry.value,
  };
  if (secret !== undefined) bound.secret = secret;
  return bound;
}

/** A version as stores take it: text, or `null` for "no record". */
export function versionText(
  version: string | number | null | undefined,
): string | null {
  return typeof version === "number" ? String(version) : version ?? null;
}

/**
 * Waits a random, growing moment before retrying a conflicting save: up to
 * 2, 4, 8, … ms, and at most about a second. The window keeps doubling past
 * what a store in this process needs, so that writers of one session also
 * spread out on a store that serves them one at a time and takes
 * milliseconds a call (one Durable Object, a database across a network): with
 * a window that stopped at 64 ms, 20 concurrent saves at 5 ms a call ran out
 * of attempts.
 */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(2 ** attempt, 1024);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Refuses what a store's `set()` returned unless it is `{ ok: boolean }`. */
function checkSetResult<T>(result: T): T {
  const ok = (result as { ok?: unknown } | null | undefined)?.ok;
  if (typeof ok !== "boolean") {
    throw new TypeError(
      `SessionStore.set() must return { ok: boolean }, received ${
        result === null ? "null" : typeof result
      }`,
    );
  }
  return result;
}

/** Rejects with a `TimeoutError` when `promise` takes longer than `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DOMException(
            `The store did not answer within ${ms} ms`,
            "TimeoutError",
          ),
        ),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The length of a string in UTF-8 bytes. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
