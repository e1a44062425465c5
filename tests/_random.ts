// Seeded randomness and interleaving helpers for concurrency tests, so that
// a failing run replays exactly.
import type { SessionStore } from "../src/store.ts";

/** A deterministic pseudo-random generator in [0, 1). */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

/** Yields to other tasks a random number of times, sometimes via a timer. */
export async function yieldRandomly(next: () => number): Promise<void> {
  const hops = Math.floor(next() * 4);
  for (let i = 0; i < hops; i++) {
    if (next() < 0.2) await new Promise((resolve) => setTimeout(resolve, 0));
    else await Promise.resolve();
  }
}

/** Yields randomly before every store call, so that requests interleave inside the store too. */
export function interleaved(
  store: SessionStore,
  next: () => number,
): SessionStore {
  return {
    compareAndSet: store.compareAndSet,
    inProcess: store.inProcess,
    get: async (key) => {
      await yieldRandomly(next);
      return store.get(key);
    },
    set: async (key, value, options) => {
      await yieldRandomly(next);
      return store.set(key, value, options);
    },
    delete: async (key) => {
      await yieldRandomly(next);
      return store.delete(key);
    },
    touch: store.touch === undefined ? undefined : async (key, expiresAt) => {
      await yieldRandomly(next);
      return store.touch!(key, expiresAt);
    },
  };
}
