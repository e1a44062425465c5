// Starts a throwaway PostgreSQL cluster on a free port of 127.0.0.1 for
// integration tests, stops and restarts it, and removes it. Runs unchanged on
// Deno, Bun and Node. As root, initdb and pg_ctl run as the `postgres` user
// (PostgreSQL refuses to run as root); otherwise as the current user.
import { execFile, spawnSync } from "node:child_process";
import {
  accessSync,
  appendFileSync,
  chownSync,
  constants,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { before, describe, test } from "node:test";
import { freePort } from "./_redis_server.ts";

/** Where the binaries were looked for, for the message when they are missing. */
export const POSTGRES_SEARCHED =
  "looked at $PG_BIN, or else /usr/lib/postgresql/*/bin";

/**
 * The folder holding `initdb` and `pg_ctl`: `$PG_BIN` when it is set, else
 * the newest of Debian's `/usr/lib/postgresql/<version>/bin`; `undefined`
 * when there is none.
 */
export function findPostgresBin(): string | undefined {
  const chosen = process.env.PG_BIN;
  let candidates: string[];
  if (chosen) {
    candidates = [chosen];
  } else {
    let versions: string[] = [];
    try {
      versions = readdirSync("/usr/lib/postgresql");
    } catch {
      // No PostgreSQL installed the Debian way.
    }
    candidates = versions
      .sort((a, b) => Number(b) - Number(a) || b.localeCompare(a))
      .map((version) => join("/usr/lib/postgresql", version, "bin"));
  }
  return candidates.find((dir) =>
    ["initdb", "pg_ctl", "postgres"].every((name) =>
      isExecutable(join(dir, name))
    )
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Registers, in place of a suite that needs PostgreSQL, a test that is
 * skipped loudly, or that fails when `CI` is `"true"`: CI must run it.
 */
export function describeWithoutPostgres(suite: string): void {
  const message = `PostgreSQL was not found (${POSTGRES_SEARCHED})`;
  describe(suite, () => {
    if (process.env.CI === "true") {
      before(() => {
        throw new Error(`${message}: CI must run the ${suite} tests`);
      });
      test("runs against a real PostgreSQL", () => {
        throw new Error(message);
      });
    } else {
      console.warn(
        `\n!!! SKIPPING the ${suite} tests: ${message}. ` +
          "Install PostgreSQL (Debian: apt-get install postgresql) to run them. !!!\n",
      );
      test("runs against a real PostgreSQL", { skip: message }, () => {});
    }
  });
}

/** A PostgreSQL cluster in a temporary folder. */
export interface PostgresServer {
  /** The port it listens on, the same across restarts. */
  readonly port: number;
  /** Its URL: `postgres://postgres@127.0.0.1:<port>/postgres`, trust auth. */
  readonly url: string;
  /**
   * Stops it at once (`pg_ctl stop -m immediate`, as a crash would) and
   * keeps its data, to start again.
   */
  stop(): Promise<void>;
  /** Starts it again on the same port, with the data it had. */
  start(): Promise<void>;
  /** Stops it and removes its folder; it cannot start again. */
  close(): Promise<void>;
}

/**
 * Clusters not closed yet, stopped and removed when the process (or Deno's
 * test module) ends, whatever happened.
 */
const open = new Set<Cluster>();
let exitHook = false;

/**
 * Creates a cluster (`initdb`, trust auth, the `postgres` superuser) in a new
 * temporary folder, and starts it on a free port of 127.0.0.1 with its Unix
 * socket inside the folder, without fsync (committed rows survive stop()).
 */
export async function startPostgresServer(
  bin: string,
): Promise<PostgresServer> {
  const dir = await mkdtemp(join(tmpdir(), "sesame-pg-"));
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  const cluster = new Cluster(bin, dir, owner !== undefined);
  open.add(cluster);
  if (!exitHook) {
    exitHook = true;
    const closeAll = () => {
      for (const each of open) each.closeNow();
    };
    // Node and Bun emit "exit"; Deno's test runner does not, but fires
    // "unload" (also when a filter skipped the suite's after() hooks).
    process.on("exit", closeAll);
    (globalThis as {
      addEventListener?: (type: string, fn: () => void) => void;
    })
      .addEventListener?.("unload", closeAll);
  }
  try {
    await cluster.init();
    for (let attempt = 1;; attempt++) {
      cluster.port = await freePort();
      try {
        await cluster.start();
        return cluster;
      } catch (error) {
        // Another process may have taken the port in between: try another.
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

/** The uid and gid of the `postgres` user. */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => {
    const result = spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
    const value = Number(result.stdout.trim());
    if (result.status !== 0 || !Number.isInteger(value)) {
      throw new Error(
        "Running as root, but there is no postgres user to run PostgreSQL as",
      );
    }
    return value;
  };
  return { uid: id("-u"), gid: id("-g") };
}

class Cluster implements PostgresServer {
  port = 0;
  #data: string;
  #log: string;
  #closed = false;

  constructor(
    readonly bin: string,
    readonly dir: string,
    readonly asPostgres: boolean,
  ) {
    this.#data = join(dir, "data");
    this.#log = join(dir, "log");
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async init(): Promise<void> {
    await this.#run("initdb", [
      "-D",
      this.#data,
      "-U",
      "postgres",
      "--auth=trust",
      "--encoding=UTF8",
      "--locale=C",
      "--no-sync",
    ]);
  }

  async start(): Promise<void> {
    if (this.#closed) throw new Error("The cluster was closed");
    // The last setting of a name wins: each start appends its port.
    appendFileSync(
      join(this.#data, "postgresql.conf"),
      [
        "",
        "listen_addresses = '127.0.0.1'",
        `port = ${this.port}`,
        `unix_socket_directories = '${this.dir}'`,
        // Written to the system, not flushed: a stop (a crash of the server,
        // not of the machine) loses no committed row.
        "fsync = off",
        "full_page_writes = off",
        "max_connections = 200",
        "",
      ].join("\n"),
    );
    try {
      await this.#run("pg_ctl", [
        "start",
        "-D",
        this.#data,
        "-l",
        this.#log,
        "-w",
        "-t",
        "30",
      ]);
    } catch (error) {
      let log = "";
      try {
        log = readFileSync(this.#log, "utf8").slice(-4000);
      } catch {
        // No log yet.
      }
      throw new Error(
        `PostgreSQL on port ${this.port} did not start:\n${log}`,
        { cause: error },
      );
    }
  }

  async stop(): Promise<void> {
    if (this.#closed) return;
    // Fails when it is not running, which is fine.
    await this.#run("pg_ctl", ["stop", "-D", this.#data, "-m", "immediate"])
      .catch(() => {});
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.stop();
    this.#closed = true;
    open.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** What close() does, synchronously, for the process's exit. */
  closeNow(): void {
    if (this.#closed) return;
    this.#closed = true;
    const [command, args] = this.#command("pg_ctl", [
      "stop",
      "-D",
      this.#data,
      "-m",
      "immediate",
    ]);
    spawnSync(command, args, { stdio: "ignore" });
    rmSync(this.dir, { recursive: true, force: true });
  }

  #command(name: string, args: string[]): [string, string[]] {
    const path = join(this.bin, name);
    return this.asPostgres
      ? ["runuser", ["-u", "postgres", "--", path, ...args]]
      : [path, args];
  }

  #run(name: string, args: string[]): Promise<void> {
    const [command, all] = this.#command(name, args);
    return new Promise((resolve, reject) => {
      execFile(command, all, { cwd: this.dir }, (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`${name} failed: ${stderr || stdout}`, { cause: error }),
          );
        } else resolve();
      });
    });
  }
}
