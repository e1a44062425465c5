/**
 * What a flood of requests costs: memory stays flat when nobody writes a
 * session, the memory store stays at its cap when everybody does, and an
 * oversized session is refused before anything is written.
 *
 * 1. 1,000,000 requests without a cookie through `sessions.handler()` with a
 *    handler that only reads: the store must stay empty and the memory flat.
 * 2. 1,000,000 requests that each write a new session into a `MemoryStore`
 *    with `maxEntries: 100_000`: the store must stay at the cap and the
 *    memory plateau; the bytes per stored session are reported.
 * 3. A session over `maxRecordBytes`: `SessionTooLargeError`, no store write.
 *
 * Memory is sampled every 100,000 requests after a forced garbage collection
 * where the runtime offers one. Run it with any of:
 *
 * ```sh
 * node --expose-gc --import tsx bench/flood.ts
 * bun bench/flood.ts
 * deno run -A --v8-flags=--expose-gc bench/flood.ts
 * ```
 *
 * (Without `--expose-gc` on Node and Deno it still runs; the samples are then
 * taken without a forced collection and are noisier.)
 *
 * @module
 */

import process from "node:process";
import {
  createSessionManager,
  MemoryStore,
  type SessionStore,
  SessionTooLargeError,
} from "../mod.ts";

const REQUESTS = 1_000_000;
const SAMPLE_EVERY = 100_000;
const MAX_ENTRIES = 100_000;
const URL = "http://bench.test/";
const MB = 1024 * 1024;

const runtime = "Deno" in globalThis
  ? `Deno ${
    (globalThis as unknown as { Deno: { version: { deno: string } } }).Deno
      .version.deno
  }`
  : "Bun" in globalThis
  ? `Bun ${process.versions.bun}`
  : `Node ${process.version}`;

/** Forces a full collection where the runtime allows it; says whether it did. */
function collect(): boolean {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun !== undefined) {
    bun.gc(true);
    return true;
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === "function") {
    gc();
    gc();
    return true;
  }
  return false;
}

interface Sample {
  requests: number;
  size: number;
  rss: number;
  heapUsed: number;
  seconds: number;
}

function sample(requests: number, size: number, started: number): Sample {
  collect();
  const { rss, heapUsed } = process.memoryUsage();
  return {
    requests,
    size,
    rss,
    heapUsed,
    seconds: (performance.now() - started) / 1000,
  };
}

const int = (n: number) => n.toLocaleString("en-US");
const mb = (bytes: number) => (bytes / MB).toFixed(1);

function table(title: string, samples: Sample[]): void {
  console.log(`\n${title}`);
  console.log(
    "| requests  | store size | RSS MB | heap used MB | elapsed s | req/s   |",
  );
  console.log(
    "| --------: | ---------: | -----: | -----------: | --------: | ------: |",
  );
  for (const s of samples) {
    console.log(
      `| ${int(s.requests).padStart(9)} | ${int(s.size).padStart(10)} | ${
        mb(s.rss).padStart(6)
      } | ${mb(s.heapUsed).padStart(12)} | ${
        s.seconds.toFixed(2).padStart(9)
      } | ${
        s.requests === 0
          ? "".padStart(7)
          : int(Math.round(s.requests / s.seconds)).padStart(7)
      } |`,
    );
  }
}

/** The heap growth from the second sample (after warm-up) to the last. */
function growth(samples: Sample[]): string {
  const from = samples[2];
  const to = samples[samples.length - 1];
  const heap = to.heapUsed - from.heapUsed;
  const rss = to.rss - from.rss;
  return `from ${int(from.requests)} to ${int(to.requests)} requests: heap ${
    heap >= 0 ? "+" : ""
  }${mb(heap)} MB, RSS ${rss >= 0 ? "+" : ""}${mb(rss)} MB`;
}

/** A memory store that counts the writes made to it. */
function counting(inner: MemoryStore): SessionStore & { writes: number } {
  const store = {
    writes: 0,
    compareAndSet: true,
    inProcess: true,
    get: inner.get.bind(inner),
    set: (...args: Parameters<MemoryStore["set"]>) => {
      store.writes++;
      return inner.set(...args);
    },
    delete: inner.delete.bind(inner),
    touch: inner.touch.bind(inner),
  };
  return store;
}

const forced = collect();
console.log(
  `sesame flood benchmark on ${runtime}; forced GC before each sample: ${
    forced ? "yes" : "no (run with --expose-gc for steadier numbers)"
  }`,
);

// 1. Nobody writes: no record, no cookie, no memory.
{
  const store = new MemoryStore();
  const sessions = createSessionManager<{ visits: number }>({ store });
  const handler = sessions.handler((_request, session) => {
    session.get("visits");
    return new Response(null, { status: 204 });
  });
  let cookies = 0;
  const started = performance.now();
  const samples = [sample(0, store.size, started)];
  for (let i = 1; i <= REQUESTS; i++) {
    const response = await handler(new Request(URL));
    if (response.headers.has("Set-Cookie")) cookies++;
    if (i % SAMPLE_EVERY === 0) samples.push(sample(i, store.size, started));
  }
  table(
    `1. ${int(REQUESTS)} requests without a cookie, read-only handler`,
    samples,
  );
  console.log(
    `store size at the end: ${store.size}; Set-Cookie sent: ${cookies}; ${
      growth(samples)
    }`,
  );
  if (store.size !== 0 || cookies !== 0) {
    throw new Error("A read-only request wrote a session");
  }
}

// 2. Everybody writes: the store stays at its cap.
{
  collect();
  const baseline = process.memoryUsage();
  const store = new MemoryStore({ maxEntries: MAX_ENTRIES });
  const sessions = createSessionManager<{ n: number }>({ store });
  const handler = sessions.handler((_request, session) => {
    session.set("n", 1);
    return new Response(null, { status: 204 });
  });
  let cookies = 0;
  const started = performance.now();
  const samples = [sample(0, store.size, started)];
  for (let i = 1; i <= REQUESTS; i++) {
    const response = await handler(new Request(URL));
    if (response.headers.has("Set-Cookie")) cookies++;
    if (i % SAMPLE_EVERY === 0) samples.push(sample(i, store.size, started));
  }
  table(
    `2. ${int(REQUESTS)} new sessions into a MemoryStore with maxEntries ${
      int(MAX_ENTRIES)
    }`,
    samples,
  );
  const last = samples[samples.length - 1];
  console.log(
    `store size at the end: ${int(store.size)}; Set-Cookie sent: ${
      int(cookies)
    }; ${growth(samples)}`,
  );
  console.log(
    `bytes per stored session (over the empty store, ${
      int(store.size)
    } sessions): heap ${
      Math.round((last.heapUsed - baseline.heapUsed) / store.size)
    }, RSS ${Math.round((last.rss - baseline.rss) / store.size)}`,
  );
  if (store.size !== MAX_ENTRIES || cookies !== REQUESTS) {
    throw new Error("The store did not stay at its cap");
  }
}

// 3. An oversized session is refused before anything is written.
{
  const inner = new MemoryStore();
  const store = counting(inner);
  const sessions = createSessionManager<{ blob: string }>({
    store,
    maxRecordBytes: 65536,
  });
  const session = await sessions.load(new Request(URL));
  session.set("blob", "x".repeat(70_000));
  const started = performance.now();
  let outcome: string;
  try {
    await session.commit();
    outcome = "written (unexpected)";
  } catch (error) {
    if (!(error instanceof SessionTooLargeError)) throw error;
    outcome = `SessionTooLargeError: ${int(error.bytes)} bytes > limit ${
      int(error.limit)
    }`;
  }
  const ms = performance.now() - started;
  console.log(
    `\n3. A session over maxRecordBytes: ${outcome}, in ${
      ms.toFixed(2)
    } ms; store writes: ${store.writes}, store size: ${inner.size}`,
  );
  if (store.writes !== 0 || inner.size !== 0) {
    throw new Error("An oversized session reached the store");
  }
}
