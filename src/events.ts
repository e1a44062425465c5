// The lifecycle events a manager reports to its `onEvent` listener.

import type { StoreOperation } from "./errors.ts";

/**
 * What happened to a session, as `SessionManagerOptions.onEvent` hears it:
 * for audit logs, metrics and alerts.
 *
 * Every event carries its `type`, the time `at` which it happened (the
 * manager's clock, milliseconds since the Unix epoch), the session's public
 * `handle` (the one `listSessions()` shows: derived from the id by a one-way
 * hash, never the id or its store key) and its `subject` (the user id given
 * to `setSubject()`), each `undefined` where there is none. The types:
 *
 * - `"created"`: a new session's first record was written (also the one
 *   values set after `destroy()` start).
 * - `"loaded"`: a request's cookie named a live session; reported for a
 *   sample of requests only (`loadedEventSampleRate`, none by default).
 * - `"regenerated"`: `regenerate()` moved the session to a new id;
 *   `previousHandle` is the old one's.
 * - `"destroyed"`: `destroy()` ended the session.
 * - `"expired"`: a session was found past its idle or absolute timeout
 *   (`reason`), on load or on a write. Only a session that is still
 *   readable can be found so: a sealed cookie that the browser still sends,
 *   a record whose timeout a lowered maximum ended, a write the store
 *   refused as expired. A record the store already dropped cannot be told
 *   from an unknown id, and is reported as nothing.
 * - `"revoked"`: `revokeSession()` (`reason: "one"`) or `revokeSessions()`
 *   (`reason: "all"`) ended the session.
 * - `"conflict"`: a save lost a compare-and-set race and was `"retried"`,
 *   or `"gave up"` (the commit threw `SessionConflictError`).
 * - `"store error"`: a store call failed (the commit or load threw
 *   `SessionStoreError`, which is the event's `error`).
 *
 * @example Count events by type
 * ```ts
 * import { createSessionManager, type SessionEvent } from "@sesame/session";
 *
 * const counts = new Map<SessionEvent["type"], number>();
 * const sessions = createSessionManager({
 *   onEvent(event) {
 *     counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
 *     if (event.type === "expired") {
 *       console.log(`session ${event.handle} expired (${event.reason})`);
 *     }
 *   },
 * });
 * ```
 */
export type SessionEvent =
  & {
    /** When it happened, in milliseconds since the Unix epoch. */
    at: number;
    /** The session's public handle, as `listSessions()` shows it. */
    handle: string | undefined;
    /** Whom the session belongs to, as given to `setSubject()`. */
    subject: string | undefined;
  }
  & (
    | {
      type: "created" | "loaded";
      /** When the session was created, in milliseconds since the epoch. */
      createdAt: number;
      /** When it expires unless used, in milliseconds since the epoch. */
      expiresAt: number;
    }
    | {
      type: "regenerated";
      /** The handle of the id the session moved away from. */
      previousHandle: string;
      /** When the new id's lifetime started (the regeneration). */
      createdAt: number;
      /** When it expires unless used, in milliseconds since the epoch. */
      expiresAt: number;
    }
    | { type: "destroyed" }
    | {
      type: "expired";
      /** Which timeout ended the session. */
      reason: "idle" | "absolute";
      /** When the session was created, in milliseconds since the epoch. */
      createdAt: number;
      /** When it expired, in milliseconds since the epoch. */
      expiresAt: number;
    }
    | {
      type: "revoked";
      /** `revokeSession()` (`"one"`) or `revokeSessions()` (`"all"`). */
      reason: "one" | "all";
    }
    | {
      type: "conflict";
      /** Whether the save tries again, or gave up. */
      reason: "retried" | "gave up";
      /** How many times the save was tried so far. */
      attempts: number;
      /** How long the save has taken so far, in milliseconds. */
      durationMs: number;
    }
    | {
      type: "store error";
      /** The store call that failed. */
      operation: StoreOperation;
      /** The `SessionStoreError` thrown to the caller, with its `cause`. */
      error: Error;
      /** How long the failed call took, in milliseconds. */
      durationMs: number;
    }
  );
