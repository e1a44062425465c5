// Private module: what PostgresStore sends to PostgreSQL and how it reads the
// answers. Every operation is one parameterised statement; the only text
// interpolated into SQL is the table name, checked against IDENTIFIER first.

import { encodeBase64urlNoPadding } from "../_base64url.ts";
import { describeValue } from "../_options.ts";
import type { PostgresStoreClient } from "./postgres.ts";

/** The default table. */
export const DEFAULT_TABLE = "sesame_sessions";

/** A name PostgreSQL takes unquoted and unchanged: lowercase, a letter or `_` first. */
const NAME = "[a-z_][a-z0-9_]*";
/** A table name, optionally schema-qualified. */
const IDENTIFIER = new RegExp(`^(?:(${NAME})\\.)?(${NAME})$`);
/** The longest name PostgreSQL keeps (NAMEDATALEN - 1); longer ones are cut. */
const MAX_NAME_BYTES = 63;
/** The longest suffix added to the table's name: the subject index's index. */
const LONGEST_SUFFIX = "_subjects_expiry";
/** The longest table name whose derived names all fit MAX_NAME_BYTES. */
export const MAX_TABLE_BYTES = MAX_NAME_BYTES - LONGEST_SUFFIX.length;

/** The names of a store's tables and indexes, quoted for SQL. */
export interface TableNames {
  /** The table as given, for messages. */
  readonly table: string;
  /** The records' table, quoted (and schema-qualified when given so). */
  readonly records: string;
  /** The subject index's table, quoted. */
  readonly subjects: string;
  /** The index on the records' expiry (unqualified: it lives with its table). */
  readonly recordsExpiry: string;
  /** The index on the subject entries' expiry. */
  readonly subjectsExpiry: string;
}

/**
 * The quoted names of a table and of what goes with it, or a TypeError when
 * `table` is not a safe identifier.
 */
export function tableNames(action: string, table: unknown): TableNames {
  const match = typeof table === "string" ? IDENTIFIER.exec(table) : null;
  if (
    match === null || match[2].length > MAX_TABLE_BYTES ||
    (match[1] ?? "").length > MAX_NAME_BYTES
  ) {
    throw new TypeError(
      `${action}: table must be a lowercase SQL identifier ([a-z_][a-z0-9_]*, at most ${MAX_TABLE_BYTES} characters), optionally schema-qualified as "schema.table", received ${
        describeValue(table)
      }`,
    );
  }
  const [, schema, name] = match;
  const qualify = (relation: string) =>
    schema === undefined ? `"${relation}"` : `"${schema}"."${relation}"`;
  return {
    table: table as string,
    records: qualify(name),
    subjects: qualify(`${name}_subjects`),
    recordsExpiry: `"${name}_expiry"`,
    subjectsExpiry: `"${name}${LONGEST_SUFFIX}"`,
  };
}

/** The statements that create the tables and indexes, each idempotent. */
export function schemaStatements(names: TableNames): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${names.records} (
  key text COLLATE "C" PRIMARY KEY,
  value text NOT NULL,
  version text NOT NULL,
  expires_at bigint NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS ${names.recordsExpiry} ON ${names.records} (expires_at)`,
    `CREATE TABLE IF NOT EXISTS ${names.subjects} (
  subject text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (subject, key)
)`,
    `CREATE INDEX IF NOT EXISTS ${names.subjectsExpiry} ON ${names.subjects} (expires_at)`,
  ];
}

/**
 * The schema as one statement, so that it runs in one round trip and one
 * transaction on any client (a pool may send separate statements over
 * separate connections). The advisory lock makes concurrent first runs wait
 * for each other: two `CREATE TABLE IF NOT EXISTS` of one new table may
 * otherwise both try to create it, and one fails.
 */
export function migrateStatement(names: TableNames): string {
  const body = schemaStatements(names).map((statement) => `  ${statement};`)
    .join("\n");
  return `DO $sesame$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('sesame:${names.records}'));
${body}
END
$sesame$`;
}

/**
 * How many expired records a new record deletes at most: more than one, so
 * that a backlog drains while sessions are created.
 */
export const PRUNE_ON_CREATE = 4;

/**
 * The statements of a store over one pair of tables. Parameters are always
 * text, cast where another type is meant, so that every client sends them
 * the same way whatever types it infers. Expiries and clocks are whole
 * milliseconds since the Unix epoch.
 */
export function recordStatements(names: TableNames) {
  const { records, subjects } = names;
  const insert = `INSERT INTO ${records} AS r (key, value, version, expires_at)
VALUES ($1, $2, $3, $4::bigint)
ON CONFLICT (key) DO UPDATE
SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at`;
  return {
    // $1 key, $2 now. A row that has expired is not returned.
    get: `SELECT value, version, expires_at FROM ${records}
WHERE key = $1 AND expires_at > $2::bigint`,
    // $1 key, $2 value, $3 new version, $4 expiry. Writes whatever is there.
    setAny: `${insert}
RETURNING 1 AS written`,
    // $1-$4 as setAny, $5 now. Writes when no live row has the key: an
    // expired row is replaced in the same step. A new record then deletes
    // up to PRUNE_ON_CREATE other expired rows, found through the expiry
    // index (the ORDER BY makes the planner take it even before the table
    // has statistics: without it, a table never analysed was read whole),
    // so that the table stays bounded without a scheduled job. The
    // write comes first (the deletion reads its result) and the deletion
    // skips rows that other statements hold: it never waits for a lock
    // while holding one, so it cannot deadlock.
    setAbsent: `WITH written AS (
  ${insert.replaceAll("\n", "\n  ")}
  WHERE r.expires_at <= $5::bigint
  RETURNING 1 AS written
), pruned AS (
  DELETE FROM ${records} WHERE key = ANY (ARRAY(
    SELECT key FROM ${records}
    WHERE expires_at <= $5::bigint AND key <> $1
      AND EXISTS (SELECT FROM written)
    ORDER BY expires_at
    LIMIT ${PRUNE_ON_CREATE}
    FOR UPDATE SKIP LOCKED
  ))
)
SELECT written FROM written`,
    // $1-$4 as setAny, $5 now, $6 the version the write requires.
    setVersion: `UPDATE ${records}
SET value = $2, version = $3, expires_at = $4::bigint
WHERE key = $1 AND version = $6 AND expires_at > $5::bigint
RETURNING 1 AS written`,
    // A write whose expiry has passed, unconditional: $1 key.
    expireAny: `DELETE FROM ${records} WHERE key = $1`,
    // ... only if absent: $1 key, $2 now. Answers a row when a live one
    // exists (the precondition fails); deletes an expired one meanwhile.
    expireAbsent: `WITH dropped AS (
  DELETE FROM ${records} WHERE key = $1 AND expires_at <= $2::bigint
)
SELECT 1 AS live FROM ${records} WHERE key = $1 AND expires_at > $2::bigint`,
    // ... only over a version: $1 key, $2 now, $3 version. Answers a row
    // when it deleted the live row of that version.
    expireVersion: `DELETE FROM ${records}
WHERE key = $1 AND version = $3 AND expires_at > $2::bigint
RETURNING 1 AS deleted`,
    // $1 key, $2 new expiry, $3 now.
    touch: `UPDATE ${records} SET expires_at = $2::bigint
WHERE key = $1 AND expires_at > $3::bigint
RETURNING 1 AS touched`,
    // $1 key, $2 new expiry, $3 now, $4 version.
    touchVersion: `UPDATE ${records} SET expires_at = $2::bigint
WHERE key = $1 AND version = $4 AND expires_at > $3::bigint
RETURNING 1 AS touched`,
    // $1 key.
    delete: `DELETE FROM ${records} WHERE key = $1`,
    // $1 now. Counts what it deleted from both tables.
    deleteExpired: `WITH records AS (
  DELETE FROM ${records} WHERE expires_at <= $1::bigint RETURNING 1
), entries AS (
  DELETE FROM ${subjects} WHERE expires_at <= $1::bigint RETURNING 1
)
SELECT (SELECT count(*) FROM records)::text AS records,
  (SELECT count(*) FROM entries)::text AS entries`,
  };
}

/** The statements of the subject index. */
export function subjectStatements(names: TableNames) {
  const { subjects } = names;
  return {
    // $1 subject, $2 key, $3 expiry, $4 now. Keeps the later expiry of a
    // key already there, then drops the subject's other expired entries
    // that no other statement holds (as setAbsent, never waiting for a lock
    // while holding one).
    add: `WITH added AS (
  INSERT INTO ${subjects} AS s (subject, key, expires_at)
  VALUES ($1, $2, $3::bigint)
  ON CONFLICT (subject, key) DO UPDATE
  SET expires_at = GREATEST(s.expires_at, excluded.expires_at)
  RETURNING 1 AS added
), dropped AS (
  DELETE FROM ${subjects} WHERE subject = $1 AND key = ANY (ARRAY(
    SELECT key FROM ${subjects}
    WHERE subject = $1 AND expires_at <= $4::bigint AND key <> $2
      AND EXISTS (SELECT FROM added)
    FOR UPDATE SKIP LOCKED
  ))
)
SELECT added FROM added`,
    // $1 subject, $2 now. Drops the subject's expired entries, skipping
    // those another statement holds, so that a listing never waits for a
    // lock it could deadlock on; answers the live ones.
    list: `WITH dropped AS (
  DELETE FROM ${subjects} WHERE subject = $1 AND key = ANY (ARRAY(
    SELECT key FROM ${subjects}
    WHERE subject = $1 AND expires_at <= $2::bigint
    FOR UPDATE SKIP LOCKED
  ))
)
SELECT key FROM ${subjects} WHERE subject = $1 AND expires_at > $2::bigint`,
    // $1 subject, $2 the keys as an array literal.
    remove:
      `DELETE FROM ${subjects} WHERE subject = $1 AND key = ANY ($2::text[])`,
  };
}

/** Random bytes in a version: 128 bits, so that no version ever repeats. */
const VERSION_BYTES = 16;

/** A version as the store writes it: 22 base64url characters. */
export const VERSION = /^[\w-]{22}$/;

/** A new random version. */
export function createVersion(): string {
  const bytes = new Uint8Array(VERSION_BYTES);
  crypto.getRandomValues(bytes);
  return encodeBase64urlNoPadding(bytes);
}

/**
 * A key or subject as PostgreSQL text, which cannot hold U+0000: `\` becomes
 * `\\` and U+0000 becomes `\0`. Keys the manager writes (base64url) and
 * subjects without either character stay as they are.
 */
export function encodeText(text: string): string {
  return text.includes("\\") || text.includes("\0")
    ? text.replace(/[\\\0]/g, (c) => c === "\\" ? "\\\\" : "\\0")
    : text;
}

/** The inverse of {@linkcode encodeText}. */
export function decodeText(text: string): string {
  return text.includes("\\")
    ? text.replace(/\\([\\0])/g, (_, c) => c === "0" ? "\0" : "\\")
    : text;
}

/** Texts as a PostgreSQL array literal, for `$n::text[]`. */
export function arrayLiteral(texts: string[]): string {
  return `{${
    texts.map((text) => `"${text.replace(/["\\]/g, "\\$&")}"`).join(",")
  }}`;
}

/**
 * A time as a statement's parameter: whole milliseconds (a fractional time
 * is rounded down, which keeps every comparison with whole stored
 * milliseconds exact).
 */
export function millis(action: string, name: string, time: number): string {
  if (typeof time !== "number" || Number.isNaN(time)) {
    throw new TypeError(
      `${action}: ${name} must be a number, received ${describeValue(time)}`,
    );
  }
  if (Math.abs(time) > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(
      `${action}: ${name} must be a number of milliseconds from ${-Number
        .MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, received ${
        describeValue(time)
      }`,
    );
  }
  return String(Math.floor(time));
}

/** The UTF-8 size of `text` when it exceeds `limit`, else `undefined`. */
export function sizeOver(text: string, limit: number): number | undefined {
  // Each UTF-16 unit takes at most 3 bytes of UTF-8: most texts need no
  // encoding to know that they fit.
  if (text.length * 3 <= limit) return undefined;
  const bytes = encoder.encode(text).length;
  return bytes > limit ? bytes : undefined;
}

const encoder = new TextEncoder();

/** A `bigint` column as the client gives it, as a safe whole number. */
export function toMillis(value: unknown): number | undefined {
  const number = typeof value === "number"
    ? value
    : typeof value === "bigint" ||
        (typeof value === "string" && /^-?\d{1,16}$/.test(value))
    ? Number(value)
    : undefined;
  return Number.isSafeInteger(number) ? number : undefined;
}

/** The SQLSTATE of a client's error: `code` (pg, postgres.js, Neon) or `errno` (Bun). */
function sqlState(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, errno } = error as { code?: unknown; errno?: unknown };
  for (const candidate of [code, errno]) {
    if (typeof candidate === "string" && /^[0-9A-Z]{5}$/.test(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/** SQLSTATE undefined_table. */
const UNDEFINED_TABLE = "42P01";

/**
 * Runs one statement, and answers its rows. An error of the client goes
 * through unchanged, except an undefined table, which becomes an error that
 * says how to create it (with the client's error as `cause`).
 */
export async function run(
  client: PostgresStoreClient,
  names: TableNames,
  action: string,
  text: string,
  params: string[],
): Promise<readonly Record<string, unknown>[]> {
  let rows: unknown;
  try {
    rows = await client.query(text, params);
  } catch (error) {
    if (sqlState(error) === UNDEFINED_TABLE) {
      throw new Error(
        `${action}: the table ${
          JSON.stringify(names.table)
        } does not exist; create it with the store's migrate() or the statements of createTableStatements() first`,
        { cause: error },
      );
    }
    throw error;
  }
  if (!Array.isArray(rows)) {
    throw malformed(action, "an array of rows", rows);
  }
  return rows;
}

/** The error for an answer of an unexpected shape. */
export function malformed(
  action: string,
  expected: string,
  received: unknown,
): Error {
  return new Error(
    `${action}: expected ${expected} from the client, received ${
      describeValue(received)
    }`,
  );
}
