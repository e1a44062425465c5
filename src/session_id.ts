import {
  encodeBase64urlNoPadding,
  encodeBase64urlRange,
} from "./_base64url.ts";
import { sha256Base64url } from "./_sha256.ts";

/** Random bytes in a session id: 256 bits, as OWASP asks for at least 64. */
const ID_BYTES = 32;

/** Characters in a session id: base64url of 32 bytes, without padding. */
const ID_LENGTH = 43;

const ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * For each ASCII char code: 0 if it is not in the base64url alphabet, 1 if it
 * is, 3 if it also encodes a 6-bit value whose low 2 bits are zero (the only
 * characters allowed last, see {@link isSessionId}).
 */
const CHAR_CLASS = new Uint8Array(128);
for (let i = 0; i < 64; i++) {
  CHAR_CLASS[ALPHABET.charCodeAt(i)] = (i & 3) === 0 ? 3 : 1;
}

/**
 * Random bytes drawn ahead for the ids of the next 64 sessions: one
 * `crypto.getRandomValues()` call per 64 ids instead of one per id, since a
 * call costs about as much for 2,048 bytes as for 32 (1.3-1.6 µs on Node,
 * see bench/RESULTS.md). Bytes are zeroed as they are used, so the pool
 * holds only ids not yet issued. One pool per module instance: JavaScript
 * runs one request's code at a time, and workers have their own.
 */
const POOL = new Uint8Array(ID_BYTES * 64);
let poolOffset = POOL.length;

/**
 * Creates a new session id: 32 random bytes encoded as 43 base64url
 * characters.
 *
 * The 256 bits of randomness make ids impossible to guess or enumerate
 * ({@link https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html#session-id-entropy | OWASP}
 * asks for at least 64), so the id alone authenticates the session: send it
 * only in a `Secure`, `HttpOnly` cookie and never log it. Stores that keep
 * data outside the process should key records by {@link hashSessionId}.
 *
 * @param random Fills its argument with random bytes. Defaults to
 * `crypto.getRandomValues`; replace it only in tests, with a
 * cryptographically secure source anywhere else.
 * @returns A new id, for which {@link isSessionId} is `true`.
 *
 * @example Create an id
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSessionId, isSessionId } from "./session_id.ts";
 *
 * const id = createSessionId();
 * assert.equal(id.length, 43);
 * assert.ok(isSessionId(id));
 * ```
 *
 * @example Create a predictable id in a test
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSessionId } from "./session_id.ts";
 *
 * const id = createSessionId((bytes) => bytes.fill(0));
 * assert.equal(id, "A".repeat(43));
 * ```
 */
export function createSessionId(
  random?: (bytes: Uint8Array) => void,
): string {
  if (random !== undefined) {
    const bytes = new Uint8Array(ID_BYTES);
    random(bytes);
    return encodeBase64urlNoPadding(bytes);
  }
  if (poolOffset === POOL.length) {
    crypto.getRandomValues(POOL);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += ID_BYTES;
  const id = encodeBase64urlRange(POOL, start, poolOffset);
  POOL.fill(0, start, poolOffset);
  return id;
}

/**
 * Checks whether `value` is a well-formed session id, as
 * {@link createSessionId} makes them.
 *
 * It accepts only the canonical spelling: exactly 43 characters from
 * `A-Z`, `a-z`, `0-9`, `-` and `_`, the last of which is one of
 * `AEIMQUYcgkosw048`. The 43 characters carry 258 bits for 256 bits of data;
 * requiring the 2 spare bits to be zero gives every id exactly one accepted
 * spelling, so no two cookie values can name the same session. It never
 * throws, and it checks the length before reading any character, so a huge
 * value costs nothing: call it first on any cookie value.
 *
 * @param value A string from an untrusted source, such as a cookie.
 * @returns `true` if `value` is a canonical session id, else `false`.
 *
 * @example Check a cookie value
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSessionId, isSessionId } from "./session_id.ts";
 *
 * assert.ok(isSessionId(createSessionId()));
 * assert.ok(isSessionId("A".repeat(43)));
 * assert.ok(!isSessionId("B".repeat(43))); // non-canonical last character
 * assert.ok(!isSessionId("A".repeat(44)));
 * assert.ok(!isSessionId("not a session id"));
 * ```
 */
export function isSessionId(value: string): boolean {
  if (value.length !== ID_LENGTH) return false;
  for (let i = 0; i < ID_LENGTH - 1; i++) {
    const code = value.charCodeAt(i);
    if (code > 0x7f || CHAR_CLASS[code] === 0) return false;
  }
  const last = value.charCodeAt(ID_LENGTH - 1);
  return last <= 0x7f && CHAR_CLASS[last] === 3;
}

/**
 * Derives the key under which a store keeps a session's record: the SHA-256
 * of the id, as 43 base64url characters.
 *
 * Stores whose data leaves the process (Redis, a database, Deno KV) should
 * key records by this hash rather than by the id, so that a leaked dump or
 * key listing holds no value that works as a session cookie. Since the id has
 * 256 random bits, a plain, unkeyed SHA-256 is enough: there is nothing to
 * brute-force. The hash is computed synchronously, in under a microsecond.
 *
 * @param id A session id, as from {@link createSessionId}.
 * @returns The base64url encoding of the SHA-256 digest of the id, without
 * padding (43 characters).
 *
 * @example Derive a store key
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSessionId, hashSessionId } from "./session_id.ts";
 *
 * const id = createSessionId();
 * const key = hashSessionId(id);
 * assert.equal(key.length, 43);
 * assert.notEqual(key, id);
 * assert.equal(hashSessionId(id), key);
 * ```
 */
export function hashSessionId(id: string): string {
  return sha256Base64url(id);
}
