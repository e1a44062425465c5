/**
 * The micro benchmark of one runtime: the floor, then every request cycle of
 * every session library in `_libraries.ts`, timed with mitata. `run.ts`
 * starts it once per runtime and reads the JSON it prints; it also runs on
 * its own:
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/micro.ts [options]
 * bun bench/micro.ts [options]
 * node --expose-gc --import tsx bench/micro.ts [options]
 * ```
 *
 * Options: `--redis <url>` also times the Redis store (against a server that
 * the caller started, whose database it flushes); `--postgres <url>` also
 * times the PostgreSQL store and, on Node, express-session with
 * connect-pg-simple (against a server that the caller started, whose
 * benchmark tables it drops and creates again); the SQLite store always runs,
 * on a file in a temporary folder through the runtime's own driver
 * (better-sqlite3 on Node, node:sqlite on Deno, bun:sqlite on Bun);
 * `--filter <regex>` times
 * only the cases whose id (`floor/json`, `sesame-memory/returning`, …)
 * matches; `--min-cpu-ms <n>` is mitata's time budget per case (default
 * 300); `--pretty` prints a table instead of JSON.
 *
 * Each case is warmed up for 150 ms, then mitata times batches of calls
 * (4096 per batch for calls under 65 µs) until the budget is spent and at
 * least 12 batches ran; the result is the median batch, in nanoseconds per
 * call. Inputs (requests, fresh sessions for regenerate and destroy) are
 * made outside the timed code.
 *
 * Round trips: every store outside the process goes through a client that
 * counts what it sends (Redis commands, SQL statements). Each checked cycle
 * records its count, and `round-trips/<store>` (Redis, PostgreSQL, SQLite)
 * counts each manager operation on its own: loading a session, saving a
 * change, extending the expiry, destroying, and creating a session (over
 * 1000 new sessions, since the SQLite store sweeps before 1 in 100 of them).
 *
 * @module
 */
import { measure } from "mitata";
import process from "node:process";
import { createSessionManager, type SessionStore } from "../mod.ts";
import { floorOperations } from "./_floor.ts";
import {
  type Action,
  bareHono,
  express,
  expressPgSimple,
  honoSession,
  honoSessions,
  ironSession,
  type Library,
  type Outcome,
  remix,
  sesameHono,
  sesameMemory,
  sesamePostgres,
  sesameRedis,
  sesameSealed,
  sesameSqlite,
  STORE_LIMIT,
} from "./_libraries.ts";
import { RedisStore } from "../src/stores/redis.ts";
import {
  connectRedis,
  type CountingRedisClient,
  inProcessRedis,
} from "./_redis.ts";
import { runtime, runtimeVersion } from "./_runtime.ts";
import { connectPostgres, openSqlite, type RoundTripCounter } from "./_sql.ts";

/** The request cycles, in the order they are timed. */
export const CYCLES = [
  "new",
  "returning",
  "read-only",
  "regenerate",
  "destroy",
  "hot",
] as const;

/** A request cycle. */
export type Cycle = typeof CYCLES[number];

/** Timings of one case, in nanoseconds per call. */
export interface Timing {
  p50: number;
  p25: number;
  p75: number;
  /** How many calls were timed. */
  calls: number;
}

/** The floor operation results. */
export interface FloorResult {
  id: string;
  name: string;
  inFloor: boolean;
  /** Which cost of an id the operation measures, if any. */
  idCost?: "random" | "hash";
  timing: Timing;
}

/** One cycle of one library. */
export interface CycleResult {
  library: string;
  cycle: Cycle;
  timing?: Timing;
  /** Whether the cycle sent a Set-Cookie (checked once before timing). */
  setCookie?: boolean;
  /** Whether the cookie sent deletes the session cookie. */
  cleared?: boolean;
  /**
   * Round trips of one cycle (Redis commands, SQL statements), for stores
   * outside the process.
   */
  roundTrips?: number;
  /** For regenerate and destroy: whether the old cookie still loads the data. */
  oldCookieStillValid?: boolean;
  /** Why the cycle was not timed. */
  skipped?: string;
}

/** A library, as described in the results. */
export interface LibraryInfo {
  id: string;
  name: string;
  storage: string;
  via: string;
  note?: string;
  /** Why it could not run at all on this runtime. */
  error?: string;
}

/** The round trips of each manager operation on one store. */
export interface RoundTripResult {
  /** `redis`, `postgres` or `sqlite`. */
  id: string;
  /** The store and its client, for the table. */
  name: string;
  /** `load()` of a returning session. */
  load: number;
  /** `commit()` of a changed session. */
  save: number;
  /** `commit()` of an unchanged session whose expiry moves. */
  touch: number;
  /** `commit()` of a destroyed session. */
  destroy: number;
  /** `commit()` of a new session: fewest, most and mean over `samples`. */
  create: { min: number; max: number; mean: number; samples: number };
}

/** What the micro benchmark prints. */
export interface MicroResults {
  runtime: string;
  version: string;
  minCpuMs: number;
  floor: FloorResult[];
  libraries: LibraryInfo[];
  cycles: CycleResult[];
  /** Round trips per operation, for the stores outside the process. */
  roundTrips?: RoundTripResult[];
}

const WARMUP_MS = 150;

interface Options {
  redis?: string;
  postgres?: string;
  filter?: RegExp;
  minCpuMs: number;
  pretty: boolean;
}

function parseOptions(args: string[]): Options {
  const options: Options = { minCpuMs: 300, pretty: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--redis") options.redis = args[++i];
    else if (arg === "--postgres") options.postgres = args[++i];
    else if (arg === "--filter") options.filter = new RegExp(args[++i]);
    else if (arg === "--min-cpu-ms") options.minCpuMs = Number(args[++i]);
    else if (arg === "--pretty") options.pretty = true;
    else throw new Error(`Unknown option ${arg}`);
  }
  return options;
}

function log(message: string): void {
  process.stderr.write(`[micro ${runtime}] ${message}\n`);
}

/** Times `run` on inputs from `makeInput`, after a warm-up. */
async function time<T>(
  makeInput: () => T | Promise<T>,
  run: (input: T) => unknown,
  minCpuMs: number,
): Promise<Timing> {
  const end = performance.now() + WARMUP_MS;
  for (let n = 0; n < 50 || performance.now() < end; n++) {
    await run(await makeInput());
  }
  const stats = await measure(function* () {
    yield { [0]: makeInput, bench: run };
  }, { min_cpu_time: minCpuMs * 1e6 });
  return {
    p50: stats.p50,
    p25: stats.p25,
    p75: stats.p75,
    calls: stats.ticks,
  };
}

/** A session cookie for a new session with `visits` 1. */
async function freshCookie(library: Library): Promise<string> {
  const output = await library.run.increment!(
    library.input("increment", undefined),
  );
  const { cookie, visits } = await library.inspect(output);
  if (cookie === undefined || visits !== 1) {
    throw new Error(
      `${library.name}: a new session gave cookie ${cookie} and visits ${visits}`,
    );
  }
  return cookie;
}

/** How many sessions the returning and read-only cycles take turns on. */
const POOL_SIZE = 1024;

/** How many sessions the store holds in the hot-session cycle. */
const HOT_STORE_SIZE = 10_000;

/**
 * How many times the hot session is requested before it is timed: what a
 * store does to one key that is read and written again and again can take
 * that long to reach its steady state (a `Map` keeps deleted entries until
 * it rehashes).
 */
const HOT_WARMUP_CALLS = 4 * HOT_STORE_SIZE;

/** The longest the hot-session cycle may spend filling a store, in ms. */
const HOT_FILL_BUDGET_MS = 2000;

/** The cookie that a library without sessions is sent. */
const DUMMY_COOKIE = "sid=" + "x".repeat(43);

/** Runs one checked cycle, counting its store's round trips. */
async function once(
  library: Library,
  action: Action,
  cookie: string | undefined,
): Promise<Outcome & { roundTrips?: number }> {
  const input = library.input(action, cookie);
  const before = library.counter?.roundTrips ?? 0;
  const output = await library.run[action]!(input);
  const roundTrips = library.counter === undefined
    ? undefined
    : library.counter.roundTrips - before;
  return { ...await library.inspect(output), roundTrips };
}

function fail(library: Library, cycle: Cycle, problem: string): never {
  throw new Error(`${library.name}, ${cycle} cycle: ${problem}`);
}

/** The action a cycle runs. */
function actionOf(cycle: Cycle): Action {
  return cycle === "new" || cycle === "returning" || cycle === "hot"
    ? "increment"
    : cycle === "read-only"
    ? "read"
    : cycle;
}

/**
 * Checks a cycle once, then times it, on a library instance of its own so
 * that every cycle starts from the same store:
 *
 * - `new`: an empty store that fills up while timed (to 100 000 sessions:
 *   sesame's MemoryStore evicts the oldest beyond that, stores without a
 *   limit start over);
 * - `returning` and `read-only`: requests take turns on 1024 sessions;
 * - `regenerate` and `destroy`: every call gets a session of its own, made
 *   outside the timed code;
 * - `hot`: one session requested again and again (40 000 times before it
 *   is timed), in a store of 10 000 sessions (only for in-process stores
 *   whose new cycle can fill that quickly).
 */
async function timeCycle(
  create: () => Library,
  cycle: Cycle,
  minCpuMs: number,
  newCycleNs: number | undefined,
): Promise<CycleResult> {
  const library = create();
  const action = actionOf(cycle);
  const run = library.run[action];
  const result: CycleResult = { library: library.id, cycle };
  if (run === undefined) return { ...result, skipped: "no such operation" };
  const bare = library.storage === "none";
  let makeInput: () => unknown;
  let timed = run;
  if (cycle === "new") {
    const outcome = await once(library, action, undefined);
    if (!bare && (outcome.cookie === undefined || outcome.visits !== 1)) {
      fail(library, cycle, "no session cookie, or visits is not 1");
    }
    Object.assign(result, {
      setCookie: outcome.cookie !== undefined,
      roundTrips: outcome.roundTrips,
    });
    makeInput = () => library.input(action, undefined);
    if (library.renew !== undefined) {
      let created = 0;
      timed = (input) => {
        if (++created === STORE_LIMIT) {
          created = 0;
          library.renew!();
        }
        return run(input);
      };
    }
  } else if (cycle === "returning" || cycle === "read-only") {
    const pool: string[] = [];
    for (let i = 0; i < POOL_SIZE; i++) {
      pool.push(bare ? DUMMY_COOKIE : await freshCookie(library));
    }
    const outcome = await once(library, action, pool[0]);
    const expected = cycle === "returning" ? 2 : 1;
    if (!bare && outcome.visits !== expected) {
      fail(library, cycle, `visits is ${outcome.visits}, not ${expected}`);
    }
    Object.assign(result, {
      setCookie: outcome.cookie !== undefined || outcome.cleared,
      roundTrips: outcome.roundTrips,
    });
    let turn = 0;
    makeInput = () => library.input(action, pool[turn++ & (POOL_SIZE - 1)]);
  } else if (cycle === "hot") {
    if (
      library.storage !== "memory" || newCycleNs === undefined ||
      newCycleNs * HOT_STORE_SIZE / 1e6 > HOT_FILL_BUDGET_MS
    ) {
      return { ...result, skipped: "not a fast in-process store" };
    }
    for (let i = 0; i < HOT_STORE_SIZE - 1; i++) {
      await run(library.input("increment", undefined));
    }
    const cookie = await freshCookie(library);
    const outcome = await once(library, action, cookie);
    if (outcome.visits !== 2) {
      fail(library, cycle, `visits is ${outcome.visits}, not 2`);
    }
    result.setCookie = outcome.cookie !== undefined;
    makeInput = () => library.input(action, cookie);
    const deadline = performance.now() + HOT_FILL_BUDGET_MS;
    for (let i = 0; i < HOT_WARMUP_CALLS; i++) {
      await run(makeInput());
      if (performance.now() > deadline) break;
    }
  } else {
    const cookie = await freshCookie(library);
    const outcome = await once(library, action, cookie);
    if (cycle === "regenerate") {
      if (outcome.cookie === undefined || outcome.cookie === cookie) {
        fail(library, cycle, "no new session cookie");
      }
      if (outcome.visits !== 1) fail(library, cycle, "the data was lost");
    }
    const old = await once(library, "read", cookie);
    Object.assign(result, {
      setCookie: outcome.cookie !== undefined || outcome.cleared,
      cleared: outcome.cleared,
      roundTrips: outcome.roundTrips,
      oldCookieStillValid: old.visits !== undefined,
    });
    makeInput = async () => library.input(action, await freshCookie(library));
  }
  await library.settle?.();
  result.timing = await time(makeInput, timed, minCpuMs);
  return result;
}

/** A store outside the process whose operations are counted. */
interface CountedStore {
  id: string;
  name: string;
  store(): SessionStore;
  counter: RoundTripCounter;
}

/**
 * The libraries to time: the Redis ones when a Redis URL is given, the
 * PostgreSQL ones when a PostgreSQL URL is given, and the SQLite one when
 * the runtime's driver opens a file. `close` ends their connections.
 */
async function libraries(options: Options): Promise<{
  list: (() => Library)[];
  counted: CountedStore[];
  close: () => Promise<void>;
}> {
  const list: (() => Library)[] = [
    sesameMemory,
    sesameSealed,
    bareHono,
    sesameHono,
    () => honoSessions(true),
    () => honoSessions(false),
    honoSession,
    () => remix(true),
    () => remix(false),
    ironSession,
    express,
  ];
  const closers: (() => unknown)[] = [];
  const counted: CountedStore[] = [];
  const fake = inProcessRedis();
  list.splice(1, 0, () =>
    sesameRedis(
      fake,
      "sesame-redis-cpu",
      "sesame (RedisStore, in-process fake Redis)",
    ));
  // After the Redis rows: the SQL stores.
  const sql: (() => Library)[] = [];
  if (options.redis !== undefined) {
    const plain: CountingRedisClient = await connectRedis(options.redis);
    const bySha = await connectRedis(options.redis, true);
    await plain.flush();
    closers.push(() => plain.close(), () => bySha.close());
    list.splice(
      1,
      0,
      () => sesameRedis(plain),
      () =>
        sesameRedis(
          bySha,
          "sesame-redis-evalsha",
          "sesame (RedisStore, client sends EVALSHA)",
        ),
    );
    counted.push({
      id: "redis",
      name: "RedisStore (ioredis, EVAL)",
      store: () => new RedisStore({ client: plain }),
      counter: plain,
    });
  }
  if (options.postgres !== undefined) {
    const postgres = await connectPostgres(options.postgres);
    closers.push(() => postgres.close());
    sql.push(() => sesamePostgres(postgres));
    if (runtime === "node") list.push(() => expressPgSimple(postgres));
    counted.push({
      id: "postgres",
      name: "PostgresStore (pg)",
      store: () => postgres.store(),
      counter: postgres,
    });
  }
  try {
    const sqlite = await openSqlite();
    closers.push(() => sqlite.close());
    sql.push(() => sesameSqlite(sqlite));
    counted.push({
      id: "sqlite",
      name: "SqliteStore (the runtime's driver)",
      store: () => sqlite.store(),
      counter: sqlite,
    });
  } catch (error) {
    sql.push(() => {
      throw new Error(`sesame (SqliteStore) cannot open a database: ${error}`);
    });
  }
  const afterRedis = list.indexOf(sesameSealed);
  list.splice(afterRedis, 0, ...sql);
  return {
    list,
    counted,
    async close() {
      for (const close of closers) await close();
    },
  };
}

/** How many new sessions the round trips of creating one are counted over. */
const CREATE_SAMPLES = 1000;

/**
 * Counts the round trips of each manager operation on `store`, one at a
 * time, through a manager that moves the expiry whenever it can
 * (`touchIntervalSeconds: 0`).
 */
async function countRoundTrips(
  counted: CountedStore,
): Promise<RoundTripResult> {
  const sessions = createSessionManager<{ visits: number }>({
    store: counted.store(),
    touchIntervalSeconds: 0,
  });
  const count = async (run: () => Promise<unknown>) => {
    const before = counted.counter.roundTrips;
    await run();
    return counted.counter.roundTrips - before;
  };
  const request = (cookie?: string) =>
    new Request("http://localhost/", {
      headers: cookie === undefined ? {} : { cookie },
    });
  const creates: number[] = [];
  let cookie = "";
  for (let i = 0; i < CREATE_SAMPLES; i++) {
    const session = await sessions.load(request());
    session.set("visits", 1);
    creates.push(
      await count(async () => {
        const setCookie = await session.commit();
        cookie = setCookie?.split(";", 1)[0] ?? "";
      }),
    );
  }
  let session = await sessions.load(request());
  const load = await count(async () =>
    session = await sessions.load(request(cookie))
  );
  if (session.get("visits") !== 1) throw new Error("The session did not load");
  session.set("visits", 2);
  const save = await count(() => session.commit());
  await new Promise((resolve) => setTimeout(resolve, 5));
  session = await sessions.load(request(cookie));
  let touched: string | undefined;
  const touch = await count(async () => touched = await session.commit());
  if (touched === undefined) throw new Error("The expiry did not move");
  session = await sessions.load(request(cookie));
  session.destroy();
  const destroy = await count(() => session.commit());
  return {
    id: counted.id,
    name: counted.name,
    load,
    save,
    touch,
    destroy,
    create: {
      min: Math.min(...creates),
      max: Math.max(...creates),
      mean: creates.reduce((sum, n) => sum + n, 0) / creates.length,
      samples: creates.length,
    },
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const wanted = (id: string) => options.filter?.test(id) ?? true;
  const results: MicroResults = {
    runtime,
    version: runtimeVersion(),
    minCpuMs: options.minCpuMs,
    floor: [],
    libraries: [],
    cycles: [],
  };
  log(results.version);

  for (const operation of floorOperations()) {
    if (!wanted(`floor/${operation.id}`)) continue;
    const timing = await time(() => undefined, operation.run, options.minCpuMs);
    results.floor.push({
      id: operation.id,
      name: operation.name,
      inFloor: operation.inFloor,
      idCost: operation.idCost,
      timing,
    });
    log(`floor/${operation.id}: ${timing.p50.toFixed(1)} ns`);
  }

  const { list, counted, close } = await libraries(options);
  for (const [index, create] of list.entries()) {
    let library: Library;
    try {
      library = create();
    } catch (error) {
      results.libraries.push({
        id: `library-${index}`,
        name: `library #${index} of micro.ts`,
        storage: "",
        via: "",
        error: String(error),
      });
      continue;
    }
    if (!CYCLES.some((cycle) => wanted(`${library.id}/${cycle}`))) continue;
    const info: LibraryInfo = {
      id: library.id,
      name: library.name,
      storage: library.storage,
      via: library.via,
      note: library.note,
    };
    results.libraries.push(info);
    let newCycleNs: number | undefined;
    for (const cycle of CYCLES) {
      if (!wanted(`${library.id}/${cycle}`)) continue;
      if (
        library.storage === "none" && cycle !== "new" && cycle !== "returning"
      ) {
        continue;
      }
      try {
        const result = await timeCycle(
          create,
          cycle,
          options.minCpuMs,
          newCycleNs,
        );
        if (cycle === "new") newCycleNs = result.timing?.p50;
        results.cycles.push(result);
        const time = result.timing
          ? `${(result.timing.p50 / 1000).toFixed(2)} µs`
          : result.skipped;
        const trips = result.roundTrips === undefined
          ? ""
          : `, ${result.roundTrips} round trips`;
        log(`${library.id}/${cycle}: ${time}${trips}`);
      } catch (error) {
        const message = (error as Error).message ?? String(error);
        info.error ??= message;
        log(`${library.id}/${cycle}: ${message}`);
        results.cycles.push({
          library: library.id,
          cycle,
          skipped: `failed: ${message}`,
        });
      }
    }
  }
  for (const store of counted) {
    if (!wanted(`round-trips/${store.id}`)) continue;
    try {
      const result = await countRoundTrips(store);
      (results.roundTrips ??= []).push(result);
      log(
        `round-trips/${store.id}: load ${result.load}, save ${result.save}, touch ${result.touch}, destroy ${result.destroy}, new ${result.create.min}–${result.create.max} (mean ${
          result.create.mean.toFixed(3)
        })`,
      );
    } catch (error) {
      log(`round-trips/${store.id}: ${(error as Error).message}`);
    }
  }
  await close();

  if (options.pretty) {
    for (const row of results.floor) {
      console.log(
        `${row.id.padEnd(40)} ${(row.timing.p50 / 1000).toFixed(3)} µs`,
      );
    }
    for (const row of results.cycles) {
      console.log(
        `${`${row.library}/${row.cycle}`.padEnd(40)} ${
          row.timing ? `${(row.timing.p50 / 1000).toFixed(3)} µs` : row.skipped
        }`,
      );
    }
  } else {
    console.log(JSON.stringify(results));
  }
}

await main();
// Sockets and timers of some libraries keep the event loop alive.
process.exit(0);
