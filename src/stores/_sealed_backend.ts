// Private module: the backend of the sealed cookie store. The whole session
// (id, expiry and record) is sealed into the cookie; there is no record to
// read, lock or delete, so a save is a new cookie, and `destroy()` only
// expires it.

import type { SessionBackend } from "../_backend.ts";
import { recordOf } from "../_changes.ts";
import { publicHandle, reportExpired, reportSession } from "../_events.ts";
import { SessionHandle } from "../_handle.ts";
import {
  expiryFor,
  lifetimeOf,
  maxAgeSeconds,
  pastAbsolute,
  savedExpiry,
} from "../_lifetime.ts";
import {
  ownerOf,
  parseJson,
  readRecord,
  ROTATED,
  serializeRecord,
} from "../_record.ts";
import { SessionTooLargeError } from "../errors.ts";
import type { ManagerConfig } from "../manager_options.ts";
import type { SessionRequest } from "../session.ts";
import { hashSessionId, isSessionId } from "../session_id.ts";
import type { SealedCookieStore } from "./sealed_cookie.ts";

/** The most a browser keeps of one cookie's name and value together. */
const MAX_COOKIE_BYTES = 4096;

/** Opens and saves sessions sealed in the cookie. */
export class SealedBackend implements SessionBackend {
  /** A sealed session has no record to index by subject. */
  readonly subjects = undefined;
  #store: SealedCookieStore;
  #config: ManagerConfig;
  #save = (handle: SessionHandle): Promise<void> => this.#seal(handle);

  constructor(store: SealedCookieStore, config: ManagerConfig) {
    this.#store = store;
    this.#config = config;
  }

  /** Loads a session sealed in the cookie itself. */
  async open<Data, Flash>(
    request: SessionRequest,
  ): Promise<SessionHandle<Data, Flash>> {
    const config = this.#config;
    const value = config.cookie.read(request);
    if (value === undefined) return new SessionHandle(request, this.#save);
    const text = value.length > MAX_COOKIE_BYTES
      ? undefined
      : await this.#store.unseal(value);
    const parsed = text === undefined ? undefined : parseJson(text);
    const record = readRecord(parsed);
    const { id, expiresAt } = (parsed ?? {}) as Record<string, unknown>;
    const now = config.now();
    if (
      record === undefined || record === ROTATED ||
      typeof id !== "string" || !isSessionId(id) ||
      typeof expiresAt !== "number"
    ) {
      return new SessionHandle(request, this.#save, "unknown cookie");
    }
    const events = config.events;
    // A sealed session has no store key; with a listener, its events name
    // it by the key a store would use.
    const key = events === undefined ? "" : hashSessionId(id);
    const absolute = pastAbsolute(
      lifetimeOf(config, record.lifetime),
      record.createdAt,
      now,
    );
    if (!(expiresAt > now) || absolute) {
      if (events !== undefined) {
        reportExpired(events, key, record, expiresAt, now, absolute);
      }
      return new SessionHandle(request, this.#save, "unknown cookie");
    }
    if (events !== undefined && events.samplesLoad()) {
      reportSession(events, "loaded", key, record, expiresAt, now);
    }
    return new SessionHandle(request, this.#save, {
      id,
      record: {
        key,
        version: undefined,
        expiresAt,
        createdAt: record.createdAt,
        value: "",
      },
      data: record.data,
      flash: record.flash,
      owner: ownerOf(record),
      lifetime: record.lifetime,
    });
  }

  /**
   * Seals the whole session into the cookie when it changed, was
   * regenerated, or its expiry is due to move.
   */
  async #seal(handle: SessionHandle): Promise<void> {
    const config = this.#config;
    const now = config.now();
    const bound = handle.regeneratedFrom === undefined
      ? handle.bound
      : undefined;
    // The lifetime the sealed record will carry: the stored one, or the one
    // this request chose.
    const lifetime = lifetimeOf(config, handle.lifetime);
    let createdAt = now;
    let expiresAt = expiryFor(lifetime, now, now);
    if (bound !== undefined) {
      const extended = savedExpiry(
        lifetime,
        bound,
        now,
        handle.lifetimeChanged,
      );
      if (!handle.dirty && extended === undefined) return;
      createdAt = bound.createdAt;
      expiresAt = extended ?? bound.expiresAt;
    } else if (!handle.dirty) {
      if (
        handle.destroyed &&
        (handle.hadCookie || handle.destroyedKey !== undefined)
      ) {
        this.#reportDestroyed(handle, now);
        handle.markDeleted();
        handle.markCleared(config.cookie.serializeDeletion(handle.request));
      }
      return;
    }
    if (!(expiresAt > now)) {
      // A lifetime chosen now that ended already: the session ends here.
      handle.markStale();
      handle.markCleared(config.cookie.serializeDeletion(handle.request));
      return;
    }
    const record = recordOf(handle, createdAt);
    // The id and the expiry travel inside the sealed payload.
    const text = `{"id":"${handle.id}","expiresAt":${expiresAt},${
      serializeRecord(record).slice(1)
    }`;
    const value = await this.#store.seal(text);
    const bytes = config.cookie.nameFor(handle.request).length + 1 +
      value.length;
    if (bytes > MAX_COOKIE_BYTES) {
      throw new SessionTooLargeError(
        "the sealed cookie",
        bytes,
        MAX_COOKIE_BYTES,
      );
    }
    const events = config.events;
    const previous = handle.regeneratedFrom;
    const key = events === undefined ? "" : hashSessionId(handle.id);
    this.#reportDestroyed(handle, now);
    handle.markDeleted();
    handle.markSaved(
      {
        key,
        version: undefined,
        expiresAt,
        createdAt,
        value: "",
      },
      record,
      lifetime.cookie.serialize(
        handle.request,
        value,
        maxAgeSeconds(expiresAt, now),
      ),
    );
    if (events === undefined || bound !== undefined) return;
    if (previous === undefined) {
      reportSession(events, "created", key, record, expiresAt, now);
    } else {
      events.emit({
        type: "regenerated",
        at: now,
        handle: publicHandle(key),
        previousHandle: publicHandle(previous.key),
        subject: record.subject,
        createdAt,
        expiresAt,
      });
    }
  }

  /** Reports the end of a session that `destroy()` asked for. */
  #reportDestroyed(handle: SessionHandle, now: number): void {
    const key = handle.destroyedKey;
    if (key === undefined) return;
    this.#config.events?.emit({
      type: "destroyed",
      at: now,
      handle: publicHandle(key),
      subject: handle.destroyedSubject,
    });
  }
}
