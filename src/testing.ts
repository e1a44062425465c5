/**
 * The conformance suite for session stores: the contract every
 * `SessionStore` must meet, runnable against any store with one call.
 *
 * It registers `node:test` tests, so it runs unchanged under `deno test`,
 * `bun test` and `node --test`. It checks get/set/delete round trips, expiry,
 * `touch()`, large and unicode values, keys that must not be confused,
 * concurrent operations, compare-and-set semantics (when the store claims
 * them), the subject index (when the store has one), and how sessions behave
 * over the store under concurrent requests.
 *
 * @example Test your own store
 * ```ts ignore
 * import { testSessionStore } from "@sesame/session/testing";
 * import { MyStore } from "./my_store.ts";
 *
 * testSessionStore("MyStore", {
 *   create: () => new MyStore(),
 *   now: () => Date.now(),
 *   advanceSeconds: (seconds) =>
 *     new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
 * });
 * ```
 *
 * It is not for production code: import it from test files only.
 *
 * @module
 */
import { describe } from "node:test";
import type { SessionStore } from "./store.ts";
import { createConformanceContext } from "./_conformance/_context.ts";
import { describeBasics } from "./_conformance/basics.ts";
import { describeCompareAndSet } from "./_conformance/compare_and_set.ts";
import { describeSessions } from "./_conformance/sessions.ts";
import { describeSubjectIndex } from "./_conformance/subject_index.ts";

/**
 * How a store's test file hands the suite fresh stores and a clock.
 *
 * @example A store with a fake clock
 * ```ts
 * import type { SessionStoreTestOptions } from "@sesame/session/testing";
 * import { MemoryStore } from "@sesame/session";
 *
 * let now = Date.now();
 * const options: SessionStoreTestOptions = {
 *   create: () => new MemoryStore({ now: () => now }),
 *   now: () => now,
 *   advanceSeconds: (seconds) => {
 *     now += seconds * 1000;
 *     return Promise.resolve();
 *   },
 * };
 * ```
 */
export interface SessionStoreTestOptions {
  /**
   * Makes a fresh, empty store for one test. Stores over a shared backend
   * should use a fresh key prefix each time.
   */
  create(): SessionStore | Promise<SessionStore>;
  /** Releases a store made by `create` (closes connections). */
  dispose?(store: SessionStore): void | Promise<void>;
  /** The store's clock, in milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Lets `seconds` pass for the store: moves a fake clock that the store
   * reads, or waits for real when the backend keeps time itself.
   */
  advanceSeconds(seconds: number): Promise<void>;
  /**
   * The most bytes of UTF-8 a value may take in this store, for a backend
   * with a size limit. The suite then round-trips a value of exactly this
   * size, and checks that a larger one rejects and leaves the entry as it
   * was. Without it, values of 100,000 bytes must round-trip.
   */
  maxValueBytes?: number;
}

/**
 * Registers the conformance suite for a store, as `node:test` tests.
 *
 * @param name The store's name, used in the test names.
 * @param options Makes stores and controls their clock.
 *
 * @example Run the suite against the memory store
 * ```ts ignore
 * import { MemoryStore } from "@sesame/session";
 * import { testSessionStore } from "@sesame/session/testing";
 *
 * let now = Date.now();
 * testSessionStore("MemoryStore", {
 *   create: () => new MemoryStore({ now: () => now }),
 *   now: () => now,
 *   advanceSeconds: (seconds) => {
 *     now += seconds * 1000;
 *     return Promise.resolve();
 *   },
 * });
 * ```
 */
export function testSessionStore(
  name: string,
  options: SessionStoreTestOptions,
): void {
  const context = createConformanceContext(options);
  describe(`${name} conformance`, () => {
    describeBasics(context);
    describeCompareAndSet(context);
    describeSubjectIndex(context);
    describeSessions(context);
  });
}
