/**
 * Connects the PostgreSQL store to a node-postgres (`pg`) pool (on Node),
 * set to fail a statement at once while the database is down (the demo then
 * answers 503) and to open new connections once it is back.
 *
 * @module
 */
import pg from "pg";
import type { PostgresStoreClient } from "../../src/stores/postgres.ts";

/** A PostgreSQL store client over a `pg` pool connected to `url`. */
export function connectPg(url: string): Promise<PostgresStoreClient> {
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: 2000,
  });
  // An idle connection that the server closes emits "error" on the pool,
  // which drops it; the failure surfaces per statement instead.
  pool.on("error", () => {});
  return Promise.resolve({
    query: async (text, params) => (await pool.query(text, params)).rows,
  });
}
