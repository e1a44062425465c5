import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  createSessionId,
  hashSessionId,
  isSessionId,
} from "../src/session_id.ts";

const ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const CANONICAL_LAST = "AEIMQUYcgkosw048";

describe("createSessionId()", () => {
  test("returns 43 base64url characters", () => {
    for (let i = 0; i < 100; i++) {
      assert.match(createSessionId(), /^[A-Za-z0-9_-]{43}$/);
    }
  });

  test("ends every id in a character whose 2 spare bits are zero", () => {
    for (let i = 0; i < 1000; i++) {
      assert.ok(CANONICAL_LAST.includes(createSessionId().at(-1)!));
    }
  });

  test("returns 10,000 different ids", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) ids.add(createSessionId());
    assert.equal(ids.size, 10_000);
  });

  test("encodes the 32 bytes an injected random source gives", () => {
    assert.equal(createSessionId((bytes) => bytes.fill(0)), "A".repeat(43));
    assert.equal(
      createSessionId((bytes) => bytes.fill(0xff)),
      "_".repeat(42) + "8",
    );
    const counting = (bytes: Uint8Array) => {
      for (let i = 0; i < bytes.length; i++) bytes[i] = i;
    };
    assert.equal(
      createSessionId(counting),
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
    );
  });

  test("asks the random source for exactly 32 bytes, in a new array each time", () => {
    const seen: Uint8Array[] = [];
    const random = (bytes: Uint8Array) => {
      seen.push(bytes);
      bytes.fill(seen.length);
    };
    createSessionId(random);
    createSessionId(random);
    assert.equal(seen.length, 2);
    assert.equal(seen[0].length, 32);
    assert.notEqual(seen[0].buffer, seen[1].buffer);
  });

  test("draws every id from crypto.getRandomValues(), never the same bytes twice", () => {
    // Every byte WebCrypto hands out, in order: the ids must be exactly
    // these bytes, 32 per id, each used once, across several refills.
    const drawn: number[] = [];
    const original = crypto.getRandomValues;
    const recording = <T extends ArrayBufferView | null>(array: T): T => {
      original.call(crypto, array as Uint8Array<ArrayBuffer>);
      const view = array as ArrayBufferView;
      drawn.push(
        ...new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
      );
      return array;
    };
    Object.defineProperty(crypto, "getRandomValues", {
      value: recording,
      configurable: true,
      writable: true,
    });
    const ids: string[] = [];
    try {
      for (let i = 0; i < 300; i++) ids.push(createSessionId());
    } finally {
      delete (crypto as { getRandomValues?: unknown }).getRandomValues;
    }
    assert.equal(crypto.getRandomValues, original);
    const expected: string[] = [];
    for (let i = 0; i + 32 <= drawn.length; i += 32) {
      const bytes = drawn.slice(i, i + 32);
      expected.push(createSessionId((out) => out.set(bytes)));
    }
    // Ids already pooled before the recording started come first.
    const first = ids.indexOf(expected[0]);
    assert.ok(first >= 0 && first <= 64, `first drawn id at ${first}`);
    assert.ok(expected.length >= ids.length - first);
    assert.deepEqual(ids.slice(first), expected.slice(0, ids.length - first));
  });
});

describe("isSessionId()", () => {
  test("accepts every id createSessionId() returns", () => {
    for (let i = 0; i < 10_000; i++) assert.ok(isSessionId(createSessionId()));
  });

  test("accepts a canonical id made of any base64url characters", () => {
    assert.ok(isSessionId("A".repeat(43)));
    assert.ok(isSessionId(ALPHABET.slice(0, 42) + "w"));
    assert.ok(isSessionId(ALPHABET.slice(22, 64) + "0"));
    assert.ok(isSessionId("-_".repeat(21) + "4"));
  });

  test("rejects the wrong length", () => {
    const id = createSessionId();
    assert.ok(!isSessionId(""));
    assert.ok(!isSessionId(id.slice(0, 42)));
    assert.ok(!isSessionId(id + "A"));
    assert.ok(!isSessionId(id.slice(0, 42) + "AA"));
    assert.ok(!isSessionId(id + id));
  });

  test("accepts exactly 16 of the 64 possible last characters", () => {
    const prefix = createSessionId().slice(0, 42);
    const accepted = [...ALPHABET].filter((char) => isSessionId(prefix + char));
    assert.equal(accepted.join(""), CANONICAL_LAST);
  });

  test("rejects a non-canonical spelling of a valid id", () => {
    // "A" and "B" encode the same 2 data bits; only "A" has zero spare bits.
    assert.ok(!isSessionId("A".repeat(42) + "B"));
    assert.ok(!isSessionId("_".repeat(42) + "x"));
    assert.ok(!isSessionId("_".repeat(42) + "_"));
  });

  test("rejects base64 characters and padding", () => {
    const prefix = "A".repeat(42);
    for (const char of ["+", "/", "="]) {
      assert.ok(!isSessionId(prefix + char));
      assert.ok(!isSessionId(char + prefix));
      assert.ok(!isSessionId("A".repeat(20) + char + "A".repeat(22)));
    }
    assert.ok(!isSessionId("A".repeat(41) + "=="));
  });

  test("rejects whitespace anywhere", () => {
    const id = "A".repeat(43);
    for (const space of [" ", "\t", "\n", "\r", "\u00a0", "\u2028"]) {
      assert.ok(!isSessionId(space + id.slice(1)));
      assert.ok(!isSessionId(id.slice(0, 42) + space));
      assert.ok(!isSessionId(id.slice(0, 20) + space + id.slice(21)));
    }
  });

  test("rejects every character outside the alphabet, at every position", () => {
    const id = "A".repeat(43);
    for (let code = 0; code <= 0xffff; code++) {
      const char = String.fromCharCode(code);
      if (ALPHABET.includes(char)) continue;
      for (const i of [0, 21, 42]) {
        const value = id.slice(0, i) + char + id.slice(i + 1);
        if (isSessionId(value)) assert.fail(`accepted U+${code.toString(16)}`);
      }
    }
  });

  test("rejects non-ASCII characters whose low bits spell an ASCII letter", () => {
    // U+0141 and U+FF41 end in the same 7 bits as "A" and "a".
    assert.ok(!isSessionId("A".repeat(42) + "\u0141"));
    assert.ok(!isSessionId("\uff41" + "A".repeat(42)));
    assert.ok(!isSessionId("é".repeat(43)));
    assert.ok(!isSessionId("😀" + "A".repeat(41)));
  });

  test("rejects other token formats", () => {
    assert.ok(!isSessionId("0123456789abcdef".repeat(4))); // 64 hex digits
    assert.ok(!isSessionId("0123456789abcdef".repeat(2))); // 32 hex digits
    assert.ok(!isSessionId(crypto.randomUUID()));
    assert.ok(!isSessionId(btoa("x".repeat(32)))); // padded base64
  });

  test("rejects a 16 KB string without throwing", () => {
    assert.ok(!isSessionId("A".repeat(16 * 1024)));
    assert.ok(!isSessionId(createSessionId().repeat(400)));
  });
});

describe("hashSessionId()", () => {
  test("returns the base64url SHA-256 of the id", async () => {
    const id = createSessionId();
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(id)),
    );
    const expected = btoa(String.fromCharCode(...digest)).replaceAll("+", "-")
      .replaceAll("/", "_").replace(/=+$/, "");
    assert.equal(hashSessionId(id), expected);
  });

  test("matches a known digest", () => {
    // SHA-256 of 43 "A"s, computed with `openssl dgst -sha256 -binary`.
    assert.equal(
      hashSessionId("A".repeat(43)),
      "DwBzhbb51LfusnSGBa_hqYSgo7-j8BTQnip4TOnlzRo",
    );
  });

  test("returns the same key for the same id, and a different one for another id", () => {
    const id = createSessionId();
    assert.equal(hashSessionId(id), hashSessionId(id));
    assert.notEqual(hashSessionId(id), hashSessionId(createSessionId()));
  });

  test("never returns the id itself", () => {
    for (let i = 0; i < 100; i++) {
      const id = createSessionId();
      assert.notEqual(hashSessionId(id), id);
    }
  });
});
