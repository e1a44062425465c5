// SqliteStore over the SQLite drivers of the runtime that runs this file:
// bun:sqlite on Bun, node:sqlite on Deno (and on Node 22.5+), better-sqlite3
// on Node, and @libsql/client on all three. Each gets the conformance suite,
// the store's own tests (tests/_sqlite.ts) and the model's properties. D1,
// in workerd, is in d1_store_test.ts. The options and the client helper,
// which need no engine, are tested here once.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import type BetterSqlite3 from "better-sqlite3";
import {
  createSqliteStoreClient,
  createTableStatements,
  type SqliteDatabase,
  type SqliteStatement,
  SqliteStore,
  type SqliteStoreClient,
} from "../src/stores/sqlite.ts";
import {
  type OpenDatabase,
  registerMissingDriver,
  registerSqliteDriver,
  type SqliteDriver,
} from "./_sqlite.ts";

// better-sqlite3's own types fit the helper's (checked by `deno check`;
// the project's @types/node 20 has no node:sqlite to check the same way).
type Fits<T extends SqliteDatabase> = T;
export type BetterSqlite3Fits = Fits<BetterSqlite3.Database>;

/** What the tests use of node:sqlite's `DatabaseSync`. */
interface DatabaseSync {
  prepare(sql: string): SqliteStatement & { setReadBigInts(on: boolean): void };
  exec(sql: string): void;
  close(): void;
}

const RUNTIME = "Bun" in globalThis
  ? "Bun"
  : "Deno" in globalThis
  ? "Deno"
  : "Node";

/** Imports a module that only some runtimes have (the name is not checked). */
function load(name: string): Promise<Record<string, unknown>> {
  return import(name);
}

/** A client that fails as a closed database does. */
function closedClient(open: () => OpenDatabase): () => Promise<OpenDatabase> {
  return async () => {
    const { client, close } = open();
    await close();
    return { client, close() {} };
  };
}

/** `bun:sqlite`: `Database`, through createSqliteStoreClient. */
async function bunSqlite(): Promise<SqliteDriver> {
  const { Database } = await load("bun:sqlite") as {
    Database: new (
      path: string,
      options?: { safeIntegers?: boolean },
    ) => SqliteDatabase & { close(): void; exec(sql: string): void };
  };
  const open = (path = ":memory:", safeIntegers = false): OpenDatabase => {
    const db = new Database(path, { safeIntegers });
    db.exec("PRAGMA busy_timeout = 5000");
    return { client: createSqliteStoreClient(db), close: () => db.close() };
  };
  return {
    name: "bun:sqlite",
    open: () => Promise.resolve(open()),
    openFile: (path) => Promise.resolve(open(path)),
    openWideIntegers: () => Promise.resolve(open(":memory:", true)),
    openBroken: closedClient(() => open()),
  };
}

/** `bun:sqlite` through the one-line adapter of the docs, with db.query(). */
async function bunSqliteByHand(): Promise<SqliteDriver> {
  const { Database } = await load("bun:sqlite") as {
    Database: new (path: string) => {
      query(sql: string): { all(...params: (string | number)[]): unknown[] };
      close(): void;
    };
  };
  return {
    name: "bun:sqlite, adapted by hand",
    open() {
      const db = new Database(":memory:");
      const client: SqliteStoreClient = {
        all: (sql, params) => db.query(sql).all(...params),
      };
      return Promise.resolve({ client, close: () => db.close() });
    },
  };
}

/** `node:sqlite`: `DatabaseSync`, through createSqliteStoreClient. */
async function nodeSqlite(): Promise<SqliteDriver> {
  const { DatabaseSync } = await load("node:sqlite") as {
    DatabaseSync: new (path: string) => DatabaseSync;
  };
  const open = (path = ":memory:", readBigInts = false): OpenDatabase => {
    const db = new DatabaseSync(path);
    db.exec("PRAGMA busy_timeout = 5000");
    const database: SqliteDatabase = readBigInts
      ? {
        prepare(sql) {
          const statement = db.prepare(sql);
          statement.setReadBigInts(true);
          return statement;
        },
      }
      : db;
    return {
      client: createSqliteStoreClient(database),
      close: () => db.close(),
    };
  };
  return {
    name: "node:sqlite",
    open: () => Promise.resolve(open()),
    openFile: (path) => Promise.resolve(open(path)),
    openWideIntegers: () => Promise.resolve(open(":memory:", true)),
    openBroken: closedClient(() => open()),
  };
}

/** `better-sqlite3`, through createSqliteStoreClient. */
async function betterSqlite3(): Promise<SqliteDriver> {
  const { default: Database } = await load("better-sqlite3") as {
    default: new (path: string) => BetterSqlite3.Database;
  };
  const open = (path = ":memory:", safeIntegers = false): OpenDatabase => {
    const db = new Database(path);
    db.defaultSafeIntegers(safeIntegers);
    return {
      client: createSqliteStoreClient(db),
      close: () => void db.close(),
    };
  };
  return {
    name: "better-sqlite3",
    open: () => Promise.resolve(open()),
    openFile: (path) => Promise.resolve(open(path)),
    openWideIntegers: () => Promise.resolve(open(":memory:", true)),
    openBroken: closedClient(() => open()),
  };
}

/** `@libsql/client` on a local database, with the adapter of the docs. */
async function libsql(): Promise<SqliteDriver> {
  interface Libsql {
    execute(
      statement: { sql: string; args: (string | number)[] },
    ): Promise<{ rows: unknown[] }>;
    close(): void;
  }
  const { createClient } = await load("@libsql/client") as {
    createClient(
      config: { url: string; intMode?: "number" | "bigint" | "string" },
    ): Libsql;
  };
  const open = (
    url = ":memory:",
    intMode: "number" | "bigint" | "string" = "number",
  ): OpenDatabase => {
    const libsql = createClient({ url, intMode });
    const client: SqliteStoreClient = {
      all: async (sql, args) => (await libsql.execute({ sql, args })).rows,
    };
    return { client, close: () => libsql.close() };
  };
  return {
    name: "@libsql/client",
    open: () => Promise.resolve(open()),
    openFile: (path) => Promise.resolve(open(`file:${path}`)),
    openWideIntegers: () => Promise.resolve(open(":memory:", "string")),
    openBroken: closedClient(() => open()),
  };
}

/** Whether this Node has node:sqlite (22.5 and later). */
function nodeHasSqlite(): boolean {
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 5);
}

/**
 * The drivers this runtime runs, with the seed offset of their model
 * properties: the runtime's own driver first, libsql on Node only (the
 * model is what takes time).
 */
const drivers: [
  name: string,
  load: () => Promise<SqliteDriver>,
  seeds: number | undefined,
][] = RUNTIME === "Bun"
  ? [
    ["bun:sqlite", bunSqlite, 50],
    ["bun:sqlite, adapted by hand", bunSqliteByHand, undefined],
    ["@libsql/client", libsql, undefined],
  ]
  : RUNTIME === "Deno"
  ? [["node:sqlite", nodeSqlite, 50], ["@libsql/client", libsql, undefined]]
  : [
    ["better-sqlite3", betterSqlite3, 50],
    ["@libsql/client", libsql, 51],
    ...(nodeHasSqlite()
      ? [["node:sqlite", nodeSqlite, 52] as [
        string,
        () => Promise<SqliteDriver>,
        number,
      ]]
      : []),
  ];

for (const [name, loadDriver, seeds] of drivers) {
  let driver: SqliteDriver | undefined;
  let failure: unknown;
  try {
    driver = await loadDriver();
  } catch (error) {
    failure = error;
  }
  if (driver === undefined) {
    registerMissingDriver(name, `${RUNTIME} cannot load it (${failure})`);
  } else {
    registerSqliteDriver(driver, { modelSeeds: seeds });
  }
}

describe("SqliteStore drivers of other runtimes", () => {
  const elsewhere: Record<string, string> = {
    "bun:sqlite": "exists only on Bun",
    "better-sqlite3": "is tested on Node, whose native addon it is",
    "node:sqlite": RUNTIME === "Node"
      ? `needs Node 22.5 or later, this is Node ${process.versions.node}`
      : "is tested on Deno and Node; Bun's own driver is bun:sqlite",
  };
  for (const [name, reason] of Object.entries(elsewhere)) {
    if (!drivers.some(([each]) => each === name)) {
      test(`${name} on ${RUNTIME}`, { skip: `${name} ${reason}` }, () => {});
    }
  }
});

describe("SqliteStore options", () => {
  const client: SqliteStoreClient = { all: () => [] };
  const action = "Cannot create SQLite store";

  test("rejects invalid options at construction", () => {
    assert.throws(() => new SqliteStore(undefined as never), {
      name: "TypeError",
      message: `${action}: options must be an object, received undefined`,
    });
    for (const [bad, shown] of [[undefined, "undefined"], [{}, "an object"]]) {
      assert.throws(() => new SqliteStore({ client: bad as never }), {
        name: "TypeError",
        message:
          `${action}: client must have an all(sql, params) method (see SqliteStoreClient for each driver's adapter), received ${shown}`,
      });
    }
    for (
      const [table, shown] of [
        ["", '""'],
        ["1table", '"1table"'],
        ['x"; DROP TABLE y; --', '"x\\"; DROP TABLE y; --"'],
        ["sqlite_sessions", '"sqlite_sessions"'],
        ["SQLITE_x", '"SQLITE_x"'],
        ["_cf_KV", '"_cf_KV"'],
        ["a-b", '"a-b"'],
        ["t".repeat(64), `"${"t".repeat(64)}"`],
        [5, "5"],
      ] as const
    ) {
      assert.throws(() => new SqliteStore({ client, table: table as never }), {
        name: "TypeError",
        message:
          `${action}: table must be 1 to 63 letters, digits and underscores, not starting with a digit, "sqlite_" or "_cf_", received ${shown}`,
      });
    }
    assert.throws(() => new SqliteStore({ client, now: 5 as never }), {
      name: "TypeError",
      message: `${action}: now must be a function, received 5`,
    });
    assert.throws(() => new SqliteStore({ client, maxValueBytes: 0 }), {
      name: "RangeError",
      message:
        `${action}: maxValueBytes must be a whole number from 1 to 1000000000, received 0`,
    });
    assert.throws(() => new SqliteStore({ client, sweepEvery: 1.5 }), {
      name: "RangeError",
      message:
        `${action}: sweepEvery must be a whole number from 0 to 1000000, received 1.5`,
    });
    assert.throws(() => new SqliteStore({ client, sweepEvery: "1" as never }), {
      name: "TypeError",
      message: `${action}: sweepEvery must be a number, received "1"`,
    });
    for (const table of ["_", "sessions", "T_9", "t".repeat(63)]) {
      new SqliteStore({ client, table });
    }
  });

  test("an expiry that is not a number SQLite can hold rejects before any statement", async () => {
    let statements = 0;
    const store = new SqliteStore({
      client: { all: () => (statements++, []) },
    });
    await assert.rejects(store.set("k", "v", { expiresAt: NaN }), {
      name: "TypeError",
      message:
        "Cannot set session record in SQLite: expiresAt must be a number, received NaN",
    });
    for (const expiresAt of [Infinity, 2 ** 60]) {
      await assert.rejects(store.touch("k", expiresAt), {
        name: "RangeError",
        message:
          `Cannot touch session record in SQLite: expiresAt must be a number of milliseconds from -9007199254740991 to 9007199254740991, received ${expiresAt}`,
      });
    }
    await assert.rejects(store.subjects.add("u", "k", -Infinity), {
      name: "RangeError",
    });
    assert.equal(statements, 0);
  });

  test("a client that answers something other than rows rejects with a clear Error", async () => {
    for (
      const [reply, shown] of [[undefined, "undefined"], [{}, "an object"]]
    ) {
      const store = new SqliteStore({ client: { all: () => reply as never } });
      await assert.rejects(store.get("k"), {
        name: "Error",
        message:
          `Cannot get session record from SQLite: expected client.all() to return an array of rows, received ${shown}`,
      });
    }
  });

  test("migrate() refuses an SQLite older than 3.35, and tolerates a database that hides its version", async () => {
    const sent: string[] = [];
    const old = new SqliteStore({
      client: {
        all: (sql) => (sent.push(sql), [{ version: "3.31.1" }]),
      },
    });
    await assert.rejects(old.migrate(), {
      name: "Error",
      message:
        "Cannot migrate SQLite store: the store needs SQLite 3.35.0 or later (UPSERT with RETURNING), the database runs 3.31.1",
    });
    assert.deepEqual(sent, ["SELECT sqlite_version() AS version"]);
    const d1Like = new SqliteStore({
      client: {
        all(sql) {
          if (sql.includes("sqlite_version")) {
            throw new Error("not authorized to use function: sqlite_version");
          }
          return [];
        },
      },
    });
    await d1Like.migrate();
  });

  test("createTableStatements() names the table it is given, and refuses an unsafe one", () => {
    const statements = createTableStatements("app_sessions");
    assert.equal(statements.length, 4);
    assert.match(
      statements[0],
      /^CREATE TABLE IF NOT EXISTS "app_sessions" \(/,
    );
    assert.match(
      statements[1],
      /^CREATE TABLE IF NOT EXISTS "app_sessions_subjects" \(/,
    );
    assert.deepEqual(
      createTableStatements(),
      createTableStatements("sesame_sessions"),
    );
    assert.throws(() => createTableStatements("x; DROP"), {
      name: "TypeError",
      message:
        'Cannot create SQLite statements: table must be 1 to 63 letters, digits and underscores, not starting with a digit, "sqlite_" or "_cf_", received "x; DROP"',
    });
  });

  test("createSqliteStoreClient() prepares each statement once and runs non-readers with run()", () => {
    const prepared: string[] = [];
    const ran: unknown[][] = [];
    const client = createSqliteStoreClient({
      prepare(sql) {
        prepared.push(sql);
        const reader = sql.startsWith("SELECT");
        return {
          reader,
          all: (...params) => {
            if (!reader) throw new TypeError("not a reader");
            return [{ params }];
          },
          run: (...params) => ran.push(params),
        };
      },
    });
    assert.deepEqual(client.all("SELECT ?", [1]), [{ params: [1] }]);
    assert.deepEqual(client.all("SELECT ?", [2]), [{ params: [2] }]);
    assert.deepEqual(client.all("DELETE FROM t WHERE k = ?", ["a"]), []);
    assert.deepEqual(prepared, ["SELECT ?", "DELETE FROM t WHERE k = ?"]);
    assert.deepEqual(ran, [["a"]]);
    assert.throws(() => createSqliteStoreClient({} as never), {
      name: "TypeError",
      message:
        "Cannot create SQLite store client: database must have a prepare(sql) method, received an object",
    });
  });
});
