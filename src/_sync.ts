// Private module: the synchronous face of the in-process MemoryStore, which
// the manager uses to skip a promise per store call and to read the clock
// once per operation instead of once per step.

/** An entry as the synchronous API answers it: its version is a number. */
export interface SyncEntry {
  value: string;
  expiresAt: number;
  version: number;
}

/** The key under which MemoryStore exposes its synchronous operations. */
export const SYNC: unique symbol = Symbol("sesame.sync");

/**
 * What MemoryStore answers at once. Every operation takes the current time
 * from the caller, read from {@linkcode SyncStore.clock}, or from a clock
 * that is the same function.
 */
export interface SyncStore {
  /** The store's clock. */
  readonly clock: () => number;
  /**
   * The live entry under `key`, which becomes the most recently used. The
   * entry is the store's own: read it at once, never keep or change it.
   */
  get(key: string, now: number): Readonly<SyncEntry> | undefined;
  /**
   * Writes `value` under `key` if the live entry's version is `ifVersion`
   * (`null`: if there is none; text: a version as the asynchronous `get()`
   * answers it). Returns the new version (1 or more); `undefined` when the
   * precondition failed and nothing was written; `0` when it held but
   * `expiresAt` had passed, and the entry was deleted.
   */
  set(
    key: string,
    value: string,
    expiresAt: number,
    ifVersion: string | number | null,
    now: number,
  ): number | undefined;
  /**
   * Moves the expiry of the live entry under `key` if its version is
   * `ifVersion`. Returns `false`, having changed nothing, otherwise.
   */
  touch(
    key: string,
    expiresAt: number,
    ifVersion: number | string,
    now: number,
  ): boolean;
}
