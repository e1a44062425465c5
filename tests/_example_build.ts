// Installs and builds a framework demo of examples/<name>/ (its own
// package.json and lock) before a test starts it: `npm ci` when node_modules
// is missing or older than the lock, `npm run build` when the build output is
// missing or older than a source it is built from. Once per process, and
// one process at a time (a lock folder), since several test files start
// the same demo.
import { spawn } from "node:child_process";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** What to check and run for one framework demo. */
export interface ExampleBuild {
  /** The folder under examples/. */
  name: string;
  /** The build's output (a file or a folder), relative to the folder. */
  output: string;
  /** Folders or files, relative to the folder, that never count as sources. */
  ignore?: string[];
  /** The npm script that builds it. */
  script?: string;
  /** Extra environment variables for the build (no telemetry). */
  env?: Record<string, string>;
}

/** The builds of the framework demos this repository tests. */
export const BUILDS = {
  elysia: { name: "elysia", output: "dist/main.js", ignore: ["dist"] },
  h3: { name: "h3", output: "dist/main.mjs", ignore: ["dist"] },
  astro: {
    name: "astro",
    output: "dist/server/entry.mjs",
    ignore: [".astro", "dist", "dist-fixture"],
  },
  "react-router": {
    name: "react-router",
    output: "build/server/index.js",
    ignore: [".react-router", "build", "build-fixture"],
  },
  next: {
    name: "next",
    output: ".next/BUILD_ID",
    ignore: [".next", "next-env.d.ts"],
    env: { NEXT_TELEMETRY_DISABLED: "1" },
  },
  sveltekit: {
    name: "sveltekit",
    output: "build/handler.js",
    ignore: ["build", ".svelte-kit"],
  },
} satisfies Record<string, ExampleBuild>;

const builds = new Map<string, Promise<void>>();

/** Installs and builds the demo when needed; once per process. */
export function prepareExample(build: ExampleBuild): Promise<void> {
  const key = `${build.name} ${build.output}`;
  let done = builds.get(key);
  if (done === undefined) {
    done = withLock(join(ROOT, "examples", build.name), () => prepare(build));
    builds.set(key, done);
  }
  return done;
}

async function prepare(build: ExampleBuild): Promise<void> {
  const dir = join(ROOT, "examples", build.name);
  const modules = await mtime(join(dir, "node_modules", ".package-lock.json"));
  if (modules < await mtime(join(dir, "package-lock.json"))) {
    await run("npm", ["ci", "--no-audit", "--no-fund"], dir, {});
  }
  const output = await mtime(join(dir, build.output));
  const ignored = new Set(
    ["node_modules", ".build-lock", build.output, ...(build.ignore ?? [])]
      .map((path) => join(dir, path)),
  );
  // The demo is built from its folder, the library and the shared demo.
  const sources = Math.max(
    await newest(dir, ignored),
    await newest(join(ROOT, "src"), ignored),
    await newest(join(ROOT, "examples", "demo"), ignored),
    await newest(join(ROOT, "mod.ts"), ignored),
  );
  if (output < sources) {
    await run("npm", ["run", build.script ?? "build"], dir, {
      NODE_ENV: "production",
      ASTRO_TELEMETRY_DISABLED: "1",
      ...build.env,
    });
  }
}

/** The modification time of a path in ms, or -1 when it does not exist. */
async function mtime(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return -1;
  }
}

/** The newest modification time of the files under a path. */
async function newest(path: string, ignored: Set<string>): Promise<number> {
  if (ignored.has(path)) return -1;
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return -1;
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = -1;
  for (const entry of await readdir(path)) {
    latest = Math.max(latest, await newest(join(path, entry), ignored));
  }
  return latest;
}

function run(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: {
        ...process.env,
        // The root's tools (bun) for the demo's scripts.
        PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk) => output += chunk);
    child.stderr!.on("data", (chunk) => output += chunk);
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve();
      else {
        reject(
          new Error(
            `${command} ${args.join(" ")} in ${cwd} failed:\n${output}`,
          ),
        );
      }
    });
  });
}

/**
 * Runs `task` while holding a lock folder in `dir`, so that two test
 * processes do not install or build the same demo at once. A lock older
 * than 15 minutes is taken to be left over from a killed run.
 */
async function withLock<T>(dir: string, task: () => Promise<T>): Promise<T> {
  const lock = join(dir, ".build-lock");
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const age = Date.now() - await mtime(lock);
      if (age > 15 * 60_000) await rm(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await task();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** A server of an example folder, started by {@linkcode startExample}. */
export interface ExampleServer {
  /** The server's origin, e.g. `http://127.0.0.1:41234`. */
  origin: string;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `command` in examples/<name>/ with `PORT=0`, and waits for it to
 * print `listening on http://127.0.0.1:<port>/`.
 */
export function startExample(
  name: string,
  command: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<ExampleServer> {
  const [program, ...args] = command;
  const child = spawn(program, args, {
    cwd: join(ROOT, "examples", name),
    env: {
      ...process.env,
      PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`,
      PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command.join(" ")} did not start:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          origin: match[1],
          stop: () =>
            child.exitCode !== null || child.signalCode !== null
              ? Promise.resolve()
              : new Promise((done) => {
                // One that does not end on SIGTERM must not hang the suite.
                const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
                child.once("exit", () => {
                  clearTimeout(timer);
                  done();
                });
                child.kill("SIGTERM");
              }),
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command.join(" ")} exited with ${code}:\n${output}`));
    });
  });
}
