import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  createSessionCookie,
  type SessionCookieOptions,
} from "../src/cookie.ts";
import { referenceValues } from "./_cookie_jar.ts";

const HTTP = "http://example.com/page";
const HTTPS = "https://example.com/page";
const ID = "Xq3v5mJ8pL0aZ2bN4cR6dT8fH1gK3jM5nP7qS9uW0yA"; // 43 base64url chars

const TOKEN_RULE = "an RFC 7230 token (letters, digits and !#$%&'*+-.^_`|~)";
const OCTETS_RULE =
  'RFC 6265 cookie-octets (printable ASCII except space, \'"\', ",", ";" and "\\")';
const PATH_RULE =
  'start with "/" and contain only printable ASCII other than ";"';
const DOMAIN_RULE =
  "a hostname (letters, digits, hyphens and dots, without a port)";

function request(url: string, cookie?: string): Request {
  return new Request(
    url,
    cookie === undefined ? undefined : { headers: { cookie } },
  );
}

/** A stand-in for a Request whose Cookie header holds anything at all. */
function rawRequest(url: string, cookie: string | null): Request {
  return { url, headers: new Map([["cookie", cookie]]) } as unknown as Request;
}

/** What read() must return for a header: the only value of `name`, unless empty. */
function expectedRead(header: string | null, name: string): string | undefined {
  if (header === null) return undefined;
  const values = referenceValues(header, name);
  return values.length === 1 && values[0] !== "" ? values[0] : undefined;
}

function assertThrows(
  fn: () => unknown,
  ErrorClass: TypeErrorConstructor | RangeErrorConstructor,
  message: string,
): void {
  assert.throws(fn, ErrorClass);
  assert.throws(fn, { message });
}

/** A small deterministic PRNG (mulberry32), so failures can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random strings mixing cookie syntax, control characters and any code point. */
function randomHeaders(count: number, seed: number): string[] {
  const next = random(seed);
  const int = (max: number) => Math.floor(next() * max);
  const syntax = [";", "=", " ", "\t", '"', ",", "sid", "__Host-sid", "\\"];
  const headers: string[] = [];
  for (let i = 0; i < count; i++) {
    let header = "";
    const length = int(120);
    for (let j = 0; j < length; j++) {
      const kind = next();
      if (kind < 0.35) header += String.fromCharCode(0x20 + int(0x5f));
      else if (kind < 0.6) header += syntax[int(syntax.length)];
      else if (kind < 0.75) {
        header += String.fromCharCode(int(0x20) === 0 ? 0x7f : int(0x20));
      } else if (kind < 0.85) header += String.fromCharCode(0x80 + int(0x80));
      else if (kind < 0.95) header += String.fromCharCode(int(0x10000)); // incl. lone surrogates
      else header += String.fromCodePoint(0x10000 + int(0x100000));
    }
    headers.push(header);
  }
  return headers;
}

describe("createSessionCookie()", () => {
  test("defaults on an http request: plain sid, HttpOnly, SameSite=Lax, no Secure", () => {
    const cookie = createSessionCookie();
    const req = request(HTTP);
    assert.equal(
      cookie.serialize(req, ID, 3600),
      `sid=${ID}; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax`,
    );
    assert.equal(
      cookie.serializeDeletion(req),
      "sid=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    );
  });

  test("defaults on an https request: __Host- prefix and Secure", () => {
    const cookie = createSessionCookie();
    const req = request(HTTPS);
    assert.equal(
      cookie.serialize(req, ID, 3600),
      `__Host-sid=${ID}; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax`,
    );
    assert.equal(
      cookie.serializeDeletion(req),
      "__Host-sid=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
  });

  test("prefix auto uses __Secure- when a domain is set", () => {
    const cookie = createSessionCookie({ domain: "example.com" });
    assert.equal(
      cookie.serialize(request(HTTPS), "v", 60),
      "__Secure-sid=v; Max-Age=60; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
    assert.equal(
      cookie.serialize(request(HTTP), "v", 60),
      "sid=v; Max-Age=60; Domain=example.com; Path=/; HttpOnly; SameSite=Lax",
    );
  });

  test("prefix auto uses __Secure- when the path is not /", () => {
    const cookie = createSessionCookie({ path: "/app" });
    assert.equal(
      cookie.serialize(request(HTTPS), "v", 60),
      "__Secure-sid=v; Max-Age=60; Path=/app; HttpOnly; Secure; SameSite=Lax",
    );
  });

  test("domain drops one leading dot and is lowercased", () => {
    const cookie = createSessionCookie({ domain: ".Example.COM" });
    assert.equal(
      cookie.serializeDeletion(request(HTTP)),
      "sid=; Max-Age=0; Domain=example.com; Path=/; HttpOnly; SameSite=Lax",
    );
  });

  test("secure true uses the prefixed name and Secure on an http request", () => {
    const cookie = createSessionCookie({ secure: true });
    assert.equal(
      cookie.serialize(request(HTTP), "v", 60),
      "__Host-sid=v; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
    assert.equal(
      cookie.serializeDeletion(request(HTTP)),
      "__Host-sid=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
  });

  test("secure false is never prefixed nor Secure, even on https", () => {
    const cookie = createSessionCookie({ secure: false });
    assert.equal(
      cookie.serialize(request(HTTPS), "v", 60),
      "sid=v; Max-Age=60; Path=/; HttpOnly; SameSite=Lax",
    );
    assert.equal(
      cookie.serializeDeletion(request(HTTPS)),
      "sid=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    );
  });

  test('prefix "none" keeps the plain name on a Secure cookie', () => {
    const cookie = createSessionCookie({ prefix: "none", secure: true });
    assert.equal(
      cookie.serialize(request(HTTP), "v", 60),
      "sid=v; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
  });

  test("explicit prefixes are used on every request", () => {
    const host = createSessionCookie({ prefix: "__Host-", secure: true });
    assert.equal(
      host.serialize(request(HTTP), "v", 60),
      "__Host-sid=v; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
    const secure = createSessionCookie({ prefix: "__Secure-", secure: true });
    assert.equal(
      secure.serialize(request(HTTPS), "v", 60),
      "__Secure-sid=v; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
  });

  test("writes every attribute in the fixed order", () => {
    const cookie = createSessionCookie({
      name: "session",
      domain: "example.com",
      path: "/app",
      sameSite: "none",
      secure: true,
      partitioned: true,
    });
    assert.equal(
      cookie.serialize(request(HTTPS), "v", 60),
      "__Secure-session=v; Max-Age=60; Domain=example.com; Path=/app; HttpOnly; Secure; SameSite=None; Partitioned",
    );
    assert.equal(
      cookie.serializeDeletion(request(HTTPS)),
      "__Secure-session=; Max-Age=0; Domain=example.com; Path=/app; HttpOnly; Secure; SameSite=None; Partitioned",
    );
  });

  test("sameSite strict and httpOnly false change only their attributes", () => {
    const cookie = createSessionCookie({ sameSite: "strict", httpOnly: false });
    assert.equal(
      cookie.serialize(request(HTTP), "v", 60),
      "sid=v; Max-Age=60; Path=/; SameSite=Strict",
    );
  });

  test("persistent false omits Max-Age but deletion still sends Max-Age=0", () => {
    const cookie = createSessionCookie({ persistent: false });
    assert.equal(
      cookie.serialize(request(HTTPS), "v", 3600),
      "__Host-sid=v; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
    assert.equal(
      cookie.serializeDeletion(request(HTTPS)),
      "__Host-sid=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
  });

  test("serialize() rounds a fractional max-age up to whole seconds", () => {
    const cookie = createSessionCookie({ secure: false });
    const maxAge = (seconds: number) =>
      cookie.serialize(request(HTTP), "v", seconds).split("; ")[1];
    assert.equal(maxAge(59.1), "Max-Age=60");
    assert.equal(maxAge(0.001), "Max-Age=1");
    assert.equal(maxAge(1), "Max-Age=1");
  });

  test("serialize() clamps max-age to between 1 second and 400 days", () => {
    const cookie = createSessionCookie({ secure: false });
    const maxAge = (seconds: number) =>
      cookie.serialize(request(HTTP), "v", seconds).split("; ")[1];
    assert.equal(maxAge(0), "Max-Age=1");
    assert.equal(maxAge(-5), "Max-Age=1");
    assert.equal(maxAge(-Infinity), "Max-Age=1");
    assert.equal(maxAge(400 * 86400), "Max-Age=34560000");
    assert.equal(maxAge(10 ** 12), "Max-Age=34560000");
    assert.equal(maxAge(Infinity), "Max-Age=34560000");
  });

  test("serialize() throws for a max-age that is not a number", () => {
    const cookie = createSessionCookie();
    assertThrows(
      () => cookie.serialize(request(HTTPS), "v", NaN),
      RangeError,
      'Cannot serialize session cookie "__Host-sid": maxAgeSeconds must be a number of seconds, received NaN',
    );
    assertThrows(
      () => cookie.serialize(request(HTTP), "v", "60" as unknown as number),
      TypeError,
      'Cannot serialize session cookie "sid": maxAgeSeconds must be a number, received "60"',
    );
  });

  test("serialize() refuses a value that would break the header", () => {
    const cookie = createSessionCookie();
    for (
      const value of ["", "a;b", "a b", 'a"b', "a,b", "a\\b", "a\r\nb", "é"]
    ) {
      assertThrows(
        () => cookie.serialize(request(HTTP), value, 60),
        TypeError,
        `Cannot serialize session cookie "sid": value must be non-empty ${OCTETS_RULE}, received ${
          JSON.stringify(value)
        }`,
      );
    }
    assertThrows(
      () => cookie.serialize(request(HTTPS), "a".repeat(4087), 60),
      RangeError,
      'Cannot serialize session cookie "__Host-sid": name and value must be at most 4096 bytes together, received 4097 bytes',
    );
    assert.equal(
      cookie.serialize(request(HTTPS), "a".repeat(4086), 60).length,
      4096 + "; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax".length + 1,
    );
  });

  test("serialize() accepts every cookie-octet, which read() returns as is", () => {
    let octets = "";
    for (let code = 0x21; code <= 0x7e; code++) {
      if (![0x22, 0x2c, 0x3b, 0x5c].includes(code)) {
        octets += String.fromCharCode(code);
      }
    }
    assert.equal(octets.length, 90);
    const cookie = createSessionCookie();
    for (const url of [HTTP, HTTPS]) {
      const setCookie = cookie.serialize(request(url), octets, 60);
      const pair = setCookie.slice(0, setCookie.indexOf(";"));
      assert.equal(pair, `${cookie.nameFor(request(url))}=${octets}`);
      assert.equal(cookie.read(request(url, pair)), octets);
    }
  });

  test("a cookie written by serialize() is read back by read()", () => {
    const cookie = createSessionCookie();
    for (const url of [HTTP, HTTPS]) {
      const setCookie = cookie.serialize(request(url), ID, 60);
      const pair = setCookie.slice(0, setCookie.indexOf(";"));
      assert.equal(cookie.read(request(url, `theme=dark; ${pair}`)), ID);
    }
  });

  test("does not modify the options object", () => {
    const options: SessionCookieOptions = {
      name: "session",
      domain: ".Example.com",
      secure: true,
      persistent: false,
    };
    const copy = structuredClone(options);
    createSessionCookie(options);
    assert.deepEqual(options, copy);
    createSessionCookie(Object.freeze({ ...options }));
  });
});

describe("createSessionCookie() read()", () => {
  test("read() uses the plain name on http and the prefixed name on https", () => {
    const cookie = createSessionCookie();
    assert.equal(cookie.read(request(HTTP, "sid=abc")), "abc");
    assert.equal(cookie.read(request(HTTPS, "__Host-sid=abc")), "abc");
  });

  test("read() ignores an unprefixed cookie where the prefixed name applies", () => {
    const cookie = createSessionCookie();
    assert.equal(cookie.read(request(HTTPS, "sid=abc")), undefined);
    assert.equal(
      createSessionCookie({ secure: true }).read(request(HTTP, "sid=abc")),
      undefined,
    );
  });

  test("read() ignores a prefixed cookie on http when secure is auto", () => {
    const cookie = createSessionCookie();
    assert.equal(cookie.read(request(HTTP, "__Host-sid=abc")), undefined);
  });

  test("read() uses the prefixed name on http when secure is true", () => {
    const cookie = createSessionCookie({ secure: true, domain: "example.com" });
    assert.equal(cookie.read(request(HTTP, "__Secure-sid=abc")), "abc");
  });

  test("read() never uses a prefix when secure is false", () => {
    const cookie = createSessionCookie({ secure: false });
    assert.equal(cookie.read(request(HTTPS, "sid=abc")), "abc");
    assert.equal(cookie.read(request(HTTPS, "__Host-sid=abc")), undefined);
  });

  test("read() ignores the cookie when it appears twice", () => {
    const cookie = createSessionCookie();
    assert.equal(cookie.read(request(HTTP, "sid=a; sid=b")), undefined);
    assert.equal(cookie.read(request(HTTP, "sid=a; x=1; sid=a")), undefined);
    assert.equal(
      cookie.read(request(HTTPS, "__Host-sid=a; __Host-sid=")),
      undefined,
    );
  });

  test("read() returns undefined when the cookie is absent or empty", () => {
    const cookie = createSessionCookie();
    assert.equal(cookie.read(request(HTTP)), undefined);
    assert.equal(cookie.read(request(HTTP, "")), undefined);
    assert.equal(cookie.read(request(HTTP, "other=1")), undefined);
    assert.equal(cookie.read(request(HTTP, "sid=")), undefined);
    assert.equal(cookie.read(request(HTTP, "sid= \t")), undefined);
    assert.equal(cookie.read(request(HTTP, "SID=abc; Sid=abc")), undefined);
  });

  test("read() trims spaces and tabs and keeps = inside the value", () => {
    const cookie = createSessionCookie();
    assert.equal(cookie.read(request(HTTP, "a=1;\tsid \t= abc \t;b=2")), "abc");
    assert.equal(cookie.read(request(HTTP, "sid=a=b==")), "a=b==");
  });

  test("read() finds the cookie among 500 others", () => {
    const cookie = createSessionCookie();
    const pairs = Array.from({ length: 500 }, (_, i) => `c${i}=v${i}`);
    assert.equal(
      cookie.read(request(HTTPS, [...pairs, `__Host-sid=${ID}`].join("; "))),
      ID,
    );
    assert.equal(
      cookie.read(
        request(
          HTTPS,
          [`__Host-sid=${ID}`, ...pairs, "__Host-sid=x"].join("; "),
        ),
      ),
      undefined,
    );
  });

  test("read() never throws, whatever the Cookie header holds", () => {
    const cookie = createSessionCookie();
    const headers = randomHeaders(500, 0x5e55);
    for (const header of headers) {
      for (const url of [HTTP, HTTPS]) {
        const value = cookie.read(rawRequest(url, header));
        assert.ok(value === undefined || typeof value === "string");
      }
    }
    assert.equal(cookie.read(rawRequest(HTTP, null)), undefined);
  });
});

describe("createSessionCookie() validation", () => {
  const cases: [
    string,
    unknown,
    TypeErrorConstructor | RangeErrorConstructor,
    string,
  ][] = [
    [
      "options that are not an object",
      42,
      TypeError,
      "Cannot create session cookie: options must be an object, received 42",
    ],
    [
      "null options",
      null,
      TypeError,
      "Cannot create session cookie: options must be an object, received null",
    ],
    [
      "a name that is not a string",
      { name: 42 },
      TypeError,
      "Cannot create session cookie: name must be a string, received 42",
    ],
    [
      "an empty name",
      { name: "" },
      TypeError,
      `Cannot create session cookie: name must be ${TOKEN_RULE}, received ""`,
    ],
    [
      "a name with a space",
      { name: "my sid" },
      TypeError,
      `Cannot create session cookie: name must be ${TOKEN_RULE}, received "my sid"`,
    ],
    [
      "a name with a separator",
      { name: "sid;" },
      TypeError,
      `Cannot create session cookie: name must be ${TOKEN_RULE}, received "sid;"`,
    ],
    [
      "a name with non-ASCII letters",
      { name: "séance" },
      TypeError,
      `Cannot create session cookie: name must be ${TOKEN_RULE}, received "séance"`,
    ],
    [
      "a name that is too long",
      { name: "a".repeat(5000) },
      RangeError,
      "Cannot create session cookie: name must be at most 4086 characters, received 5000 characters",
    ],
    [
      "a name starting with __Host-",
      { name: "__Host-sid" },
      TypeError,
      'Cannot create session cookie "__Host-sid": name must not start with "__Host-" (set the prefix option instead), received "__Host-sid"',
    ],
    [
      "a name starting with __secure- in lower case",
      { name: "__secure-sid" },
      TypeError,
      'Cannot create session cookie "__secure-sid": name must not start with "__Secure-" (set the prefix option instead), received "__secure-sid"',
    ],
    [
      "a name starting with __HOST- in upper case",
      { name: "__HOST-sid" },
      TypeError,
      'Cannot create session cookie "__HOST-sid": name must not start with "__Host-" (set the prefix option instead), received "__HOST-sid"',
    ],
    [
      "an unknown prefix",
      { prefix: "__host-" },
      TypeError,
      'Cannot create session cookie "sid": prefix must be "auto", "__Host-", "__Secure-" or "none", received "__host-"',
    ],
    [
      "a path that is not a string",
      { path: 1 },
      TypeError,
      'Cannot create session cookie "sid": path must be a string, received 1',
    ],
    [
      "a relative path",
      { path: "app" },
      TypeError,
      `Cannot create session cookie "sid": path must ${PATH_RULE}, received "app"`,
    ],
    [
      "a path with a semicolon",
      { path: "/a;b" },
      TypeError,
      `Cannot create session cookie "sid": path must ${PATH_RULE}, received "/a;b"`,
    ],
    [
      "a path with a control character",
      { path: "/a\nb" },
      TypeError,
      `Cannot create session cookie "sid": path must ${PATH_RULE}, received "/a\\nb"`,
    ],
    [
      "a path with non-ASCII characters",
      { path: "/café" },
      TypeError,
      `Cannot create session cookie "sid": path must ${PATH_RULE}, received "/café"`,
    ],
    [
      "a path that is too long",
      { path: "/" + "a".repeat(1024) },
      RangeError,
      'Cannot create session cookie "sid": path must be at most 1024 characters, received 1025 characters',
    ],
    [
      "a domain that is not a string",
      { domain: 1 },
      TypeError,
      'Cannot create session cookie "sid": domain must be a string or undefined, received 1',
    ],
    [
      "a domain that is too long",
      { domain: "a".repeat(1025) },
      RangeError,
      'Cannot create session cookie "sid": domain must be at most 1024 characters, received 1025 characters',
    ],
    ...[
      "",
      "example.com:8080",
      "exa mple.com",
      "..example.com",
      "a..b",
      "example.com.",
      "ex_ample.com",
      "https://example.com",
    ]
      .map((domain): [
        string,
        unknown,
        TypeErrorConstructor | RangeErrorConstructor,
        string,
      ] => [
        `the domain ${JSON.stringify(domain)}`,
        { domain },
        TypeError,
        `Cannot create session cookie "sid": domain must be ${DOMAIN_RULE}, received ${
          JSON.stringify(domain)
        }`,
      ]),
    [
      "an unknown sameSite",
      { sameSite: "loose" },
      TypeError,
      'Cannot create session cookie "sid": sameSite must be "lax", "strict" or "none", received "loose"',
    ],
    [
      "a capitalized sameSite",
      { sameSite: "Lax" },
      TypeError,
      'Cannot create session cookie "sid": sameSite must be "lax", "strict" or "none", received "Lax"',
    ],
    [
      "a secure that is neither boolean nor auto",
      { secure: "yes" },
      TypeError,
      'Cannot create session cookie "sid": secure must be true, false or "auto", received "yes"',
    ],
    [
      "an httpOnly that is not a boolean",
      { httpOnly: "true" },
      TypeError,
      'Cannot create session cookie "sid": httpOnly must be a boolean, received "true"',
    ],
    [
      "a partitioned that is not a boolean",
      { partitioned: 1 },
      TypeError,
      'Cannot create session cookie "sid": partitioned must be a boolean, received 1',
    ],
    [
      "a persistent that is not a boolean",
      { persistent: null },
      TypeError,
      'Cannot create session cookie "sid": persistent must be a boolean, received null',
    ],
    [
      'sameSite "none" with secure auto',
      { sameSite: "none" },
      TypeError,
      'Cannot create session cookie "sid": secure must be true when sameSite is "none" (browsers reject SameSite=None without Secure), received "auto"',
    ],
    [
      'sameSite "none" with secure false',
      { sameSite: "none", secure: false },
      TypeError,
      'Cannot create session cookie "sid": secure must be true when sameSite is "none" (browsers reject SameSite=None without Secure), received false',
    ],
    [
      "partitioned without secure true",
      { partitioned: true },
      TypeError,
      'Cannot create session cookie "sid": secure must be true when partitioned is true (browsers reject Partitioned without Secure), received "auto"',
    ],
    [
      "__Host- without secure true",
      { prefix: "__Host-" },
      TypeError,
      'Cannot create session cookie "__Host-sid": secure must be true for __Host- cookies, received "auto"',
    ],
    [
      "__Host- with a path other than /",
      { prefix: "__Host-", secure: true, path: "/app" },
      TypeError,
      'Cannot create session cookie "__Host-sid": path must be "/" for __Host- cookies, received "/app"',
    ],
    [
      "__Host- with a domain",
      { prefix: "__Host-", secure: true, domain: "example.com" },
      TypeError,
      'Cannot create session cookie "__Host-sid": domain must be unset for __Host- cookies, received "example.com"',
    ],
    [
      "__Secure- without secure true",
      { prefix: "__Secure-", secure: false },
      TypeError,
      'Cannot create session cookie "__Secure-sid": secure must be true for __Secure- cookies, received false',
    ],
  ];

  for (const [what, options, ErrorClass, message] of cases) {
    test(`throws a ${ErrorClass.name} for ${what}`, () => {
      assertThrows(
        () => createSessionCookie(options as SessionCookieOptions),
        ErrorClass,
        message,
      );
    });
  }

  test("accepts undefined for every option", () => {
    const cookie = createSessionCookie({
      name: undefined,
      path: undefined,
      domain: undefined,
      sameSite: undefined,
      secure: undefined,
      httpOnly: undefined,
      prefix: undefined,
      partitioned: undefined,
      persistent: undefined,
    });
    assert.equal(
      cookie.serializeDeletion(request(HTTPS)),
      createSessionCookie().serializeDeletion(request(HTTPS)),
    );
  });
});

describe("createSessionCookie() read() of the Cookie header", () => {
  // secure: false reads "sid" on every request, so the header is all that varies.
  const cookie = createSessionCookie({ secure: false });
  const cases: [string | null, string | undefined][] = [
    [null, undefined],
    ["", undefined],
    [" ", undefined],
    [";", undefined],
    ["=", undefined],
    ["sid", undefined],
    ["sid=", undefined],
    ["sid=abc", "abc"],
    [" sid = abc ", "abc"],
    ["\tsid\t=\tabc\t", "abc"],
    ["a=1;sid=abc", "abc"],
    ["a=1; sid=abc; b=2", "abc"],
    ["sid=a=b=c", "a=b=c"],
    [";;; ;sid=abc;;", "abc"],
    ["=abc; sid=x", "x"],
    ["sid; sid=x", "x"],
    ["sid=x; sid", "x"],
    ["sid=x; sidx=1; xsid=2", "x"],
    ["a=sid=evil", undefined],
    ["sid=x; a=sid=evil", "x"],
    ["SID=abc; Sid=def", undefined],
    ["sidx=1; xsid=2; s id=3; sid\u0000=4", undefined],
    ['sid="abc"', '"abc"'],
    ["sid=%41%42", "%41%42"],
    ["sid=a b", "a b"],
    ["sid=abc, other=1", "abc, other=1"],
    ["a=x, sid=evil", undefined],
    ["sid=1; sid=2;sid=3", undefined],
    ["sid= ;sid=\t", undefined],
    ["sid=\u0000\u0001\u007f", "\u0000\u0001\u007f"],
    ["sid=\r\n", "\r\n"],
    ["sid=été; x=\ud800", "été"],
    ["sid=\u{1f36a}", "\u{1f36a}"],
  ];
  for (const [header, expected] of cases) {
    test(`read() returns ${JSON.stringify(expected)} for ${JSON.stringify(header)}`, () => {
      assert.equal(cookie.read(rawRequest(HTTP, header)), expected);
      assert.equal(expected, expectedRead(header, "sid"));
    });
  }

  test("read() does not take a longer name that starts with the cookie's name", () => {
    const header = Array.from({ length: 500 }, (_, i) => `c${i}=v${i}`)
      .join("; ");
    const read = (name: string) =>
      createSessionCookie({ name, secure: false }).read(request(HTTP, header));
    assert.equal(read("c5"), "v5");
    assert.equal(read("c49"), "v49");
    assert.equal(read("c499"), "v499");
    assert.equal(read("c500"), undefined);
  });

  test("read() reads a 16 KB header", () => {
    const pairs: string[] = [];
    for (let i = 0; pairs.join("; ").length < 16 * 1024; i++) {
      pairs.push(`cookie${i}=${"x".repeat(100)}`);
    }
    pairs.splice(pairs.length >> 1, 0, `sid=${ID}`);
    const header = pairs.join("; ");
    assert.ok(header.length > 16 * 1024);
    assert.equal(cookie.read(request(HTTP, header)), ID);
  });

  test("read() takes linear time on pathological headers", () => {
    const read = (header: string) => cookie.read(rawRequest(HTTP, header));
    const started = performance.now();
    const n = 200_000;
    assert.equal(read(";".repeat(n) + "sid=1"), "1");
    assert.equal(read("sid;".repeat(n) + "sid=1"), "1");
    assert.equal(read("sid ".repeat(n) + "=1"), undefined);
    assert.equal(read(" ".repeat(n) + "sid=1"), "1");
    assert.equal(read(`sid=${" ".repeat(n)}1${" ".repeat(n)}`), "1");
    // The search for a duplicate runs to the end of the header.
    assert.equal(read("sid=1;" + "x=1;".repeat(n)), "1");
    assert.equal(read("sid=1;" + "x=1;".repeat(n) + "sid=2"), undefined);
    assert.ok(performance.now() - started < 2000);
  });

  test("read() agrees with a plain split on 500 random headers", () => {
    const cookie = createSessionCookie();
    for (const header of randomHeaders(500, 0xc00c1e)) {
      for (const url of [HTTP, HTTPS]) {
        const name = cookie.nameFor(request(url));
        for (const sent of [header, `${header}; ${name}=abc`]) {
          assert.equal(
            cookie.read(rawRequest(url, sent)),
            expectedRead(sent, name),
          );
        }
      }
    }
  });

  test("read() agrees with a plain split on random headers that Headers accepts", () => {
    const cookie = createSessionCookie();
    let accepted = 0;
    for (const header of randomHeaders(500, 0xbeef)) {
      let req: Request;
      try {
        req = request(HTTP, header);
      } catch {
        continue; // not a valid header value: a runtime never hands it over
      }
      accepted++;
      assert.equal(
        cookie.read(req),
        expectedRead(req.headers.get("cookie"), "sid"),
      );
    }
    assert.ok(accepted > 0);
  });
});
