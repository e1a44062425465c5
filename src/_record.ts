// The serialised form of a session record, as the manager hands it to stores.
// JSON text: every store can keep it, and parsing it creates own properties
// only, so keys such as "__proto__" stay plain data.

import type { RecordSecret } from "./_record_seal.ts";
import type { SessionLifetime } from "./session.ts";

/** A session's stored record. */
export interface SessionRecord {
  /** When the session was created, in milliseconds since the Unix epoch. */
  createdAt: number;
  /** The session's values. */
  data: Record<string, unknown>;
  /** Flash values waiting to be read on a later request. */
  flash: Record<string, unknown>;
  /** Whom the session belongs to (a user id), when the application said so. */
  subject?: string;
  /** A description of the session for its owner, such as the device. */
  label?: string;
  /**
   * The lifetime the application chose for this session; absent, the
   * manager's (as in records written before lifetimes existed).
   */
  lifetime?: SessionLifetime;
  /**
   * The values and flash values, encrypted under a key derived from the
   * session id (`encryptAtRest`); `data` and `flash` are empty until it is
   * opened.
   */
  sealed?: string;
  /**
   * The start of the store key the record was written under, so that a
   * store returning a record under the wrong key is noticed.
   */
  key?: string;
}

/** How many characters of its key a record carries. */
export const KEY_CHECK_LENGTH = 16;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * What a regenerated session's old key holds for a short while: it tells a
 * request still carrying the old cookie that the session moved on, without
 * saying where.
 */
export const ROTATED: unique symbol = Symbol("rotated");

/** Serialises the marker left under a regenerated session's old key. */
export function serializeRotated(now: number): string {
  return `{"rotatedAt":${now}}`;
}

/**
 * Parses a stored record: the record, `ROTATED` for the marker of a
 * regenerated session, or `undefined` for anything else (invalid JSON, wrong
 * shape), which the manager treats as no session.
 */
export function parseRecord(
  text: string,
): SessionRecord | typeof ROTATED | undefined {
  return readRecord(parseJson(text));
}

/** Parses JSON text; `undefined` when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Reads a record from parsed JSON, as {@linkcode parseRecord} does. */
export function readRecord(
  parsed: unknown,
): SessionRecord | typeof ROTATED | undefined {
  if (!isPlainObject(parsed)) return undefined;
  const {
    createdAt,
    data,
    flash,
    rotatedAt,
    subject,
    label,
    key,
    lifetime,
    sealed,
  } = parsed;
  if (typeof rotatedAt === "number") return ROTATED;
  if (
    typeof createdAt !== "number" || !Number.isFinite(createdAt) ||
    // A sealed record carries its values in the seal.
    (sealed === undefined
      ? !isPlainObject(data)
      : typeof sealed !== "string" || data !== undefined ||
        flash !== undefined) ||
    (flash !== undefined && !isPlainObject(flash)) ||
    (subject !== undefined && typeof subject !== "string") ||
    (label !== undefined && typeof label !== "string") ||
    (key !== undefined && typeof key !== "string") ||
    (lifetime !== undefined && !isLifetime(lifetime))
  ) {
    return undefined;
  }
  // The parsed object is fresh and ours: it becomes the record as it is
  // (other fields it may hold are never read, and never written back).
  if (flash === undefined) parsed.flash = {};
  if (sealed !== undefined) parsed.data = {};
  // Only the fields it may hold, so that no other is ever written back.
  if (lifetime !== undefined) parsed.lifetime = lifetimeChoice(lifetime);
  return parsed as unknown as SessionRecord;
}

/** Whether a stored lifetime has the shape `Session.setLifetime()` writes. */
function isLifetime(value: unknown): value is SessionLifetime {
  if (!isPlainObject(value)) return false;
  const { idleTimeoutSeconds, absoluteTimeoutSeconds, persistent } = value;
  return (idleTimeoutSeconds === undefined || isSeconds(idleTimeoutSeconds)) &&
    (absoluteTimeoutSeconds === undefined ||
      isSeconds(absoluteTimeoutSeconds)) &&
    (persistent === undefined || typeof persistent === "boolean");
}

/** A lifetime of the fields given, without the others, in a fixed order. */
export function lifetimeChoice(lifetime: SessionLifetime): SessionLifetime {
  const choice: SessionLifetime = {};
  const { idleTimeoutSeconds, absoluteTimeoutSeconds, persistent } = lifetime;
  if (idleTimeoutSeconds !== undefined) {
    choice.idleTimeoutSeconds = idleTimeoutSeconds;
  }
  if (absoluteTimeoutSeconds !== undefined) {
    choice.absoluteTimeoutSeconds = absoluteTimeoutSeconds;
  }
  if (persistent !== undefined) choice.persistent = persistent;
  return choice;
}

/** Whether a value is a whole, positive number of seconds. */
export function isSeconds(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

/**
 * Serialises a record; an empty flash and an unset subject are left out.
 * With `key`, the record carries the start of it (see `SessionRecord.key`).
 */
export function serializeRecord(record: SessionRecord, key?: string): string {
  // Built by hand: JSON.stringify of a wrapper object with absent fields is
  // several times slower, and this runs on every save.
  let text = `{"createdAt":${record.createdAt}`;
  if (record.sealed === undefined) {
    text += `,"data":${JSON.stringify(record.data)}`;
    for (const _ in record.flash) {
      text += `,"flash":${JSON.stringify(record.flash)}`;
      break;
    }
  } else {
    text += `,"sealed":${JSON.stringify(record.sealed)}`;
  }
  if (record.subject !== undefined) {
    text += `,"subject":${JSON.stringify(record.subject)}`;
  }
  if (record.label !== undefined) {
    text += `,"label":${JSON.stringify(record.label)}`;
  }
  if (record.lifetime !== undefined) {
    text += `,"lifetime":${JSON.stringify(record.lifetime)}`;
  }
  if (key !== undefined) {
    text += `,"key":${JSON.stringify(key.slice(0, KEY_CHECK_LENGTH))}`;
  }
  return text + "}";
}

/** Sets an own property, so that "__proto__" is stored as data, not as the prototype. */
export function setOwn(
  target: Record<string, unknown>,
  key: string,
  value: unknown,
): void {
  // Assignment is far cheaper, and only "__proto__" behaves differently.
  if (key !== "__proto__") {
    target[key] = value;
    return;
  }
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/** Reads an own property only: never one inherited from `Object.prototype`. */
export function getOwn(target: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(target, key) ? target[key] : undefined;
}

/** The subject and label of a session, as a handle keeps them. */
export type Owner = Readonly<{ subject?: string; label?: string }>;

/** The owner of a session that belongs to no one: shared, never changed. */
export const NO_OWNER: Owner = Object.freeze({});

/** The subject and label of a record. */
export function ownerOf(record: SessionRecord): Owner {
  if (record.subject === undefined) return NO_OWNER;
  return record.label === undefined
    ? { subject: record.subject }
    : { subject: record.subject, label: record.label };
}

/** The stored record a handle is bound to. */
export interface BoundRecord {
  /** The store key. */
  key: string;
  /**
   * The version read or last written: text from a store, a number from the
   * memory store's synchronous path; `undefined` for stores without versions.
   */
  version: string | number | undefined;
  /** The stored expiry, in milliseconds since the Unix epoch. */
  expiresAt: number;
  /** When the session was created, in milliseconds since the Unix epoch. */
  createdAt: number;
  /** The stored text, for stores that can only extend an expiry by rewriting. */
  value: string;
  /**
   * The key of the session's sealed records, when it has them or the
   * manager encrypts at rest.
   */
  secret?: RecordSecret;
}
