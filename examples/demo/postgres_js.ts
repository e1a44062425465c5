/**
 * Connects the PostgreSQL store to postgres.js (on Deno; it runs on Node and
 * Bun as well), set to fail a statement at once while the database is down
 * (the demo then answers 503) and to reconnect as soon as it is back.
 *
 * @module
 */
import postgres from "postgres";
import type { PostgresStoreClient } from "../../src/stores/postgres.ts";

/** A PostgreSQL store client over a postgres.js pool connected to `url`. */
export function connectPostgresJs(url: string): Promise<PostgresStoreClient> {
  const sql = postgres(url, {
    connect_timeout: 2,
    // Reconnect at once: by default postgres.js waits longer and longer
    // (up to 20 s) between attempts while the database is down, and the
    // requests wait with it instead of failing.
    backoff: () => 0,
    onnotice: () => {},
  });
  return Promise.resolve({
    query: (text, params) => sql.unsafe(text, params),
  });
}
