// Starts a real Redis Cluster of three masters (no replicas) on free ports of
// 127.0.0.1 for integration tests, and stops it and removes its files again.
// Runs unchanged on Deno, Bun and Node.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { accessSync, constants, rmSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";
import { findRedisServer, freePort } from "./_redis_server.ts";

export { findRedisServer };

/** How many masters the cluster has. */
export const MASTERS = 3;

/**
 * The redis-cli executable: `$REDIS_CLI` when it is set, else Debian's, else
 * the first on `PATH`; `undefined` when there is none.
 */
export function findRedisCli(): string | undefined {
  const chosen = process.env.REDIS_CLI;
  const candidates = chosen ? [chosen] : [
    "/usr/bin/redis-cli",
    ...(process.env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) =>
      join(dir, "redis-cli")
    ),
  ];
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * Why the cluster tests cannot run here (redis-server or redis-cli is
 * missing), or `undefined` when they can.
 */
export function clusterUnavailable(): string | undefined {
  const missing = [
    findRedisServer() === undefined &&
    "redis-server (looked at $REDIS_SERVER, or else /usr/bin/redis-server and PATH)",
    findRedisCli() === undefined &&
    "redis-cli (looked at $REDIS_CLI, or else /usr/bin/redis-cli and PATH)",
  ].filter(Boolean);
  return missing.length === 0
    ? undefined
    : `${missing.join(" and ")} not found`;
}

/** A running Redis Cluster. */
export interface RedisCluster {
  /** The masters' client ports on 127.0.0.1, in the order they were created. */
  readonly ports: readonly number[];
  /** The masters as `127.0.0.1:<port>`, for REDIS_CLUSTER_NODES. */
  readonly nodes: readonly string[];
  /** The keys matching `pattern` that the master on `port` holds, sorted. */
  keysOn(port: number, pattern: string): Promise<string[]>;
  /** The hash slot of `key` (CLUSTER KEYSLOT). */
  slotOf(key: string): Promise<number>;
  /** Stops the master on `port` (SIGTERM, then SIGKILL), as an outage. */
  stopNode(port: number): Promise<void>;
  /** Stops every node (SIGTERM, then SIGKILL) and removes their files. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startRedisCluster}. */
export interface RedisClusterOptions {
  /** More arguments for every redis-server. */
  serverArgs?: string[];
  /** How long the cluster may take to start. */
  timeoutMs?: number;
}

/**
 * Starts three `redis-server --cluster-enabled yes` masters without
 * persistence in a temporary folder, joins them with
 * `redis-cli --cluster create`, and waits until every node reports
 * `cluster_state:ok` with all 16384 slots assigned.
 */
export async function startRedisCluster(
  serverPath: string,
  cliPath: string,
  { serverArgs = [], timeoutMs = 30_000 }: RedisClusterOptions = {},
): Promise<RedisCluster> {
  for (let attempt = 1;; attempt++) {
    const cluster = new Cluster(serverPath, cliPath, serverArgs, timeoutMs);
    try {
      await cluster.start();
      return cluster;
    } catch (error) {
      await cluster.stop();
      // Another process may have taken a port in between: try again.
      if (attempt >= 3) throw error;
    }
  }
}

class Cluster implements RedisCluster {
  ports: number[] = [];
  nodes: string[] = [];
  #children: ChildProcess[] = [];
  #dir: string | undefined;
  #output = "";

  constructor(
    readonly serverPath: string,
    readonly cliPath: string,
    readonly serverArgs: string[],
    readonly timeoutMs: number,
  ) {}

  async start(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    this.#dir = await mkdtemp(join(tmpdir(), "sesame-redis-cluster-"));
    // When the process ends without stop() (Deno runs no after() hook when
    // a filter leaves a suite without tests), leave nothing behind. Deno's
    // test runner fires no "exit" on `process`, but "unload" on globalThis.
    process.once("exit", this.#abandon);
    globalThis.addEventListener?.("unload", this.#abandon);
    // A client port and a cluster bus port per node, all different.
    const ports = new Set<number>();
    while (ports.size < 2 * MASTERS) ports.add(await freePort());
    const [clientPorts, busPorts] = [
      [...ports].slice(0, MASTERS),
      [...ports].slice(MASTERS),
    ];
    this.ports = clientPorts;
    this.nodes = clientPorts.map((port) => `127.0.0.1:${port}`);
    for (const [i, port] of clientPorts.entries()) {
      this.#spawn(port, busPorts[i]);
    }
    for (const port of clientPorts) {
      await this.#until(deadline, `node ${port} answers PING`, async () => {
        return (await this.#cli(port, "PING")).trim() === "PONG";
      });
    }
    await this.#run([
      "--cluster",
      "create",
      ...this.nodes,
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    for (const port of clientPorts) {
      await this.#until(deadline, `node ${port} sees the cluster`, async () => {
        const info = await this.#cli(port, "CLUSTER", "INFO");
        return /^cluster_state:ok\r?$/m.test(info) &&
          /^cluster_slots_assigned:16384\r?$/m.test(info) &&
          new RegExp(`^cluster_known_nodes:${MASTERS}\\r?$`, "m").test(info);
      });
    }
  }

  #spawn(port: number, busPort: number): void {
    const child = spawn(this.serverPath, [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--cluster-enabled",
      "yes",
      "--cluster-port",
      String(busPort),
      "--cluster-config-file",
      join(this.#dir!, `nodes-${port}.conf`),
      "--dir",
      this.#dir!,
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
      "--loglevel",
      "warning",
      ...this.serverArgs,
    ], { stdio: ["ignore", "pipe", "pipe"] });
    const collect = (chunk: Uint8Array) => {
      this.#output = (this.#output + `[${port}] ${chunk}`).slice(-8000);
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    this.#children.push(child);
  }

  /** Polls `check` until it holds, or throws with the nodes' output. */
  async #until(
    deadline: number,
    what: string,
    check: () => Promise<boolean>,
  ): Promise<void> {
    while (!(await check().catch(() => false))) {
      const exited = this.#children.find((child) =>
        child.exitCode !== null || child.signalCode !== null
      );
      if (exited !== undefined || Date.now() > deadline) {
        throw new Error(
          `Redis Cluster did not start: waited for ${what}\n${this.#output}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Runs one command on the node at `port` through redis-cli. */
  #cli(port: number, ...command: string[]): Promise<string> {
    return this.#run(["-h", "127.0.0.1", "-p", String(port), ...command]);
  }

  #run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.cliPath,
        args,
        { timeout: 20_000 },
        (error, stdout, stderr) => {
          if (error) {
            reject(
              new Error(
                `redis-cli ${args.join(" ")} failed: ${stderr}${stdout}`,
                {
                  cause: error,
                },
              ),
            );
          } else resolve(String(stdout));
        },
      );
    });
  }

  async keysOn(port: number, pattern: string): Promise<string[]> {
    const out = await this.#cli(port, "--scan", "--pattern", pattern);
    return out.split("\n").filter((line) => line !== "").sort();
  }

  async slotOf(key: string): Promise<number> {
    return Number(await this.#cli(this.ports[0], "CLUSTER", "KEYSLOT", key));
  }

  async stopNode(port: number): Promise<void> {
    const index = this.ports.indexOf(port);
    if (index === -1) throw new Error(`No node listens on port ${port}`);
    await stopChild(this.#children[index]);
  }

  async stop(): Promise<void> {
    process.off("exit", this.#abandon);
    globalThis.removeEventListener?.("unload", this.#abandon);
    const children = this.#children;
    this.#children = [];
    await Promise.all(children.map(stopChild));
    if (this.#dir !== undefined) {
      await rm(this.#dir, { recursive: true, force: true });
      this.#dir = undefined;
    }
  }

  /** Kills every node and removes the folder, synchronously, at exit. */
  #abandon = () => {
    for (const child of this.#children) child.kill("SIGKILL");
    if (this.#dir !== undefined) {
      rmSync(this.#dir, { recursive: true, force: true });
    }
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
