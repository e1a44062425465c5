/**
 * Before and after: sesame's micro cycles (new, returning, read-only,
 * regenerate, destroy, hot session) on an earlier revision and on the work
 * tree, measured in alternation on the same machine, so that a change on the
 * per-request path can state its cost.
 *
 * ```sh
 * node --import tsx bench/compare.ts --base deaf3be            # npm run bench:compare -- --base deaf3be
 * node --import tsx bench/compare.ts --base HEAD~1 --rounds 3 --runtimes node
 * ```
 *
 * The base revision is checked out into a temporary git worktree that
 * shares this checkout's `node_modules`. Each round runs `bench/micro.ts`
 * (filtered to `sesame-memory`) once per runtime on each side, base first
 * then work tree, pinned to CPU 1 when `taskset` is there; the table gives,
 * per cycle, each side's median time in its best round (the one least
 * disturbed by other work on the machine) and in its median round, and the
 * changes. It also keeps the table in `bench/results.json`, from which
 * `bench/RESULTS.md` shows it (`bench/run.ts --report-only` re-renders).
 *
 * Options: `--base <rev>` (required), `--rounds <n>` (default 5),
 * `--runtimes <names>` (default deno,bun,node), `--min-cpu-ms <n>` (default
 * 300), `--label <text>` (what the change is, for the report), `--no-write`.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pinned, ROOT, runtimeCommand, runToEnd } from "./_processes.ts";
import { median, type RuntimeName } from "./_runtime.ts";
import {
  type Comparison,
  comparisonTable,
  type Results,
  writeReport,
} from "./_report.ts";
import type { MicroResults } from "./micro.ts";

interface Options {
  base: string;
  rounds: number;
  runtimes: RuntimeName[];
  minCpuMs: number;
  label: string | undefined;
  write: boolean;
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    base: "",
    rounds: 5,
    runtimes: ["deno", "bun", "node"],
    minCpuMs: 300,
    label: undefined,
    write: true,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => args[++i] ?? "";
    if (arg === "--base") options.base = value();
    else if (arg === "--rounds") options.rounds = Number(value());
    else if (arg === "--runtimes") {
      options.runtimes = value().split(",") as RuntimeName[];
    } else if (arg === "--min-cpu-ms") options.minCpuMs = Number(value());
    else if (arg === "--label") options.label = value();
    else if (arg === "--no-write") options.write = false;
    else throw new Error(`Unknown option ${arg}`);
  }
  if (options.base === "") throw new Error("--base <revision> is required");
  return options;
}

const log = (line: string) => process.stderr.write(`[compare] ${line}\n`);

/** Checks out `revision` beside this checkout, sharing its node_modules. */
function worktree(revision: string): { dir: string; commit: string } {
  const dir = mkdtempSync(join(tmpdir(), "sesame-base-"));
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  const commit = git("rev-parse", "--short", revision);
  git("worktree", "add", "--detach", dir, commit);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return { dir, commit };
}

/** One micro run of sesame's memory-store cycles: median ns per cycle. */
async function measure(
  runtime: RuntimeName,
  tree: string,
  minCpuMs: number,
): Promise<Map<string, number>> {
  const command = runtimeCommand(runtime, join(tree, "bench", "micro.ts"), [
    "--filter",
    "^sesame-memory/",
    "--min-cpu-ms",
    String(minCpuMs),
  ]);
  const finished = await runToEnd(pinned(command, 1), 10 * 60_000, false);
  const line = finished.stdout.trim().split("\n").at(-1) ?? "";
  if (finished.code !== 0) {
    throw new Error(
      `micro on ${runtime} in ${tree} failed:\n${finished.stderr}`,
    );
  }
  const results = JSON.parse(line) as MicroResults;
  return new Map(
    results.cycles.flatMap((cycle) =>
      cycle.timing === undefined ? [] : [[cycle.cycle, cycle.timing.p50]]
    ),
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const base = worktree(options.base);
  const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: ROOT,
    encoding: "utf8",
  }).trim();
  const samples = new Map<string, { base: number[]; after: number[] }>();
  const loadBefore = loadavg()[0];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const runtime of options.runtimes) {
        log(`round ${round}/${options.rounds}, ${runtime}`);
        for (const side of ["base", "after"] as const) {
          const tree = side === "base" ? base.dir : ROOT;
          const times = await measure(runtime, tree, options.minCpuMs);
          log(
            `  ${side}: ${
              [...times].map(([cycle, ns]) =>
                `${cycle} ${(ns / 1000).toFixed(2)}`
              ).join(", ")
            } µs`,
          );
          for (const [cycle, ns] of times) {
            const key = `${runtime}/${cycle}`;
            const entry = samples.get(key) ?? { base: [], after: [] };
            entry[side].push(ns);
            samples.set(key, entry);
          }
        }
      }
    }
  } finally {
    execFileSync("git", ["worktree", "remove", "--force", base.dir], {
      cwd: ROOT,
    });
    rmSync(base.dir, { recursive: true, force: true });
  }
  const comparison: Comparison = {
    date: new Date().toISOString(),
    base: base.commit,
    after: `${head} and the work tree`,
    label: options.label,
    rounds: options.rounds,
    load: [loadBefore, loadavg()[0]],
    rows: [...samples].map(([key, { base, after }]) => {
      const [runtime, cycle] = key.split("/");
      return {
        runtime,
        cycle,
        baseNs: Math.min(...base),
        afterNs: Math.min(...after),
        baseMedianNs: median(base),
        afterMedianNs: median(after),
      };
    }),
  };
  const table = comparisonTable(comparison);
  process.stdout.write(table + "\n");
  if (!options.write) return;
  const path = join(ROOT, "bench", "results.json");
  const results = JSON.parse(readFileSync(path, "utf8")) as Results;
  results.comparison = comparison;
  writeFileSync(path, JSON.stringify(results, null, 2) + "\n");
  await writeReport(results, join(ROOT, "bench"));
  log("kept in bench/results.json and bench/RESULTS.md");
}

await main();
