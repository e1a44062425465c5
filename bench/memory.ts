/**
 * The memory part of the benchmark, on one runtime: what a session costs in
 * sesame's `MemoryStore`. `run.ts` starts it once per runtime; by hand:
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/memory.ts
 * bun bench/memory.ts
 * node --expose-gc --import tsx bench/memory.ts
 * ```
 *
 * Sessions are created the way a server creates them, through the manager:
 * `load()` of a request without a cookie, `set("visits", 1)`, `commit()`,
 * into a `MemoryStore({ maxEntries: 1_000_000 })`, so that each holds what a
 * real one holds (the 43-character id as the key, the serialized record, its
 * expiry and version). After a forced full garbage collection, it prints the
 * live heap and the resident set size at 0, 100 000 and 1 000 000 sessions
 * as JSON; bytes per session are the heap growth divided by the count.
 *
 * @module
 */
import { createSessionManager, MemoryStore } from "../mod.ts";
import {
  collectGarbage,
  memoryUsage,
  runtime,
  runtimeVersion,
} from "./_runtime.ts";

/** One measurement point. */
export interface MemoryPoint {
  sessions: number;
  heapBytes: number;
  rssBytes: number;
  /** Heap growth per session since the empty store. */
  heapBytesPerSession?: number;
  /** Seconds spent creating the sessions since the previous point. */
  createSeconds: number;
}

/** What this file prints. */
export interface MemoryResults {
  runtime: string;
  version: string;
  points: MemoryPoint[];
}

const COUNTS = [100_000, 1_000_000];

function settle(): { heapBytes: number; rssBytes: number } {
  for (let i = 0; i < 3; i++) collectGarbage();
  return memoryUsage();
}

async function main(): Promise<void> {
  const store = new MemoryStore({ maxEntries: 1_000_000 });
  const sessions = createSessionManager<{ visits: number }>({ store });
  const request = new Request("http://localhost/");
  const create = async () => {
    const session = await sessions.load(request);
    session.set("visits", 1);
    if ((await session.commit()) === undefined) {
      throw new Error("A new session sent no cookie");
    }
  };
  // The first session loads and compiles the code that every other one
  // runs: count it in the baseline.
  await create();
  const base = settle();
  const points: MemoryPoint[] = [{ sessions: 0, ...base, createSeconds: 0 }];
  let created = 1;
  for (const count of COUNTS) {
    const start = performance.now();
    while (created < count) {
      await create();
      created++;
    }
    const createSeconds = (performance.now() - start) / 1000;
    const now = settle();
    if (store.size !== count) {
      throw new Error(`The store holds ${store.size} sessions, not ${count}`);
    }
    points.push({
      sessions: count,
      ...now,
      heapBytesPerSession: (now.heapBytes - base.heapBytes) / count,
      createSeconds,
    });
  }
  const results: MemoryResults = {
    runtime,
    version: runtimeVersion(),
    points,
  };
  console.log(JSON.stringify(results));
}

await main();
