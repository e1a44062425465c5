// Private module: never re-exported from an entry file.
//
// A synchronous SHA-256, written from FIPS 180-4
// (https://csrc.nist.gov/pubs/fips/180-4/upd1/final), because the session
// manager hashes one short id per request and `crypto.subtle.digest` costs a
// promise and a trip through the runtime for 43 bytes.
//
// All 32-bit words are kept as signed Int32 values: `| 0` wraps a sum modulo
// 2^32 (a sum of five Int32 values is exact in a double, so nothing is lost
// before the wrap), `>>>` is the logical right shift of section 3.2, and
// `^`, `&`, `|` and `~` always return Int32.

import { encodeBase64urlNoPadding } from "./_base64url.ts";

/** Section 4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

/** Section 5.3.3: first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const INITIAL_HASH = new Int32Array([
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
]);

// Scratch buffers, shared by every call. This is safe only because every
// function below is synchronous: no other call can run between the moment a
// buffer is written and the moment it is read, each call overwrites the part
// it reads before reading it, and no buffer (or a view of one) is ever
// returned or handed to caller code. So nothing one call puts here can reach
// the result of another call. Reusing them saves four allocations per hash,
// which is most of the cost for a 43-byte id. (The last input stays in the
// buffers until the next call, as it stays in the caller's own string or
// bytes until the garbage collector runs; zeroing them would not make the
// heap any cleaner.)

/** The running hash value H(i), section 6.2.2 step 4. */
const state = new Int32Array(8);
/** The message schedule W0..W63, section 6.2.2 step 1. */
const schedule = new Int32Array(64);
/** The padded last one or two blocks, section 5.1.1. */
const tail = new Uint8Array(128);
/** The digest of {@link sha256Base64url}, before encoding. */
const digest = new Uint8Array(32);
/** The UTF-8 bytes of an ASCII string given to {@link sha256Base64url}. */
const asciiBytes = new Uint8Array(256);

const encoder = new TextEncoder();

/**
 * Computes the SHA-256 digest of `bytes`, synchronously.
 *
 * @param bytes The message.
 * @returns The 32-byte digest, in a new array.
 *
 * @example Hash "abc"
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256 } from "./_sha256.ts";
 *
 * const digest = sha256(new TextEncoder().encode("abc"));
 * assert.equal(digest.length, 32);
 * assert.equal(digest[0], 0xba);
 * ```
 */
export function sha256(bytes: Uint8Array): Uint8Array {
  hash(bytes, bytes.length);
  const out = new Uint8Array(32);
  writeDigest(out);
  return out;
}

/**
 * Computes the SHA-256 digest of the UTF-8 encoding of `input` and encodes it
 * as base64url without padding.
 *
 * Strings of up to 256 ASCII characters, such as session ids, skip the
 * `TextEncoder` and the digest allocation. Lone surrogates are encoded as
 * U+FFFD, as `TextEncoder` does.
 *
 * @param input The message, as a string.
 * @returns The digest as 43 base64url characters.
 *
 * @example Hash a string
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Base64url } from "./_sha256.ts";
 *
 * assert.equal(
 *   sha256Base64url("abc"),
 *   "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0",
 * );
 * ```
 */
export function sha256Base64url(input: string): string {
  const length = input.length;
  let ascii = length <= asciiBytes.length;
  if (ascii) {
    for (let i = 0; i < length; i++) {
      const code = input.charCodeAt(i);
      if (code > 0x7f) {
        ascii = false;
        break;
      }
      asciiBytes[i] = code;
    }
  }
  if (ascii) {
    hash(asciiBytes, length);
  } else {
    const bytes = encoder.encode(input);
    hash(bytes, bytes.length);
  }
  writeDigest(digest);
  return encodeBase64urlNoPadding(digest);
}

/** Hashes `bytes[0:length]` into {@link state}: padding (5.1.1) and the loop of 6.2.2. */
function hash(bytes: Uint8Array, length: number): void {
  state.set(INITIAL_HASH);
  let offset = 0;
  for (; offset + 64 <= length; offset += 64) compress(bytes, offset);

  // The rest of the message, the bit "1", zeros, and the 64-bit message
  // length in bits: one block if the rest leaves 8 bytes free, else two.
  const rest = length - offset;
  const end = rest < 56 ? 64 : 128;
  for (let i = 0; i < rest; i++) tail[i] = bytes[offset + i];
  tail[rest] = 0x80;
  tail.fill(0, rest + 1, end - 8);
  const high = Math.floor(length / 0x20000000); // (length * 8) / 2^32
  const low = (length * 8) | 0; // exact: length < 2^53 / 8
  tail[end - 8] = high >>> 24;
  tail[end - 7] = high >>> 16;
  tail[end - 6] = high >>> 8;
  tail[end - 5] = high;
  tail[end - 4] = low >>> 24;
  tail[end - 3] = low >>> 16;
  tail[end - 2] = low >>> 8;
  tail[end - 1] = low;
  compress(tail, 0);
  if (end === 128) compress(tail, 64);
}

/** Section 6.2.2 steps 1 to 4 for the 64-byte block at `bytes[offset]`. */
function compress(bytes: Uint8Array, offset: number): void {
  const w = schedule;
  for (let t = 0; t < 16; t++, offset += 4) {
    w[t] = (bytes[offset] << 24) | (bytes[offset + 1] << 16) |
      (bytes[offset + 2] << 8) | bytes[offset + 3];
  }
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15];
    const y = w[t - 2];
    // σ0 and σ1 (4.6, 4.7)
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^
      (y >>> 10);
    w[t] = (s1 + w[t - 7] + s0 + w[t - 16]) | 0;
  }

  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  let e = state[4];
  let f = state[5];
  let g = state[6];
  let h = state[7];
  for (let t = 0; t < 64; t++) {
    // Σ1 (4.5), Ch (4.2), Σ0 (4.4) and Maj (4.3)
    const bigS1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^
      ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + bigS1 + ch + K[t] + w[t]) | 0;
    const bigS0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^
      ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + bigS0 + maj) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

/** Writes {@link state} into `out` as 32 big-endian bytes (section 6.2.2, last step). */
function writeDigest(out: Uint8Array): void {
  for (let i = 0, o = 0; i < 8; i++, o += 4) {
    const word = state[i];
    out[o] = word >>> 24;
    out[o + 1] = word >>> 16;
    out[o + 2] = word >>> 8;
    out[o + 3] = word;
  }
}
