// Private module: what DurableObjectStore sends to a SessionDurableObject and
// what comes back. Each store call is one `stub.fetch()` of a POST whose body
// is one JSON command; the object answers 200 with one JSON reply, or 400 with
// a message when the command is malformed. Both sides validate what they
// read, so a mismatched version of either side fails loudly, never silently.

import { describeValue } from "../_options.ts";

/** The URL of every command: the object sees only its path and body. */
export const COMMAND_URL = "https://sesame.invalid/v1";

/** The most bytes of UTF-8 a record's value may take. */
export const MAX_VALUE_BYTES = 1_048_576;

/** A version as the object writes it: 128 random bits as 22 base64url characters. */
export const VERSION = /^[\w-]{22}$/;

/** What a `set` writes over: anything, no live record, or one version. */
export type Condition = "any" | "absent" | "version";

/** A command, as the store sends it and the object reads it. */
export type Command =
  | { op: "get"; key: string }
  | {
    op: "set";
    key: string;
    value: string;
    expiresAt: number;
    condition: Condition;
    version: string;
  }
  | { op: "delete"; key: string }
  | { op: "touch"; key: string; expiresAt: number; version: string }
  | { op: "add"; subject: string; key: string; expiresAt: number }
  | { op: "list"; subject: string }
  | { op: "remove"; subject: string; keys: string[] };

/** The reply to a `get`. */
export type GetReply = {
  entry: { value: string; expiresAt: number; version: string } | null;
};

/**
 * The reply to a `set`: `written` 1 with the new version, 0 when the
 * precondition failed, 2 when it held but the expiry had passed by the
 * object's clock (the record is then gone).
 */
export type SetReply = { written: 0 | 2 } | { written: 1; version: string };

/** The reply to a `touch`: whether a live record of that version moved. */
export type TouchReply = { touched: boolean };

/** The reply to a `list`. */
export type ListReply = { keys: string[] };

/** The reply to `delete`, `add` and `remove`. */
export type DoneReply = { done: true };

/** A reply that is not of the expected shape. */
export function malformed(
  action: string,
  expected: string,
  received: unknown,
): Error {
  return new Error(
    `${action}: expected ${expected} from the Durable Object, received ${
      describeValue(received)
    }`,
  );
}

/**
 * Reads a command from a request body, or returns the reason it is not one.
 * Only the fields of the command's operation are read.
 */
export function parseCommand(body: unknown): Command | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return `a command must be a JSON object, received ${describeValue(body)}`;
  }
  const fields = body as Record<string, unknown>;
  const text = (name: string): string | undefined =>
    typeof fields[name] === "string" ? fields[name] as string : undefined;
  const time = (name: string): number | undefined =>
    typeof fields[name] === "number" && Number.isFinite(fields[name])
      ? fields[name] as number
      : undefined;
  const missing = (name: string, expected: string) =>
    `${name} must be ${expected}, received ${describeValue(fields[name])}`;
  const op = fields.op;
  const key = text("key");
  const subject = text("subject");
  const expiresAt = time("expiresAt");
  const version = text("version");
  switch (op) {
    case "get":
    case "delete":
      return key === undefined ? missing("key", "a string") : { op, key };
    case "set": {
      const value = text("value");
      const condition = fields.condition;
      if (key === undefined) return missing("key", "a string");
      if (value === undefined) return missing("value", "a string");
      if (expiresAt === undefined) return missing("expiresAt", "a number");
      if (
        condition !== "any" && condition !== "absent" && condition !== "version"
      ) {
        return missing("condition", '"any", "absent" or "version"');
      }
      if (version === undefined) return missing("version", "a string");
      return { op, key, value, expiresAt, condition, version };
    }
    case "touch":
      if (key === undefined) return missing("key", "a string");
      if (expiresAt === undefined) return missing("expiresAt", "a number");
      if (version === undefined) return missing("version", "a string");
      return { op, key, expiresAt, version };
    case "add":
      if (subject === undefined) return missing("subject", "a string");
      if (key === undefined) return missing("key", "a string");
      if (expiresAt === undefined) return missing("expiresAt", "a number");
      return { op, subject, key, expiresAt };
    case "list":
      return subject === undefined
        ? missing("subject", "a string")
        : { op, subject };
    case "remove": {
      const keys = fields.keys;
      if (subject === undefined) return missing("subject", "a string");
      if (
        !Array.isArray(keys) || !keys.every((each) => typeof each === "string")
      ) {
        return missing("keys", "an array of strings");
      }
      return { op, subject, keys };
    }
    default:
      return missing(
        "op",
        '"get", "set", "delete", "touch", "add", "list" or "remove"',
      );
  }
}
