// Private module: the backend for every `SessionStore`. Sessions are records
// in the store, named by the id in the cookie; saves are compare-and-set
// where the store can. A store that answers at once (MemoryStore) also
// grants a synchronous path, taken first; what it cannot finish at once
// falls through to the asynchronous path here.

import type { SessionBackend } from "./_backend.ts";
import { recordOf } from "./_changes.ts";
import {
  publicHandle,
  reportConflict,
  reportExpired,
  reportSession,
} from "./_events.ts";
import { SessionHandle } from "./_handle.ts";
import {
  cookieUntil,
  extensionOf,
  lifetimeOf,
  pastAbsolute,
  savedExpiry,
} from "./_lifetime.ts";
import { createRecord } from "./_new_record.ts";
import { describeValue } from "./_options.ts";
import { type BoundRecord, ownerOf, ROTATED } from "./_record.ts";
import { reread, rotate } from "./_rotation.ts";
import {
  backoff,
  bind,
  type Found,
  type Read,
  StoreAccess,
  versionText,
} from "./_store_access.ts";
import { indexRecord, SubjectSessions } from "./_subject_index.ts";
import { SYNC, type SyncStore } from "./_sync.ts";
import { SyncPath } from "./_sync_path.ts";
import { SessionConflictError } from "./errors.ts";
import { ACTION, type ManagerConfig } from "./manager_options.ts";
import { isSessionId } from "./session_id.ts";
import type { SessionRequest } from "./session.ts";
import type { SessionStore } from "./store.ts";

/** The backend of a manager over a `SessionStore`. */
export class StoreBackend implements SessionBackend {
  readonly subjects: SubjectSessions | undefined;
  #access: StoreAccess;
  #sync: SyncPath | undefined;
  #save = (handle: SessionHandle): Promise<void> | undefined =>
    this.#sync !== undefined && this.#sync.save(handle)
      ? undefined
      : this.#saveAsync(handle);

  /**
   * @param store The store; its shape is checked here.
   * @param config The manager's configuration.
   * @throws {TypeError} When `store` does not implement `SessionStore`.
   */
  constructor(store: unknown, config: ManagerConfig) {
    const checked = checkStore(store);
    this.#access = new StoreAccess(checked, config);
    // Granted by the store itself (MemoryStore, not its subclasses).
    const sync = (checked as { [SYNC]?: SyncStore })[SYNC];
    // Encryption is asynchronous (crypto.subtle): no synchronous path.
    this.#sync = sync === undefined || config.encryptAtRest
      ? undefined
      : new SyncPath(this.#access, sync);
    this.subjects = checked.subjects === undefined
      ? undefined
      : new SubjectSessions(this.#access, checked.subjects);
  }

  open<Data, Flash>(
    request: SessionRequest,
  ): SessionHandle<Data, Flash> | Promise<SessionHandle<Data, Flash>> {
    const id = this.#access.config.cookie.read(request);
    if (id === undefined) return new SessionHandle(request, this.#save);
    if (!isSessionId(id)) {
      return new SessionHandle(request, this.#save, "unknown cookie");
    }
    const key = this.#access.keyOf(id);
    if (this.#sync !== undefined) {
      return this.#handleFor(request, id, key, this.#sync.read(key));
    }
    return this.#access.read(key, true, { id }).then((found) =>
      this.#handleFor<Data, Flash>(request, id, key, found)
    );
  }

  /** The handle of a request whose cookie named `id`, given what was read. */
  #handleFor<Data, Flash>(
    request: SessionRequest,
    id: string,
    key: string,
    found: Read,
  ): SessionHandle<Data, Flash> {
    if (found === undefined) {
      return new SessionHandle(request, this.#save, "unknown cookie");
    }
    if (found === ROTATED) {
      return new SessionHandle(request, this.#save, "rotated cookie");
    }
    const events = this.#access.config.events;
    if (events !== undefined && events.samplesLoad()) {
      const { record, entry } = found;
      const now = this.#access.config.now();
      reportSession(events, "loaded", key, record, entry.expiresAt, now);
    }
    return new SessionHandle(request, this.#save, {
      id,
      record: this.#bind(id, key, found),
      data: found.record.data,
      flash: found.record.flash,
      owner: ownerOf(found.record),
      lifetime: found.record.lifetime,
    });
  }

  /**
   * What a handle remembers of the record it loaded, with the key of its
   * sealed records when it has them or the manager encrypts at rest (so
   * that a regeneration can still open the old record, its id gone).
   */
  #bind(id: string, key: string, found: Found): BoundRecord {
    const bound = bind(key, found);
    const secret = this.#access.secretFor(id, bound);
    if (secret !== undefined) bound.secret = secret;
    return bound;
  }

  /** Saves a handle: deletes, rotates, creates, updates or touches. */
  async #saveAsync(handle: SessionHandle): Promise<void> {
    if (handle.stale) return;
    const access = this.#access;
    const destroyed = handle.destroyedKey;
    if (destroyed !== undefined) {
      await access.call("delete", () => access.store.delete(destroyed));
      handle.markDeleted();
      access.config.events?.emit({
        type: "destroyed",
        at: access.config.now(),
        handle: publicHandle(destroyed),
        subject: handle.destroyedSubject,
      });
    }
    const bound = handle.bound;
    const old = handle.regeneratedFrom;
    if (handle.destroyed && bound === undefined && !handle.dirty) {
      if (destroyed !== undefined || handle.hadCookie) {
        handle.markCleared(
          access.config.cookie.serializeDeletion(handle.request),
        );
      }
    } else if (old !== undefined) {
      await rotate(access, handle, old);
    } else if (bound === undefined) {
      if (handle.dirty) await this.#create(handle);
    } else if (handle.dirty) {
      await this.#update(handle, bound);
    } else {
      await this.#touch(handle, bound);
    }
  }

  /** Writes the record of a session that has no record yet, under a new id. */
  async #create(handle: SessionHandle): Promise<void> {
    const config = this.#access.config;
    const now = config.now();
    const record = recordOf(handle, now);
    let written: BoundRecord;
    try {
      written = await createRecord(this.#access, handle.id, record, false);
    } catch (error) {
      // As in rotate(): a retry must not reuse an id that may name a record.
      handle.forgetId();
      throw error;
    }
    const lifetime = lifetimeOf(config, record.lifetime);
    const setCookie = cookieUntil(lifetime, handle, written.expiresAt, now);
    handle.markSaved(written, record, setCookie);
    const events = config.events;
    if (events !== undefined) {
      reportSession(
        events,
        "created",
        written.key,
        record,
        written.expiresAt,
        now,
      );
    }
  }

  /**
   * Applies the handle's changes to the stored record. With compare-and-set,
   * a record changed by a concurrent request is re-read and the changes are
   * applied to it again; without it, the record is re-read just before the
   * write so that only the keys this request changed are overwritten.
   */
  async #update(
    handle: SessionHandle,
    bound: Readonly<BoundRecord>,
  ): Promise<void> {
    const access = this.#access;
    const { store, config } = access;
    let rebased = store.compareAndSet
      ? { base: bound, record: recordOf(handle, bound.createdAt) }
      : await reread(access, handle, bound);
    const reowned = handle.ownerChanged;
    const relived = handle.lifetimeChanged;
    const secret = access.secretFor(handle.id, bound);
    const events = config.events;
    const started = events === undefined ? 0 : performance.now();
    for (let attempt = 1; rebased !== undefined; attempt++) {
      const { base, record } = rebased;
      const now = config.now();
      // The data changes; the expiry moves only when it is due (or the
      // lifetime changed), so that the record and the browser's cookie
      // always expire together.
      const lifetime = lifetimeOf(config, record.lifetime);
      const extended = savedExpiry(lifetime, base, now, relived);
      const expiresAt = extended ?? base.expiresAt;
      const value = secret === undefined
        ? access.serialize(record, base.key)
        : await access.encode(record, base.key, secret);
      // Indexed before the write, so that the record is never live without
      // its entry; a write that then fails leaves an entry that the next
      // listing drops, and the old subject's entry untouched.
      if (reowned && attempt === 1) await indexRecord(access, record, base.key);
      const options = access.writeOptions(
        record,
        expiresAt,
        base.version,
        false,
      );
      const result = await access.call(
        "set",
        () => store.set(base.key, value, options),
      );
      if (result.ok) {
        if (reowned) {
          // Again, after the write: see indexRecord().
          await indexRecord(access, record, base.key);
        }
        const written = { ...base, version: result.version, expiresAt, value };
        if (secret !== undefined) written.secret = secret;
        const setCookie = extended === undefined
          ? undefined
          : cookieUntil(lifetime, handle, expiresAt, now);
        return handle.markSaved(written, record, setCookie);
      }
      // Expired by the store's clock: the record is gone, nothing to retry.
      if (result.expired === true) {
        if (events !== undefined) {
          const absolute = pastAbsolute(lifetime, record.createdAt, now);
          reportExpired(events, base.key, record, expiresAt, now, absolute);
        }
        break;
      }
      const gaveUp = attempt >= config.maxAttempts;
      if (events !== undefined) {
        const { subject } = record;
        reportConflict(
          events,
          base.key,
          subject,
          attempt,
          gaveUp,
          started,
          now,
        );
      }
      if (gaveUp) throw new SessionConflictError(attempt);
      await backoff(attempt);
      rebased = await reread(access, handle, bound);
    }
    handle.markStale();
  }

  /**
   * Extends the idle expiry when enough of the idle window has passed. A
   * touch is a write like any other: with compare-and-set it extends only
   * the version this request read, so that it never revives a record that
   * was replaced meanwhile (above all the marker of a rotated id); without
   * it, the latest record is read again first, and a marker or a vanished
   * record is left alone.
   */
  async #touch(
    handle: SessionHandle,
    bound: Readonly<BoundRecord>,
  ): Promise<void> {
    const access = this.#access;
    const { store, config } = access;
    const now = config.now();
    // Nothing changed: the lifetime is the one the record was read with.
    const lifetime = lifetimeOf(config, handle.lifetime);
    const expiresAt = extensionOf(lifetime, bound, now);
    if (expiresAt === undefined) return;
    let base = bound;
    if (!store.compareAndSet) {
      const latest = await access.read(bound.key);
      if (latest === undefined || latest === ROTATED) return handle.markStale();
      base = bind(bound.key, latest);
    }
    let extended: boolean;
    let version = bound.version;
    if (store.touch !== undefined) {
      // A store with compare-and-set keeps a version on every record.
      const options = store.compareAndSet
        ? { ifVersion: versionText(base.version) ?? "" }
        : undefined;
      extended = await access.call(
        "touch",
        () => store.touch!(base.key, expiresAt, options),
      );
    } else {
      // Without touch(), the stored text is written back unchanged.
      const result = await access.call(
        "set",
        () =>
          store.set(base.key, base.value, {
            expiresAt,
            ...access.ifVersion(base.version),
          }),
      );
      extended = result.ok;
      if (result.ok) version = result.version;
    }
    // A record that changed or vanished meanwhile is not extended here, and
    // this request's view of it is out of date: the request that changed it
    // sent the cookie, and a vanished one stays dead.
    if (!extended) return handle.markStale();
    handle.markExtended(
      expiresAt,
      cookieUntil(lifetime, handle, expiresAt, now),
      version,
    );
  }
}

/** Checks the shape of a store given in the options. */
function checkStore(store: unknown): SessionStore {
  const candidate = store as Partial<SessionStore>;
  if (
    typeof store !== "object" || store === null ||
    typeof candidate.get !== "function" ||
    typeof candidate.set !== "function" ||
    typeof candidate.delete !== "function" ||
    typeof candidate.compareAndSet !== "boolean"
  ) {
    throw new TypeError(
      `${ACTION}: store must implement SessionStore (get, set, delete and a boolean compareAndSet), received ${
        describeValue(store)
      }`,
    );
  }
  return candidate as SessionStore;
}
