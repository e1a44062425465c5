// Private module of the benchmark: what the running runtime is, and the few
// things that differ between Deno, Bun and Node (a forced garbage collection,
// the heap size). Runs unchanged on all three.
import process from "node:process";

/** The three runtimes the benchmark runs on. */
export type RuntimeName = "deno" | "bun" | "node";

interface RuntimeGlobals {
  Deno?: { version: { deno: string; v8: string } };
  Bun?: { version: string; gc(force: boolean): void };
  gc?: () => void;
}

const globals = globalThis as unknown as RuntimeGlobals;

/** The runtime this module runs in. */
export const runtime: RuntimeName = globals.Deno
  ? "deno"
  : globals.Bun
  ? "bun"
  : "node";

/** The runtime and its version, such as `Node.js 20.20.2`. */
export function runtimeVersion(): string {
  if (globals.Deno) {
    return `Deno ${globals.Deno.version.deno} (V8 ${globals.Deno.version.v8})`;
  }
  if (globals.Bun) return `Bun ${globals.Bun.version} (JavaScriptCore)`;
  return `Node.js ${process.version.slice(1)} (V8 ${process.versions.v8})`;
}

/**
 * Runs a full garbage collection. Needs `--expose-gc` on Node and
 * `--v8-flags=--expose-gc` on Deno; Bun always has it.
 *
 * @throws {Error} When the runtime was started without it.
 */
export function collectGarbage(): void {
  if (globals.Bun) return globals.Bun.gc(true);
  if (typeof globals.gc !== "function") {
    throw new Error(
      "Cannot collect garbage: start Node with --expose-gc, Deno with --v8-flags=--expose-gc",
    );
  }
  globals.gc();
}

/** Bytes of live JavaScript heap, and the process's resident set size. */
export function memoryUsage(): { heapBytes: number; rssBytes: number } {
  const usage = process.memoryUsage();
  return { heapBytes: usage.heapUsed, rssBytes: usage.rss };
}

/** The median of some numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}
