// What the SqliteStore tests share across drivers (sqlite_store_test.ts for
// the drivers that run in this process, d1_store_test.ts for D1 through
// Miniflare's binding proxy): a driver's description, the conformance
// suite, the store's own behaviour on that engine and the model-based
// properties, all registered by registerSqliteDriver().
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { SessionStoreError, SessionTooLargeError } from "../src/errors.ts";
import { createSessionManager } from "../src/manager.ts";
import { createSessionId, hashSessionId } from "../src/session_id.ts";
import {
  createTableStatements,
  SqliteStore,
  type SqliteStoreClient,
  type SqliteStoreOptions,
} from "../src/stores/sqlite.ts";
import { testSessionStore } from "../src/testing.ts";
import { cookiePair } from "./_cookie_jar.ts";
import { FakeClock } from "./_fake_clock.ts";
import { type Backend, gatedStore } from "./_model.ts";
import {
  registerModel,
  registerTouchAfterRotation,
} from "./_model_register.ts";

const APP_URL = "http://app.test/";

/** An open database, and how to close it. */
export interface OpenDatabase {
  client: SqliteStoreClient;
  close(): void | Promise<void>;
}

/** A SQLite driver under test. */
export interface SqliteDriver {
  /** The driver's name in test names, e.g. `better-sqlite3`. */
  name: string;
  /**
   * A database for one test: a fresh one, or one shared by every test of
   * the driver (D1), since each store gets a table of its own.
   */
  open(): Promise<OpenDatabase>;
  /** Opens a database file; another call opens a second connection to it. */
  openFile?(path: string): Promise<OpenDatabase>;
  /** A fresh database whose driver reads integers as `bigint` or text. */
  openWideIntegers?(): Promise<OpenDatabase>;
  /**
   * A database that fails every statement the way the driver does once it
   * is closed or unreachable.
   */
  openBroken?(): Promise<OpenDatabase>;
}

/** How a driver's tests register. */
export interface SqliteDriverTests {
  /**
   * Whether to run the conformance suite here (D1 runs it inside workerd).
   *
   * @default {true}
   */
  conformance?: boolean;
  /** The seed offset of the model's properties; none: no model. */
  modelSeeds?: number;
  /** Runs per model property. */
  modelRuns?: number;
}

let tables = 0;
/** A table name that no other store of this process uses. */
export function freshTable(): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `t_${random}_${++tables}`;
}

/** The first column of a row. */
function column(row: unknown): unknown {
  return Object.values(row as Record<string, unknown>)[0];
}

/**
 * Writes `count` records `<prefix>0`, `<prefix>1`… expiring at `expiresAt`,
 * each indexed under the subject "u", in two statements.
 */
async function seed(
  client: SqliteStoreClient,
  table: string,
  prefix: string,
  count: number,
  expiresAt: number,
): Promise<void> {
  const numbers =
    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)";
  await client.all(
    `${numbers} INSERT INTO "${table}" (key, value, version, expires_at)
SELECT ? || i, 'v', 'AAAAAAAAAAAAAAAAAAAAAA', ? FROM n`,
    [count, prefix, expiresAt],
  );
  await client.all(
    `${numbers} INSERT INTO "${table}_subjects" (subject, key, expires_at)
SELECT 'u', ? || i, ? FROM n`,
    [count, prefix, expiresAt],
  );
}

/** A client that counts the statements it runs. */
export function counting(client: SqliteStoreClient): {
  client: SqliteStoreClient;
  statements: string[];
} {
  const statements: string[] = [];
  return {
    statements,
    client: {
      all(sql, params) {
        statements.push(sql);
        return client.all(sql, params);
      },
    },
  };
}

/**
 * Registers a driver that is missing: under CI=true a failing test (CI must
 * run it), otherwise a loud skip.
 */
export function registerMissingDriver(name: string, reason: string): void {
  describe(`SqliteStore (${name})`, () => {
    const message = `${name} is not available: ${reason}`;
    if (process.env.CI === "true") {
      test(`runs on ${name}`, () => {
        throw new Error(`${message}; CI must run the SqliteStore tests on it`);
      });
    } else {
      console.warn(`\n!!! SKIPPING the SqliteStore tests on ${message} !!!\n`);
      test(`runs on ${name}`, { skip: message }, () => {});
    }
  });
}

/**
 * Registers every SqliteStore test over `driver`: the conformance suite, the
 * store's own behaviour, and (with `modelSeeds`) the model's properties.
 */
export function registerSqliteDriver(
  driver: SqliteDriver,
  options: SqliteDriverTests = {},
): void {
  const opened: OpenDatabase[] = [];
  const open = async (how: () => Promise<OpenDatabase> = driver.open) => {
    const database = once(await how());
    opened.push(database);
    return database;
  };
  /** A migrated store over a database of this driver, on `clock`. */
  const storeOn = async (
    database: OpenDatabase,
    extra: Partial<SqliteStoreOptions> = {},
  ) => {
    const store = new SqliteStore({
      client: database.client,
      table: freshTable(),
      ...extra,
    });
    await store.migrate();
    return store;
  };

  describe(`SqliteStore (${driver.name})`, () => {
    after(async () => {
      await Promise.all(opened.splice(0).map((database) => database.close()));
    });

    let clock = new FakeClock();
    if (options.conformance !== false) {
      testSessionStore(`SqliteStore (${driver.name})`, {
        async create() {
          clock = new FakeClock();
          return await storeOn(await open(), { now: clock.now });
        },
        now: () => clock.now(),
        advanceSeconds(seconds) {
          clock.advanceSeconds(seconds);
          return Promise.resolve();
        },
        maxValueBytes: 1_048_576,
      });
    }

    describe("on the engine", () => {
      registerEngineTests(driver, open, storeOn);
    });

    if (options.modelSeeds !== undefined) {
      const backend = sqliteBackend(driver, options.modelRuns ?? 200);
      after(() => backend.dispose());
      registerModel(backend, false, options.modelSeeds);
      registerTouchAfterRotation(backend);
    }
  });
}

/** The database, closed at most once however often `close()` is called. */
function once(database: OpenDatabase): OpenDatabase {
  let closing: Promise<void> | undefined;
  return {
    client: database.client,
    close: () => closing ??= Promise.resolve().then(() => database.close()),
  };
}

/**
 * The model's backend over a driver: a fresh database (or table) per run, on
 * the model's fake clock, sweeping often so that sweeps meet every
 * interleaving.
 */
function sqliteBackend(
  driver: SqliteDriver,
  runs: number,
): Backend & { dispose(): Promise<void> } {
  let current: OpenDatabase | undefined;
  return {
    name: `SqliteStore (${driver.name})`,
    runs,
    async create(clock, gate, names) {
      // Runs follow one another: the previous run's database is done with.
      await current?.close();
      current = undefined;
      current = await driver.open();
      const store = new SqliteStore({
        client: current.client,
        table: freshTable(),
        now: clock.now,
        sweepEvery: 5,
      });
      await store.migrate();
      return gatedStore(store, gate, names);
    },
    async dispose() {
      await current?.close();
      current = undefined;
    },
  };
}

/** The store's own behaviour on a driver's engine. */
function registerEngineTests(
  driver: SqliteDriver,
  open: (how?: () => Promise<OpenDatabase>) => Promise<OpenDatabase>,
  storeOn: (
    database: OpenDatabase,
    extra?: Partial<SqliteStoreOptions>,
  ) => Promise<SqliteStore>,
): void {
  test("migrate() creates two tables, and running it again changes nothing", async () => {
    const { client } = await open();
    const table = freshTable();
    const store = new SqliteStore({ client, table });
    await store.migrate();
    await store.set("k", "v", { expiresAt: Date.now() + 60_000 });
    await store.migrate();
    await new SqliteStore({ client, table }).migrate();
    assert.equal((await store.get("k"))?.value, "v");
    const rows = await client.all(
      `SELECT key, value, version, expires_at FROM "${table}"`,
      [],
    );
    assert.equal(rows.length, 1);
    assert.deepEqual(
      await client.all(`SELECT * FROM "${table}_subjects"`, []),
      [],
    );
  });

  test("the statements of createTableStatements() make tables the store works with", async () => {
    const { client } = await open();
    const table = freshTable();
    for (const statement of createTableStatements(table)) {
      await client.all(statement, []);
    }
    const store = new SqliteStore({ client, table });
    const expiresAt = Date.now() + 60_000;
    await store.set("k", "v", { expiresAt });
    await store.subjects.add("u", "k", expiresAt);
    assert.equal((await store.get("k"))?.value, "v");
    assert.deepEqual(await store.subjects.list("u"), ["k"]);
    await store.migrate();
  });

  test("a missing table rejects every call with an error naming migrate(), the driver's error as cause", async () => {
    const { client } = await open();
    const table = freshTable();
    const store = new SqliteStore({ client, table });
    const expiresAt = Date.now() + 60_000;
    const calls: [string, () => Promise<unknown>][] = [
      ["Cannot get session record from SQLite", () => store.get("k")],
      [
        "Cannot set session record in SQLite",
        () => store.set("k", "v", { expiresAt, ifVersion: null }),
      ],
      [
        "Cannot set session record in SQLite",
        // A write that sweeps first fails at the sweep, and says it was a set.
        () =>
          new SqliteStore({ client, table, sweepEvery: 1 }).set("k", "v", {
            expiresAt,
          }),
      ],
      [
        "Cannot touch session record in SQLite",
        () => store.touch("k", expiresAt),
      ],
      ["Cannot delete session record from SQLite", () => store.delete("k")],
      [
        "Cannot list sessions of subject in SQLite",
        () => store.subjects.list("u"),
      ],
      [
        "Cannot delete expired session records from SQLite",
        () => store.deleteExpired(),
      ],
    ];
    for (const [action, call] of calls) {
      await assert.rejects(call(), (error) => {
        assert.ok(error instanceof Error);
        assert.equal(
          error.message,
          `${action}: the table "${table}" or "${table}_subjects" does not exist: create them with await store.migrate() at start, or with createTableStatements()`,
        );
        assert.ok(error.cause instanceof Error, "the driver's error");
        assert.match(String(error.cause), /no such table/);
        return true;
      });
    }
    const sessions = createSessionManager({ store, cookie: { name: "sid" } });
    await assert.rejects(
      sessions.load(
        new Request(APP_URL, {
          headers: { Cookie: `sid=${createSessionId()}` },
        }),
      ),
      (error) => {
        assert.ok(error instanceof SessionStoreError);
        assert.match((error.cause as Error).message, /store\.migrate\(\)/);
        return true;
      },
    );
  });

  test("migrate() refuses a table of that name with other columns", async () => {
    const { client } = await open();
    const table = freshTable();
    await client.all(
      `CREATE TABLE "${table}" (sid TEXT PRIMARY KEY, sess TEXT)`,
      [],
    );
    await assert.rejects(new SqliteStore({ client, table }).migrate(), {
      name: "Error",
      message:
        `Cannot migrate SQLite store: the tables "${table}" and "${table}_subjects" exist but lack columns the store needs (key, value, version, expires_at; subject, key, expires_at): choose another table name`,
    });
  });

  test("sessions are rows keyed by the SHA-256 of their id, never the id", async () => {
    const { client } = await open();
    const table = freshTable();
    const store = new SqliteStore({ client, table });
    await store.migrate();
    const sessions = createSessionManager<{ user: string }>({
      store,
      cookie: { name: "sid" },
    });
    const session = await sessions.load(new Request(APP_URL));
    session.set("user", "ada");
    session.setSubject("user-1");
    const cookie = cookiePair(await session.commit());
    const id = cookie.slice("sid=".length);
    const rows = await client.all(
      `SELECT key, value, version, expires_at FROM "${table}"`,
      [],
    ) as Record<string, unknown>[];
    assert.equal(rows.length, 1);
    const [row] = rows;
    assert.equal(row.key, hashSessionId(id));
    assert.match(String(row.version), /^[A-Za-z0-9_-]{22}$/);
    assert.ok(!String(row.value).includes(id));
    assert.ok(Number(row.expires_at) > Date.now());
    const index = await client.all(
      `SELECT subject, key FROM "${table}_subjects"`,
      [],
    ) as Record<string, unknown>[];
    assert.deepEqual(index.map((entry) => ({ ...entry })), [
      { subject: "user-1", key: hashSessionId(id) },
    ]);
    const again = await sessions.load(
      new Request(APP_URL, { headers: { Cookie: cookie } }),
    );
    assert.equal(again.get("user"), "ada");
    assert.equal((await sessions.listSessions("user-1")).length, 1);
    assert.equal(await sessions.revokeSessions("user-1"), 1);
    assert.deepEqual(await client.all(`SELECT * FROM "${table}"`, []), []);
  });

  test("each manager operation is one statement", async () => {
    const database = await open();
    const counter = counting(database.client);
    const store = new SqliteStore({
      client: counter.client,
      table: freshTable(),
      sweepEvery: 0,
    });
    await store.migrate();
    const sessions = createSessionManager<{ n: number }>({
      store,
      cookie: { name: "sid" },
      touchIntervalSeconds: 0,
    });
    const count = async (run: () => Promise<unknown>) => {
      const start = counter.statements.length;
      await run();
      return counter.statements.length - start;
    };
    const load = (cookie?: string) =>
      sessions.load(
        new Request(APP_URL, { headers: cookie ? { Cookie: cookie } : {} }),
      );
    const fresh = await load();
    fresh.set("n", 1);
    let cookie = "";
    assert.equal(
      await count(async () => cookie = cookiePair(await fresh.commit())),
      1,
      "creating a session",
    );
    let session = await load();
    assert.equal(
      await count(async () => session = await load(cookie)),
      1,
      "loading a session",
    );
    session.set("n", 2);
    assert.equal(await count(() => session.commit()), 1, "saving a change");
    await new Promise((resolve) => setTimeout(resolve, 5));
    session = await load(cookie);
    let setCookie: string | undefined;
    assert.equal(
      await count(async () => setCookie = await session.commit()),
      1,
      "extending the expiry",
    );
    assert.ok(setCookie, "the extension sends a cookie");
    session = await load(cookie);
    session.destroy();
    assert.equal(await count(() => session.commit()), 1, "destroying");
  });

  test("every set() writes a new version; an ifVersion the store never wrote runs no statement", async () => {
    const database = await open();
    const counter = counting(database.client);
    const store = await storeOn({ ...database, client: counter.client });
    const versions = new Set<string | undefined>();
    for (let i = 0; i < 20; i++) {
      const result = await store.set("k", "v", {
        expiresAt: Date.now() + 60_000,
      });
      versions.add(result.ok ? result.version : undefined);
    }
    assert.equal(versions.size, 20);
    assert.ok(!versions.has(undefined));
    const statements = counter.statements.length;
    for (const ifVersion of ["", "1", "x".repeat(23), "a:b", "' OR 1=1 --"]) {
      const result = await store.set("k", "w", {
        expiresAt: Date.now() + 60_000,
        ifVersion,
      });
      assert.equal(result.ok, false);
      assert.equal(
        await store.touch("k", Date.now() + 60_000, { ifVersion }),
        false,
      );
    }
    assert.equal(counter.statements.length, statements);
    assert.equal((await store.get("k"))?.value, "v");
  });

  test("a write whose expiry has passed leaves no row", async () => {
    const { client } = await open();
    const table = freshTable();
    const store = new SqliteStore({ client, table });
    await store.migrate();
    await store.set("k", "v", { expiresAt: Date.now() + 60_000 });
    const version = (await store.get("k"))!.version;
    assert.deepEqual(
      await store.set("k", "w", {
        expiresAt: Date.now() - 1,
        ifVersion: version,
      }),
      { ok: false, expired: true },
    );
    assert.equal(await store.get("k"), undefined);
    await store.set("k", "v", { expiresAt: Date.now() + 60_000 });
    assert.deepEqual(
      await store.set("k", "w", { expiresAt: Date.now() - 1, ifVersion: null }),
      { ok: false },
      "a live record fails the precondition",
    );
    assert.equal((await store.get("k"))?.value, "v");
    for (const expiresAt of [Date.now() - 1_000, 0, -5]) {
      assert.deepEqual(await store.set("k", "v", { expiresAt }), {
        ok: false,
        expired: true,
      });
      assert.deepEqual(await client.all(`SELECT key FROM "${table}"`, []), []);
      assert.deepEqual(
        await store.set("k", "v", { expiresAt, ifVersion: null }),
        { ok: false, expired: true },
      );
    }
  });

  test("rows the store did not write read as no record, and a new record replaces them", async () => {
    const { client } = await open();
    const table = freshTable();
    const store = new SqliteStore({ client, table });
    await store.migrate();
    const later = Date.now() + 60_000;
    await client.all(
      `INSERT INTO "${table}" (key, value, version, expires_at) VALUES (?, x'7b7d', 'v', ?), (?, '{}', 'v', 'soon')`,
      ["blob", later, "text"],
    );
    assert.equal(await store.get("blob"), undefined);
    // An expiry in text compares above every number: it never expires, but
    // never reads as a record either.
    assert.equal(await store.get("text"), undefined);
    await client.all(
      `INSERT INTO "${table}" (key, value, version, expires_at) VALUES (?, '{}', 'v', ?)`,
      ["old", Date.now() - 1_000],
    );
    const created = await store.set("old", "mine", {
      expiresAt: later,
      ifVersion: null,
    });
    assert.equal(created.ok, true);
    assert.equal((await store.get("old"))?.value, "mine");
  });

  test("stores over different tables of one database keep apart", async () => {
    const database = await open();
    const a = await storeOn(database);
    const b = await storeOn(database);
    const expiresAt = Date.now() + 60_000;
    await a.set("k", "a", { expiresAt });
    await b.set("k", "b", { expiresAt });
    await a.subjects.add("u", "ka", expiresAt);
    await b.subjects.add("u", "kb", expiresAt);
    assert.equal((await a.get("k"))?.value, "a");
    assert.equal((await b.get("k"))?.value, "b");
    assert.deepEqual(await a.subjects.list("u"), ["ka"]);
    await a.delete("k");
    assert.equal(await a.get("k"), undefined);
    assert.equal((await b.get("k"))?.value, "b");
  });

  test("deleteExpired() deletes every expired record and index entry, and nothing live", async () => {
    const database = await open();
    const clock = new FakeClock();
    const table = freshTable();
    const store = await storeOn(database, {
      now: clock.now,
      sweepEvery: 0,
      table,
    });
    const soon = clock.now() + 1_000;
    const later = clock.now() + 600_000;
    // 1,200 expired records and 30 live ones, each with an index entry, in
    // four statements: more than one batch of deleteExpired().
    await seed(database.client, table, "old", 1_200, soon);
    await seed(database.client, table, "new", 30, later);
    const count = async (table: string) =>
      column(
        (await database.client.all(
          `SELECT count(*) AS n FROM "${table}"`,
          [],
        ))[0],
      );
    assert.equal(await store.deleteExpired(), 0);
    clock.advanceSeconds(1);
    assert.equal(await store.deleteExpired(), 1_200);
    assert.equal(await store.deleteExpired(), 0);
    assert.equal((await store.get("new0"))?.value, "v");
    assert.equal((await store.subjects.list("u")).length, 30);
    assert.equal(Number(await count(table)), 30);
    assert.equal(Number(await count(`${table}_subjects`)), 30);
  });

  test("new records sweep expired rows now and then, before writing", async () => {
    const database = await open();
    const counter = counting(database.client);
    const clock = new FakeClock();
    const table = freshTable();
    const store = new SqliteStore({
      client: counter.client,
      table,
      now: clock.now,
      sweepEvery: 1,
    });
    await store.migrate();
    await store.set("a", "v", { expiresAt: clock.now() + 1_000 });
    await store.subjects.add("u", "a", clock.now() + 1_000);
    clock.advanceSeconds(2);
    const before = counter.statements.length;
    await store.set("b", "v", {
      expiresAt: clock.now() + 60_000,
      ifVersion: null,
    });
    // The sweep of each table, then the write.
    assert.equal(counter.statements.length - before, 3);
    assert.deepEqual(
      (await database.client.all(`SELECT key FROM "${table}"`, []) as {
        key: string;
      }[]).map((row) => row.key),
      ["b"],
    );
    assert.deepEqual(
      await database.client.all(`SELECT key FROM "${table}_subjects"`, []),
      [],
    );
    // A change of a record that exists adds no row: it never sweeps.
    const { version } = (await store.get("b"))!;
    const start = counter.statements.length;
    await store.set("b", "w", {
      expiresAt: clock.now() + 60_000,
      ifVersion: version,
    });
    assert.equal(counter.statements.length - start, 1);
  });

  test("a value over maxValueBytes is refused before any statement", async () => {
    const database = await open();
    const counter = counting(database.client);
    const store = await storeOn(
      { ...database, client: counter.client },
      { maxValueBytes: 100 },
    );
    const statements = counter.statements.length;
    await assert.rejects(
      store.set("k", "é".repeat(51), { expiresAt: Date.now() + 60_000 }),
      (error) => {
        assert.ok(error instanceof SessionTooLargeError);
        assert.equal(error.bytes, 102);
        assert.equal(error.limit, 100);
        return true;
      },
    );
    assert.equal(counter.statements.length, statements);
    const fits = await store.set("k", "é".repeat(50), {
      expiresAt: Date.now() + 60_000,
    });
    assert.equal(fits.ok, true);
  });

  test("subjects.remove() forgets thousands of keys in one statement", async () => {
    const database = await open();
    const counter = counting(database.client);
    const table = freshTable();
    const store = await storeOn({ ...database, client: counter.client }, {
      table,
    });
    await seed(database.client, table, "k", 2_500, Date.now() + 600_000);
    const keys = Array.from({ length: 2_500 }, (_, i) => `k${i}`);
    const statements = counter.statements.length;
    await store.subjects.remove("u", keys.slice(0, 2_400));
    await store.subjects.remove("u", []);
    assert.equal(counter.statements.length, statements + 1);
    assert.deepEqual(
      (await store.subjects.list("u")).sort(),
      keys.slice(2_400).sort(),
    );
  });

  test("subject entries keep their latest expiry and are not listed once it passes", async () => {
    const database = await open();
    const clock = new FakeClock();
    const store = await storeOn(database, { now: clock.now });
    await store.subjects.add("u", "k", clock.now() + 10_000);
    await store.subjects.add("u", "k", clock.now() + 2_000);
    await store.subjects.add("u", "short", clock.now() + 2_000);
    await store.subjects.add("u", "past", clock.now() - 1);
    assert.deepEqual((await store.subjects.list("u")).sort(), ["k", "short"]);
    clock.advanceSeconds(5);
    assert.deepEqual(await store.subjects.list("u"), ["k"]);
  });

  if (driver.openWideIntegers !== undefined) {
    const openWide = driver.openWideIntegers;
    test("integers read as bigint or text work the same", async () => {
      const store = await storeOn(await open(openWide));
      const expiresAt = Date.now() + 60_000;
      const written = await store.set("k", "v", { expiresAt, ifVersion: null });
      assert.ok(written.ok);
      assert.deepEqual(await store.get("k"), {
        value: "v",
        expiresAt,
        version: written.version,
      });
      assert.equal(
        await store.touch("k", expiresAt + 1, { ifVersion: written.version }),
        true,
      );
      assert.equal((await store.get("k"))?.expiresAt, expiresAt + 1);
    });
  }

  if (driver.openFile !== undefined) {
    const openFile = driver.openFile;
    test("two connections to one file share records, and compare-and-set holds across them", async () => {
      const dir = await mkdtemp(join(tmpdir(), "sesame-sqlite-"));
      try {
        const path = join(dir, "sessions.sqlite");
        const first = await open(() => openFile(path));
        const table = freshTable();
        const a = new SqliteStore({ client: first.client, table });
        await a.migrate();
        const second = await open(() => openFile(path));
        const b = new SqliteStore({ client: second.client, table });
        await b.migrate();
        const expiresAt = Date.now() + 60_000;
        await a.set("k", "from a", { expiresAt, ifVersion: null });
        const read = (await b.get("k"))!;
        assert.equal(read.value, "from a");
        assert.equal(
          (await b.set("k", "from b", { expiresAt, ifVersion: null })).ok,
          false,
        );
        const results = await Promise.all([
          a.set("k", "a wins", { expiresAt, ifVersion: read.version }),
          b.set("k", "b wins", { expiresAt, ifVersion: read.version }),
        ]);
        assert.equal(results.filter((result) => result.ok).length, 1);
        const winner = results[0].ok ? "a wins" : "b wins";
        assert.equal((await a.get("k"))?.value, winner);
        assert.equal((await b.get("k"))?.value, winner);
        await first.close();
        await second.close();
        // Reopened, as after a restart.
        const third = await open(() => openFile(path));
        const c = new SqliteStore({ client: third.client, table });
        await c.migrate();
        assert.equal((await c.get("k"))?.value, winner);
        await third.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  if (driver.openBroken !== undefined) {
    const openBroken = driver.openBroken;
    test("a failing database rejects load() and commit() with SessionStoreError, the driver's error as cause", async () => {
      const broken = await open(openBroken);
      const sessions = createSessionManager({
        store: new SqliteStore({ client: broken.client }),
        cookie: { name: "sid" },
      });
      await assert.rejects(
        sessions.load(
          new Request(APP_URL, {
            headers: { Cookie: `sid=${createSessionId()}` },
          }),
        ),
        (error) => {
          assert.ok(error instanceof SessionStoreError);
          assert.equal(error.operation, "get");
          assert.ok(error.cause instanceof Error);
          return true;
        },
      );
      const session = await sessions.load(new Request(APP_URL));
      session.set("user", "ada");
      await assert.rejects(session.commit(), (error) => {
        assert.ok(error instanceof SessionStoreError);
        assert.equal(error.operation, "set");
        return true;
      });
    });
  }
}
