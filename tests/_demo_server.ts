// Starts the demo server as a child process on a free port of 127.0.0.1 and
// stops it again, for tests that drive it over real HTTP.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { BUILDS, type ExampleBuild, prepareExample } from "./_example_build.ts";

/** The repository's root folder. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** A running demo server. */
export interface DemoServer {
  /** The server's origin, e.g. `http://127.0.0.1:41234`. */
  origin: string;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * How each runtime starts the demo, from the repository's root: Deno, Bun,
 * Node's own `node:http`, Express and Fastify on Node, and a Worker.
 */
const COMMANDS: Record<string, string[]> = {
  deno: [
    "node_modules/.bin/deno",
    "run",
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "--allow-write",
    "--allow-sys",
    "examples/demo/deno.ts",
  ],
  bun: ["node_modules/.bin/bun", "examples/demo/bun.ts"],
  node: [process.execPath, "--import", "tsx", "examples/demo/node.ts"],
  express: [process.execPath, "--import", "tsx", "examples/demo/express.ts"],
  fastify: [process.execPath, "--import", "tsx", "examples/demo/fastify.ts"],
  worker: [process.execPath, "--import", "tsx", "examples/demo/worker_dev.ts"],
  // Framework demos: their production build (see PREPARE).
  elysia: ["node_modules/.bin/bun", "examples/elysia/dist/main.js"],
  h3: [process.execPath, "examples/h3/dist/main.mjs"],
  astro: [process.execPath, "examples/astro/serve.mjs"],
  "react-router": [process.execPath, "examples/react-router/serve.mjs"],
  next: [process.execPath, "examples/next/start.mjs"],
  sveltekit: [process.execPath, "examples/sveltekit/start.js"],
};

/** Framework demos that are installed and built before they start. */
const PREPARE: Record<string, ExampleBuild> = {
  elysia: BUILDS.elysia,
  h3: BUILDS.h3,
  astro: BUILDS.astro,
  "react-router": BUILDS["react-router"],
  next: BUILDS.next,
  sveltekit: BUILDS.sveltekit,
};

/**
 * Starts the demo on `runtime` with extra environment variables; a framework
 * demo is installed and built first when needed (not within `timeoutMs`).
 */
export async function startDemo(
  runtime: string,
  env: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<DemoServer> {
  if (PREPARE[runtime]) await prepareExample(PREPARE[runtime]);
  return await spawnDemo(runtime, env, timeoutMs);
}

function spawnDemo(
  runtime: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<DemoServer> {
  const [command, ...args] = COMMANDS[runtime];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`demo on ${runtime} did not start:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ origin: match[1], stop: () => stop(child) });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`demo on ${runtime} exited with ${code}:\n${output}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    // A server that does not end on SIGTERM must not hang the suite.
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
