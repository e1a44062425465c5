// Starts a real redis-server on a free port of 127.0.0.1 for integration
// tests, and stops and restarts it. Runs unchanged on Deno, Bun and Node.
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { connect, createServer } from "node:net";
import { delimiter, join } from "node:path";
import process from "node:process";

/**
 * The redis-server executable: `$REDIS_SERVER` when it is set (to test
 * another build, or Valkey's `valkey-server`), else Debian's, else the first
 * on `PATH`; `undefined` when there is none.
 */
export function findRedisServer(): string | undefined {
  const chosen = process.env.REDIS_SERVER;
  const candidates = chosen ? [chosen] : [
    "/usr/bin/redis-server",
    ...(process.env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) =>
      join(dir, "redis-server")
    ),
  ];
  return candidates.find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A port of 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === "object" && address !== null) {
          resolve(address.port);
        } else reject(new Error("Cannot find a free port"));
      });
    });
  });
}

/** A redis-server child process. */
export interface RedisServer {
  /** The port it listens on, the same across restarts. */
  readonly port: number;
  /** Its URL, `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops it (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with an empty database. */
  start(): Promise<void>;
}

/**
 * Starts redis-server without persistence on a free port and waits until it
 * answers `PING`.
 */
export async function startRedisServer(
  path: string,
  timeoutMs = 10_000,
): Promise<RedisServer> {
  for (let attempt = 1;; attempt++) {
    const port = await freePort();
    const server = new Server(path, port, timeoutMs);
    try {
      await server.start();
      return server;
    } catch (error) {
      // Another process may have taken the port in between: try another.
      if (attempt >= 3) throw error;
    }
  }
}

class Server implements RedisServer {
  readonly url: string;
  #child: ChildProcess | undefined;

  constructor(
    readonly path: string,
    readonly port: number,
    readonly timeoutMs: number,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    if (this.#child !== undefined) throw new Error("redis-server is running");
    const child = spawn(this.path, [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
      "--loglevel",
      "warning",
    ], { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    let output = "";
    const collect = (chunk: Uint8Array) => {
      output = (output + String(chunk)).slice(-4000);
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    let exited = false;
    child.once("exit", () => exited = true);
    const deadline = Date.now() + this.timeoutMs;
    while (!(await ping(this.port))) {
      if (exited || Date.now() > deadline) {
        await this.stop();
        throw new Error(
          `redis-server on port ${this.port} did not start:\n${output}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (
      child === undefined || child.exitCode !== null ||
      child.signalCode !== null
    ) {
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }
}

/** Whether a Redis server on `port` answers `PING` with `PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1_000);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += String(chunk);
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
    socket.once("error", () => done(false));
  });
}
