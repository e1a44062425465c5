/**
 * sesame's benchmark: the session layer, side by side with the alternatives,
 * on Deno, Bun and Node, in one run. Writes `bench/RESULTS.md` (tables),
 * `bench/results.svg` (a chart of the returning cycle) and
 * `bench/results.json` (every number).
 *
 * ```sh
 * node --import tsx bench/run.ts     # everything (proposed: `npm run bench`)
 * node --import tsx bench/run.ts --only micro            # one part
 * node --import tsx bench/run.ts --only micro --runtimes node \
 *   --filter 'sesame-memory|remix'                       # a few cases
 * node --import tsx bench/run.ts --report-only           # re-render
 * ```
 *
 * A run with `--only` or `--runtimes` replaces what it measured in
 * `results.json` and keeps the rest from the previous run; every ratio in the
 * report compares numbers of the same part of the same run.
 *
 * What it measures (each part runs every runtime in a child process of its
 * own; see the module doc of each file for details):
 *
 * 1. **micro** (`micro.ts`, timed with mitata): the floor (`_floor.ts`:
 *    random bytes, SHA-256, a `Map` lookup, JSON, a `Set-Cookie` string),
 *    then the request cycles of `_libraries.ts` (new, returning, read-only,
 *    regenerate, destroy, and a hot session) for sesame with its memory,
 *    Redis (a redis-server started here, and an in-process fake for the CPU
 *    alone), PostgreSQL (a throwaway cluster started here, through `pg`),
 *    SQLite (a WAL file, through the runtime's driver) and sealed cookie
 *    stores, with the round trips of each operation, and for
 *    @remix-run/session,
 *    hono-sessions, @hono/session (through a Hono app, with a bare Hono app
 *    as the baseline), iron-session and express-session (with mock
 *    req/res; on Node also with connect-pg-simple on the same PostgreSQL).
 *    Each case: 150 ms of warm-up, then the median of batches of calls.
 * 2. **http** (`server.ts`, load from wrk with `wrk.lua`): requests per
 *    second on 127.0.0.1 for a hello-world handler on Deno.serve, Bun.serve,
 *    `@hono/node-server` (sesame through `sessions.handler()`), plain
 *    node:http, Express 5 and Fastify 5 (sesame through
 *    `@sesame/session/node`). Bare, with sesame (memory and Redis stores),
 *    on plain node:http and Express with express-session, on Fastify with
 *    `@fastify/session`; for returning visitors also bare
 *    with an async handler, and the floor as a handler (a `Map` lookup of
 *    the `Cookie` header and a JSON round trip). New visitors send no
 *    cookie, returning visitors take turns on 256 valid cookies. The
 *    servers of one runtime and kind of visitor run side by side: each gets
 *    3 s of warm-up (Bun's JIT needs that long to settle), then they take
 *    turns, 1 s of wrk each, for 5 rounds; a server's result is its median
 *    round, its ratio to bare the median of the per-round ratios. 1 wrk
 *    thread, 32 connections; servers pinned to CPU 0, wrk and redis-server
 *    to CPU 1 (`--no-pin` to let them float).
 * 3. **memory** (`memory.ts`): bytes per session in `MemoryStore` (heap
 *    growth after a full GC over 100 000 sessions) and the RSS at 100 000
 *    and 1 000 000 sessions.
 *
 * Options:
 * - `--only <parts>`: comma-separated, of micro, http, memory;
 * - `--runtimes <names>`: comma-separated, of deno, bun, node;
 * - `--filter <regex>`: the micro cases to run, by id (`floor/json`,
 *   `sesame-memory/returning`, `remix/new`, …);
 * - `--min-cpu-ms <n>`: mitata's time budget per micro case (default 300);
 * - `--http-seconds <n>`: rounds of 1 s per HTTP server (default 5);
 * - `--warmup-seconds <n>`: warm-up per HTTP server (default 3);
 * - `--connections <n>`: wrk's connections (default 32);
 * - `--no-pin`: no CPU pinning;
 * - `--report-only`: render RESULTS.md and results.svg again from
 *   results.json, without measuring.
 *
 * Needs: `deno` and `bun` (the devDependencies' binaries in
 * node_modules/.bin), `/usr/bin/wrk`, `/usr/bin/redis-server` (or
 * `$REDIS_SERVER`), and `taskset` for pinning; for the PostgreSQL rows,
 * `initdb` and `pg_ctl` in `$PG_BIN` or `/usr/lib/postgresql/<version>/bin`
 * (without them those rows are skipped, with a note on stderr). A full run takes about 9.5
 * minutes on 2 cores (micro 5, HTTP 4, memory 0.2); each part prints its
 * progress on stderr. Other processes on the machine skew the numbers:
 * RESULTS.md records the load average before and after the run.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { MemoryResults } from "./memory.ts";
import type { MicroResults } from "./micro.ts";
import {
  pinned,
  ROOT,
  runtimeCommand,
  runToEnd,
  type Service,
  startRedis,
  startService,
} from "./_processes.ts";
import { type HttpRun, type Results, writeReport } from "./_report.ts";
import { median, type RuntimeName } from "./_runtime.ts";
import type { AppName, ServerName } from "./server.ts";
import {
  findPostgresBin,
  POSTGRES_SEARCHED,
  type PostgresServer,
  startPostgresServer,
} from "../tests/_postgres_server.ts";

const PARTS = ["micro", "http", "memory"] as const;
type Part = typeof PARTS[number];
const RUNTIMES: RuntimeName[] = ["deno", "bun", "node"];

interface Options {
  only: Part[];
  runtimes: RuntimeName[];
  filter?: string;
  minCpuMs: number;
  httpSeconds: number;
  warmupSeconds: number;
  connections: number;
  pin: boolean;
  reportOnly: boolean;
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    only: [...PARTS],
    runtimes: [...RUNTIMES],
    minCpuMs: 300,
    httpSeconds: 5,
    warmupSeconds: 3,
    connections: 32,
    pin: true,
    reportOnly: false,
  };
  const list = <T extends string>(value: string, allowed: readonly T[]) => {
    const items = value.split(",").map((item) => item.trim()) as T[];
    const unknown = items.filter((item) => !allowed.includes(item));
    if (unknown.length > 0) {
      throw new Error(
        `Unknown ${unknown.join(", ")}: expected ${allowed.join(", ")}`,
      );
    }
    return items;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === "--only") options.only = list(value(), PARTS);
    else if (arg === "--runtimes") options.runtimes = list(value(), RUNTIMES);
    else if (arg === "--filter") options.filter = value();
    else if (arg === "--min-cpu-ms") options.minCpuMs = Number(value());
    else if (arg === "--http-seconds") options.httpSeconds = Number(value());
    else if (arg === "--warmup-seconds") {
      options.warmupSeconds = Number(value());
    } else if (arg === "--connections") options.connections = Number(value());
    else if (arg === "--no-pin") options.pin = false;
    else if (arg === "--report-only") options.reportOnly = true;
    else {throw new Error(
        `Unknown option ${arg} (see the header of bench/run.ts)`,
      );}
  }
  return options;
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Parses the last line of a child's stdout as JSON. */
function lastJson<T>(stdout: string, what: string): T {
  const line = stdout.trim().split("\n").pop();
  try {
    return JSON.parse(line ?? "") as T;
  } catch {
    throw new Error(`${what} printed no JSON:\n${stdout.slice(-2000)}`);
  }
}

// --- micro ------------------------------------------------------------------

/**
 * Starts a throwaway PostgreSQL cluster for the micro part, or says why the
 * PostgreSQL rows are skipped.
 */
async function startPostgres(): Promise<PostgresServer | undefined> {
  const bin = findPostgresBin();
  if (bin === undefined) {
    log(
      `micro: PostgreSQL was not found (${POSTGRES_SEARCHED}): skipping the PostgreSQL rows`,
    );
    return undefined;
  }
  try {
    return await startPostgresServer(bin);
  } catch (error) {
    log(
      `micro: PostgreSQL did not start, skipping its rows: ${
        (error as Error).message
      }`,
    );
    return undefined;
  }
}

async function runMicro(
  options: Options,
  redisUrl: string,
  postgresUrl: string | undefined,
): Promise<MicroResults[]> {
  const results: MicroResults[] = [];
  for (const runtime of options.runtimes) {
    log(`micro on ${runtime}`);
    const args = [
      "--redis",
      redisUrl,
      "--min-cpu-ms",
      String(options.minCpuMs),
    ];
    if (postgresUrl !== undefined) args.push("--postgres", postgresUrl);
    if (options.filter !== undefined) args.push("--filter", options.filter);
    const finished = await runToEnd(
      runtimeCommand(runtime, "bench/micro.ts", args),
      10 * 60_000,
    );
    if (finished.code !== 0) {
      throw new Error(`micro on ${runtime} exited with ${finished.code}`);
    }
    results.push(
      lastJson<MicroResults>(finished.stdout, `micro on ${runtime}`),
    );
  }
  return results;
}

// --- http -------------------------------------------------------------------

/** One server of an HTTP group. */
interface HttpApp {
  app: AppName;
  store?: "memory" | "redis";
}

/**
 * The servers measured side by side: the same runtime and server, bare and
 * with sessions, for one kind of visitor.
 */
interface HttpGroup {
  runtime: RuntimeName;
  server: ServerName;
  visitors: "new" | "returning";
  apps: HttpApp[];
}

function httpGroups(runtimes: RuntimeName[]): HttpGroup[] {
  const groups: HttpGroup[] = [];
  for (const runtime of runtimes) {
    const servers: ServerName[] = runtime === "node"
      ? ["hono-node", "node-http", "express", "fastify"]
      : [runtime];
    for (const server of servers) {
      const apps: HttpApp[] = server === "node-http" || server === "express"
        ? [
          { app: "bare" },
          { app: "sesame", store: "memory" },
          { app: "express-session", store: "memory" },
        ]
        : server === "fastify"
        ? [
          { app: "bare" },
          { app: "sesame", store: "memory" },
          { app: "fastify-session", store: "memory" },
        ]
        : [
          { app: "bare" },
          { app: "bare-async" },
          { app: "floor" },
          { app: "sesame", store: "memory" },
          { app: "sesame", store: "redis" },
        ];
      for (const visitors of ["new", "returning"] as const) {
        // The async and floor baselines explain the returning visitors'
        // overhead.
        const measured = visitors === "new"
          ? apps.filter((app) =>
            app.app !== "bare-async" && app.app !== "floor"
          )
          : apps;
        groups.push({ runtime, server, visitors, apps: measured });
      }
    }
  }
  return groups;
}

/** How many cookies returning visitors take turns on. */
const COOKIES = 256;

/** `name=value` pairs of valid session cookies, from requests without one. */
async function collectCookies(port: number, bare: boolean): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < COOKIES; i++) {
    if (bare) {
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      cookies.push(`sid=${Buffer.from(bytes).toString("base64url")}`);
      continue;
    }
    const response = await fetch(`http://127.0.0.1:${port}/`);
    await response.arrayBuffer();
    const setCookie = response.headers.getSetCookie()[0];
    if (setCookie === undefined) throw new Error("The server sent no cookie");
    cookies.push(setCookie.split(";", 1)[0]);
  }
  return cookies;
}

interface WrkResult {
  requests: number;
  durationUs: number;
  errors: Record<string, number>;
  latencyUs: { p50: number; p99: number; mean: number };
}

async function wrk(
  options: Options,
  port: number,
  seconds: number,
  cookieFile: string | undefined,
): Promise<WrkResult> {
  const command = pinned([
    "/usr/bin/wrk",
    "-t1",
    `-c${options.connections}`,
    `-d${seconds}s`,
    "--timeout",
    "5s",
    "-s",
    join(ROOT, "bench", "wrk.lua"),
    `http://127.0.0.1:${port}/`,
    "--",
    cookieFile ?? "",
  ], options.pin ? 1 : undefined);
  const finished = await runToEnd(command, (seconds + 30) * 1000, false);
  const match = finished.stdout.match(/WRK_RESULT (\{.*\})/);
  if (match === null) {
    throw new Error(`wrk failed:\n${finished.stdout}${finished.stderr}`);
  }
  return JSON.parse(match[1]) as WrkResult;
}

/** A server of a group, started, with the cookies its visitors send. */
interface Started {
  app: HttpApp;
  service?: Service;
  port: number;
  cookieFile?: string;
  samples: WrkResult[];
  error?: string;
}

/**
 * Measures one group: starts all its servers (pinned to the same CPU), warms
 * each up, then takes turns, one second of wrk per server per round, so
 * that each round compares the servers under the same conditions (a VM's
 * neighbours come and go); the result of a server is the median of its
 * rounds, and its ratio to bare the median of the per-round ratios.
 */
async function runGroup(
  options: Options,
  group: HttpGroup,
  redisUrl: string,
  directory: string,
): Promise<HttpRun[]> {
  const started: Started[] = [];
  const name = (app: HttpApp) =>
    `${group.server} ${app.app}${app.store ? ` (${app.store})` : ""}`;
  try {
    for (const app of group.apps) {
      const args = ["--server", group.server, "--app", app.app];
      if (app.store !== undefined) args.push("--store", app.store);
      if (app.store === "redis") args.push("--redis", redisUrl);
      try {
        const { service, match } = await startService(
          pinned(
            runtimeCommand(group.runtime, "bench/server.ts", args),
            options.pin ? 0 : undefined,
          ),
          /listening on (\d+)/,
        );
        const entry: Started = {
          app,
          service,
          port: Number(match[1]),
          samples: [],
        };
        started.push(entry);
        if (group.visitors === "returning") {
          const cookies = await collectCookies(
            entry.port,
            app.app === "bare" || app.app === "bare-async" ||
              app.app === "floor",
          );
          entry.cookieFile = join(
            directory,
            `cookies-${started.length}.txt`,
          );
          writeFileSync(entry.cookieFile, cookies.join("\n") + "\n");
        }
        await wrk(options, entry.port, options.warmupSeconds, entry.cookieFile);
      } catch (error) {
        log(`http: ${name(app)}: ${(error as Error).message}`);
        started.push({
          app,
          port: 0,
          samples: [],
          error: (error as Error).message.slice(0, 300),
        });
      }
    }
    for (let round = 0; round < options.httpSeconds; round++) {
      for (const entry of started) {
        if (entry.error !== undefined) continue;
        entry.samples.push(await wrk(options, entry.port, 1, entry.cookieFile));
      }
    }
  } finally {
    for (const entry of started) await entry.service?.stop();
  }
  const rate = (sample: WrkResult) =>
    sample.requests / (sample.durationUs / 1e6);
  const bare = started.find((entry) => entry.app.app === "bare");
  return started.map((entry) => {
    const run: HttpRun = {
      runtime: group.runtime,
      server: group.server,
      app: entry.app.app,
      store: entry.app.store,
      visitors: group.visitors,
    };
    if (entry.error !== undefined || entry.samples.length === 0) {
      return { ...run, error: entry.error ?? "not measured" };
    }
    const rates = entry.samples.map(rate);
    run.rps = median(rates);
    run.rpsRange = [Math.min(...rates), Math.max(...rates)];
    if (bare !== undefined && bare !== entry && bare.samples.length > 0) {
      run.ratioToBare = median(
        entry.samples.map((sample, i) => rate(sample) / rate(bare.samples[i])),
      );
    }
    run.latencyP50Us = median(entry.samples.map((s) => s.latencyUs.p50));
    run.latencyP99Us = median(entry.samples.map((s) => s.latencyUs.p99));
    run.errors = entry.samples.reduce(
      (sum, s) => sum + Object.values(s.errors).reduce((a, b) => a + b, 0),
      0,
    );
    log(
      `http: ${name(entry.app)}, ${group.visitors} visitors: ${
        Math.round(run.rps)
      } req/s${
        run.ratioToBare === undefined
          ? ""
          : ` (${run.ratioToBare.toFixed(2)}× bare)`
      }, ${run.errors} errors; rounds: ${
        rates.map((value) => Math.round(value / 1000)).join(", ")
      }k`,
    );
    return run;
  });
}

async function runHttp(
  options: Options,
  redisUrl: string,
  flush: () => Promise<void>,
): Promise<HttpRun[]> {
  const directory = mkdtempSync(join(tmpdir(), "sesame-bench-"));
  const runs: HttpRun[] = [];
  try {
    for (const group of httpGroups(options.runtimes)) {
      log(`http: ${group.server}, ${group.visitors} visitors`);
      runs.push(...await runGroup(options, group, redisUrl, directory));
      await flush();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return runs;
}

// --- memory -----------------------------------------------------------------

async function runMemory(options: Options): Promise<MemoryResults[]> {
  const results: MemoryResults[] = [];
  for (const runtime of options.runtimes) {
    log(`memory on ${runtime}`);
    const finished = await runToEnd(
      runtimeCommand(runtime, "bench/memory.ts"),
      5 * 60_000,
    );
    if (finished.code !== 0) {
      throw new Error(`memory on ${runtime} exited with ${finished.code}`);
    }
    results.push(
      lastJson<MemoryResults>(finished.stdout, `memory on ${runtime}`),
    );
  }
  return results;
}

// --- driver -----------------------------------------------------------------

/** Keeps the results of a previous run for what this run does not measure. */
function previousResults(path: string): Results | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Results;
  } catch {
    return undefined;
  }
}

/** Replaces the entries of `runtimes` in `old` with `fresh`. */
function merge<T extends { runtime: string }>(
  old: T[] | undefined,
  fresh: T[],
  runtimes: RuntimeName[],
): T[] {
  const kept = (old ?? []).filter((item) =>
    !runtimes.includes(item.runtime as RuntimeName)
  );
  return [...kept, ...fresh].sort((a, b) =>
    RUNTIMES.indexOf(a.runtime as RuntimeName) -
    RUNTIMES.indexOf(b.runtime as RuntimeName)
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const jsonPath = join(ROOT, "bench", "results.json");
  const previous = previousResults(jsonPath);
  if (options.reportOnly) {
    if (previous === undefined) throw new Error("No bench/results.json yet");
    await writeReport(previous, join(ROOT, "bench"));
    log("wrote bench/RESULTS.md and bench/results.svg from bench/results.json");
    return;
  }
  const results: Results = {
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      os: `${platform()} ${release()}`,
    },
    parts: previous?.parts ?? {},
    runtimes: previous?.runtimes ?? {},
    settings: {
      minCpuMs: options.minCpuMs,
      httpSeconds: options.httpSeconds,
      warmupSeconds: options.warmupSeconds,
      connections: options.connections,
      pinned: options.pin,
    },
    command: ["node --import tsx bench/run.ts", ...process.argv.slice(2)].join(
      " ",
    ),
    loadBefore: loadavg()[0],
    date: new Date().toISOString(),
    totalSeconds: 0,
  };
  const redis = await startRedis(options.pin ? 1 : undefined);
  const { connectRedis } = await import("./_redis.ts");
  const admin = await connectRedis(redis.url);
  try {
    if (options.only.includes("micro")) {
      const start = performance.now();
      const postgres = await startPostgres();
      let micro: MicroResults[];
      try {
        micro = await runMicro(options, redis.url, postgres?.url);
      } finally {
        await postgres?.close();
      }
      for (const item of micro) results.runtimes[item.runtime] = item.version;
      results.parts.micro = {
        date: new Date().toISOString(),
        seconds: (performance.now() - start) / 1000,
        results: merge(results.parts.micro?.results, micro, options.runtimes),
      };
    }
    if (options.only.includes("http")) {
      const start = performance.now();
      const runs = await runHttp(options, redis.url, () => admin.flush());
      const kept = (results.parts.http?.runs ?? []).filter((run) =>
        !options.runtimes.includes(run.runtime)
      );
      results.parts.http = {
        date: new Date().toISOString(),
        seconds: (performance.now() - start) / 1000,
        runs: [...kept, ...runs],
      };
    }
    if (options.only.includes("memory")) {
      const start = performance.now();
      const memory = await runMemory(options);
      results.parts.memory = {
        date: new Date().toISOString(),
        seconds: (performance.now() - start) / 1000,
        results: merge(results.parts.memory?.results, memory, options.runtimes),
      };
    }
  } finally {
    await admin.close();
    await redis.service.stop();
  }
  results.totalSeconds = (performance.now() - started) / 1000;
  results.loadAfter = loadavg()[0];
  writeFileSync(jsonPath, JSON.stringify(results, null, 2) + "\n");
  await writeReport(results, join(ROOT, "bench"));
  log(
    `wrote bench/RESULTS.md, bench/results.svg and bench/results.json in ${
      results.totalSeconds.toFixed(0)
    } s`,
  );
}

await main();
