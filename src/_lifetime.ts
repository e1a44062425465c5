// Private module: when a session expires, and when activity moves its expiry.
// The one place for the idle, absolute and touch-interval arithmetic, shared
// by every backend and both of the store backend's paths; and the one place
// where a session's own lifetime (`Session.setLifetime()`) meets the
// manager's defaults and maximums.

import type { SessionHandle } from "./_handle.ts";
import type { SessionCookie } from "./cookie.ts";
import type { ManagerConfig } from "./manager_options.ts";
import type { SessionLifetime } from "./session.ts";

/** A session's lifetime, resolved: times in milliseconds, and its cookie. */
export interface Lifetime {
  /** How long the session lives without requests. */
  readonly idleMs: number;
  /** How long the session lives from its creation. */
  readonly absoluteMs: number;
  /** How far the idle expiry must move before a request extends it. */
  readonly touchMs: number;
  /** The cookie that carries it: with `Max-Age`, or a browser-session one. */
  readonly cookie: SessionCookie;
}

/** What the lifetime rules need to know of a stored session. */
interface Stored {
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * The lifetime of a session whose record chose `chosen` (the manager's own
 * when it chose nothing: records written before lifetimes existed too). A
 * choice above the manager's maximums is lowered to them, also for records
 * stored before a maximum was lowered. Fields not chosen are the manager's.
 */
export function lifetimeOf(
  config: ManagerConfig,
  chosen: SessionLifetime | undefined,
): Lifetime {
  const defaults = config.lifetime;
  if (chosen === undefined) return defaults;
  const { idleTimeoutSeconds: idle, absoluteTimeoutSeconds: absolute } = chosen;
  const idleMs = idle === undefined
    ? defaults.idleMs
    : Math.min(idle * 1000, config.maxIdleMs);
  const absoluteMs = absolute === undefined
    ? defaults.absoluteMs
    : Math.min(absolute * 1000, config.maxAbsoluteMs);
  const persistent = chosen.persistent ?? config.persistent;
  return {
    idleMs,
    absoluteMs,
    // In the manager's proportion to the idle timeout, so that it stays
    // below it, and a long idle timeout is not extended needlessly often.
    touchMs: idleMs === defaults.idleMs
      ? defaults.touchMs
      : Math.floor(defaults.touchMs * (idleMs / defaults.idleMs)),
    cookie: persistent ? config.persistentCookie : config.browserSessionCookie,
  };
}

/** The expiry a session created at `createdAt` gets from activity at `now`. */
export function expiryFor(
  lifetime: Lifetime,
  createdAt: number,
  now: number,
): number {
  return Math.min(now + lifetime.idleMs, createdAt + lifetime.absoluteMs);
}

/**
 * The new expiry of a stored session when activity at `now` moves it by at
 * least the touch interval, else `undefined`: most requests then move
 * nothing, and send no cookie.
 */
export function extensionOf(
  lifetime: Lifetime,
  stored: Stored,
  now: number,
): number | undefined {
  const expiresAt = expiryFor(lifetime, stored.createdAt, now);
  return expiresAt > stored.expiresAt &&
      expiresAt - stored.expiresAt >= lifetime.touchMs
    ? expiresAt
    : undefined;
}

/**
 * The expiry that a save of changes writes, when it moves: the extension
 * when it is due, or, when the request gave the session a new lifetime, the
 * expiry under that lifetime (sooner or later than the stored one; the
 * cookie is sent again, as its persistence may have changed).
 */
export function savedExpiry(
  lifetime: Lifetime,
  stored: Stored,
  now: number,
  lifetimeChanged: boolean,
): number | undefined {
  return lifetimeChanged
    ? expiryFor(lifetime, stored.createdAt, now)
    : extensionOf(lifetime, stored, now);
}

/** Whether a session created at `createdAt` is past its absolute timeout. */
export function pastAbsolute(
  lifetime: Lifetime,
  createdAt: number,
  now: number,
): boolean {
  return createdAt + lifetime.absoluteMs <= now;
}

/** A cookie's `Max-Age` for a session that expires at `expiresAt`. */
export function maxAgeSeconds(expiresAt: number, now: number): number {
  return Math.ceil((expiresAt - now) / 1000);
}

/** The `Set-Cookie` that carries a handle's id until `expiresAt`. */
export function cookieUntil(
  lifetime: Lifetime,
  handle: SessionHandle,
  expiresAt: number,
  now: number,
): string {
  return lifetime.cookie.serialize(
    handle.request,
    handle.id,
    maxAgeSeconds(expiresAt, now),
  );
}
