// The part of connect-pg-simple's API that the benchmark uses: the package
// ships no types, and @types/connect-pg-simple is not installed.

interface PgStoreOptions {
  /** Anything with pg's `pool.query(text, params)`. */
  pool?: { query(text: string, params?: unknown[]): Promise<unknown> };
  tableName?: string;
  schemaName?: string;
  createTableIfMissing?: boolean;
  pruneSessionInterval?: false | number;
}

/** Takes express-session's default export, returns the store's class. */
declare function connectPgSimple(
  session: unknown,
): new (options: PgStoreOptions) => unknown;

export default connectPgSimple;
