import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeBase64urlNoPadding,
  encodeBase64urlNoPadding,
} from "../src/_base64url.ts";

/** The reference: `btoa`, then the base64url alphabet, then no padding. */
function reference(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** Random bytes, in chunks: `getRandomValues` fills at most 65,536 at once. */
function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, i + 65536));
  }
  return bytes;
}

describe("encodeBase64urlNoPadding()", () => {
  test("matches the RFC 4648 test vectors, without padding", () => {
    const vectors: [string, string][] = [
      ["", ""],
      ["f", "Zg"],
      ["fo", "Zm8"],
      ["foo", "Zm9v"],
      ["foob", "Zm9vYg"],
      ["fooba", "Zm9vYmE"],
      ["foobar", "Zm9vYmFy"],
    ];
    const encoder = new TextEncoder();
    for (const [input, expected] of vectors) {
      assert.equal(encodeBase64urlNoPadding(encoder.encode(input)), expected);
    }
  });

  test('uses "-" and "_" where base64 uses "+" and "/"', () => {
    assert.equal(encodeBase64urlNoPadding(new Uint8Array([0xfb, 0xff])), "-_8");
    assert.equal(
      encodeBase64urlNoPadding(new Uint8Array([0xfb, 0xef, 0xbe])),
      "----",
    );
    assert.equal(
      encodeBase64urlNoPadding(new Uint8Array([0xff, 0xff, 0xff])),
      "____",
    );
  });

  test("encodes 32 bytes as 43 characters", () => {
    assert.equal(encodeBase64urlNoPadding(new Uint8Array(32)), "A".repeat(43));
    assert.equal(
      encodeBase64urlNoPadding(new Uint8Array(32).fill(0xff)),
      "_".repeat(42) + "8",
    );
  });

  test("matches the btoa reference on random inputs of 0 to 70 bytes", () => {
    for (let length = 0; length <= 70; length++) {
      for (let i = 0; i < 20; i++) {
        const bytes = crypto.getRandomValues(new Uint8Array(length));
        assert.equal(encodeBase64urlNoPadding(bytes), reference(bytes));
      }
    }
  });

  test("matches the btoa reference on inputs of many kilobytes", () => {
    for (const length of [6143, 6144, 6145, 12288, 65536 + 1]) {
      const bytes = randomBytes(length);
      assert.equal(
        encodeBase64urlNoPadding(bytes),
        reference(bytes),
        `${length}`,
      );
    }
  });

  test("encodes only the bytes a subarray views", () => {
    const bytes = crypto.getRandomValues(new Uint8Array(40));
    const view = bytes.subarray(5, 37);
    assert.equal(encodeBase64urlNoPadding(view), reference(view));
  });
});

describe("decodeBase64urlNoPadding", () => {
  test("round-trips random bytes of every length up to 70", () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      assert.deepEqual(
        decodeBase64urlNoPadding(encodeBase64urlNoPadding(bytes)),
        bytes,
      );
    }
  });

  test("refuses what is not canonical base64url without padding", () => {
    // Impossible lengths, padding, the base64 alphabet, non-zero spare
    // bits ("AB", "AAB"), non-ASCII and whitespace.
    for (
      const text of ["A", "AAAAA", "AA==", "A+B/", "AB", "AAB", "ä", " AAAA"]
    ) {
      assert.equal(decodeBase64urlNoPadding(text), undefined, text);
    }
    assert.deepEqual(decodeBase64urlNoPadding("AA"), new Uint8Array([0]));
    assert.deepEqual(decodeBase64urlNoPadding(""), new Uint8Array(0));
  });
});
