// Private module of the benchmark driver: turns the results of a run into
// `RESULTS.md` (tables, targets) and `results.svg` (a chart drawn here, with
// no chart library).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MemoryResults } from "./memory.ts";
import type { Cycle, CycleResult, MicroResults } from "./micro.ts";
import type { RuntimeName } from "./_runtime.ts";
import type { AppName, ServerName } from "./server.ts";

/** One wrk run of the HTTP part. */
export interface HttpRun {
  runtime: RuntimeName;
  server: ServerName;
  app: AppName;
  store?: "memory" | "redis";
  visitors: "new" | "returning";
  /** Requests per second: the median of the rounds. */
  rps?: number;
  /** The slowest and the fastest round. */
  rpsRange?: [number, number];
  /** The median of the per-round ratios to the bare server of the group. */
  ratioToBare?: number;
  latencyP50Us?: number;
  latencyP99Us?: number;
  errors?: number;
  error?: string;
}

/**
 * sesame's micro cycles on an earlier revision and after a change, as
 * `bench/compare.ts` measures them.
 */
export interface Comparison {
  date: string;
  /** The earlier revision. */
  base: string;
  /** What was measured after. */
  after: string;
  /** What the change is. */
  label?: string;
  rounds: number;
  /** The 1-minute load average before and after the rounds. */
  load?: [number, number];
  /**
   * Per runtime and cycle, from each side's median time in every round: the
   * best round (least disturbed by other work on the machine) and the median
   * round.
   */
  rows: {
    runtime: string;
    cycle: string;
    baseNs: number;
    afterNs: number;
    baseMedianNs: number;
    afterMedianNs: number;
  }[];
}

/** sesame's micro cycles before and after a change, as a Markdown table. */
export function comparisonTable(comparison: Comparison): string {
  const us = (ns: number) => (ns / 1000).toFixed(2);
  const change = (after: number, before: number) => {
    const percent = (after / before - 1) * 100;
    return `${percent >= 0 ? "+" : ""}${percent.toFixed(1)}%`;
  };
  const lines = [
    "| runtime | cycle | before (µs) | after (µs) | change | median rounds: before, after, change |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
  ];
  for (const row of comparison.rows) {
    lines.push(
      `| ${row.runtime} | ${row.cycle} | ${us(row.baseNs)} | ${
        us(row.afterNs)
      } | ${change(row.afterNs, row.baseNs)} | ${us(row.baseMedianNs)}, ${
        us(row.afterMedianNs)
      }, ${change(row.afterMedianNs, row.baseMedianNs)} |`,
    );
  }
  return lines.join("\n");
}

/** The section of the latest before/after comparison, if any. */
function beforeAfterSection(results: Results): string[] {
  const comparison = results.comparison;
  if (comparison === undefined) return [];
  return [
    "## Before and after",
    "",
    `Measured by \`bench/compare.ts\` on ${comparison.date}: ${
      comparison.label ?? "a change"
    }. Base ${comparison.base}, after: ${comparison.after}; ${comparison.rounds} rounds in alternation${
      comparison.load === undefined
        ? ""
        : ` (load average ${comparison.load[0].toFixed(2)} before, ${
          comparison.load[1].toFixed(2)
        } after: above 1, other work shared the machine and the median rounds say less than the best ones)`
    }. Each side's median time per cycle (mitata) in its best round, and in its median round.`,
    "",
    comparisonTable(comparison),
    "",
  ];
}

/** Everything a run measured, as `results.json` keeps it. */
export interface Results {
  machine: { cpu: string; cores: number; memoryGiB: number; os: string };
  /** The version of each runtime, from the micro part. */
  runtimes: Record<string, string>;
  settings: {
    minCpuMs: number;
    httpSeconds: number;
    warmupSeconds: number;
    connections: number;
    pinned: boolean;
  };
  command: string;
  date: string;
  /** The 1-minute load average before the run started, and at its end. */
  loadBefore?: number;
  loadAfter?: number;
  totalSeconds: number;
  /** The latest before/after comparison of `bench/compare.ts`. */
  comparison?: Comparison;
  parts: {
    micro?: { date: string; seconds: number; results: MicroResults[] };
    http?: { date: string; seconds: number; runs: HttpRun[] };
    memory?: { date: string; seconds: number; results: MemoryResults[] };
  };
}

const RUNTIMES: RuntimeName[] = ["deno", "bun", "node"];
const RUNTIME_NAMES: Record<RuntimeName, string> = {
  deno: "Deno",
  bun: "Bun",
  node: "Node",
};
const CYCLE_NAMES: Record<Cycle, string> = {
  new: "new",
  returning: "returning",
  "read-only": "read-only",
  regenerate: "regenerate",
  destroy: "destroy",
  hot: "hot session",
};

/**
 * The session libraries that keep sessions on the server, besides sesame,
 * each configured as its documentation allows. The Remix storage with an
 * unsigned cookie (`remix`), which its README rules out, is compared
 * separately.
 */
const SERVER_SIDE_ALTERNATIVES = [
  "remix-signed",
  "hono-sessions-plain",
  "hono-sessions",
  "hono-session",
  "express-session",
];

/** The sections and rows of the chart, in order. */
const CHART_SECTIONS: [string, string[]][] = [
  ["Sessions in this process", [
    "sesame-memory",
    "remix-signed",
    "remix",
    "express-session",
    "sesame-hono",
    "hono-sessions-plain",
    "hono-sessions",
    "hono-session",
  ]],
  ["Sessions in Redis", [
    "sesame-redis-cpu",
    "sesame-redis",
    "sesame-redis-evalsha",
  ]],
  ["Sessions in SQL databases", [
    "sesame-postgres",
    "express-pg-simple",
    "sesame-sqlite",
  ]],
  ["Sessions in the cookie", ["sesame-sealed", "iron-session"]],
];

/** Formats microseconds from nanoseconds. */
function us(ns: number | undefined): string {
  if (ns === undefined || Number.isNaN(ns)) return "–";
  const value = ns / 1000;
  if (value < 0.1) return value.toFixed(3);
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

function ratio(value: number | undefined, digits = 2): string {
  return value === undefined || !Number.isFinite(value)
    ? "–"
    : `${value.toFixed(digits)}×`;
}

function thousands(value: number | undefined): string {
  return value === undefined ? "–" : Math.round(value).toLocaleString("en-US");
}

function table(header: string[], rows: string[][], align?: string[]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const rule = header.map((_, i) => align?.[i] ?? "---");
  return [line(header), line(rule), ...rows.map(line)].join("\n");
}

/** Lookups into the micro results of one runtime. */
class Micro {
  readonly floor = new Map<string, number>();
  readonly cycles = new Map<string, CycleResult>();
  readonly names = new Map<string, string>();
  readonly notes = new Map<string, string | undefined>();
  readonly via = new Map<string, string>();
  readonly errors = new Map<string, string>();

  constructor(readonly results: MicroResults) {
    for (const row of results.floor) this.floor.set(row.id, row.timing.p50);
    for (const row of results.cycles) {
      this.cycles.set(`${row.library}/${row.cycle}`, row);
    }
    for (const info of results.libraries) {
      this.names.set(info.id, info.name);
      this.notes.set(info.id, info.note);
      this.via.set(info.id, info.via);
      if (info.error !== undefined) this.errors.set(info.id, info.error);
    }
  }

  /** The median of a cycle, in nanoseconds. */
  time(library: string, cycle: Cycle): number | undefined {
    return this.cycles.get(`${library}/${cycle}`)?.timing?.p50;
  }

  /**
   * The session's own time in a cycle: for libraries in a Hono app, the
   * app's time minus the bare app's.
   */
  share(library: string, cycle: Cycle): number | undefined {
    const time = this.time(library, cycle);
    if (time === undefined || this.via.get(library) !== "Hono app") return time;
    const bare = this.time("hono-bare", cycle === "new" ? "new" : "returning");
    return bare === undefined ? undefined : time - bare;
  }

  /** The floor of a returning cycle: lookup + JSON + Set-Cookie. */
  floorSum(): number | undefined {
    const parts = this.results.floor.filter((row) => row.inFloor);
    return parts.length === 3
      ? parts.reduce((sum, row) => sum + row.timing.p50, 0)
      : undefined;
  }

  /**
   * The floor with an id's cost: `floorSum()` plus 32 random bytes and one
   * SHA-256, each the cheaper way measured on this runtime.
   */
  floorWithIdSum(): number | undefined {
    const floor = this.floorSum();
    const cheapest = (cost: "random" | "hash") => {
      const times = this.results.floor
        .filter((row) => row.idCost === cost)
        .map((row) => row.timing.p50);
      return times.length === 0 ? undefined : Math.min(...times);
    };
    const random = cheapest("random");
    const hash = cheapest("hash");
    return floor === undefined || random === undefined || hash === undefined
      ? undefined
      : floor + random + hash;
  }
}

function microByRuntime(results: Results): Map<RuntimeName, Micro> {
  const map = new Map<RuntimeName, Micro>();
  for (const item of results.parts.micro?.results ?? []) {
    map.set(item.runtime as RuntimeName, new Micro(item));
  }
  return map;
}

function httpRun(
  runs: HttpRun[],
  server: ServerName,
  app: AppName,
  visitors: "new" | "returning",
  store?: "memory" | "redis",
): HttpRun | undefined {
  return runs.find((run) =>
    run.server === server && run.app === app && run.visitors === visitors &&
    run.store === store
  );
}

/** The fastest server-side alternative's returning cycle, on a runtime. */
function fastestAlternative(
  micro: Micro,
): { id: string; ns: number } | undefined {
  let best: { id: string; ns: number } | undefined;
  for (const id of SERVER_SIDE_ALTERNATIVES) {
    const ns = micro.share(id, "returning");
    if (ns !== undefined && (best === undefined || ns < best.ns)) {
      best = { id, ns };
    }
  }
  return best;
}

/** The servers of the HTTP part whose targets are checked, per runtime. */
const HTTP_TARGETS: [ServerName, number][] = [
  ["deno", 0.85],
  ["bun", 0.85],
  ["hono-node", 0.75],
  ["node-http", 0.80],
  ["express", 0.95],
  ["fastify", 0.90],
];

function targetsSection(results: Results, micros: Map<RuntimeName, Micro>) {
  const rows: string[][] = [];
  for (const runtime of RUNTIMES) {
    const micro = micros.get(runtime);
    if (micro === undefined) continue;
    const returning = micro.time("sesame-memory", "returning");
    for (
      const [name, floor] of [
        ["floor with an id's cost", micro.floorWithIdSum()],
        ["floor of a returning cycle alone", micro.floorSum()],
      ] as const
    ) {
      const floorRatio = returning !== undefined && floor !== undefined
        ? returning / floor
        : undefined;
      rows.push([
        `sesame returning cycle ÷ ${name} (${RUNTIME_NAMES[runtime]})`,
        "≤ 3×",
        `${us(returning)} µs ÷ ${us(floor)} µs = ${ratio(floorRatio, 1)}`,
        verdict(floorRatio, (v) => v <= 3),
      ]);
    }
    const best = fastestAlternative(micro);
    const speedup = best !== undefined && returning !== undefined
      ? best.ns / returning
      : undefined;
    rows.push([
      `fastest alternative ÷ sesame, returning cycle (${
        RUNTIME_NAMES[runtime]
      })`,
      "≥ 5×",
      best === undefined
        ? "–"
        : `${micro.names.get(best.id)}: ${us(best.ns)} µs ÷ ${
          us(returning)
        } µs = ${ratio(speedup)}`,
      verdict(speedup, (v) => v >= 5),
    ]);
    const unsigned = micro.share("remix", "returning");
    if (unsigned !== undefined && returning !== undefined) {
      rows.push([
        `@remix-run/session, unsigned cookie ÷ sesame, returning cycle (${
          RUNTIME_NAMES[runtime]
        })`,
        "(not a documented configuration)",
        `${us(unsigned)} µs ÷ ${us(returning)} µs = ${
          ratio(unsigned / returning)
        }`,
        "for reference",
      ]);
    }
  }
  const runs = results.parts.http?.runs ?? [];
  for (const [server, target] of HTTP_TARGETS) {
    const bare = httpRun(runs, server, "bare", "returning");
    const sesame = httpRun(runs, server, "sesame", "returning", "memory");
    if (bare === undefined && sesame === undefined) continue;
    const value = sesame?.ratioToBare;
    const floor = httpRun(runs, server, "floor", "returning")?.ratioToBare;
    rows.push([
      `HTTP returning visitors, MemoryStore ÷ bare (${server})`,
      `≥ ${target.toFixed(2)}×`,
      `${thousands(sesame?.rps)} vs ${thousands(bare?.rps)} req/s: ${
        ratio(value)
      } (the floor as a handler: ${ratio(floor)})`,
      verdict(value, (v) => v >= target),
    ]);
  }
  return table(["target", "goal", "measured (same run)", ""], rows);
}

function verdict(
  value: number | undefined,
  met: (value: number) => boolean,
): string {
  if (value === undefined || !Number.isFinite(value)) return "not measured";
  return met(value) ? "**met**" : "**missed**";
}

function floorSection(micros: Map<RuntimeName, Micro>): string {
  const present = RUNTIMES.filter((runtime) => micros.has(runtime));
  const first = micros.get(present[0]);
  if (first === undefined) return "Not measured.";
  const rows = first.results.floor.map((row) => [
    `${row.name}${row.inFloor ? " **(floor)**" : ""}`,
    ...present.map((runtime) => us(micros.get(runtime)!.floor.get(row.id))),
  ]);
  const sums: [string, (micro: Micro) => number | undefined][] = [
    [
      "floor with an id's cost (+ random bytes + SHA-256, the cheaper of each)",
      (micro) => micro.floorWithIdSum(),
    ],
    [
      "floor of a returning cycle alone (lookup + JSON + Set-Cookie)",
      (micro) => micro.floorSum(),
    ],
  ];
  for (const [name, sum] of sums) {
    rows.push([
      `**${name}**`,
      ...present.map((runtime) => `**${us(sum(micros.get(runtime)!))}**`),
    ]);
  }
  rows.push([
    "sesame (MemoryStore), returning cycle",
    ...present.map((runtime) =>
      us(micros.get(runtime)!.time("sesame-memory", "returning"))
    ),
  ]);
  for (const [name, sum] of sums) {
    rows.push([
      `ratio to the ${name.split(" (")[0]} (target ≤ 3×)`,
      ...present.map((runtime) => {
        const micro = micros.get(runtime)!;
        const time = micro.time("sesame-memory", "returning");
        const floor = sum(micro);
        return `**${
          ratio(time !== undefined && floor ? time / floor : undefined, 1)
        }**`;
      }),
    ]);
  }
  return table(
    ["operation (µs)", ...present.map((runtime) => RUNTIME_NAMES[runtime])],
    rows,
    ["---", ...present.map(() => "---:")],
  );
}

function sesameSection(micros: Map<RuntimeName, Micro>): string {
  const present = RUNTIMES.filter((runtime) => micros.has(runtime));
  if (present.length === 0) return "Not measured.";
  const libraries = [
    "sesame-memory",
    "sesame-redis",
    "sesame-redis-evalsha",
    "sesame-postgres",
    "sesame-sqlite",
    "sesame-sealed",
    "sesame-hono",
  ];
  const cycles: Cycle[] = [
    "new",
    "returning",
    "read-only",
    "regenerate",
    "destroy",
    "hot",
  ];
  const rows: string[][] = [];
  for (const library of libraries) {
    const name = micros.get(present[0])?.names.get(library);
    if (name === undefined) continue;
    for (const cycle of cycles) {
      const results = present.map((runtime) =>
        micros.get(runtime)!.cycles.get(`${library}/${cycle}`)
      );
      if (results.every((result) => result?.timing === undefined)) continue;
      const any = results.find((result) => result?.timing !== undefined);
      rows.push([
        name,
        CYCLE_NAMES[cycle],
        ...results.map((result) => us(result?.timing?.p50)),
        any?.roundTrips === undefined ? "" : String(any.roundTrips),
        any?.setCookie ? (any.cleared ? "deletion" : "yes") : "no",
      ]);
    }
  }
  return table(
    [
      "store",
      "cycle",
      ...present.map((runtime) => `${RUNTIME_NAMES[runtime]} µs`),
      "round trips",
      "Set-Cookie",
    ],
    rows,
    ["---", "---", ...present.map(() => "---:"), "---:", "---"],
  );
}

/**
 * What an alternative is compared with: sesame through the same way in
 * (its Hono middleware for Hono apps), with the same kind of storage.
 */
function sesameCounterpart(micro: Micro, id: string): string | undefined {
  if (id.startsWith("sesame")) return undefined;
  const info = micro.results.libraries.find((item) => item.id === id);
  if (info === undefined || info.storage === "none") return undefined;
  if (info.storage === "cookie") return "sesame-sealed";
  if (info.storage === "postgres") return "sesame-postgres";
  return info.via === "Hono app" ? "sesame-hono" : "sesame-memory";
}

function comparisonSection(micros: Map<RuntimeName, Micro>): string {
  const present = RUNTIMES.filter((runtime) => micros.has(runtime));
  const first = micros.get(present[0]);
  if (first === undefined) return "Not measured.";
  const ids = first.results.libraries
    .filter((info) => info.storage !== "none")
    .map((info) => info.id);
  const rows: string[][] = [];
  for (const id of ids) {
    const cells = present.map((runtime) => {
      const micro = micros.get(runtime)!;
      if (micro.errors.has(id) && micro.time(id, "returning") === undefined) {
        return "cannot run";
      }
      return us(micro.share(id, "returning"));
    });
    const counterpart = sesameCounterpart(first, id);
    const versus = present.map((runtime) => {
      const micro = micros.get(runtime)!;
      const share = micro.share(id, "returning");
      const base = counterpart === undefined
        ? undefined
        : micro.share(counterpart, "returning");
      return share !== undefined && base !== undefined
        ? ratio(share / base, 1)
        : "";
    });
    const result = first.cycles.get(`${id}/returning`);
    rows.push([
      first.names.get(id) ?? id,
      first.via.get(id) ?? "",
      ...cells,
      ...versus,
      result?.setCookie ? "yes" : "no",
    ]);
  }
  return table(
    [
      "library",
      "called",
      ...present.map((runtime) => `${RUNTIME_NAMES[runtime]} µs`),
      ...present.map((runtime) => `÷ sesame (${RUNTIME_NAMES[runtime]})`),
      "Set-Cookie",
    ],
    rows,
    [
      "---",
      "---",
      ...present.map(() => "---:"),
      ...present.map(() => "---:"),
      "---",
    ],
  );
}

/** The stores outside the process, in the order of their rows. */
const OUTSIDE_STORES = [
  "sesame-redis",
  "sesame-postgres",
  "express-pg-simple",
  "sesame-sqlite",
];

/**
 * The new and returning cycles of the stores outside the process, side by
 * side, with their round trips.
 */
function outsideStoresSection(micros: Map<RuntimeName, Micro>): string {
  const present = RUNTIMES.filter((runtime) => micros.has(runtime));
  // connect-pg-simple runs on Node only.
  const compared = present.filter((runtime) =>
    micros.get(runtime)!.time("express-pg-simple", "returning") !== undefined
  );
  const rows: string[][] = [];
  for (const id of OUTSIDE_STORES) {
    const name = present.map((runtime) => micros.get(runtime)!.names.get(id))
      .find((name) => name !== undefined);
    if (name === undefined) continue;
    for (const cycle of ["returning", "new"] as const) {
      const results = present.map((runtime) =>
        micros.get(runtime)!.cycles.get(`${id}/${cycle}`)
      );
      if (results.every((result) => result?.timing === undefined)) continue;
      const any = results.find((result) => result?.timing !== undefined);
      const versus = compared.map((runtime) => {
        const micro = micros.get(runtime)!;
        const time = micro.time(id, cycle);
        const base = micro.time("sesame-postgres", cycle);
        return id === "express-pg-simple" && time !== undefined &&
            base !== undefined
          ? ratio(time / base, 1)
          : "";
      });
      rows.push([
        name,
        CYCLE_NAMES[cycle],
        ...results.map((result) =>
          result === undefined ? "n/a" : us(result.timing?.p50)
        ),
        ...versus,
        any?.roundTrips === undefined ? "" : String(any.roundTrips),
      ]);
    }
  }
  if (rows.length === 0) return "Not measured.";
  return table(
    [
      "library and store",
      "cycle",
      ...present.map((runtime) => `${RUNTIME_NAMES[runtime]} µs`),
      ...compared.map((runtime) =>
        `÷ sesame PostgresStore (${RUNTIME_NAMES[runtime]})`
      ),
      "round trips",
    ],
    rows,
    [
      "---",
      "---",
      ...present.map(() => "---:"),
      ...compared.map(() => "---:"),
      "---:",
    ],
  );
}

/**
 * The round trips of each manager operation per store, as counted by the
 * clients of the micro part (the same on every runtime that counted them).
 */
function roundTripsSection(micros: Map<RuntimeName, Micro>): string {
  const rows = new Map<string, { name: string; counts: string[] }>();
  const means = new Map<string, string[]>();
  for (const runtime of RUNTIMES) {
    for (const result of micros.get(runtime)?.results.roundTrips ?? []) {
      const { min, max, mean } = result.create;
      const counts = [
        result.load,
        result.save,
        result.touch,
        result.destroy,
      ].map(String);
      counts.push(min === max ? String(min) : `${min}–${max}`);
      const key = `${result.id} ${counts.join(" ")}`;
      if (!rows.has(key)) rows.set(key, { name: result.name, counts });
      if (min !== max) {
        const list = means.get(key) ?? [];
        list.push(`${mean.toFixed(3)} (${RUNTIME_NAMES[runtime]})`);
        means.set(key, list);
      }
    }
  }
  if (rows.size === 0) return "Not measured.";
  return table(
    [
      "store",
      "load",
      "save a change",
      "touch (expiry moves)",
      "destroy",
      "new session",
      "new session, mean of 1000",
    ],
    [...rows].map(([key, { name, counts }]) => [
      name,
      ...counts,
      means.get(key)?.join(", ") ?? counts[4],
    ]),
    ["---", "---:", "---:", "---:", "---:", "---:", "---"],
  );
}

function allCyclesSection(micro: Micro): string {
  const cycles: Cycle[] = [
    "new",
    "returning",
    "read-only",
    "regenerate",
    "destroy",
    "hot",
  ];
  const rows = micro.results.libraries.map((info) => {
    const cells = cycles.map((cycle) => {
      const result = micro.cycles.get(`${info.id}/${cycle}`);
      if (result === undefined) return "";
      if (result.timing === undefined) {
        return result.skipped?.startsWith("failed")
          ? "failed"
          : result.skipped === "no such operation"
          ? "n/a"
          : "";
      }
      const share = micro.share(info.id, cycle);
      const flags = (result.cycle === "regenerate" ||
          result.cycle === "destroy") && result.oldCookieStillValid
        ? " †"
        : "";
      return info.via === "Hono app" && info.storage !== "none"
        ? `${us(result.timing.p50)} (${us(share)})${flags}`
        : `${us(result.timing.p50)}${flags}`;
    });
    return [info.name, info.via, ...cells, info.note ?? ""];
  });
  return table(
    [
      "library",
      "called",
      ...cycles.map((cycle) => CYCLE_NAMES[cycle]),
      "notes",
    ],
    rows,
    ["---", "---", ...cycles.map(() => "---:"), "---"],
  );
}

function httpSection(results: Results): string {
  const runs = results.parts.http?.runs ?? [];
  const servers: [ServerName, string][] = [
    ["deno", "Deno.serve"],
    ["bun", "Bun.serve"],
    ["hono-node", "@hono/node-server (sesame: sessions.handler())"],
    ["node-http", "node:http, plain (sesame: @sesame/session/node)"],
    ["express", "Express 5 (sesame: sessionMiddleware)"],
    ["fastify", "Fastify 5 (sesame: fastifySession)"],
  ];
  const cases: [AppName, "memory" | "redis" | undefined, string][] = [
    ["bare", undefined, "bare"],
    ["bare-async", undefined, "bare, async handler"],
    ["floor", undefined, "the floor (Map + JSON, no session layer)"],
    ["sesame", "memory", "sesame, MemoryStore"],
    ["sesame", "redis", "sesame, RedisStore"],
    ["express-session", "memory", "express-session, MemoryStore"],
    ["fastify-session", "memory", "@fastify/session, MemoryStore"],
  ];
  const rows: string[][] = [];
  for (const [server, label] of servers) {
    for (const [app, store, name] of cases) {
      const cells: string[] = [];
      let found = false;
      for (const visitors of ["new", "returning"] as const) {
        const run = httpRun(runs, server, app, visitors, store);
        if (run !== undefined) found = true;
        const range = run?.rpsRange === undefined
          ? ""
          : ` (${thousands(run.rpsRange[0])}–${thousands(run.rpsRange[1])})`;
        cells.push(
          run?.error !== undefined
            ? "failed"
            : `${thousands(run?.rps)}${range}${
              run?.errors ? `, ${run.errors} errors` : ""
            }`,
          app === "bare" ? "" : ratio(run?.ratioToBare),
          run?.latencyP99Us === undefined
            ? "–"
            : (run.latencyP99Us / 1000).toFixed(1),
        );
      }
      if (found) rows.push([label, name, ...cells]);
    }
  }
  return table(
    [
      "server",
      "handler",
      "new visitors req/s (range)",
      "÷ bare",
      "p99 ms",
      "returning req/s (range)",
      "÷ bare",
      "p99 ms",
    ],
    rows,
    ["---", "---", "---:", "---:", "---:", "---:", "---:", "---:"],
  );
}

function memorySection(results: Results): string {
  const rows: string[][] = [];
  for (const item of results.parts.memory?.results ?? []) {
    const [base, hundred, million] = item.points;
    const mib = (bytes: number | undefined) =>
      bytes === undefined ? "–" : (bytes / 2 ** 20).toFixed(0);
    rows.push([
      RUNTIME_NAMES[item.runtime as RuntimeName] ?? item.runtime,
      hundred?.heapBytesPerSession?.toFixed(0) ?? "–",
      million?.heapBytesPerSession?.toFixed(0) ?? "–",
      mib(base?.rssBytes),
      mib(hundred?.rssBytes),
      mib(million?.rssBytes),
      million === undefined
        ? "–"
        : (hundred.createSeconds + million.createSeconds).toFixed(1),
    ]);
  }
  return table(
    [
      "runtime",
      "heap bytes/session (100k)",
      "heap bytes/session (1M)",
      "RSS empty MiB",
      "RSS 100k MiB",
      "RSS 1M MiB",
      "seconds to create 1M",
    ],
    rows,
    ["---", "---:", "---:", "---:", "---:", "---:", "---:"],
  );
}

// --- the chart ----------------------------------------------------------------

const COLORS: Record<RuntimeName, string> = {
  deno: "#2e8b57",
  bun: "#e0a30b",
  node: "#4063d8",
};

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  );
}

/**
 * Horizontal bars, one group per library and one bar per runtime, of the
 * returning cycle in µs on a logarithmic axis (the libraries span three
 * orders of magnitude), in sections by where the sessions live.
 */
export function chart(results: Results): string {
  const micros = microByRuntime(results);
  const present = RUNTIMES.filter((runtime) => micros.has(runtime));
  const value = (id: string, runtime: RuntimeName) =>
    micros.get(runtime)!.share(id, "returning");
  const sections = CHART_SECTIONS.map(([title, ids]): [string, string[]] => [
    title,
    ids.filter((id) =>
      present.some((runtime) => value(id, runtime) !== undefined)
    ),
  ]).filter(([, ids]) => ids.length > 0);
  const values = sections.flatMap(([, ids]) =>
    ids.flatMap((id) => present.map((runtime) => value(id, runtime)))
  ).filter((v): v is number => v !== undefined && v > 0);
  const minUs = 0.5;
  const maxUs = 10 **
    Math.ceil(Math.log10(Math.max(...values, 1_000_000) / 1000));
  const labelWidth = 360;
  const plotWidth = 560;
  const left = labelWidth + 16;
  const bar = 12;
  const groupHeight = present.length * bar + 10;
  const sectionHeight = 26;
  const top = 96;
  const rowsHeight = sections.reduce(
    (sum, [, ids]) => sum + sectionHeight + ids.length * groupHeight,
    0,
  );
  const axisY = top + rowsHeight + 6;
  const height = axisY + 48;
  const width = left + plotWidth + 70;
  const x = (us: number) =>
    left +
    plotWidth * Math.log10(Math.max(us, minUs) / minUs) /
      Math.log10(maxUs / minUs);
  const name = (id: string) => {
    for (const runtime of present) {
      const found = micros.get(runtime)!.names.get(id);
      if (found !== undefined) {
        return micros.get(runtime)!.via.get(id) === "Hono app"
          ? `${found}, own share`
          : found;
      }
    }
    return id;
  };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="17" font-weight="600">One returning request: load the session, increment, commit</text>`,
    `<text x="16" y="46" fill="#444">µs per cycle, log scale, lower is better. Median of mitata batches; Hono rows: the session's own share (app minus bare Hono).</text>`,
    `<text x="16" y="64" fill="#444">${
      escapeXml(
        `${results.machine.cpu}, ${results.machine.cores} cores; ${
          present.map((runtime) => results.runtimes[runtime] ?? runtime)
            .join(", ")
        }`,
      )
    }</text>`,
  ];
  // Grid: 1, 2, 5 per decade.
  const ticks: number[] = [];
  for (let decade = 0.1; decade <= maxUs; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const tick = Number((decade * step).toPrecision(1));
      if (tick >= minUs && tick <= maxUs) ticks.push(tick);
    }
  }
  for (const tick of ticks) {
    const gx = x(tick).toFixed(1);
    const major = String(tick).startsWith("1");
    parts.push(
      `<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${axisY}" stroke="${
        major ? "#c4c4c4" : "#ececec"
      }"/>`,
      `<text x="${gx}" y="${
        axisY + 16
      }" text-anchor="middle" fill="#555" font-size="11">${tick}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${
      axisY + 36
    }" text-anchor="middle" fill="#333">µs per returning cycle</text>`,
  );
  // Legend.
  present.forEach((runtime, i) => {
    const lx = left + i * 90;
    parts.push(
      `<rect x="${lx}" y="${top - 18}" width="12" height="10" fill="${
        COLORS[runtime]
      }"/>`,
      `<text x="${lx + 17}" y="${top - 9}">${RUNTIME_NAMES[runtime]}</text>`,
    );
  });
  let y = top;
  for (const [title, ids] of sections) {
    parts.push(
      `<text x="16" y="${y + 17}" font-weight="600" fill="#222">${
        escapeXml(title)
      }</text>`,
      `<line x1="16" y1="${y + 22}" x2="${left + plotWidth}" y2="${
        y + 22
      }" stroke="#888"/>`,
    );
    y += sectionHeight;
    for (const id of ids) {
      const label = name(id);
      const sesame = id.startsWith("sesame");
      parts.push(
        `<text x="${left - 8}" y="${
          y + (present.length * bar) / 2 + 4
        }" text-anchor="end"${sesame ? ' font-weight="600"' : ""}>${
          escapeXml(label)
        }</text>`,
      );
      present.forEach((runtime, i) => {
        const ns = value(id, runtime);
        const by = y + i * bar;
        if (ns === undefined || ns <= 0) {
          parts.push(
            `<text x="${left + 4}" y="${
              by + bar - 2
            }" fill="#888" font-size="10">${
              RUNTIME_NAMES[runtime]
            }: not measured</text>`,
          );
          return;
        }
        const end = x(ns / 1000);
        parts.push(
          `<rect x="${left}" y="${by + 1}" width="${
            Math.max(1, end - left).toFixed(1)
          }" height="${bar - 2}" fill="${COLORS[runtime]}"><title>${
            escapeXml(`${label}, ${RUNTIME_NAMES[runtime]}: ${us(ns)} µs`)
          }</title></rect>`,
          `<text x="${(end + 4).toFixed(1)}" y="${
            by + bar - 2
          }" font-size="10" fill="#333">${us(ns)}</text>`,
        );
      });
      y += groupHeight;
    }
  }
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

// --- the report ---------------------------------------------------------------

export function report(results: Results): string {
  const micros = microByRuntime(results);
  const versions = RUNTIMES.filter((runtime) => results.runtimes[runtime])
    .map((runtime) => results.runtimes[runtime]).join(", ");
  const { settings } = results;
  const seconds = (value: number | undefined) =>
    value === undefined ? "not run" : `${value.toFixed(0)} s`;
  const lines: string[] = [
    "# sesame benchmark results",
    "",
    "Generated by `node --import tsx bench/run.ts` (proposed as `npm run",
    "bench`); do not edit by hand. How it is measured: the header of",
    "`bench/run.ts` and of each file it runs.",
    "",
    `- Last run: ${results.date}, \`${results.command}\`, ${
      results.totalSeconds.toFixed(0)
    } s (micro ${seconds(results.parts.micro?.seconds)}, HTTP ${
      seconds(results.parts.http?.seconds)
    }, memory ${seconds(results.parts.memory?.seconds)}).`,
    `- Machine: ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, ${results.machine.os}.`,
    `- Runtimes: ${versions}.`,
    `- Load average (1 min) before the run: ${
      results.loadBefore?.toFixed(2) ?? "?"
    }, after: ${
      results.loadAfter?.toFixed(2) ?? "?"
    } (the run itself keeps about one core busy; more means other processes shared the machine).`,
    `- Micro: mitata, ${settings.minCpuMs} ms of timed calls per case after a 150 ms warm-up; medians of batches. HTTP: wrk, 1 thread, ${settings.connections} connections, ${settings.warmupSeconds} s warm-up then ${settings.httpSeconds} s; ${
      settings.pinned
        ? "server pinned to CPU 0, wrk and redis-server to CPU 1"
        : "no CPU pinning"
    }.`,
    "",
    "## Targets",
    "",
    targetsSection(results, micros),
    "",
    "![Returning cycle per library and runtime](results.svg)",
    "",
    "## Floor",
    "",
    "The few operations that any server-side session layer does per request,",
    "on each runtime, in two sums. The floor with an id's cost is what the",
    "targets list: 32 random bytes, one SHA-256 of the id (each the cheaper",
    "way measured here), a `Map` lookup, `JSON.parse` + `JSON.stringify` of",
    "the record and building the `Set-Cookie` string. The floor of a",
    "returning cycle alone is stricter: only the three marked rows, since a",
    "returning visitor needs no new id, and an in-process store no hash. Both",
    "leave out reading the `Cookie` header, the `await`s that an async API",
    "costs, and the checks (expiry, id shape, record shape) that sesame does.",
    "",
    floorSection(micros),
    "",
    "## sesame, every cycle",
    "",
    "Per request cycle, called directly (`load()`, change, `commit()`), except",
    "the last rows, through sesame's Hono middleware. *returning* and",
    "*read-only* take turns on 1024 sessions; *hot session* requests one",
    "session again and again (40 000 times before it is timed) in a store of",
    "10 000. Set-Cookie: what the cycle",
    "sends (sesame sends none for a returning session until its expiry is due",
    "to move, by default after 3 of its 30 minutes).",
    "",
    sesameSection(micros),
    "",
    "## Side by side: the returning cycle",
    "",
    "µs per returning cycle; for libraries in a Hono app, the session's own",
    "share (the app's time minus the bare Hono app's). *÷ sesame*: how many",
    "times sesame's time the library takes, against sesame called the same",
    "way with the same kind of storage (its MemoryStore directly, its Hono",
    "middleware in a Hono app, its SealedCookieStore for iron-session).",
    "",
    comparisonSection(micros),
    "",
    "## Stores outside the process: Redis, PostgreSQL, SQLite",
    "",
    "µs per cycle, called directly (express-session: as a connect middleware",
    "with mock `req`/`res`), against a redis-server and a PostgreSQL cluster",
    "on 127.0.0.1 started by the run, and a SQLite file in WAL mode. Round",
    "trips: what the checked cycle sent (Redis commands, SQL statements),",
    "counted by the client. *÷ sesame PostgresStore*: express-session with",
    "connect-pg-simple (Node only) against sesame on the same PostgreSQL, as",
    "a multiple of sesame's time (under 1×: connect-pg-simple is faster).",
    "",
    outsideStoresSection(micros),
    "",
    "Round trips of each operation, counted one at a time through a manager",
    "that moves the expiry whenever it can (`touchIntervalSeconds: 0`); a",
    "returning cycle that changes the session is a load and a save. A new",
    "session is one statement: PostgreSQL deletes up to 4 expired rows in",
    "the same statement, SQLite first sweeps expired rows (two more",
    "statements) before about 1 in 100 new records (`sweepEvery: 100`).",
    "",
    roundTripsSection(micros),
    "",
    "## Side by side: every cycle",
    "",
    "µs per cycle; for Hono apps the whole app, with the session's share in",
    "parentheses. n/a: the library has no such operation. †: the old cookie",
    "still loads the session's data afterwards.",
    "",
  ];
  for (const runtime of RUNTIMES) {
    const micro = micros.get(runtime);
    if (micro === undefined) continue;
    lines.push(
      `### ${micro.results.version}`,
      "",
      allCyclesSection(micro),
      "",
    );
    const failed = micro.results.libraries.filter((info) => info.error);
    for (const info of failed) {
      lines.push(`- ${info.name} on ${RUNTIME_NAMES[runtime]}: ${info.error}`);
    }
    if (failed.length > 0) lines.push("");
  }
  lines.push(
    ...beforeAfterSection(results),
    "## HTTP",
    "",
    "Requests per second over loopback for a handler that answers",
    '"Hello, world" (with sessions: after adding 1 to `visits`). New',
    "visitors send no cookie (every request creates a session); returning",
    "visitors take turns on 256 valid cookies. The servers of a row group",
    "ran side by side, taking turns for 1 s each; req/s is the median round",
    "(range: slowest and fastest round), *÷ bare* the median of the",
    "per-round ratios to the bare server of the same group.",
    "",
    httpSection(results),
    "",
    "## Memory",
    "",
    "sesame's MemoryStore with `maxEntries: 1_000_000`, sessions created",
    "through the manager (`{ visits: 1 }`). Heap bytes per session: live heap",
    "growth after a full GC, divided by the count.",
    "",
    memorySection(results),
    "",
    "## Notes",
    "",
    "- @remix-run/session: its storage takes and returns the cookie's value,",
    "  and its README requires a signed cookie, which `@remix-run/cookie`",
    "  makes (HMAC-SHA-256 through `crypto.subtle`, verified on every request",
    "  and made on every `Set-Cookie`): that is the row compared in the",
    "  targets. The row with an unsigned cookie (a minimal codec) shows the",
    "  memory storage's own cost: it keeps live objects without serialization,",
    "  validation or expiry, and its 64-bit ids are not signed, so it does",
    "  less work per cycle than any other row.",
    "- express-session runs as a connect middleware with mock `req`/`res` in",
    "  the micro part (its store answers through `setImmediate`), and on a real",
    "  node:http server in the HTTP part.",
    "- hono-sessions is shown as its README configures it (`encryptionKey`: the",
    "  id in the cookie is sealed with iron-webcrypto) and without encryption.",
    "- Redis: ioredis on every runtime (the same client everywhere), against a",
    "  redis-server on 127.0.0.1 started by the run; *EVALSHA* wraps the client",
    "  so that it sends the script's SHA-1 instead of its text (no change to",
    "  sesame). *in-process fake Redis* runs the store's Lua scripts on a `Map`",
    "  in the same process: the CPU that the Redis store costs, without the",
    "  network and without a real client's own work.",
    "- PostgreSQL: node-postgres (`pg`, a `Pool`) on every runtime, against a",
    "  throwaway cluster started by the run (`initdb`, fsync off, on",
    "  127.0.0.1; the rows are skipped when PostgreSQL is not installed).",
    "  connect-pg-simple runs on its own `table.sql` through the same pool,",
    "  with its pruning timer off (sesame prunes as it writes new records);",
    "  express-session calls its `touch()` on every request, hence the read-only",
    "  cycle's two statements. Each table starts with 10 000 live sessions",
    "  and fills up during the *new* cycles; before each cycle is timed the",
    "  run `ANALYZE`s them, as autovacuum does for a table in use. Without",
    "  statistics (a fresh table, before autovacuum's first analyze) the",
    "  planner runs sesame's pruning of expired rows on new records as a scan",
    "  of the whole table instead of its expiry index, and a new session costs",
    "  more the more rows the table holds.",
    "- SQLite: the runtime's synchronous driver (better-sqlite3 on Node,",
    "  node:sqlite on Deno, bun:sqlite on Bun) through",
    "  `createSqliteStoreClient()`, on a file in a temporary folder with",
    "  `journal_mode = WAL` and `busy_timeout = 5000`, as the store's",
    "  documentation opens it, and `synchronous = NORMAL` on every driver",
    "  (better-sqlite3's build default; node:sqlite and bun:sqlite default to",
    "  FULL, an fsync per commit).",
    "- †: a stateless session cannot be revoked: after `regenerate()` or",
    "  `destroy()` the old cookie still carries the old data until it expires",
    "  (sesame's SealedCookieStore and iron-session alike).",
    "- `@hono/node-server` builds the `Request` lazily from Node's",
    "  `IncomingMessage`: `sessions.handler()` runs on it unchanged. The",
    "  direct path (`@sesame/session/node`) builds no `Request` at all.",
    "- `@fastify/session` runs with `@fastify/cookie` and its MemoryStore,",
    "  as its README configures it (a signed cookie).",
    "",
  );
  return lines.join("\n");
}

/** Writes `RESULTS.md` and `results.svg` into `directory`. */
export function writeReport(
  results: Results,
  directory: string,
): Promise<void> {
  writeFileSync(join(directory, "RESULTS.md"), report(results));
  writeFileSync(join(directory, "results.svg"), chart(results));
  return Promise.resolve();
}
