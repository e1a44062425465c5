// Private module: what RedisStore sends to Redis and how it reads the
// replies. Each operation is one Lua script over one key; records are stored
// as a 22-character random version, a colon and the value.

import { encodeBase64urlNoPadding } from "../_base64url.ts";
import { describeValue } from "../_options.ts";
import type { SubjectIndex } from "../store.ts";
import type { RedisStoreClient } from "./redis.ts";

/** Random bytes in a version: 128 bits, so that no version ever repeats. */
const VERSION_BYTES = 16;

/** A version as the store writes it: 22 base64url characters. */
export const VERSION = /^[\w-]{22}$/;

/** A stored string that starts with a version and a colon. */
export const VERSIONED = /^[\w-]{22}:/;

/** The same check in Lua, over the first 23 bytes of a stored string. */
const LUA_IS_VERSIONED =
  "#head == 23 and string.find(head, '^[%w_%-]+:$') ~= nil";

/** The server's clock in milliseconds since the Unix epoch, in Lua. */
const LUA_NOW =
  "local time = redis.call('TIME')\nlocal now = time[1] * 1000 + math.floor(time[2] / 1000)";

// KEYS[1]: the record. Replies nil, or the stored string and its absolute
// expiry in milliseconds (-1 when it has none).
export const GET = `local stored = redis.call('GET', KEYS[1])
if not stored then return false end
return {stored, redis.call('PEXPIRETIME', KEYS[1])}`;

// KEYS[1]: the record. ARGV: the expiry, the versioned value, the
// precondition ("any", "absent" or "version") and the expected version.
// Replies 1 when it wrote, 0 when the precondition failed, 2 when it held but
// the expiry has passed by the server's clock (the key is then deleted, so
// such a write never leaves a live entry). Only the first 23 bytes of the
// current value are read.
export const SET = `if ARGV[3] ~= 'any' then
  local head = redis.call('GETRANGE', KEYS[1], 0, 22)
  if ARGV[3] == 'absent' then
    if ${LUA_IS_VERSIONED} then return 0 end
  elseif head ~= ARGV[4] .. ':' then
    return 0
  end
end
${LUA_NOW}
if tonumber(ARGV[1]) <= now then
  redis.call('DEL', KEYS[1])
  return 2
end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[1])
return 1`;

// KEYS[1]: the record. ARGV: the new expiry and the version to extend ("" for
// any). Replies 1 when it moved the expiry of a live entry of that version,
// else 0; an expiry that has passed by the server's clock moves nothing.
export const TOUCH = `local head = redis.call('GETRANGE', KEYS[1], 0, 22)
if not (${LUA_IS_VERSIONED}) then return 0 end
if ARGV[2] ~= '' and head ~= ARGV[2] .. ':' then return 0 end
${LUA_NOW}
if tonumber(ARGV[1]) <= now then return 0 end
return redis.call('PEXPIREAT', KEYS[1], ARGV[1])`;

// KEYS[1]: the record.
export const DELETE = "return redis.call('DEL', KEYS[1])";

// KEYS[1]: the subject's sorted set. ARGV: the expiry and the record key.
// Drops expired members, adds the key (keeping the later expiry of a key
// already there) and makes the set itself live at least as long.
const SUBJECT_ADD = `${LUA_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local expires = tonumber(ARGV[1])
if expires <= now then return 0 end
redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])
if redis.call('PEXPIRETIME', KEYS[1]) < expires then
  redis.call('PEXPIREAT', KEYS[1], ARGV[1])
end
return 1`;

// KEYS[1]: the subject's sorted set. Drops expired members, replies the rest.
const SUBJECT_LIST = `${LUA_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

// KEYS[1]: the subject's sorted set. ARGV: the record keys to forget, in
// batches that stay below Lua's limit on unpacked values.
const SUBJECT_REMOVE = `for i = 1, #ARGV, 1000 do
  redis.call('ZREM', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
return 0`;

/** The subject index of a {@linkcode RedisStore}: a sorted set per subject. */
export class RedisSubjectIndex implements SubjectIndex {
  #client: RedisStoreClient;
  #subjects: string;

  constructor(client: RedisStoreClient, subjects: string) {
    this.#client = client;
    this.#subjects = subjects;
  }

  async add(subject: string, key: string, expiresAt: number): Promise<void> {
    await this.#client.eval(SUBJECT_ADD, [this.#subjects + subject], [
      expiryArgument("Cannot add session to subject in Redis", expiresAt),
      key,
    ]);
  }

  async list(subject: string): Promise<string[]> {
    const reply = await this.#client.eval(
      SUBJECT_LIST,
      [this.#subjects + subject],
      [],
    );
    const keys = Array.isArray(reply) ? reply.map(toMember) : undefined;
    if (keys === undefined || keys.includes(undefined)) {
      throw malformed(
        "Cannot list sessions of subject in Redis",
        "an array of strings",
        reply,
      );
    }
    return keys as string[];
  }

  async remove(subject: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#client.eval(SUBJECT_REMOVE, [this.#subjects + subject], keys);
  }
}

const decoder = new TextDecoder();

/** A new random version: 128 bits as 22 base64url characters. */
export function createVersion(): string {
  const bytes = new Uint8Array(VERSION_BYTES);
  crypto.getRandomValues(bytes);
  return encodeBase64urlNoPadding(bytes);
}

/**
 * An expiry as a Redis argument: whole milliseconds, at least 1 (Redis
 * rejects 0 and negative absolute times; 1 is long past, so it expires the
 * key all the same).
 */
export function expiryArgument(action: string, expiresAt: number): string {
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
  return String(Math.max(1, Math.floor(expiresAt)));
}

/** Whether a reply is nil, in any of the shapes clients give it. */
export function isNil(reply: unknown): boolean {
  return reply === null || reply === undefined || reply === false;
}

/** A bulk string reply as text, or `undefined` when it is not one. */
export function toText(reply: unknown): string | undefined {
  if (typeof reply === "string") return reply;
  if (reply instanceof Uint8Array) return decoder.decode(reply);
  return undefined;
}

/** An integer reply as a number, or `undefined` when it is not one. */
export function toInteger(reply: unknown): number | undefined {
  const number = typeof reply === "number"
    ? reply
    : typeof reply === "bigint" ||
        (typeof reply === "string" && /^-?\d{1,16}$/.test(reply))
    ? Number(reply)
    : undefined;
  return Number.isSafeInteger(number) ? number : undefined;
}

/**
 * A member of a sorted set as text. Clients that parse replies as JSON (as
 * `@upstash/redis` does by default) turn a member such as `"123"` or `"true"`
 * into a number or boolean only when it converts back to the same text, so
 * `String` restores it.
 */
function toMember(reply: unknown): string | undefined {
  return (typeof reply === "number" && Number.isFinite(reply)) ||
      typeof reply === "boolean"
    ? String(reply)
    : toText(reply);
}

/** A `1` or `0` integer reply as a boolean. */
export function toFlag(reply: unknown, action: string): boolean {
  const flag = toInteger(reply);
  if (flag !== 0 && flag !== 1) throw malformed(action, "1 or 0", reply);
  return flag === 1;
}

/** The error for a reply of an unexpected shape. */
export function malformed(
  action: string,
  expected: string,
  reply: unknown,
): Error {
  return new Error(
    `${action}: expected ${expected} in reply, received ${
      describeValue(reply)
    }`,
  );
}
