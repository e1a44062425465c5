// Private module: the SQL that SqliteStore sends, built once per table name,
// and how it reads what comes back. Every operation is one parameterised
// statement; only the (validated, quoted) table names are interpolated.

import { encodeBase64urlNoPadding } from "../_base64url.ts";
import { describeValue } from "../_options.ts";

/** The default table of records; the subject index is this name + `_subjects`. */
export const DEFAULT_TABLE = "sesame_sessions";

/**
 * A table name the store accepts: letters, digits and underscores, not
 * starting with a digit, at most 63 characters, and none of the prefixes
 * SQLite (`sqlite_`) and D1 (`_cf_`) reserve for themselves, in any case.
 */
const TABLE_NAME = /^(?!sqlite_|_cf_)[A-Za-z_][A-Za-z0-9_]{0,62}$/i;

/** A version as the store writes it: 128 random bits as 22 base64url characters. */
export const VERSION = /^[\w-]{22}$/;

/** Rows deleted per statement by `deleteExpired()`. */
export const DELETE_BATCH = 1000;

/** Whether `name` can name the store's table. */
export function isTableName(name: unknown): name is string {
  return typeof name === "string" && TABLE_NAME.test(name);
}

/**
 * The statements that create the store's tables, then their indexes, if
 * missing.
 */
export function schemaStatements(
  table: string,
): { tables: string[]; indexes: string[] } {
  const records = `"${table}"`;
  const subjects = `"${table}_subjects"`;
  return {
    tables: [
      `CREATE TABLE IF NOT EXISTS ${records} (
  key TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  version TEXT NOT NULL,
  expires_at INTEGER NOT NULL
)`,
      `CREATE TABLE IF NOT EXISTS ${subjects} (
  subject TEXT NOT NULL,
  key TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (subject, key)
) WITHOUT ROWID`,
    ],
    indexes: [
      `CREATE INDEX IF NOT EXISTS "${table}_expiry" ON ${records} (expires_at)`,
      `CREATE INDEX IF NOT EXISTS "${table}_subjects_expiry" ON ${subjects} (expires_at)`,
    ],
  };
}

/**
 * The statements of one store, over one table. Parameters are positional
 * (`?`), in the order given in each comment.
 */
export interface Statements {
  /** key, now: the live record's value, version and expiry. */
  get: string;
  /** key, value, version, expiresAt: write whatever is there. */
  put: string;
  /** key, value, version, expiresAt, now: write only over nothing live. */
  create: string;
  /** value, version, expiresAt, key, version read, now: write over that version only. */
  replace: string;
  /** key, now: one row when a live record exists. */
  live: string;
  /** key: delete the record. */
  delete: string;
  /** key, version, now: delete that live version; one row when it did. */
  deleteVersion: string;
  /** expiresAt, key, now: move the live record's expiry. */
  touch: string;
  /** expiresAt, key, version, now: move that live version's expiry. */
  touchVersion: string;
  /** now, limit: delete expired records; one row each. */
  deleteExpiredRecords: string;
  /** now, limit: delete expired index entries; one row each. */
  deleteExpiredSubjects: string;
  /** subject, key, expiresAt: index the key, keeping the later expiry. */
  subjectAdd: string;
  /** subject, now: the subject's live keys. */
  subjectList: string;
  /** subject, keys as a JSON array: forget those keys. */
  subjectRemove: string;
  /** Fails unless the tables have the store's columns. */
  checkColumns: string;
}

/** Builds the statements over `table` (already validated). */
export function statementsFor(table: string): Statements {
  const t = `"${table}"`;
  const s = `"${table}_subjects"`;
  const columns = "key, value, version, expires_at";
  return {
    get:
      `SELECT value, version, expires_at FROM ${t} WHERE key = ? AND expires_at > ?`,
    put: `INSERT INTO ${t} (${columns}) VALUES (?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at
RETURNING 1 AS written`,
    create: `INSERT INTO ${t} (${columns}) VALUES (?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, expires_at = excluded.expires_at
WHERE ${t}.expires_at <= ?
RETURNING 1 AS written`,
    replace: `UPDATE ${t} SET value = ?, version = ?, expires_at = ?
WHERE key = ? AND version = ? AND expires_at > ?
RETURNING 1 AS written`,
    live: `SELECT 1 AS live FROM ${t} WHERE key = ? AND expires_at > ?`,
    delete: `DELETE FROM ${t} WHERE key = ?`,
    deleteVersion:
      `DELETE FROM ${t} WHERE key = ? AND version = ? AND expires_at > ? RETURNING 1 AS deleted`,
    touch:
      `UPDATE ${t} SET expires_at = ? WHERE key = ? AND expires_at > ? RETURNING 1 AS touched`,
    touchVersion:
      `UPDATE ${t} SET expires_at = ? WHERE key = ? AND version = ? AND expires_at > ? RETURNING 1 AS touched`,
    deleteExpiredRecords: `DELETE FROM ${t} WHERE rowid IN (
  SELECT rowid FROM ${t} WHERE expires_at <= ? LIMIT ?
) RETURNING 1 AS deleted`,
    deleteExpiredSubjects: `DELETE FROM ${s} WHERE (subject, key) IN (
  SELECT subject, key FROM ${s} WHERE expires_at <= ? LIMIT ?
) RETURNING 1 AS deleted`,
    subjectAdd: `INSERT INTO ${s} (subject, key, expires_at) VALUES (?, ?, ?)
ON CONFLICT (subject, key) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
    subjectList: `SELECT key FROM ${s} WHERE subject = ? AND expires_at > ?`,
    subjectRemove:
      `DELETE FROM ${s} WHERE subject = ? AND key IN (SELECT value FROM json_each(?))`,
    checkColumns: `SELECT ${t}.key, ${t}.value, ${t}.version, ${t}.expires_at,
  ${s}.subject, ${s}.key, ${s}.expires_at
FROM ${t}, ${s} WHERE 0`,
  };
}

/** A new random version: 128 bits as 22 base64url characters. */
export function createVersion(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return encodeBase64urlNoPadding(bytes);
}

/**
 * An expiry as the store binds it: a number of milliseconds within ±2^53 - 1,
 * kept as it is (a fractional one too, so that it reads back the same).
 */
export function expiryArgument(action: string, expiresAt: unknown): number {
  if (typeof expiresAt !== "number" || Number.isNaN(expiresAt)) {
    throw new TypeError(
      `${action}: expiresAt must be a number, received ${
        describeValue(expiresAt)
      }`,
    );
  }
  if (Math.abs(expiresAt) > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(
      `${action}: expiresAt must be a number of milliseconds from ${-Number
        .MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, received ${
        describeValue(expiresAt)
      }`,
    );
  }
  return expiresAt;
}

/**
 * A number column as a number: drivers set to read integers as `bigint`
 * (`safeIntegers`, `readBigInts`) or as text (libsql's `intMode: "string"`)
 * give it so. `undefined` for anything else.
 */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isNaN(value) ? undefined : value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value)) {
    return Number(value);
  }
  return undefined;
}

/** A column of a row, or `undefined` when the row is not an object. */
export function column(row: unknown, name: string): unknown {
  return typeof row === "object" && row !== null
    ? (row as Record<string, unknown>)[name]
    : undefined;
}

/** Whether an error (or one of its causes) says that a table does not exist. */
export function isMissingTable(error: unknown): boolean {
  for (let depth = 0; depth < 4; depth++) {
    if (typeof error !== "object" || error === null) return false;
    const message = (error as { message?: unknown }).message;
    if (typeof message === "string" && /no such table/i.test(message)) {
      return true;
    }
    error = (error as { cause?: unknown }).cause;
  }
  return false;
}
