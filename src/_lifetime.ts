// Private module: when a session expires, and when activity moves its expiry.
// The one place for the idle, absolute and touch-interval arithmetic, shared
// by every backend and both of the store backend's paths.

import type { SessionHandle } from "./_handle.ts";
import type { ManagerConfig } from "./manager_options.ts";

/** What the lifetime rules need to know of a stored session. */
interface Stored {
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** The expiry a session created at `createdAt` gets from activity at `now`. */
export function expiryFor(
  config: ManagerConfig,
  createdAt: number,
  now: number,
): number {
  return Math.min(now + config.idleMs, createdAt + config.absoluteMs);
}

/**
 * The new expiry of a stored session when activity at `now` moves it by at
 * least the touch interval, else `undefined`: most requests then move
 * nothing, and send no cookie.
 */
export function extensionOf(
  config: ManagerConfig,
  stored: Stored,
  now: number,
): number | undefined {
  const expiresAt = expiryFor(config, stored.createdAt, now);
  return expiresAt > stored.expiresAt &&
      expiresAt - stored.expiresAt >= config.touchMs
    ? expiresAt
    : undefined;
}

/** Whether a session created at `createdAt` is past its absolute timeout. */
export function pastAbsolute(
  config: ManagerConfig,
  createdAt: number,
  now: number,
): boolean {
  return createdAt + config.absoluteMs <= now;
}

/** A cookie's `Max-Age` for a session that expires at `expiresAt`. */
export function maxAgeSeconds(expiresAt: number, now: number): number {
  return Math.ceil((expiresAt - now) / 1000);
}

/** The `Set-Cookie` that carries a handle's id until `expiresAt`. */
export function cookieUntil(
  config: ManagerConfig,
  handle: SessionHandle,
  expiresAt: number,
  now: number,
): string {
  return config.cookie.serialize(
    handle.request,
    handle.id,
    maxAgeSeconds(expiresAt, now),
  );
}
