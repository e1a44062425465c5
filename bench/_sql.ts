// Private module of the benchmark: the SQL stores' clients, each counting the
// statements it sends (one statement is one round trip to PostgreSQL, one
// call into SQLite): a `pg` pool for PostgreSQL on every runtime, and the
// runtime's own synchronous SQLite driver (better-sqlite3 on Node,
// node:sqlite on Deno, bun:sqlite on Bun) on a file in a temporary folder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import {
  PostgresStore,
  type PostgresStoreClient,
} from "../src/stores/postgres.ts";
import {
  createSqliteStoreClient,
  type SqliteDatabase,
  SqliteStore,
  type SqliteStoreClient,
} from "../src/stores/sqlite.ts";
import { runtime } from "./_runtime.ts";

/** Something that counts the round trips it makes. */
export interface RoundTripCounter {
  /** Statements (or commands) sent so far: each is one round trip. */
  readonly roundTrips: number;
}

/** A PostgreSQL connection pool, with what the bench sends through it. */
export interface BenchPostgres extends RoundTripCounter {
  /** sesame's client: `(await pool.query(text, params)).rows`, counted. */
  readonly client: PostgresStoreClient;
  /** What connect-pg-simple takes as `pool`: `pool.query()`, counted. */
  readonly pool: { query(text: string, params?: unknown[]): Promise<unknown> };
  /** A `PostgresStore` over `client`, on a table created once. */
  store(): PostgresStore;
  /**
   * Updates the planner's statistics of the bench's tables (`ANALYZE`), as
   * autovacuum does for a table in use: without them, the planner of a
   * fresh table guesses that a third of its rows have expired, and sesame's
   * pruning on new records scans the whole table instead of its expiry
   * index.
   */
  analyze(): Promise<void>;
  /** Closes the pool. */
  close(): Promise<void>;
}

/** The table of the sesame rows, created (empty) by `connectPostgres()`. */
const SESAME_TABLE = "bench_sesame_sessions";

/** The table of connect-pg-simple, as its `table.sql` creates it. */
export const PG_SIMPLE_TABLE = "bench_pg_simple_sessions";

/** How many live sessions each PostgreSQL table holds before any cycle. */
export const POSTGRES_SEED_ROWS = 10_000;

/**
 * Connects a `pg` pool to the PostgreSQL at `url` and creates the tables of
 * sesame's `PostgresStore` and of connect-pg-simple, each holding
 * {@linkcode POSTGRES_SEED_ROWS} live sessions and analyzed: a table in
 * use, not a fresh one (see `analyze()`).
 */
export async function connectPostgres(url: string): Promise<BenchPostgres> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on("error", () => {});
  const counted = {
    roundTrips: 0,
    client: {
      query: async (text: string, params: string[]) => {
        counted.roundTrips++;
        return (await pool.query(text, params)).rows;
      },
    } satisfies PostgresStoreClient,
    pool: {
      query: (text: string, params?: unknown[]) => {
        counted.roundTrips++;
        return pool.query(text, params);
      },
    },
    store: () =>
      new PostgresStore({ client: counted.client, table: SESAME_TABLE }),
    async analyze() {
      await pool.query(`ANALYZE "${SESAME_TABLE}", "${PG_SIMPLE_TABLE}"`);
    },
    close: () => pool.end(),
  };
  for (
    const table of [SESAME_TABLE, `${SESAME_TABLE}_subjects`, PG_SIMPLE_TABLE]
  ) {
    await pool.query(`DROP TABLE IF EXISTS "${table}"`);
  }
  await counted.store().migrate();
  await pool.query(`CREATE TABLE "${PG_SIMPLE_TABLE}" (
  "sid" varchar NOT NULL COLLATE "default" PRIMARY KEY,
  "sess" json NOT NULL,
  "expire" timestamp(6) NOT NULL
)`);
  await pool.query(
    `CREATE INDEX "${PG_SIMPLE_TABLE}_expire" ON "${PG_SIMPLE_TABLE}" ("expire")`,
  );
  const expiresAt = String(Date.now() + 1_800_000);
  await pool.query(
    `INSERT INTO "${SESAME_TABLE}" (key, value, version, expires_at)
SELECT 'seed-' || i, '{}', 'AAAAAAAAAAAAAAAAAAAAAA', $1::bigint
FROM generate_series(1, $2::int) AS i`,
    [expiresAt, String(POSTGRES_SEED_ROWS)],
  );
  await pool.query(
    `INSERT INTO "${PG_SIMPLE_TABLE}" (sid, sess, expire)
SELECT 'seed-' || i, '{}', to_timestamp($1::bigint / 1000.0)
FROM generate_series(1, $2::int) AS i`,
    [expiresAt, String(POSTGRES_SEED_ROWS)],
  );
  await counted.analyze();
  return counted;
}

/** A SQLite database file, with a counting client. */
export interface BenchSqlite extends RoundTripCounter {
  /** The driver that opened it. */
  readonly driver: string;
  /** `createSqliteStoreClient()` of the database, counted. */
  readonly client: SqliteStoreClient;
  /** A `SqliteStore` over `client` (default `sweepEvery`), tables created. */
  store(): SqliteStore;
  /** Closes the database and removes its folder. */
  close(): void;
}

/** A synchronous database that the bench can configure and close. */
type Database = SqliteDatabase & {
  exec(sql: string): unknown;
  close(): unknown;
};

/** Imports a module that only some runtimes have (the name is not checked). */
function load(name: string): Promise<Record<string, unknown>> {
  return import(name);
}

/** Opens `path` with the runtime's synchronous SQLite driver. */
async function openDatabase(path: string): Promise<[string, Database]> {
  if (runtime === "bun") {
    const { Database } = await load("bun:sqlite") as {
      Database: new (path: string) => Database;
    };
    return ["bun:sqlite", new Database(path)];
  }
  if (runtime === "deno") {
    const { DatabaseSync } = await load("node:sqlite") as {
      DatabaseSync: new (path: string) => Database;
    };
    return ["node:sqlite", new DatabaseSync(path)];
  }
  const { default: Database } = await load("better-sqlite3") as {
    default: new (path: string) => Database;
  };
  return ["better-sqlite3", new Database(path)];
}

/**
 * Opens a SQLite file in a new temporary folder with the runtime's driver,
 * configured as the store's documentation does (`journal_mode = WAL`,
 * `busy_timeout = 5000`) with `synchronous = NORMAL` on every driver, and
 * creates the store's tables.
 */
export async function openSqlite(): Promise<BenchSqlite> {
  const directory = mkdtempSync(join(tmpdir(), "sesame-bench-sqlite-"));
  const [driver, database] = await openDatabase(
    join(directory, "sessions.sqlite"),
  );
  database.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000");
  // What better-sqlite3 is built with, and what WAL is usually paired with:
  // node:sqlite and bun:sqlite default to FULL, an fsync per commit.
  database.exec("PRAGMA synchronous = NORMAL");
  const inner = createSqliteStoreClient(database);
  const counted = {
    driver,
    roundTrips: 0,
    client: {
      all(sql: string, params: (string | number)[]) {
        counted.roundTrips++;
        return inner.all(sql, params);
      },
    } satisfies SqliteStoreClient,
    store: () => new SqliteStore({ client: counted.client }),
    close() {
      database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
  await counted.store().migrate();
  return counted;
}
