// Private module of the benchmark driver (`run.ts`, on Node): the child
// processes it starts (a runtime running a bench file, redis-server, wrk),
// each stopped by its own pid.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { connect, createServer } from "node:net";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { RuntimeName } from "./_runtime.ts";

/** The repository's root directory. */
export const ROOT: string = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The command that runs a TypeScript file on a runtime. */
export function runtimeCommand(
  name: RuntimeName,
  file: string,
  args: string[] = [],
): string[] {
  const bin = (tool: string) => {
    const local = join(ROOT, "node_modules", ".bin", tool);
    return existsSync(local) ? local : tool;
  };
  switch (name) {
    case "deno":
      return [
        bin("deno"),
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        file,
        ...args,
      ];
    case "bun":
      return [bin("bun"), "run", file, ...args];
    case "node":
      return [
        process.execPath,
        "--expose-gc",
        "--import",
        "tsx",
        file,
        ...args,
      ];
  }
}

/** Runs `command` on CPU `cpu` only, when `taskset` is there. */
export function pinned(command: string[], cpu: number | undefined): string[] {
  if (cpu === undefined || !existsSync("/usr/bin/taskset")) return command;
  return ["/usr/bin/taskset", "-c", String(cpu), ...command];
}

/** What a finished child process printed. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end, passing its stderr through (progress lines)
 * and collecting its stdout.
 *
 * @param timeoutMs Kills it (SIGKILL) after this long.
 */
export function runToEnd(
  command: string[],
  timeoutMs: number,
  passStderr = true,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => stdout += chunk);
    child.stderr!.on("data", (chunk) => {
      stderr += chunk;
      if (passStderr) process.stderr.write(chunk);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running child process. */
export interface Service {
  readonly pid: number;
  /** Everything it printed so far. */
  readonly output: () => string;
  /** Stops it (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts a long-running command and waits until `ready` matches its stdout.
 *
 * @returns The service and the match.
 */
export function startService(
  command: string[],
  ready: RegExp,
  timeoutMs = 20_000,
): Promise<{ service: Service; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(command[0], command.slice(1), {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let exited = false;
    const service: Service = {
      pid: child.pid!,
      output: () => output,
      stop: () => stop(child, () => exited),
    };
    const timer = setTimeout(() => {
      void service.stop();
      reject(new Error(`${command.join(" ")} did not start:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Uint8Array) => {
      output = (output + chunk).slice(-20_000);
      const match = output.match(ready);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ service, match });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code) => {
      exited = true;
      clearTimeout(timer);
      reject(new Error(`${command.join(" ")} exited (${code}):\n${output}`));
    });
  });
}

function stop(child: ChildProcess, exited: () => boolean): Promise<void> {
  if (exited() || child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** A port of 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("Cannot find a free port"))
      );
    });
  });
}

/** Whether something answers `PING` with `PONG` on `port`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (chunk) => done(String(chunk).startsWith("+PONG")));
    socket.once("error", () => done(false));
  });
}

/**
 * Starts redis-server without persistence on a free port of 127.0.0.1.
 *
 * @param cpu The CPU to pin it to, if any.
 */
export async function startRedis(
  cpu: number | undefined,
): Promise<{ service: Service; url: string }> {
  const path = process.env.REDIS_SERVER ?? "/usr/bin/redis-server";
  const port = await freePort();
  const { service } = await startService(
    pinned([
      path,
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
    ], cpu),
    /Ready to accept connections/,
  );
  for (let i = 0; i < 100 && !(await ping(port)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { service, url: `redis://127.0.0.1:${port}` };
}
