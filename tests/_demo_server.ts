// Starts the demo server as a child process on a free port of 127.0.0.1 and
// stops it again, for tests that drive it over real HTTP.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

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
};

/** Starts the demo on `runtime` with extra environment variables. */
export function startDemo(
  runtime: string,
  env: Record<string, string> = {},
  timeoutMs = 30_000,
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
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
