// Private module: the synchronous fast path of the store backend, for a
// store that answers at once (MemoryStore grants it). It takes the same
// decisions as the asynchronous path, from the same functions, and differs
// only in not waiting: what it cannot finish at once (a rotation, a
// subject, a conflict) it leaves to the asynchronous path, having changed
// nothing.

import type { SessionHandle } from "./_handle.ts";
import {
  cookieUntil,
  expiryFor,
  extensionOf,
  lifetimeOf,
  savedExpiry,
} from "./_lifetime.ts";
import { recordOf } from "./_changes.ts";
import { reportSession } from "./_events.ts";
import { CORRUPT, type Read, type StoreAccess } from "./_store_access.ts";
import type { SyncStore } from "./_sync.ts";

/** Reads and saves through a store's synchronous operations. */
export class SyncPath {
  #access: StoreAccess;
  #sync: SyncStore;
  /** Whether the store's clock is the manager's, so one reading serves. */
  #sharesClock: boolean;

  constructor(access: StoreAccess, sync: SyncStore) {
    this.#access = access;
    this.#sync = sync;
    this.#sharesClock = sync.clock === access.config.now;
  }

  /** `StoreAccess.read()` for a request's cookie, answered at once. */
  read(key: string): Read {
    const access = this.#access;
    const now = access.config.now();
    const found = access.inspect(
      key,
      this.#sync.get(key, this.#storeNow(now)),
      now,
      true,
    );
    if (found !== CORRUPT) return found;
    void access.store.delete(key);
    return undefined;
  }

  /**
   * Saves at once what the store can take without waiting: a new record, an
   * update that no other request raced, or a touch of the version read.
   * Returns `false`, having changed nothing, for everything else.
   */
  save(handle: SessionHandle): boolean {
    if (
      handle.stale || handle.destroyedKey !== undefined ||
      handle.regeneratedFrom !== undefined || handle.ownerChanged ||
      handle.owner.subject !== undefined
    ) {
      return false;
    }
    const bound = handle.bound;
    if (bound === undefined) {
      return handle.dirty ? this.#create(handle) : !handle.destroyed;
    }
    const config = this.#access.config;
    const now = config.now();
    if (handle.dirty) return this.#rewrite(handle, now);
    const lifetime = lifetimeOf(config, handle.lifetime);
    const extended = extensionOf(lifetime, bound, now);
    if (extended === undefined) return true;
    // Only the version read: never a record changed or rotated meanwhile.
    if (
      !this.#sync.touch(
        bound.key,
        extended,
        bound.version!,
        this.#storeNow(now),
      )
    ) {
      return false;
    }
    handle.markExtended(
      extended,
      cookieUntil(lifetime, handle, extended, now),
    );
    return true;
  }

  /** Writes a new session's first record. */
  #create(handle: SessionHandle): boolean {
    const access = this.#access;
    const config = access.config;
    const now = config.now();
    const record = recordOf(handle, now);
    const key = access.keyOf(handle.id);
    const lifetime = lifetimeOf(config, record.lifetime);
    const expiresAt = expiryFor(lifetime, now, now);
    const value = access.serialize(record, key);
    const version = this.#sync.set(
      key,
      value,
      expiresAt,
      null,
      this.#storeNow(now),
    );
    // Refused or expired: the asynchronous path says which, and acts on it.
    if (!version) return false;
    handle.markSaved(
      { key, version, expiresAt, createdAt: now, value },
      record,
      cookieUntil(lifetime, handle, expiresAt, now),
    );
    const events = config.events;
    if (events !== undefined) {
      reportSession(events, "created", key, record, expiresAt, now);
    }
    return true;
  }

  /** Writes the handle's changes over the version it read. */
  #rewrite(handle: SessionHandle, now: number): boolean {
    const access = this.#access;
    const bound = handle.bound!;
    const record = recordOf(handle, bound.createdAt);
    const lifetime = lifetimeOf(access.config, record.lifetime);
    const extended = savedExpiry(
      lifetime,
      bound,
      now,
      handle.lifetimeChanged,
    );
    const expiresAt = extended ?? bound.expiresAt;
    const value = access.serialize(record, bound.key);
    const version = this.#sync.set(
      bound.key,
      value,
      expiresAt,
      bound.version ?? null,
      this.#storeNow(now),
    );
    // A concurrent change (the asynchronous path re-reads and retries) or an
    // expiry the store's clock has passed (it drops the handle).
    if (!version) return false;
    handle.markRewritten(
      version,
      expiresAt,
      value,
      record,
      extended === undefined
        ? undefined
        : cookieUntil(lifetime, handle, expiresAt, now),
    );
    return true;
  }

  /** The time to give the store, read from its own clock. */
  #storeNow(now: number): number {
    return this.#sharesClock ? now : this.#sync.clock();
  }
}
