// Private module: the synchronous face of the in-process MemoryStore, which
// the manager uses to skip a promise per store call.
import type { StoreEntry, StoreSetOptions, StoreSetResult } from "./store.ts";

/** The key under which MemoryStore exposes its synchronous operations. */
export const SYNC: unique symbol = Symbol("sesame.sync");

/** What MemoryStore answers at once. */
export interface SyncStore {
  get(key: string): StoreEntry | undefined;
  set(key: string, value: string, options: StoreSetOptions): StoreSetResult;
  touch(key: string, expiresAt: number): boolean;
}
