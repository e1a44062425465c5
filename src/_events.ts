// Private module: reporting lifecycle events to the manager's listener.
// A manager without a listener has no sink (`config.events` is undefined)
// and every place that reports checks that first, so that no event object
// is ever built for nobody. A listener's error, thrown or rejected, goes to
// `onEventError` and never into the request.

import type { SessionRecord } from "./_record.ts";
import { sha256Base64url } from "./_sha256.ts";
import type { SessionEvent } from "./events.ts";

/** The listener of one manager, with its error handler and sample rate. */
export class EventSink {
  #listener: (event: SessionEvent) => unknown;
  #onError: ((error: unknown, event: SessionEvent) => void) | undefined;
  #loadedRate: number;

  constructor(
    listener: (event: SessionEvent) => unknown,
    onError: ((error: unknown, event: SessionEvent) => void) | undefined,
    loadedRate: number,
  ) {
    this.#listener = listener;
    this.#onError = onError;
    this.#loadedRate = loadedRate;
  }

  /** Hands an event to the listener; whatever it throws is reported. */
  emit(event: SessionEvent): void {
    try {
      const result = this.#listener(event);
      if (
        typeof (result as PromiseLike<unknown> | undefined)?.then ===
          "function"
      ) {
        (result as PromiseLike<unknown>).then(
          undefined,
          (error) => this.#report(error, event),
        );
      }
    } catch (error) {
      this.#report(error, event);
    }
  }

  /** Whether this load is one of the sample reported as `"loaded"`. */
  samplesLoad(): boolean {
    const rate = this.#loadedRate;
    return rate >= 1 || (rate > 0 && Math.random() < rate);
  }

  #report(error: unknown, event: SessionEvent): void {
    try {
      this.#onError?.(error, event);
    } catch {
      // The reporter of last resort failed too: the request goes on.
    }
  }
}

/**
 * The public handle of the session stored under `key`: one-way, no
 * credential, the same that `listSessions()` shows.
 */
export function publicHandle(key: string): string {
  return sha256Base64url(key);
}

/**
 * Reports that the record of a session was written anew (`"created"`) or
 * found by a load (`"loaded"`). Callers check that there is a sink first.
 */
export function reportSession(
  events: EventSink,
  type: "created" | "loaded",
  key: string,
  record: SessionRecord,
  expiresAt: number,
  now: number,
): void {
  events.emit({
    type,
    at: now,
    handle: publicHandle(key),
    subject: record.subject,
    createdAt: record.createdAt,
    expiresAt,
  });
}

/** Reports a session found past its lifetime. */
export function reportExpired(
  events: EventSink,
  key: string,
  record: SessionRecord,
  expiresAt: number,
  now: number,
  pastAbsolute: boolean,
): void {
  events.emit({
    type: "expired",
    at: now,
    handle: publicHandle(key),
    subject: record.subject,
    reason: pastAbsolute ? "absolute" : "idle",
    createdAt: record.createdAt,
    expiresAt,
  });
}

/** Reports a save that lost a compare-and-set race. */
export function reportConflict(
  events: EventSink,
  key: string,
  subject: string | undefined,
  attempts: number,
  gaveUp: boolean,
  started: number,
  now: number,
): void {
  events.emit({
    type: "conflict",
    at: now,
    handle: publicHandle(key),
    subject,
    reason: gaveUp ? "gave up" : "retried",
    attempts,
    durationMs: performance.now() - started,
  });
}
