// PostgresStore: its options and statements without a database, then the
// conformance suite, the model's properties and PostgreSQL-specific tests
// against a real cluster started for this file (tests/_postgres_server.ts),
// through node-postgres (`pg`) and postgres.js on every runtime, and Bun's
// own SQL client on Bun.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import postgres from "postgres";
import { SessionStoreError, SessionTooLargeError } from "../src/errors.ts";
import { createSessionManager } from "../src/manager.ts";
import { createSessionId, hashSessionId } from "../src/session_id.ts";
import type { SessionStore } from "../src/store.ts";
import {
  createTableStatements,
  PostgresStore,
  type PostgresStoreClient,
} from "../src/stores/postgres.ts";
import { testSessionStore } from "../src/testing.ts";
import { cookiePair } from "./_cookie_jar.ts";
import { FakeClock } from "./_fake_clock.ts";
import { type Backend, gatedStore } from "./_model.ts";
import {
  registerModel,
  registerTouchAfterRotation,
} from "./_model_register.ts";
import {
  describeWithoutPostgres,
  findPostgresBin,
  type PostgresServer,
  startPostgresServer,
} from "./_postgres_server.ts";
import { freePort } from "./_redis_server.ts";

const APP_URL = "http://app.test/";
/** This file's seed offset for the model's properties. */
const MODEL_SEEDS = 40;
const IS_BUN = "Bun" in globalThis;
const IS_DENO = "Deno" in globalThis;
/** For tests that may take longer than Bun's default of 5 s per test. */
const SLOW = { timeout: 60_000 };

type Rows = readonly Record<string, unknown>[];

/** A client that fails the test if it is ever called. */
const unused: PostgresStoreClient = {
  query: () => {
    throw new Error("no statement expected");
  },
};

let tables = 0;
/** A table name that no other store of this run uses. */
function freshTable(): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `t_${random}_${++tables}`;
}

/** A client that counts its statements. */
function counting(client: PostgresStoreClient) {
  const counter = {
    calls: 0,
    texts: [] as string[],
    client: {
      query(text: string, params: string[]) {
        counter.calls++;
        counter.texts.push(text);
        return client.query(text, params);
      },
    } satisfies PostgresStoreClient,
  };
  return counter;
}

describe("PostgresStore without a database", () => {
  test("the constructor refuses a client without query()", () => {
    for (const client of [undefined, null, {}, { query: "x" }, 1]) {
      assert.throws(
        () => new PostgresStore({ client } as never),
        (error) =>
          error instanceof TypeError &&
          error.message.startsWith(
            "Cannot create PostgreSQL store: client must have a query(text, params) method",
          ),
      );
    }
    assert.throws(
      () => new PostgresStore(undefined as never),
      /options must be an object, received undefined/,
    );
  });

  test("the table must be a safe identifier, optionally schema-qualified", () => {
    for (
      const table of [
        "",
        "Sessions",
        "sessions;drop table users",
        'a"b',
        "a.b.c",
        ".a",
        "a.",
        "1abc",
        "a-b",
        "a b",
        "é",
        "x".repeat(48),
        `${"s".repeat(64)}.t`,
        5,
        null,
      ]
    ) {
      assert.throws(
        () => new PostgresStore({ client: unused, table: table as string }),
        (error) =>
          error instanceof TypeError &&
          /^Cannot create PostgreSQL store: table must be a lowercase SQL identifier \(\[a-z_\]\[a-z0-9_\]\*, at most 47 characters\), optionally schema-qualified as "schema.table", received /
            .test(error.message),
        `table ${JSON.stringify(table)}`,
      );
    }
    for (
      const table of ["sessions", "_s1", "app.sessions", "x".repeat(47), "a.b"]
    ) {
      new PostgresStore({ client: unused, table });
    }
  });

  test("maxValueBytes and now are checked", () => {
    assert.throws(
      () => new PostgresStore({ client: unused, maxValueBytes: "1" as never }),
      new TypeError(
        'Cannot create PostgreSQL store: maxValueBytes must be a number, received "1"',
      ),
    );
    for (const maxValueBytes of [0, 1.5, 2 ** 30]) {
      assert.throws(
        () => new PostgresStore({ client: unused, maxValueBytes }),
        new RangeError(
          `Cannot create PostgreSQL store: maxValueBytes must be a whole number from 1 to 1073741823, received ${maxValueBytes}`,
        ),
      );
    }
    assert.throws(
      () => new PostgresStore({ client: unused, now: 5 as never }),
      new TypeError(
        "Cannot create PostgreSQL store: now must be a function, received 5",
      ),
    );
  });

  test("createTableStatements() gives the documented schema", () => {
    assert.deepEqual(createTableStatements(), [
      `CREATE TABLE IF NOT EXISTS "sesame_sessions" (
  key text COLLATE "C" PRIMARY KEY,
  value text NOT NULL,
  version text NOT NULL,
  expires_at bigint NOT NULL
)`,
      `CREATE INDEX IF NOT EXISTS "sesame_sessions_expiry" ON "sesame_sessions" (expires_at)`,
      `CREATE TABLE IF NOT EXISTS "sesame_sessions_subjects" (
  subject text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (subject, key)
)`,
      `CREATE INDEX IF NOT EXISTS "sesame_sessions_subjects_expiry" ON "sesame_sessions_subjects" (expires_at)`,
    ]);
    const qualified = createTableStatements("app.s");
    assert.match(qualified[0], /^CREATE TABLE IF NOT EXISTS "app"."s" \(/);
    assert.equal(
      qualified[1],
      'CREATE INDEX IF NOT EXISTS "s_expiry" ON "app"."s" (expires_at)',
    );
    assert.match(qualified[2], /"app"."s_subjects"/);
    assert.throws(
      () => createTableStatements("x;y"),
      /^TypeError: Cannot create PostgreSQL statements: table must be/,
    );
  });

  test("every value goes as a parameter, and a store sends nothing before it is used", async () => {
    const sent: { text: string; params: string[] }[] = [];
    const store = new PostgresStore({
      client: {
        query(text, params) {
          sent.push({ text, params });
          return Promise.resolve([]);
        },
      },
    });
    assert.equal(sent.length, 0);
    const hostile = "x'); DROP TABLE sesame_sessions; --";
    await store.get(hostile);
    await store.set(hostile, hostile, { expiresAt: Date.now() + 60_000 });
    await store.touch(hostile, Date.now() + 60_000);
    await store.delete(hostile);
    await store.subjects.add(hostile, hostile, Date.now() + 60_000);
    await store.subjects.list(hostile);
    await store.subjects.remove(hostile, [hostile]);
    assert.equal(sent.length, 7);
    for (const { text, params } of sent) {
      assert.ok(!text.includes("DROP"), text);
      assert.ok(params.every((param) => typeof param === "string"));
    }
  });

  test("a value over maxValueBytes is refused before anything is sent", async () => {
    const counter = counting({ query: () => Promise.resolve([]) });
    const store = new PostgresStore({
      client: counter.client,
      maxValueBytes: 10,
    });
    const expiresAt = Date.now() + 60_000;
    await assert.rejects(
      store.set("k", "ü".repeat(6), { expiresAt }),
      (error) => {
        assert.ok(error instanceof SessionTooLargeError);
        assert.equal(error.bytes, 12);
        assert.equal(error.limit, 10);
        return true;
      },
    );
    assert.equal(counter.calls, 0);
    await store.set("k", "ü".repeat(5), { expiresAt });
    assert.equal(counter.calls, 1);
  });

  test("an answer of an unexpected shape rejects with an Error", async () => {
    const answering = (answer: unknown) =>
      new PostgresStore({
        client: { query: () => Promise.resolve(answer as Rows) },
      });
    await assert.rejects(
      answering(undefined).get("k"),
      /^Error: Cannot get session record from PostgreSQL: expected an array of rows from the client, received undefined$/,
    );
    await assert.rejects(
      answering([{ value: 1, version: "v", expires_at: "1" }]).get("k"),
      /expected no row or one row of value, version and expires_at/,
    );
    await assert.rejects(
      answering([{ key: 5 }]).subjects.list("u"),
      /Cannot list sessions of subject in PostgreSQL: expected rows with a text key/,
    );
  });

  test("times are checked and rounded down to whole milliseconds", async () => {
    const sent: string[][] = [];
    const store = new PostgresStore({
      client: {
        query(_text, params) {
          sent.push(params);
          return Promise.resolve([{ written: 1 }]);
        },
      },
      now: () => 1_000.7,
    });
    await assert.rejects(
      store.set("k", "v", { expiresAt: Number.NaN }),
      new TypeError(
        "Cannot set session record in PostgreSQL: expiresAt must be a number, received NaN",
      ),
    );
    await assert.rejects(
      store.touch("k", 2 ** 60),
      /^RangeError: Cannot touch session record in PostgreSQL: expiresAt must be a number of milliseconds/,
    );
    const written = await store.set("k", "v", { expiresAt: 1_001.9 });
    assert.deepEqual(written, { ok: true, version: sent[0][2] });
    assert.equal(sent[0][3], "1001");
    // 1,000.7 rounds down to 1,000: an expiry of 1,000 has passed.
    assert.equal(await store.touch("k", 1_000), false);
    assert.equal(sent.length, 1, "no statement for an expiry already passed");
  });
});

/** A PostgreSQL client of this runtime, and how to close it. */
interface Connection {
  name: string;
  client: PostgresStoreClient;
  close(): Promise<void>;
}

/** The part of Bun's SQL client that these tests use. */
interface BunSql {
  unsafe(text: string, params: string[]): Promise<Rows>;
  close(): Promise<void>;
}

const CLIENTS = IS_BUN
  ? ["pg", "postgres.js", "Bun SQL"] as const
  : ["pg", "postgres.js"] as const;
type ClientName = typeof CLIENTS[number];

/** Connects to `url` through the named client, failing fast while it is down. */
async function connect(name: ClientName, url: string): Promise<Connection> {
  if (name === "pg") {
    const pool = new pg.Pool({
      connectionString: url,
      connectionTimeoutMillis: 2_000,
      max: 10,
    });
    // An idle connection the server closes emits "error" on the pool.
    pool.on("error", () => {});
    return {
      name,
      client: {
        query: async (text, params) => (await pool.query(text, params)).rows,
      },
      close: () => pool.end(),
    };
  }
  if (name === "postgres.js") {
    const sql = postgres(url, {
      connect_timeout: 2,
      backoff: () => 0,
      max: 10,
      onnotice: () => {},
    });
    return {
      name,
      client: { query: (text, params) => sql.unsafe(text, params) },
      close: () => sql.end({ timeout: 1 }),
    };
  }
  // Resolved at run time only, so that Deno and Node never look for it.
  const bun = "bun";
  const { SQL } = await import(bun) as {
    SQL: new (url: string, options: Record<string, unknown>) => BunSql;
  };
  const sql = new SQL(url, { connectionTimeout: 2, max: 10 });
  return {
    name,
    client: { query: (text, params) => sql.unsafe(text, params) },
    close: () => sql.close(),
  };
}

const bin = findPostgresBin();
if (bin === undefined) {
  describeWithoutPostgres("PostgresStore");
} else {
  // Started before any hook: initdb takes seconds, and Bun stops a hook
  // after 5 s whatever timeout it is given.
  registerPostgresTests(bin, await startPostgresServer(bin));
}

function registerPostgresTests(bin: string, server: PostgresServer): void {
  describe("PostgresStore on PostgreSQL", () => {
    const connections = new Map<ClientName, Connection>();
    const opened: Connection[] = [];
    /** The client of `name` once before() has connected, as the store takes it. */
    const lazy = (name: ClientName): PostgresStoreClient => ({
      query: (text, params) =>
        connections.get(name)!.client.query(text, params),
    });
    const shared = lazy("postgres.js");

    before(async () => {
      for (const name of CLIENTS) {
        const connection = await connect(name, server.url);
        connections.set(name, connection);
        opened.push(connection);
      }
    });

    after(async () => {
      await Promise.all(opened.map((each) => each.close()));
      await server.close();
    });

    /** A store over a new, migrated table. */
    async function freshStore(
      client: PostgresStoreClient,
      options: { now?: () => number; maxValueBytes?: number } = {},
    ): Promise<PostgresStore> {
      const table = freshTable();
      const store = new PostgresStore({ client, table, ...options });
      await store.migrate();
      tablesOf.set(store, table);
      return store;
    }

    for (const name of CLIENTS) {
      // The store decides expiry by its own clock, so the suite moves a fake
      // one instead of waiting.
      const clock = new FakeClock(Date.now());
      testSessionStore(`PostgresStore (${name})`, {
        create: () => freshStore(lazy(name), { now: clock.now }),
        now: clock.now,
        advanceSeconds: (seconds) => {
          clock.advanceSeconds(seconds);
          return Promise.resolve();
        },
        maxValueBytes: 1_048_576,
      });
    }

    // The model: one client per runtime, so that each runs it once.
    const modelClient: ClientName = IS_BUN
      ? "Bun SQL"
      : IS_DENO
      ? "postgres.js"
      : "pg";
    // Runs follow one another: each empties one table instead of creating
    // its own, which would take most of a run's time.
    let modelTable: Promise<string> | undefined;
    /** The model's table, created by the first run. */
    const createModelTable = async (client: PostgresStoreClient) => {
      const table = freshTable();
      await new PostgresStore({ client, table }).migrate();
      return table;
    };
    const backend: Backend = {
      name: `PostgresStore (real PostgreSQL, ${modelClient})`,
      // Bun's runner stops a test after 5 s unless the test says otherwise:
      // fewer runs there.
      runs: IS_BUN ? 60 : 150,
      create: async (clock, gate, names) => {
        const client = lazy(modelClient);
        modelTable ??= createModelTable(client);
        const table = await modelTable;
        await client.query(
          `WITH records AS (DELETE FROM ${table}) DELETE FROM ${table}_subjects`,
          [],
        );
        return gatedStore(
          new PostgresStore({ client, table, now: clock.now }),
          gate,
          names,
        );
      },
    };
    registerModel(backend, false, MODEL_SEEDS);
    registerTouchAfterRotation(backend);

    describe("on PostgreSQL", { timeout: 120_000 }, () => {
      /** Runs a statement directly. */
      const query = (text: string, params: string[] = []) =>
        shared.query(text, params) as Promise<Rows>;

      test("migrate() is idempotent and concurrent calls wait for each other", async () => {
        const table = freshTable();
        const stores = Array.from(
          { length: 6 },
          (_, i) =>
            new PostgresStore({
              client: lazy(CLIENTS[i % CLIENTS.length]),
              table,
            }),
        );
        await Promise.all(stores.map((store) => store.migrate()));
        await stores[0].migrate();
        const relations = await query(
          `SELECT relname FROM pg_class WHERE relname LIKE $1 ORDER BY relname`,
          [`${table}%`],
        );
        assert.deepEqual(relations.map((row) => row.relname), [
          table,
          `${table}_expiry`,
          `${table}_pkey`,
          `${table}_subjects`,
          `${table}_subjects_expiry`,
          `${table}_subjects_pkey`,
        ]);
      });

      test("createTableStatements() run one by one make a working store, also in a schema", async () => {
        const schema = freshTable();
        await query(`CREATE SCHEMA ${schema}`);
        const table = `${schema}.sessions`;
        for (const statement of createTableStatements(table)) {
          await query(statement);
        }
        const store = new PostgresStore({ client: shared, table });
        await store.set("k", "v", { expiresAt: Date.now() + 60_000 });
        assert.equal((await store.get("k"))?.value, "v");
        const [row] = await query(`SELECT value FROM ${table} WHERE key = 'k'`);
        assert.equal(row.value, "v");
      });

      for (const name of CLIENTS) {
        test(`a missing table rejects with an error naming migrate(), the SQLSTATE 42P01 error as cause (${name})`, async () => {
          const store = new PostgresStore({
            client: lazy(name),
            table: freshTable(),
          });
          const expected = (error: unknown) => {
            assert.ok(error instanceof Error);
            assert.match(
              error.message,
              /: the table "t_\w+" does not exist; create it with the store's migrate\(\) or the statements of createTableStatements\(\) first$/,
            );
            const cause = error.cause as { code?: string; errno?: string };
            assert.equal(
              name === "Bun SQL" ? cause.errno : cause.code,
              "42P01",
            );
            return true;
          };
          await assert.rejects(store.get("k"), expected);
          await assert.rejects(
            store.set("k", "v", { expiresAt: Date.now() + 60_000 }),
            expected,
          );
          await assert.rejects(store.subjects.list("u"), expected);
          const sessions = createSessionManager({
            store,
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
              return expected(error.cause);
            },
          );
        });
      }

      test("a record is one row: its key, the value as text, a version and the expiry", async () => {
        const store = await freshStore(shared);
        const expiresAt = Date.now() + 60_000;
        const result = await store.set("k", '{"a":1}', { expiresAt });
        assert.ok(result.ok);
        assert.match(result.version!, /^[A-Za-z0-9_-]{22}$/);
        const rows = await query(
          `SELECT key, value, version, expires_at::text AS expires_at FROM ${
            tableOf(store)
          }`,
        );
        assert.deepEqual(rows.map((row) => ({ ...row })), [{
          key: "k",
          value: '{"a":1}',
          version: result.version,
          expires_at: String(expiresAt),
        }]);
      });

      test("sessions are stored by the SHA-256 of their id, never the id", async () => {
        const store = await freshStore(shared);
        const sessions = createSessionManager<{ user: string }>({
          store,
          cookie: { name: "sid" },
        });
        const session = await sessions.load(new Request(APP_URL));
        session.set("user", "ada");
        session.setSubject("ada");
        const cookie = cookiePair(await session.commit());
        const id = cookie.slice("sid=".length);
        const rows = await query(`SELECT key, value FROM ${tableOf(store)}`);
        assert.deepEqual(rows.map((row) => row.key), [hashSessionId(id)]);
        assert.ok(!String(rows[0].value).includes(id));
        const entries = await query(
          `SELECT subject, key FROM ${tableOf(store)}_subjects`,
        );
        assert.deepEqual(entries.map((row) => ({ ...row })), [{
          subject: "ada",
          key: hashSessionId(id),
        }]);
      });

      test("every set() writes a new version, also after a delete", async () => {
        const store = await freshStore(shared);
        const versions = new Set<string | undefined>();
        for (let i = 0; i < 20; i++) {
          if (i % 5 === 0) await store.delete("k");
          const result = await store.set("k", "v", {
            expiresAt: Date.now() + 60_000,
          });
          versions.add(result.ok ? result.version : undefined);
        }
        assert.equal(versions.size, 20);
        assert.ok(!versions.has(undefined));
      });

      test("a write whose expiry has passed leaves no row, whatever its precondition", async () => {
        const clock = new FakeClock(Date.now());
        const store = await freshStore(shared, { now: clock.now });
        const count = async () =>
          Number(
            (await query(`SELECT count(*)::int AS n FROM ${tableOf(store)}`))[0]
              .n,
          );
        const past = clock.now() - 1;
        await store.set("k", "v", { expiresAt: clock.now() + 60_000 });
        assert.deepEqual(await store.set("k", "w", { expiresAt: past }), {
          ok: false,
          expired: true,
        });
        assert.equal(await count(), 0);

        // Absent: a live row fails it; an expired row is deleted.
        await store.set("k", "v", { expiresAt: clock.now() + 1_000 });
        assert.deepEqual(
          await store.set("k", "w", { expiresAt: past, ifVersion: null }),
          { ok: false },
        );
        assert.equal((await store.get("k"))?.value, "v");
        clock.advanceSeconds(2);
        assert.equal(await count(), 1, "an expired row is still there");
        assert.deepEqual(
          await store.set("k", "w", {
            expiresAt: clock.now() - 1,
            ifVersion: null,
          }),
          { ok: false, expired: true },
        );
        assert.equal(await count(), 0);

        // A version: only the live row of that version is deleted.
        const written = await store.set("k", "v", {
          expiresAt: clock.now() + 60_000,
        });
        assert.ok(written.ok);
        assert.deepEqual(
          await store.set("k", "w", {
            expiresAt: clock.now() - 1,
            ifVersion: "A".repeat(22),
          }),
          { ok: false },
        );
        assert.equal(await count(), 1);
        assert.deepEqual(
          await store.set("k", "w", {
            expiresAt: clock.now() - 1,
            ifVersion: written.version,
          }),
          { ok: false, expired: true },
        );
        assert.equal(await count(), 0);
      });

      test("a create over an expired row replaces it in the same statement", async () => {
        const clock = new FakeClock(Date.now());
        const counter = counting(shared);
        const store = await freshStore(counter.client, { now: clock.now });
        const old = await store.set("k", "old", {
          expiresAt: clock.now() + 1_000,
        });
        clock.advanceSeconds(2);
        const calls = counter.calls;
        const fresh = await store.set("k", "new", {
          expiresAt: clock.now() + 60_000,
          ifVersion: null,
        });
        assert.equal(counter.calls, calls + 1);
        assert.ok(fresh.ok && old.ok);
        assert.notEqual(fresh.version, old.version);
        assert.equal((await store.get("k"))?.value, "new");
        // An update of the old version does not apply to the new record.
        assert.deepEqual(
          await store.set("k", "late", {
            expiresAt: clock.now() + 60_000,
            ifVersion: old.version,
          }),
          { ok: false },
        );
      });

      test("a new record deletes up to four expired ones, and a subject's new entry its expired entries, in the same statement", async () => {
        const clock = new FakeClock(Date.now());
        const counter = counting(shared);
        const store = await freshStore(counter.client, { now: clock.now });
        const table = tableOf(store);
        const expired = async () =>
          Number(
            (await query(
              `SELECT count(*)::int AS n FROM ${table} WHERE expires_at <= $1::bigint`,
              [String(clock.now())],
            ))[0].n,
          );
        for (let i = 0; i < 10; i++) {
          await store.set(`old${i}`, "v", { expiresAt: clock.now() + 1_000 });
          await store.subjects.add("u", `old${i}`, clock.now() + 1_000);
        }
        await store.set("live", "v", { expiresAt: clock.now() + 60_000 });
        clock.advanceSeconds(2);
        assert.equal(await expired(), 10);
        const calls = counter.calls;
        // Unconditional writes and updates leave them.
        await store.set("any", "v", { expiresAt: clock.now() + 60_000 });
        assert.equal(await expired(), 10);
        await store.set("new1", "v", {
          expiresAt: clock.now() + 60_000,
          ifVersion: null,
        });
        assert.equal(await expired(), 6);
        // A create that the precondition refuses deletes nothing.
        await store.set("new1", "w", {
          expiresAt: clock.now() + 60_000,
          ifVersion: null,
        });
        assert.equal(await expired(), 6);
        for (const key of ["new2", "new3"]) {
          await store.set(key, "v", {
            expiresAt: clock.now() + 60_000,
            ifVersion: null,
          });
        }
        assert.equal(await expired(), 0);
        assert.equal(counter.calls, calls + 5, "one statement each");
        assert.equal((await store.get("live"))?.value, "v");

        await store.subjects.add("u", "new1", clock.now() + 60_000);
        assert.deepEqual(
          (await query(`SELECT key FROM ${table}_subjects`)).map((row) =>
            row.key
          ),
          ["new1"],
        );
      });

      test("an ifVersion the store never wrote sends no statement", async () => {
        const counter = counting(shared);
        const store = await freshStore(counter.client);
        await store.set("k", "v", { expiresAt: Date.now() + 60_000 });
        const calls = counter.calls;
        for (const ifVersion of ["", "1", "x".repeat(23), "a:b"]) {
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
        assert.equal(counter.calls, calls);
        assert.equal((await store.get("k"))?.value, "v");
      });

      test("keys, subjects and values with quotes, backslashes and U+0000 are kept apart and intact", async () => {
        const store = await freshStore(shared);
        const texts = [
          "'; DROP TABLE t; --",
          "\\",
          "\\0",
          "\0",
          "\\\\0",
          '"{a,b}"',
          "東京 🍪",
        ];
        const expiresAt = Date.now() + 60_000;
        for (const [i, text] of texts.entries()) {
          await store.set(text, JSON.stringify({ i, text }), { expiresAt });
          await store.subjects.add(text, text, expiresAt);
          await store.subjects.add("one", text, expiresAt);
        }
        for (const [i, text] of texts.entries()) {
          assert.equal(
            (await store.get(text))?.value,
            JSON.stringify({ i, text }),
          );
          assert.deepEqual(await store.subjects.list(text), [text]);
        }
        assert.deepEqual(
          (await store.subjects.list("one")).sort(),
          [...texts].sort(),
        );
        await store.subjects.remove("one", texts.slice(0, 4));
        assert.deepEqual(
          (await store.subjects.list("one")).sort(),
          texts.slice(4).sort(),
        );
      });

      test("each manager operation is one statement", async () => {
        const counter = counting(shared);
        const store = await freshStore(counter.client);
        const sessions = createSessionManager<{ n: number }>({
          store,
          cookie: { name: "sid" },
          touchIntervalSeconds: 0,
        });
        const count = async (run: () => Promise<unknown>) => {
          const start = counter.calls;
          await run();
          return counter.calls - start;
        };
        const load = (cookie?: string) =>
          sessions.load(
            new Request(APP_URL, { headers: cookie ? { Cookie: cookie } : {} }),
          );
        const fresh = await load();
        fresh.set("n", 1);
        let cookie = "";
        assert.equal(
          await count(async () => {
            cookie = cookiePair(await fresh.commit());
          }),
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
        assert.match(counter.texts.at(-1)!, /^UPDATE .* SET expires_at = /);
        session = await load(cookie);
        session.destroy();
        assert.equal(await count(() => session.commit()), 1, "destroying");
        assert.equal(
          await count(() => store.subjects.list("nobody")),
          1,
          "listing a subject's keys",
        );
      });

      test("deleteExpired() deletes expired records and index entries, and keeps the rest", async () => {
        const clock = new FakeClock(Date.now());
        const store = await freshStore(shared, { now: clock.now });
        const soon = clock.now() + 1_000;
        const later = clock.now() + 60_000;
        for (const key of ["a", "b", "c"]) {
          await store.set(key, "v", { expiresAt: soon });
          await store.subjects.add("u", key, soon);
        }
        await store.set("d", "v", { expiresAt: later });
        await store.subjects.add("u", "d", later);
        assert.equal(await store.deleteExpired(), 0);
        clock.advanceSeconds(2);
        assert.equal(await store.deleteExpired(), 3);
        assert.equal(await store.deleteExpired(), 0);
        const table = tableOf(store);
        assert.deepEqual(
          (await query(`SELECT key FROM ${table}`)).map((row) => row.key),
          ["d"],
        );
        assert.deepEqual(
          (await query(`SELECT key FROM ${table}_subjects`)).map((row) =>
            row.key
          ),
          ["d"],
        );
      });

      test("list() drops the subject's expired entries, and add() skips expired ones", async () => {
        const clock = new FakeClock(Date.now());
        const counter = counting(shared);
        const store = await freshStore(counter.client, { now: clock.now });
        const table = `${tableOf(store)}_subjects`;
        await store.subjects.add("u", "short", clock.now() + 300);
        await store.subjects.add("u", "long", clock.now() + 60_000);
        await store.subjects.add("other", "short", clock.now() + 300);
        const calls = counter.calls;
        await store.subjects.add("u", "past", clock.now() - 1_000);
        assert.equal(counter.calls, calls, "no statement for an expired entry");
        assert.deepEqual((await store.subjects.list("u")).sort(), [
          "long",
          "short",
        ]);
        clock.advanceSeconds(1);
        assert.deepEqual(await store.subjects.list("u"), ["long"]);
        assert.deepEqual(
          (await query(`SELECT subject, key FROM ${table} ORDER BY subject`))
            .map((row) => `${row.subject}:${row.key}`),
          ["other:short", "u:long"],
        );
        // A later add keeps the later expiry.
        await store.subjects.add("u", "long", clock.now() + 1_000);
        clock.advanceSeconds(30);
        assert.deepEqual(await store.subjects.list("u"), ["long"]);
      });

      test(
        "remove() forgets thousands of keys in one statement",
        SLOW,
        async () => {
          const counter = counting(shared);
          const store = await freshStore(counter.client);
          const expiresAt = Date.now() + 60_000;
          const keys = Array.from({ length: 2_500 }, (_, i) => `k${i}`);
          await Promise.all(
            keys.map((key) => store.subjects.add("u", key, expiresAt)),
          );
          const calls = counter.calls;
          await store.subjects.remove("u", keys.slice(0, 2_400));
          await store.subjects.remove("u", []);
          assert.equal(counter.calls, calls + 1);
          assert.deepEqual(
            (await store.subjects.list("u")).sort(),
            keys.slice(2_400).sort(),
          );
        },
      );

      test(
        "concurrent compare-and-set writes over separate connections: one winner",
        SLOW,
        async () => {
          for (const name of CLIENTS) {
            const store = await freshStore(lazy(name));
            const expiresAt = Date.now() + 60_000;
            const created = await Promise.all(
              Array.from(
                { length: 10 },
                (_, i) =>
                  store.set("k", `v${i}`, { expiresAt, ifVersion: null }),
              ),
            );
            assert.equal(created.filter((result) => result.ok).length, 1, name);
            const read = (await store.get("k"))!;
            const updated = await Promise.all(
              Array.from(
                { length: 10 },
                (_, i) =>
                  store.set("k", `w${i}`, {
                    expiresAt,
                    ifVersion: read.version,
                  }),
              ),
            );
            assert.equal(updated.filter((result) => result.ok).length, 1, name);
          }
        },
      );

      test("the default clock is the application's Date.now", async () => {
        const store = await freshStore(shared);
        await store.set("k", "v", { expiresAt: Date.now() + 300 });
        assert.equal((await store.get("k"))?.value, "v");
        await new Promise((resolve) => setTimeout(resolve, 400));
        assert.equal(await store.get("k"), undefined);
        assert.equal(await store.touch("k", Date.now() + 60_000), false);
      });

      for (const name of CLIENTS) {
        test(`a database that cannot be reached rejects load() and commit() with SessionStoreError and the client's error as cause (${name})`, async () => {
          const closed = await freePort();
          const connection = await connect(
            name,
            `postgres://postgres@127.0.0.1:${closed}/postgres`,
          );
          try {
            const errors: unknown[] = [];
            const sessions = createSessionManager({
              store: new PostgresStore({
                client: {
                  query: (text, params) =>
                    Promise.resolve(connection.client.query(text, params))
                      .catch((error) => {
                        errors.push(error);
                        throw error;
                      }),
                },
              }),
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
                assert.equal(error.cause, errors.at(-1));
                return true;
              },
            );
            const session = await sessions.load(new Request(APP_URL));
            session.set("user", "ada");
            await assert.rejects(session.commit(), (error) => {
              assert.ok(error instanceof SessionStoreError);
              assert.equal(error.operation, "set");
              assert.equal(error.cause, errors.at(-1));
              return true;
            });
            assert.equal(errors.length, 2);
          } finally {
            await connection.close();
          }
        });
      }

      test(
        "sessions survive a restart of PostgreSQL, and every client reconnects",
        SLOW,
        async () => {
          const own = await startPostgresServer(bin);
          const mine: Connection[] = [];
          try {
            for (const name of CLIENTS) mine.push(await connect(name, own.url));
            const table = freshTable();
            const managers = mine.map((connection) =>
              createSessionManager<{ user: string }>({
                store: new PostgresStore({ client: connection.client, table }),
                cookie: { name: "sid" },
              })
            );
            await new PostgresStore({ client: mine[0].client, table })
              .migrate();
            const first = await managers[0].load(new Request(APP_URL));
            first.set("user", "ada");
            const cookie = cookiePair(await first.commit());
            const request = () =>
              new Request(APP_URL, { headers: { Cookie: cookie } });
            for (const sessions of managers) {
              assert.equal((await sessions.load(request())).get("user"), "ada");
            }

            await own.stop();
            for (const sessions of managers) {
              await assert.rejects(sessions.load(request()), SessionStoreError);
            }

            await own.start();
            for (const [i, sessions] of managers.entries()) {
              const deadline = Date.now() + 15_000;
              for (;;) {
                try {
                  const session = await sessions.load(request());
                  assert.equal(session.get("user"), "ada", mine[i].name);
                  break;
                } catch (error) {
                  if (!(error instanceof SessionStoreError)) throw error;
                  if (Date.now() > deadline) throw error;
                  await new Promise((resolve) => setTimeout(resolve, 50));
                }
              }
            }
          } finally {
            await Promise.all(mine.map((connection) => connection.close()));
            await own.close();
          }
        },
      );
    });
  });
}

/** The records' table of each store made by freshStore(). */
const tablesOf = new WeakMap<SessionStore, string>();

/** The records' table of a store made by freshStore(). */
function tableOf(store: SessionStore): string {
  const table = tablesOf.get(store);
  assert.ok(table, "a store made by freshStore()");
  return table;
}
