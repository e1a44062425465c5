// Property tests (fast-check) of the cookie codec and of the whole request
// path: for any Cookie header a client can send, nothing throws, no id that
// sesame did not issue is ever adopted or written, and a real session is
// loaded exactly when its cookie is unambiguous. Every property runs with a
// fixed seed, so that a failure replays; fast-check prints the seed and the
// shrunk counterexample.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createSessionCookie } from "../src/cookie.ts";
import { createSessionManager, type SessionManager } from "../src/manager.ts";
import { encodeBase64urlNoPadding } from "../src/_base64url.ts";
import { hashSessionId, isSessionId } from "../src/session_id.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import type { SessionStore, StoreSetOptions } from "../src/store.ts";
import { FakeClock } from "./_fake_clock.ts";
import { referenceValues } from "./_cookie_jar.ts";

const SEED = 0x5e5a3e;
const RUNS = 300;
const HTTP = "http://app.test/";
const HTTPS = "https://app.test/";

// RFC 7230 tchar and RFC 6265 cookie-octet, spelled out rather than taken
// from the module under test.
const TCHARS = [..."!#$%&'*+-.^_`|~0123456789"]
  .concat([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"]);
const COOKIE_OCTETS: string[] = [];
for (let code = 0x21; code <= 0x7e; code++) {
  if (![0x22, 0x2c, 0x3b, 0x5c].includes(code)) {
    COOKIE_OCTETS.push(String.fromCharCode(code));
  }
}
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const OCTETS = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;

/** A Request whose Cookie header is `header`, or a stand-in when `Headers` refuses it. */
function requestWith(url: string, header: string): Request {
  try {
    return new Request(url, { headers: { cookie: header } });
  } catch {
    // Not a valid header value (CR, LF, NUL, non-Latin-1): a runtime never
    // hands it over, but a proxy or an adapter might.
    return standIn(url, header);
  }
}

/** A stand-in for a Request whose Cookie header is exactly `header`. */
function standIn(url: string, header: string): Request {
  return {
    url,
    headers: {
      get: (name: string) => name.toLowerCase() === "cookie" ? header : null,
    },
  } as unknown as Request;
}

// ---------------------------------------------------------------------------
// Arbitraries

/** Any UTF-16 code unit or code point, biased towards cookie syntax and controls. */
const anyChar: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      ";",
      "=",
      " ",
      "\t",
      '"',
      ",",
      "\\",
      "%",
      "\r",
      "\n",
      "\0",
      "\x7f",
      "sid",
      "__Host-sid",
    ),
    weight: 4,
  },
  { arbitrary: fc.integer({ min: 0, max: 0x1f }), weight: 1 },
  { arbitrary: fc.integer({ min: 0x20, max: 0x7e }), weight: 4 },
  { arbitrary: fc.integer({ min: 0x80, max: 0xffff }), weight: 1 }, // incl. lone surrogates
  {
    arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((code) =>
      String.fromCodePoint(code)
    ),
    weight: 1,
  },
).map((unit) => typeof unit === "number" ? String.fromCharCode(unit) : unit);

/** Junk of any characters. */
const junk = fc.string({ unit: anyChar, maxLength: 120 });

/** A canonical, well-formed session id that nobody issued. */
const wellFormedId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(
  encodeBase64urlNoPadding,
);

/** A value that is large: 1 KB to 64 KB of one character. */
const hugeValue = fc.tuple(
  fc.constantFrom("A", "x", "=", "%", '"', " "),
  fc.integer({ min: 1024, max: 64 * 1024 }),
).map(([char, length]) => char.repeat(length));

/** Cookie values of every kind an attacker might send. */
const cookieValue = fc.oneof(
  wellFormedId,
  wellFormedId.map((id) => `"${id}"`),
  wellFormedId.map((id) =>
    [...id].map((c) => "%" + c.charCodeAt(0).toString(16)).join("")
  ),
  wellFormedId.map((id) => `${id}=`),
  wellFormedId.map((id) => `${id}=${id}`),
  fc.string({ unit: fc.constantFrom(...COOKIE_OCTETS), maxLength: 60 }),
  junk,
  hugeValue,
  fc.constant(""),
);

const cookieName = fc.oneof(
  fc.constantFrom(
    "sid",
    "__Host-sid",
    "__Secure-sid",
    "SID",
    "Sid",
    "sid ",
    " sid",
    "sid2",
    "s",
    "",
    '"sid"',
  ),
  fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 }),
  junk,
);

const pair = fc.tuple(
  cookieName,
  fc.constantFrom("=", " = ", "==", "\t=", ""),
  cookieValue,
).map(([name, eq, value]) => `${name}${eq}${value}`);

const separator = fc.constantFrom(";", "; ", ";\t", " ; ", ";;", ", ");

/** A whole Cookie header: junk, a few pairs, hundreds of pairs, or a huge one. */
const cookieHeader: fc.Arbitrary<string> = fc.oneof(
  junk,
  fc.tuple(fc.array(fc.oneof(pair, junk), { maxLength: 30 }), separator)
    .map(([parts, sep]) => parts.join(sep)),
  fc.tuple(
    fc.array(pair, { minLength: 100, maxLength: 600 }),
    separator,
  ).map(([parts, sep]) => parts.join(sep)),
  fc.tuple(fc.array(wellFormedId, { minLength: 2, maxLength: 5 }), separator)
    .map(([ids, sep]) => ids.map((id) => `sid=${id}`).join(sep)),
);

// ---------------------------------------------------------------------------
// The cookie codec

describe("cookie codec properties", () => {
  test("createSessionCookie().read() finds a value exactly when its name is in one pair", () => {
    // Names are tokens; values hold anything but ';' and have no surrounding
    // whitespace: then the header is unambiguous and read() must return the
    // value byte for byte when the name is in exactly one pair, and nothing
    // when it is in none or several, or the value is empty.
    const value = fc.oneof(
      fc.string({ unit: anyChar, maxLength: 40 }),
      hugeValue,
    ).map((v) => v.replaceAll(";", "").replace(/^[ \t]+|[ \t]+$/g, ""));
    const name = fc.oneof(
      fc.constantFrom("sid", "__Host-sid", "a", "ab"),
      fc.string({
        unit: fc.constantFrom(...TCHARS),
        minLength: 1,
        maxLength: 8,
      }),
    );
    // A session cookie's own name never starts with a prefix.
    const target = name.filter((n) => !/^__(host|secure)-/i.test(n));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, value), { maxLength: 300 }),
        target,
        fc.constantFrom("; ", ";", ";\t", " ;  "),
        (pairs, target, sep) => {
          const header = pairs.map(([n, v]) => `${n}=${v}`).join(sep);
          const values = pairs.filter(([n]) => n === target).map(([, v]) => v);
          const cookie = createSessionCookie({ name: target, secure: false });
          assert.equal(
            cookie.read(standIn(HTTPS, header)),
            values.length === 1 && values[0] !== "" ? values[0] : undefined,
          );
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test("createSessionCookie().read() never throws, whatever the header", () => {
    const cookies = [
      createSessionCookie(),
      createSessionCookie({ name: "app", secure: true }),
      createSessionCookie({ secure: false }),
    ];
    fc.assert(
      fc.property(
        cookieHeader,
        fc.constantFrom(HTTP, HTTPS),
        (header, url) => {
          const request = requestWith(url, header);
          for (const cookie of cookies) {
            const value = cookie.read(request);
            assert.ok(value === undefined || typeof value === "string");
            if (value !== undefined) {
              assert.notEqual(value, "");
              assert.ok(!value.includes(";"));
              assert.doesNotMatch(value, /^[ \t]|[ \t]$/);
            }
            // read() answers only for a cookie present exactly once.
            const values = referenceValues(
              request.headers.get("cookie") ?? "",
              cookie.nameFor(request),
            );
            assert.equal(
              value,
              values.length === 1 && values[0] !== "" ? values[0] : undefined,
            );
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  const validName = fc.string({
    unit: fc.constantFrom(...TCHARS),
    minLength: 1,
    maxLength: 64,
  });
  const validValue = fc.oneof(
    fc.string({
      unit: fc.constantFrom(...COOKIE_OCTETS),
      minLength: 1,
      maxLength: 300,
    }),
    fc.integer({ min: 1000, max: 4000 }).map((n) => "v".repeat(n)),
  );

  test("createSessionCookie() serialize() and read() round-trip any cookie-octets", () => {
    const options = fc.record({
      name: validName.filter((n) => !/^__(host|secure)-/i.test(n)),
      secure: fc.constantFrom(true, false, "auto" as const),
      httpOnly: fc.boolean(),
      persistent: fc.boolean(),
    });
    fc.assert(
      fc.property(
        options,
        validValue,
        fc.constantFrom(HTTP, HTTPS),
        fc.double({ min: -10, max: 1e9, noNaN: true }),
        (opts, value, url, maxAge) => {
          const cookie = createSessionCookie(opts);
          const request = new Request(url);
          const setCookie = cookie.serialize(request, value, maxAge);
          const sent = setCookie.slice(0, setCookie.indexOf(";"));
          assert.equal(sent, `${cookie.nameFor(request)}=${value}`);
          assert.equal(
            cookie.read(new Request(url, { headers: { cookie: sent } })),
            value,
          );
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test("createSessionCookie() throws a TypeError, and nothing else, for an invalid name or value", () => {
    const invalidName = fc.oneof(
      fc.string({ unit: anyChar, maxLength: 30 }).filter((s) => !TOKEN.test(s)),
      // undefined is the default name.
      fc.anything().filter((v) => typeof v !== "string" && v !== undefined),
    );
    const invalidValue = fc.oneof(
      fc.string({ unit: anyChar, minLength: 1, maxLength: 30 }).filter((s) =>
        !OCTETS.test(s)
      ),
      fc.anything().filter((v) => typeof v !== "string"),
    );
    const isTypeError = (action: RegExp) => (error: unknown) => {
      assert.equal((error as Error).constructor, TypeError);
      assert.match((error as Error).message, action);
      return true;
    };
    fc.assert(
      fc.property(invalidName, (name) => {
        assert.throws(
          () => createSessionCookie({ name: name as string }),
          isTypeError(/^Cannot create session cookie/),
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
    fc.assert(
      fc.property(
        validName.filter((n) => !/^__(host|secure)-/i.test(n)),
        invalidValue,
        fc.constantFrom(HTTP, HTTPS),
        (name, value, url) => {
          const cookie = createSessionCookie({ name });
          assert.throws(
            () => cookie.serialize(new Request(url), value as string, 60),
            isTypeError(/^Cannot serialize session cookie/),
          );
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------
// The whole request path

/** A memory store that remembers every key it was asked to write. */
class InspectableStore implements SessionStore {
  readonly compareAndSet = true;
  readonly inProcess: boolean;
  readonly inner: MemoryStore;
  written = new Set<string>();

  constructor(now: () => number, inProcess: boolean) {
    this.inner = new MemoryStore({ now });
    this.inProcess = inProcess;
  }

  get(key: string) {
    return this.inner.get(key);
  }

  set(key: string, value: string, options: StoreSetOptions) {
    this.written.add(key);
    return this.inner.set(key, value, options);
  }

  delete(key: string) {
    return this.inner.delete(key);
  }

  touch(key: string, expiresAt: number) {
    return this.inner.touch(key, expiresAt);
  }
}

type Data = { owner: number; x: number };

function setup(inProcess: boolean) {
  const clock = new FakeClock();
  const store = new InspectableStore(clock.now, inProcess);
  const sessions = createSessionManager<Data>({ store, now: clock.now });
  const keyOf = (id: string) => inProcess ? id : hashSessionId(id);
  return { store, sessions, keyOf };
}

/** The id in a Set-Cookie value. */
function idIn(setCookie: string): string {
  return setCookie.slice(setCookie.indexOf("=") + 1, setCookie.indexOf(";"));
}

/** Issues `count` real sessions, each with its number as owner. */
async function issue(
  sessions: SessionManager<Data>,
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let owner = 0; owner < count; owner++) {
    const session = await sessions.load(new Request(HTTP));
    session.set("owner", owner);
    ids.push(idIn((await session.commit())!));
  }
  return ids;
}

for (const inProcess of [true, false]) {
  const kind = inProcess ? "an in-process store" : "a store keyed by hashes";

  describe(`the request path with ${kind}`, () => {
    test("for any Cookie header, load() never throws and never adopts an id; commit() writes only issued ids", async () => {
      const { store, sessions, keyOf } = setup(inProcess);
      const issued = new Set<string>();
      await fc.assert(
        fc.asyncProperty(
          cookieHeader,
          fc.constantFrom(HTTP, HTTPS),
          async (header, url) => {
            const request = requestWith(url, header);
            const session = await sessions.load(request);
            assert.equal(session.isNew, true);
            assert.equal(session.get("owner"), undefined);
            session.set("x", 1);
            const setCookie = await session.commit();
            assert.ok(setCookie !== undefined);
            const id = idIn(setCookie);
            assert.equal(id, session.id);
            assert.ok(isSessionId(id));
            assert.ok(
              !header.includes(id),
              "the id never comes from the header",
            );
            assert.doesNotMatch(setCookie, /[\r\n\0]/);
            issued.add(keyOf(id));
            for (const key of store.written) {
              assert.ok(issued.has(key), "the store got a key never issued");
            }
          },
        ),
        { seed: SEED, numRuns: RUNS },
      );
      assert.equal(store.inner.size, issued.size);
    });

    test("a real session is loaded only when its cookie appears exactly once under the right name", async () => {
      const { store, sessions, keyOf } = setup(inProcess);
      const ids = await issue(sessions, 5);
      const issued = new Set(ids.map(keyOf));

      const ws = fc.constantFrom("", " ", "\t", "  ");
      type Segment =
        | { kind: "real"; owner: number; text: string }
        | { kind: "occurrence"; text: string } // the right name, a wrong value
        | { kind: "decoy"; text: string }; // never counts
      const owner = fc.nat({ max: ids.length - 1 });
      const segment = (right: string, wrong: string[]) =>
        fc.oneof(
          fc.tuple(owner, ws, ws, ws, ws).map(([o, a, b, c, d]): Segment => ({
            kind: "real",
            owner: o,
            text: `${a}${right}${b}=${c}${ids[o]}${d}`,
          })),
          fc.tuple(
            owner,
            fc.constantFrom(
              (id: string) => `"${id}"`,
              (id: string) => id.slice(0, 42),
              (id: string) => id + "=",
              (id: string) => id + "A",
              (id: string) => id.slice(1) + "A",
              (id: string) =>
                [...id].map((c) =>
                  c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()
                ).join(""),
              (id: string) =>
                [...id].map((c) => "%" + c.charCodeAt(0).toString(16)).join(
                  "",
                ),
              (id: string) => (id[0] === "B" ? "C" : "B") + id.slice(1),
              () => "",
              (id: string) => `${id}, ${right}=${id}`,
            ),
          ).map(([o, mutate]): Segment => ({
            kind: "occurrence",
            text: `${right}=${mutate(ids[o])}`,
          })),
          fc.oneof(
            fc.tuple(owner, fc.constantFrom(...wrong)).map((
              [o, name],
            ): Segment => ({ kind: "decoy", text: `${name}=${ids[o]}` })),
            // Comma smuggling: one pair named "a" whose value holds the cookie.
            owner.map((o): Segment => ({
              kind: "decoy",
              text: `a=x, ${right}=${ids[o]}`,
            })),
            junk.filter((text) =>
              !text.includes(";") &&
              !new RegExp(`^[ \\t]*${right}[ \\t]*=`).test(text)
            ).map((text): Segment => ({ kind: "decoy", text })),
          ),
        );

      await fc.assert(
        fc.asyncProperty(
          fc.boolean().chain((https) => {
            const right = https ? "__Host-sid" : "sid";
            const wrong = [
              https ? "sid" : "__Host-sid",
              "__Secure-sid",
              "__host-sid",
              "SID",
              "Sid",
              "sid2",
              "xsid",
              "sid_",
              '"sid"',
              "s id",
            ];
            const segments = segment(right, wrong);
            const decoys = fc.array(
              segments.filter((s) => s.kind === "decoy"),
              { maxLength: 10 },
            );
            return fc.tuple(
              fc.constant(https),
              fc.oneof(
                fc.array(segments, { maxLength: 12 }),
                // Exactly one real cookie, somewhere among decoys.
                fc.tuple(decoys, segments, fc.nat()).map(
                  ([others, one, at]) => {
                    const all: Segment[] = [...others];
                    all.splice(at % (all.length + 1), 0, one);
                    return all;
                  },
                ),
              ),
              separator.filter((s) => s !== ", "),
            );
          }),
          async ([https, segments, sep]) => {
            const header = segments.map((s) => s.text).join(sep);
            const request = requestWith(https ? HTTPS : HTTP, header);
            const occurrences = segments.filter((s) => s.kind !== "decoy");
            const only = occurrences.length === 1 ? occurrences[0] : undefined;
            const session = await sessions.load(request);
            if (only?.kind === "real") {
              assert.equal(session.isNew, false);
              assert.equal(session.id, ids[only.owner]);
              assert.equal(session.get("owner"), only.owner);
            } else {
              assert.equal(session.isNew, true);
              assert.equal(session.get("owner"), undefined);
              assert.ok(!ids.includes(session.id));
              session.set("x", 1);
              const setCookie = (await session.commit())!;
              assert.ok(!header.includes(idIn(setCookie)));
              issued.add(keyOf(idIn(setCookie)));
            }
            for (const key of store.written) assert.ok(issued.has(key));
          },
        ),
        { seed: SEED, numRuns: 500 },
      );
      // The real sessions are untouched.
      for (const [owner, id] of ids.entries()) {
        const session = await sessions.load(
          new Request(HTTP, { headers: { cookie: `sid=${id}` } }),
        );
        assert.equal(session.get("owner"), owner);
      }
    });
  });
}
