// Private module: never re-exported from an entry file.
//
// The CSRF token of a session, derived from its id: HMAC-SHA-256
// (RFC 2104, https://www.rfc-editor.org/rfc/rfc2104) keyed with the id over
// a fixed label, on the synchronous SHA-256 of `_sha256.ts`. It needs no
// secret and no storage: unguessable without the id (HMAC's output reveals
// nothing of its key), different from the store key (SHA-256 of the id, not
// an HMAC over this label), and it changes whenever the id does, that is on
// `regenerate()` and `destroy()`.

import {
  decodeBase64urlNoPadding,
  encodeBase64urlNoPadding,
} from "./_base64url.ts";
import { sha256 } from "./_sha256.ts";

/** SHA-256's block size, in bytes. */
const BLOCK = 64;

/** What the token authenticates: sesame's CSRF token, version 1. */
const LABEL = new TextEncoder().encode("sesame/csrf-token/v1");

const encoder = new TextEncoder();

/**
 * Computes HMAC-SHA-256 of `message` under `key`, synchronously.
 *
 * @param key The key; hashed first when longer than 64 bytes, as RFC 2104 says.
 * @param message The message.
 * @returns The 32-byte MAC.
 */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  const k = key.length > BLOCK ? sha256(key) : key;
  const inner = new Uint8Array(BLOCK + message.length);
  const outer = new Uint8Array(BLOCK + 32);
  for (let i = 0; i < BLOCK; i++) {
    const byte = i < k.length ? k[i] : 0;
    inner[i] = byte ^ 0x36;
    outer[i] = byte ^ 0x5c;
  }
  inner.set(message, BLOCK);
  outer.set(sha256(inner), BLOCK);
  return sha256(outer);
}

/** The 32 bytes of a session's token. */
function tokenBytes(sessionId: string): Uint8Array {
  return hmacSha256(encoder.encode(sessionId), LABEL);
}

/**
 * The CSRF token of the session with this id: 43 characters of base64url.
 *
 * @param sessionId The session's id.
 */
export function csrfTokenOf(sessionId: string): string {
  return encodeBase64urlNoPadding(tokenBytes(sessionId));
}

/**
 * Whether `submitted` is the token of the session with this id. The token
 * is decoded (anything that is not 43 characters of base64url fails at
 * once: its length is no secret) and its 32 bytes are compared in constant
 * time, so the time taken tells nothing of how many bytes matched.
 *
 * @param sessionId The session's id.
 * @param submitted The token the request carried, if any.
 */
export function csrfTokenMatches(
  sessionId: string,
  submitted: string | undefined,
): boolean {
  if (submitted === undefined || submitted.length !== 43) return false;
  const bytes = decodeBase64urlNoPadding(submitted);
  if (bytes === undefined) return false;
  return constantTimeEqual(bytes, tokenBytes(sessionId));
}

/**
 * Whether two byte arrays are equal, in a time that depends only on their
 * lengths: every byte is read and no branch depends on their values.
 *
 * @param a The first array.
 * @param b The second array.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const length = a.length;
  if (length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}
