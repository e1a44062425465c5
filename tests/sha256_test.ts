import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { sha256, sha256Base64url } from "../src/_sha256.ts";

const encoder = new TextEncoder();

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(
    "",
  );
}

function toBase64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-")
    .replaceAll("/", "_").replace(/=+$/, "");
}

async function subtleSha256(bytes: BufferSource): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** A random integer in [0, max]. */
function randomInt(max: number): number {
  return Math.floor(Math.random() * (max + 1));
}

/** Examples from FIPS 180-4 and the NIST CAVP short and long message tests. */
const VECTORS: [name: string, message: string, hex: string][] = [
  [
    "the empty message",
    "",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  ],
  [
    '"abc" (one block)',
    "abc",
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  ],
  [
    "the 448-bit message (padding needs a second block)",
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  ],
  [
    "the 896-bit message",
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
  ],
  [
    'one million "a"',
    "a".repeat(1_000_000),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  ],
];

describe("sha256()", () => {
  for (const [name, message, hex] of VECTORS) {
    test(`matches the known digest of ${name}`, () => {
      assert.equal(toHex(sha256(encoder.encode(message))), hex);
    });
  }

  test("matches crypto.subtle at lengths around the block boundaries", async () => {
    for (const length of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128]) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      assert.deepEqual(sha256(bytes), await subtleSha256(bytes), `${length}`);
    }
  });

  test("matches crypto.subtle on 200 random inputs of 0 to 300 bytes", async () => {
    for (let i = 0; i < 200; i++) {
      const bytes = crypto.getRandomValues(new Uint8Array(randomInt(300)));
      assert.deepEqual(sha256(bytes), await subtleSha256(bytes));
    }
  });

  test("hashes only the bytes a subarray views", async () => {
    const buffer = crypto.getRandomValues(new Uint8Array(200));
    const view = buffer.subarray(7, 150);
    assert.deepEqual(sha256(view), await subtleSha256(view.slice()));
  });

  test("returns a new array that later calls do not change", () => {
    const first = sha256(encoder.encode("abc"));
    const second = sha256(encoder.encode("abc"));
    assert.notEqual(first, second);
    sha256(encoder.encode("something else"));
    assert.equal(toHex(first), VECTORS[1][2]);
  });

  test("does not modify its input", () => {
    const bytes = crypto.getRandomValues(new Uint8Array(100));
    const copy = bytes.slice();
    sha256(bytes);
    assert.deepEqual(bytes, copy);
  });
});

describe("sha256Base64url()", () => {
  for (const [name, message, hex] of VECTORS) {
    test(`matches the known digest of ${name}`, () => {
      const expected = btoa(
        String.fromCharCode(...hex.match(/../g)!.map((h) => parseInt(h, 16))),
      ).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
      assert.equal(sha256Base64url(message), expected);
    });
  }

  test("returns 43 base64url characters", () => {
    assert.match(sha256Base64url("abc"), /^[A-Za-z0-9_-]{43}$/);
  });

  test("matches crypto.subtle for ASCII strings of every length from 0 to 300", async () => {
    // Crosses the block boundaries and the 256-character ASCII fast path.
    for (let length = 0; length <= 300; length++) {
      let message = "";
      for (let i = 0; i < length; i++) {
        message += String.fromCharCode(randomInt(0x7f));
      }
      const expected = toBase64url(await subtleSha256(encoder.encode(message)));
      assert.equal(sha256Base64url(message), expected, `${length}`);
    }
  });

  test("hashes the UTF-8 encoding of non-ASCII strings", async () => {
    const messages = [
      "é",
      "héllo wörld",
      "日本語のセッション",
      "emoji 😀 and 🏳️‍🌈",
      "a".repeat(255) + "é", // non-ASCII just inside the fast-path length
      "é" + "a".repeat(300),
    ];
    for (const message of messages) {
      const expected = toBase64url(await subtleSha256(encoder.encode(message)));
      assert.equal(sha256Base64url(message), expected, message);
    }
  });

  test("encodes lone surrogates as U+FFFD, as TextEncoder does", () => {
    assert.equal(sha256Base64url("a\ud800b"), sha256Base64url("a\ufffdb"));
    assert.equal(sha256Base64url("\udc00"), sha256Base64url("\ufffd"));
  });

  test("matches crypto.subtle on 200 random Unicode strings", async () => {
    for (let i = 0; i < 200; i++) {
      let message = "";
      const length = randomInt(100);
      for (let j = 0; j < length; j++) {
        // Mostly ASCII, sometimes any code point (including surrogates).
        message += Math.random() < 0.8
          ? String.fromCharCode(randomInt(0x7f))
          : String.fromCodePoint(randomInt(0x10ffff));
      }
      const expected = toBase64url(await subtleSha256(encoder.encode(message)));
      assert.equal(sha256Base64url(message), expected);
    }
  });

  test("gives the same result before and after hashing other inputs", () => {
    const before = sha256Base64url("session");
    sha256Base64url("x".repeat(200));
    sha256(crypto.getRandomValues(new Uint8Array(1000)));
    assert.equal(sha256Base64url("session"), before);
  });
});
