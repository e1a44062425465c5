// The manager's options, and their validation into a frozen configuration
// that every part of the manager reads: checked once, at construction.

import { EventSink } from "./_events.ts";
import type { Lifetime } from "./_lifetime.ts";
import { describeValue, functionValue, wholeNumber } from "./_options.ts";
import {
  createSessionCookie,
  type SessionCookie,
  type SessionCookieOptions,
} from "./cookie.ts";
import type { SessionEvent } from "./events.ts";
import type { SessionStore } from "./store.ts";
import type { SealedCookieStore } from "./stores/sealed_cookie.ts";

/**
 * Options of {@linkcode createSessionManager}.
 *
 * @example Sessions that last a working day with a 15-minute idle timeout
 * ```ts
 * import { createSessionManager } from "@sesame/session";
 *
 * const sessions = createSessionManager({
 *   idleTimeoutSeconds: 15 * 60,
 *   absoluteTimeoutSeconds: 8 * 60 * 60,
 *   cookie: { name: "app" },
 * });
 * ```
 */
export interface SessionManagerOptions {
  /**
   * Where session records live. The default keeps them in this process: give
   * every manager that must share sessions the same store.
   *
   * @default {new MemoryStore()}
   */
  store?: SessionStore | SealedCookieStore;
  /**
   * The session cookie's name and attributes. The defaults are the strict
   * ones: `HttpOnly`, `SameSite=Lax`, `Path=/`, `Secure` and the `__Host-`
   * prefix on https.
   *
   * @default {{}}
   */
  cookie?: SessionCookieOptions;
  /**
   * How long a session lives without requests, in seconds. Activity moves
   * the expiry forward (sliding). 30 minutes is the idle limit of OWASP ASVS
   * level 2 (§3.3.2).
   *
   * @default {1800}
   */
  idleTimeoutSeconds?: number;
  /**
   * How long a session lives from its creation however active it is, in
   * seconds, so that a stolen id cannot be kept alive forever. 12 hours is
   * the limit of OWASP ASVS level 2 (§3.3.2). `regenerate()` starts a new
   * lifetime.
   *
   * @default {43200}
   */
  absoluteTimeoutSeconds?: number;
  /**
   * The longest idle timeout a session may choose with
   * `Session.setLifetime()`, in seconds: a longer one is lowered to it.
   * Lowering it applies to sessions already stored once the idle expiry
   * they were granted passes (at most the old maximum after their last
   * request).
   *
   * @default {idleTimeoutSeconds}
   */
  maxIdleTimeoutSeconds?: number;
  /**
   * The longest absolute timeout a session may choose with
   * `Session.setLifetime()`, in seconds ("remember me for 30 days" needs
   * `30 * 24 * 60 * 60`): a longer one is lowered to it. It is enforced when
   * a session is read too, so lowering it shortens sessions already stored.
   *
   * @default {absoluteTimeoutSeconds}
   */
  maxAbsoluteTimeoutSeconds?: number;
  /**
   * How far the idle expiry must move before a request extends it, in
   * seconds. Extending means a store call and a `Set-Cookie`, so a session
   * read many times a minute is not extended on every request; the idle
   * timeout thus takes effect between `idleTimeoutSeconds - touchIntervalSeconds`
   * and `idleTimeoutSeconds` after the last request. `0` extends on every
   * request.
   *
   * @default {idleTimeoutSeconds / 10}
   */
  touchIntervalSeconds?: number;
  /**
   * How many times a save is tried when a compare-and-set store reports that
   * a concurrent request changed the record first. Each try re-reads the
   * record and re-applies this request's changes.
   *
   * @default {10}
   */
  maxCommitAttempts?: number;
  /**
   * How long a call to a store whose records leave the process may take, in
   * milliseconds, before it fails with a `SessionStoreError` (its `cause` a
   * `TimeoutError`), so that a hanging store does not hang every request.
   * A write that times out may still land later; no cookie is sent for it.
   * The in-process memory store is not timed.
   *
   * @default {5000}
   */
  storeTimeoutMs?: number;
  /**
   * The largest session record, in bytes of JSON, that the manager writes.
   * A bigger session throws `SessionTooLargeError` at commit, before anything
   * is written. With the memory store, the memory a flood of sessions can
   * take is at most `maxEntries` times this.
   *
   * @default {65536}
   */
  maxRecordBytes?: number;
  /**
   * How long the old id of a regenerated session is remembered, in seconds.
   * A request that the browser sent with the old cookie before it received
   * the new one (in flight during a login) then gets a stale, empty session
   * that saves nothing and sends no cookie, instead of a fresh session whose
   * cookie would overwrite the new one and log the user out again. It never
   * reaches the new session.
   *
   * @default {60}
   */
  rotationGraceSeconds?: number;
  /**
   * Whether session values are encrypted at rest: each record's values and
   * flash values are sealed with AES-256-GCM under a key derived from the
   * session id itself. The store keeps only the id's SHA-256 (also the
   * memory store, then), so a dump of the store reveals no session data,
   * even together with the server's configuration: only a request carrying
   * the cookie opens its record. The creation time, the subject and label
   * (for `listSessions()`) and the lifetime stay readable, bound to the
   * ciphertext so that they cannot be changed in the store.
   *
   * It costs a key derivation and an encryption per write, a decryption per
   * read, and the memory store's synchronous path. With a store whose
   * records leave the process, records written in clear before it was
   * turned on are read and sealed at their next write, and sealed records
   * stay readable after it is turned off (the memory store keys records by
   * the id itself in clear, by its hash when sealing). Not for the sealed
   * cookie store, which encrypts the whole session anyway.
   *
   * @default {false}
   */
  encryptAtRest?: boolean;
  /**
   * Hears what happens to sessions: created, loaded (sampled), regenerated,
   * destroyed, expired, revoked, a conflicting save, a failing store (see
   * {@linkcode SessionEvent}). Called synchronously where it happens; it
   * cannot break a request: what it throws or rejects goes to
   * `onEventError`. Do slow work (a network call) without awaiting it.
   *
   * Without a listener nothing is computed for events, not even the
   * handle's hash: the option costs nothing when unused.
   *
   * @default {undefined}
   */
  onEvent?: (event: SessionEvent) => void | Promise<void>;
  /**
   * Receives what `onEvent` threw or rejected, with the event. Without it
   * such errors are dropped (sesame writes to no console of its own).
   *
   * @default {undefined}
   */
  onEventError?: (error: unknown, event: SessionEvent) => void;
  /**
   * The share of loads reported as `"loaded"` events, from `0` (none) to
   * `1` (every load that found a live session): loads are the most frequent
   * event by far.
   *
   * @default {0}
   */
  loadedEventSampleRate?: number;
  /**
   * The clock, in milliseconds since the Unix epoch. Replace it in tests to
   * move time without waiting.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/** The action every error of the manager's options names. */
export const ACTION = "Cannot create session manager";

/** The options, validated; times in milliseconds. */
export interface ManagerConfig {
  /** The session cookie. */
  readonly cookie: SessionCookie;
  /**
   * The lifetime of a session that chose none: `idleTimeoutSeconds`,
   * `absoluteTimeoutSeconds` and `touchIntervalSeconds` in milliseconds, and
   * the cookie as configured.
   */
  readonly lifetime: Lifetime;
  /** `maxIdleTimeoutSeconds`, in milliseconds. */
  readonly maxIdleMs: number;
  /** `maxAbsoluteTimeoutSeconds`, in milliseconds. */
  readonly maxAbsoluteMs: number;
  /** Whether the cookie is persistent unless a session chooses otherwise. */
  readonly persistent: boolean;
  /** The cookie with `Max-Age`. */
  readonly persistentCookie: SessionCookie;
  /** The cookie without `Max-Age`, which the browser drops when it closes. */
  readonly browserSessionCookie: SessionCookie;
  /** `maxCommitAttempts`. */
  readonly maxAttempts: number;
  /** `rotationGraceSeconds`, in milliseconds. */
  readonly rotationGraceMs: number;
  /** `storeTimeoutMs`. */
  readonly storeTimeoutMs: number;
  /** `maxRecordBytes`. */
  readonly maxRecordBytes: number;
  /** The clock. */
  readonly now: () => number;
  /** `encryptAtRest`. */
  readonly encryptAtRest: boolean;
  /** Where events go; `undefined` without an `onEvent` listener. */
  readonly events: EventSink | undefined;
}

/**
 * Validates the options (all but `store`, whose shape its backend checks)
 * into a frozen configuration.
 *
 * @throws {TypeError} When an option has the wrong type, or the cookie an
 * invalid combination of attributes.
 * @throws {RangeError} When a number is out of range.
 */
export function readConfig(options: SessionManagerOptions): ManagerConfig {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `${ACTION}: options must be an object, received ${
        describeValue(options)
      }`,
    );
  }
  const now = functionValue(options.now, {
    action: ACTION,
    name: "now",
    fallback: Date.now,
  });
  return Object.freeze({
    now,
    events: readEvents(options),
    encryptAtRest: readEncryptAtRest(options),
    ...readTimeouts(options),
    ...readLimits(options),
  });
}

/** What a check of one option of the manager needs to name it. */
function option(name: keyof SessionManagerOptions) {
  return { action: ACTION, name };
}

/** The timeouts and intervals, in milliseconds, and the cookies. */
function readTimeouts(options: SessionManagerOptions) {
  const cookie = createSessionCookie(options.cookie);
  // Valid, as createSessionCookie() checked it.
  const persistent = options.cookie?.persistent !== false;
  const other = createSessionCookie({
    ...options.cookie,
    persistent: !persistent,
  });
  const idle = wholeNumber(options.idleTimeoutSeconds, {
    ...option("idleTimeoutSeconds"),
    fallback: 1800,
    min: 1,
  });
  const absolute = wholeNumber(options.absoluteTimeoutSeconds, {
    ...option("absoluteTimeoutSeconds"),
    fallback: Math.max(43200, idle),
    min: idle,
  });
  const touchMs = options.touchIntervalSeconds === undefined
    ? idle * 100
    : wholeNumber(options.touchIntervalSeconds, {
      ...option("touchIntervalSeconds"),
      fallback: 0,
      min: 0,
      max: idle - 1,
    }) * 1000;
  const maxIdle = wholeNumber(options.maxIdleTimeoutSeconds, {
    ...option("maxIdleTimeoutSeconds"),
    fallback: idle,
    min: idle,
  });
  const maxAbsolute = wholeNumber(options.maxAbsoluteTimeoutSeconds, {
    ...option("maxAbsoluteTimeoutSeconds"),
    fallback: absolute,
    min: absolute,
  });
  const lifetime: Lifetime = Object.freeze({
    idleMs: idle * 1000,
    absoluteMs: absolute * 1000,
    touchMs,
    cookie,
  });
  return {
    cookie,
    lifetime,
    maxIdleMs: maxIdle * 1000,
    maxAbsoluteMs: maxAbsolute * 1000,
    persistent,
    persistentCookie: persistent ? cookie : other,
    browserSessionCookie: persistent ? other : cookie,
  };
}

/** The limits on retries, the rotation grace, store calls and records. */
function readLimits(options: SessionManagerOptions) {
  return {
    maxAttempts: wholeNumber(options.maxCommitAttempts, {
      ...option("maxCommitAttempts"),
      fallback: 10,
      min: 1,
      max: 1000,
    }),
    rotationGraceMs: wholeNumber(options.rotationGraceSeconds, {
      ...option("rotationGraceSeconds"),
      fallback: 60,
      min: 1,
      max: 3600,
    }) * 1000,
    storeTimeoutMs: wholeNumber(options.storeTimeoutMs, {
      ...option("storeTimeoutMs"),
      fallback: 5000,
      min: 1,
      max: 600_000,
    }),
    maxRecordBytes: wholeNumber(options.maxRecordBytes, {
      ...option("maxRecordBytes"),
      fallback: 65536,
      min: 64,
    }),
  };
}

/** The event sink, when there is a listener. */
function readEvents(options: SessionManagerOptions): EventSink | undefined {
  const noop = () => {};
  const listener = functionValue<(event: SessionEvent) => unknown>(
    options.onEvent,
    { ...option("onEvent"), fallback: noop },
  );
  const onError = functionValue<(error: unknown, event: SessionEvent) => void>(
    options.onEventError,
    { ...option("onEventError"), fallback: noop },
  );
  const rate = options.loadedEventSampleRate;
  if (
    rate !== undefined &&
    (typeof rate !== "number" || !(rate >= 0 && rate <= 1))
  ) {
    throw new (typeof rate === "number" ? RangeError : TypeError)(
      `${ACTION}: loadedEventSampleRate must be a number from 0 to 1, received ${
        describeValue(rate)
      }`,
    );
  }
  if (listener === noop) return undefined;
  return new EventSink(listener, onError, rate ?? 0);
}

/** `encryptAtRest`, checked. */
function readEncryptAtRest(options: SessionManagerOptions): boolean {
  const value = options.encryptAtRest;
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw new TypeError(
      `${ACTION}: encryptAtRest must be a boolean, received ${
        describeValue(value)
      }`,
    );
  }
  if (
    value && (options.store as { sealed?: unknown } | undefined)?.sealed ===
      true
  ) {
    throw new TypeError(
      `${ACTION}: encryptAtRest is for stores that keep records; the sealed cookie store encrypts the whole session already, leave it unset`,
    );
  }
  return value;
}
