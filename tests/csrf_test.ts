// The CSRF protection of src/csrf.ts on standard Requests, in process: the
// request check over the whole header matrix, the session's token, and the
// fetch-handler path with the manager's handler().
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  createCsrfProtection,
  CsrfError,
  type CsrfProtectionOptions,
  type CsrfRequestLike,
  type CsrfVerdict,
} from "../src/csrf.ts";
import {
  constantTimeEqual,
  csrfTokenMatches,
  csrfTokenOf,
  hmacSha256,
} from "../src/_csrf_token.ts";
import { encodeBase64urlNoPadding } from "../src/_base64url.ts";
import { sha256Base64url } from "../src/_sha256.ts";
import { createSessionManager } from "../src/manager.ts";
import type { Session } from "../src/session.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { SealedCookieStore } from "../src/stores/sealed_cookie.ts";
import { CookieJar } from "./_cookie_jar.ts";
import { RecordingStore } from "./_stores.ts";

const ORIGIN = "https://app.example.com";
const TRUSTED = "https://www.example.com";

// --- the request check ------------------------------------------------------

const METHODS = [
  "GET",
  "HEAD",
  "OPTIONS",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "TRACE",
];
const SITES = [
  undefined,
  "same-origin",
  "same-site",
  "cross-site",
  "none",
  "bogus",
];
const ORIGINS: Record<string, string | undefined> = {
  absent: undefined,
  own: ORIGIN,
  "own host over http": "http://app.example.com",
  other: "https://evil.example",
  "sibling subdomain": "https://blog.example.com",
  trusted: TRUSTED,
  null: "null",
  garbage: "not an origin",
};

/** The rules of the module's documentation, spelled out once more. */
function expected(
  method: string,
  site: string | undefined,
  origin: string | undefined,
): CsrfVerdict["reason"] {
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") {
    return "safe method";
  }
  if (site !== undefined) {
    if (site === "same-origin") return "same origin";
    if (site === "none") return "user initiated";
    if (origin === TRUSTED) return "trusted origin";
    if (site === "cross-site" || site === "same-site") return site;
    return "unknown Sec-Fetch-Site";
  }
  if (origin === undefined) return "no origin headers";
  if (origin === TRUSTED) return "trusted origin";
  if (origin === "null") return "null origin";
  // Only the host is compared when Sec-Fetch-Site is missing.
  if (origin === ORIGIN || origin === "http://app.example.com") {
    return "same origin";
  }
  return "cross-origin";
}

function headersOf(
  site: string | undefined,
  origin: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (site !== undefined) headers["Sec-Fetch-Site"] = site;
  if (origin !== undefined) headers["Origin"] = origin;
  return headers;
}

describe("check()", () => {
  const csrf = createCsrfProtection({ trustedOrigins: [TRUSTED] });

  test("follows the rules for every method, Sec-Fetch-Site and Origin, on a Request", () => {
    let refused = 0;
    // A Request cannot carry TRACE (a forbidden method): Node's can.
    for (const method of METHODS.filter((method) => method !== "TRACE")) {
      for (const site of SITES) {
        for (const [name, origin] of Object.entries(ORIGINS)) {
          const request = new Request(`${ORIGIN}/transfer`, {
            method,
            headers: headersOf(site, origin),
          });
          const verdict = csrf.check(request);
          const reason = expected(method, site, origin);
          assert.equal(
            verdict.reason,
            reason,
            `${method}, Sec-Fetch-Site ${site}, Origin ${name}`,
          );
          assert.equal(
            verdict.allowed,
            [
              "safe method",
              "same origin",
              "user initiated",
              "trusted origin",
              "no origin headers",
            ].includes(reason),
          );
          if (!verdict.allowed) refused++;
        }
      }
    }
    // Per unsafe method: 4 origins without Sec-Fetch-Site, and all but the
    // trusted one with same-site, cross-site or an unknown value.
    assert.equal(refused, 4 * (4 + 3 * 7));
  });

  test("follows the same rules on Node's headers, the host from Host", () => {
    for (const method of METHODS) {
      for (const site of SITES) {
        for (const [name, origin] of Object.entries(ORIGINS)) {
          const headers: Record<string, string> = { host: "app.example.com" };
          if (site !== undefined) headers["sec-fetch-site"] = site;
          if (origin !== undefined) headers["origin"] = origin;
          const request: CsrfRequestLike = { method, headers };
          assert.equal(
            csrf.check(request).reason,
            expected(method, site, origin),
            `${method}, Sec-Fetch-Site ${site}, Origin ${name}`,
          );
        }
      }
    }
  });

  test("refuses a same-site request: a sibling subdomain is what SameSite=Lax lets through", () => {
    const verdict = csrf.check(
      new Request(`${ORIGIN}/`, {
        method: "POST",
        headers: {
          "Sec-Fetch-Site": "same-site",
          Origin: "https://blog.example.com",
        },
      }),
    );
    assert.deepEqual(verdict, { allowed: false, reason: "same-site" });
  });

  test("lets a request with neither header through, for the token to decide", () => {
    const verdict = csrf.check(new Request(`${ORIGIN}/`, { method: "POST" }));
    assert.deepEqual(verdict, { allowed: true, reason: "no origin headers" });
  });

  test("compares the Origin's host with the request's own, port included", () => {
    const check = (url: string, origin: string) =>
      csrf.check(
        new Request(url, { method: "POST", headers: { Origin: origin } }),
      ).reason;
    assert.equal(
      check("http://localhost:8000/", "http://localhost:8000"),
      "same origin",
    );
    assert.equal(
      check("http://localhost:8000/", "http://localhost:9000"),
      "cross-origin",
    );
    assert.equal(
      check("https://app.example.com/", "https://APP.example.com"),
      "same origin",
    );
    assert.equal(
      check("https://app.example.com/", "https://app.example.com.evil.example"),
      "cross-origin",
    );
  });

  test("refuses a Node request without a Host when Origin names a host", () => {
    assert.equal(
      csrf.check({ method: "POST", headers: { origin: ORIGIN } }).reason,
      "cross-origin",
    );
    assert.equal(
      csrf.check({
        method: "POST",
        headers: { ":authority": "app.example.com", origin: ORIGIN },
      }).reason,
      "same origin",
    );
  });

  test("checks a request whose method it does not know, and one without a method", () => {
    const headers = { "sec-fetch-site": "cross-site" };
    assert.equal(csrf.check({ method: "PROPFIND", headers }).allowed, false);
    assert.equal(csrf.check({ method: "get", headers }).allowed, false);
    assert.equal(csrf.check({ headers }).allowed, false);
  });

  test("takes repeated headers joined as one value, which matches nothing", () => {
    const verdict = csrf.check({
      method: "POST",
      headers: {
        host: "app.example.com",
        "sec-fetch-site": ["same-origin", "cross-site"],
      },
    });
    assert.deepEqual(verdict, {
      allowed: false,
      reason: "unknown Sec-Fetch-Site",
    });
  });

  test("reads no inherited property of a Node headers object as a header", async () => {
    const csrf = createCsrfProtection({ tokenHeader: "constructor" });
    const { sessions } = createApp();
    const session = await sessions.load(new Request(ORIGIN));
    assert.equal(
      await csrf.verifyToken({ method: "POST", headers: {} }, session),
      false,
    );
  });

  test("answers with shared, frozen verdicts", () => {
    const request = new Request(`${ORIGIN}/`, { method: "POST" });
    const first = csrf.check(request);
    assert.equal(csrf.check(request), first);
    assert.ok(Object.isFrozen(first));
  });
});

describe("createCsrfProtection()", () => {
  test("has the documented defaults", () => {
    const csrf = createCsrfProtection();
    assert.equal(csrf.tokenField, "_csrf");
    assert.equal(csrf.tokenHeader, "x-csrf-token");
  });

  test("lower-cases the token header", () => {
    assert.equal(
      createCsrfProtection({ tokenHeader: "X-XSRF-Token" }).tokenHeader,
      "x-xsrf-token",
    );
  });

  const invalid: [string, unknown, RegExp][] = [
    ["options", null, /options must be an object, received null/],
    [
      "trustedOrigins",
      { trustedOrigins: "https://example.com" },
      /trustedOrigins must be an array of origins, received "https:\/\/example.com"/,
    ],
    [
      "trustedOrigins with a path",
      { trustedOrigins: ["https://example.com/"] },
      /trustedOrigins must hold origins such as "https:\/\/example.com" .*received "https:\/\/example.com\/"/,
    ],
    [
      "trustedOrigins with a wildcard",
      { trustedOrigins: ["https://*.example.com"] },
      /trustedOrigins must hold origins/,
    ],
    [
      "trustedOrigins with upper case",
      { trustedOrigins: ["https://Example.com"] },
      /trustedOrigins must hold origins/,
    ],
    [
      "trustedOrigins null",
      { trustedOrigins: ["null"] },
      /trustedOrigins must hold origins .*received "null"/,
    ],
    [
      "trustedOrigins not a string",
      { trustedOrigins: [42] },
      /trustedOrigins must hold origins .*received 42/,
    ],
    [
      "tokenField",
      { tokenField: "" },
      /tokenField must be a non-empty string, received ""/,
    ],
    [
      "tokenHeader",
      { tokenHeader: "x csrf" },
      /tokenHeader must be a header name such as "x-csrf-token", received "x csrf"/,
    ],
    [
      "tokenPolicy",
      { tokenPolicy: "never" },
      /tokenPolicy must be "always" or "fallback", received "never"/,
    ],
  ];
  for (const [name, options, message] of invalid) {
    test(`throws a TypeError naming ${name}`, () => {
      assert.throws(
        () => createCsrfProtection(options as CsrfProtectionOptions),
        (error: unknown) =>
          error instanceof TypeError &&
          error.message.startsWith("Cannot create CSRF protection: ") &&
          message.test(error.message),
      );
    });
  }

  test("keeps a port that is not the scheme's default in a trusted origin", () => {
    const csrf = createCsrfProtection({
      trustedOrigins: ["http://localhost:5173"],
    });
    const request = new Request("http://localhost:8000/", {
      method: "POST",
      headers: {
        "Sec-Fetch-Site": "same-site",
        Origin: "http://localhost:5173",
      },
    });
    assert.equal(csrf.check(request).reason, "trusted origin");
  });
});

// --- the token -------------------------------------------------------------

/** RFC 4231's test cases 1, 2 and 6 (a key longer than a block). */
const HMAC_VECTORS: [Uint8Array, Uint8Array, string][] = [
  [
    new Uint8Array(20).fill(0x0b),
    new TextEncoder().encode("Hi There"),
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
  ],
  [
    new TextEncoder().encode("Jefe"),
    new TextEncoder().encode("what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  ],
  [
    new Uint8Array(131).fill(0xaa),
    new TextEncoder().encode(
      "Test Using Larger Than Block-Size Key - Hash Key First",
    ),
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  ],
];

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");

describe("the token's HMAC-SHA-256", () => {
  test("matches RFC 4231's test vectors", () => {
    for (const [key, message, digest] of HMAC_VECTORS) {
      assert.equal(hex(hmacSha256(key, message)), digest);
    }
  });

  test("matches crypto.subtle on random keys and messages", async () => {
    for (let i = 0; i < 60; i++) {
      const key = crypto.getRandomValues(new Uint8Array(1 + (i * 7) % 150));
      const message = crypto.getRandomValues(new Uint8Array((i * 13) % 200));
      const imported = await crypto.subtle.importKey(
        "raw",
        key,
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      const expected = new Uint8Array(
        await crypto.subtle.sign("HMAC", imported, message),
      );
      assert.deepEqual(hmacSha256(key, message), expected);
    }
  });

  test("is HMAC-SHA-256 keyed with the id over sesame's label, in base64url", async () => {
    const id = "A".repeat(43);
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(id),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = await crypto.subtle.sign(
      "HMAC",
      key,
      new TextEncoder().encode("sesame/csrf-token/v1"),
    );
    assert.equal(
      csrfTokenOf(id),
      encodeBase64urlNoPadding(new Uint8Array(mac)),
    );
  });

  test("differs from the id and from the store key derived from it", () => {
    const id = "B".repeat(42) + "A";
    const token = csrfTokenOf(id);
    assert.match(token, /^[\w-]{43}$/);
    assert.notEqual(token, id);
    assert.notEqual(token, sha256Base64url(id));
  });
});

describe("the token's comparison", () => {
  /** A byte array that counts the bytes read from it. */
  function counted(bytes: Uint8Array): { bytes: Uint8Array; reads: number } {
    const result = { bytes, reads: 0 };
    result.bytes = new Proxy(bytes, {
      get(target, property) {
        if (typeof property === "string" && /^\d+$/.test(property)) {
          result.reads++;
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return result;
  }

  test("reads every byte whether the first or the last differs, or none", () => {
    const expected = crypto.getRandomValues(new Uint8Array(32));
    for (const at of [0, 31, -1]) {
      const submitted = expected.slice();
      if (at >= 0) submitted[at] ^= 1;
      const a = counted(submitted);
      const b = counted(expected);
      assert.equal(constantTimeEqual(a.bytes, b.bytes), at === -1);
      assert.equal(a.reads, 32);
      assert.equal(b.reads, 32);
    }
  });

  test("refuses arrays of other lengths", () => {
    assert.equal(
      constantTimeEqual(new Uint8Array(31), new Uint8Array(32)),
      false,
    );
  });

  test("accepts only the 43 characters of the session's token", () => {
    const id = "C".repeat(42) + "A";
    const token = csrfTokenOf(id);
    assert.equal(csrfTokenMatches(id, token), true);
    assert.equal(csrfTokenMatches(id, undefined), false);
    assert.equal(csrfTokenMatches(id, ""), false);
    assert.equal(csrfTokenMatches(id, token + "A"), false);
    assert.equal(csrfTokenMatches(id, token.slice(0, 42)), false);
    assert.equal(csrfTokenMatches(id, "!".repeat(43)), false);
    assert.equal(
      csrfTokenMatches(id, csrfTokenOf("D".repeat(42) + "A")),
      false,
    );
    // One base64url character changed, anywhere.
    for (const at of [0, 21, 41]) {
      const changed = token.slice(0, at) +
        (token[at] === "A" ? "B" : "A") + token.slice(at + 1);
      assert.equal(csrfTokenMatches(id, changed), false);
    }
  });
});

type Data = { note: string; user: string };

/** An app: a page with a form, a POST that needs the token, login and logout. */
function createApp(
  options: CsrfProtectionOptions = {},
  store: ConstructorParameters<typeof MemoryStore>[0] | RecordingStore =
    undefined,
) {
  const sessions = createSessionManager<Data>({
    store: store instanceof RecordingStore ? store : new MemoryStore(store),
  });
  const csrf = createCsrfProtection(options);
  const seen: Session<Data>[] = [];
  const app = csrf.handler(sessions.handler(async (request, session) => {
    seen.push(session);
    const path = new URL(request.url).pathname;
    if (request.method === "GET" && path === "/token") {
      return Response.json({ token: csrf.token(session) });
    }
    if (path === "/login") {
      session.regenerate();
      session.set("user", "ada");
      return Response.json({ token: csrf.token(session) });
    }
    if (path === "/logout") {
      await csrf.requireToken(request, session);
      session.destroy();
      return Response.json({ token: csrf.token(session) });
    }
    if (request.method === "POST" && path === "/note") {
      await csrf.requireToken(request, session);
      // The app still reads the body it was sent.
      const type = request.headers.get("content-type") ?? "";
      const note = type.startsWith("application/json")
        ? (await request.json()).note
        : String((await request.formData()).get("note"));
      session.set("note", note);
      return Response.json({ note });
    }
    return Response.json({ note: session.get("note") ?? null });
  }));
  return { app, csrf, sessions, seen };
}

/** A browser for one origin: cookies carried, no headers added. */
class Browser {
  readonly jar = new CookieJar();
  constructor(readonly app: (request: Request) => Promise<Response>) {}

  async send(path: string, init?: RequestInit): Promise<Response> {
    const response = await this.app(this.jar.request(ORIGIN + path, init));
    this.jar.storeFrom(response);
    return response;
  }

  async token(path = "/token"): Promise<string> {
    const response = await this.send(path, {
      method: path === "/token" ? "GET" : "POST",
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as { token: string }).token;
  }

  post(path: string, body: BodyInit, headers: HeadersInit = {}) {
    return this.send(path, { method: "POST", body, headers });
  }
}

describe("token() and requireToken()", () => {
  test("a brand-new session's token is saved with the page and valid on the next request", async () => {
    const { app } = createApp();
    const browser = new Browser(app);
    const page = await browser.send("/token");
    assert.match(page.headers.get("Set-Cookie") ?? "", /^__Host-sid=/);
    const { token } = await page.json();
    assert.match(token, /^[\w-]{43}$/);
    const saved = await browser.post(
      "/note",
      new URLSearchParams({ _csrf: token, note: "hi" }),
    );
    assert.equal(saved.status, 200);
    assert.deepEqual(await saved.json(), { note: "hi" });
  });

  test("stays the same for every request of a session", async () => {
    const { app } = createApp();
    const browser = new Browser(app);
    const first = await browser.token();
    assert.equal(await browser.token(), first);
    assert.equal(await browser.token(), first);
  });

  test("is accepted from the header, a urlencoded form and a multipart form", async () => {
    const { app } = createApp();
    const browser = new Browser(app);
    const token = await browser.token();
    const byHeader = await browser.post(
      "/note",
      JSON.stringify({ note: "json" }),
      { "Content-Type": "application/json", "X-CSRF-Token": token },
    );
    assert.deepEqual(await byHeader.json(), { note: "json" });
    const form = new FormData();
    form.set("_csrf", token);
    form.set("note", "multipart");
    form.set("file", new Blob(["contents"]), "file.txt");
    const multipart = await browser.post("/note", form);
    assert.deepEqual(await multipart.json(), { note: "multipart" });
    const urlencoded = await browser.post(
      "/note",
      new URLSearchParams({ note: "urlencoded", _csrf: token }),
    );
    assert.deepEqual(await urlencoded.json(), { note: "urlencoded" });
  });

  test("uses the configured field and header", async () => {
    const { app } = createApp({
      tokenField: "authenticity_token",
      tokenHeader: "X-XSRF-Token",
    });
    const browser = new Browser(app);
    const token = await browser.token();
    assert.equal(
      (await browser.post("/note", new URLSearchParams({ _csrf: token })))
        .status,
      403,
    );
    assert.equal(
      (await browser.post(
        "/note",
        new URLSearchParams({ authenticity_token: token, note: "a" }),
      )).status,
      200,
    );
    assert.equal(
      (await browser.post("/note", new URLSearchParams({ note: "b" }), {
        "x-xsrf-token": token,
      })).status,
      200,
    );
  });

  test("refuses a POST without a token, or with a wrong one, with a 403 and no commit", async () => {
    const store = new RecordingStore();
    const { app, seen } = createApp({}, store);
    const browser = new Browser(app);
    const token = await browser.token();
    const wrong = [
      undefined,
      "",
      "A".repeat(43),
      token.slice(1),
      `${token}x`,
      "<script>",
    ];
    for (const submitted of wrong) {
      store.calls.length = 0;
      const form = new URLSearchParams({ note: "forged" });
      if (submitted !== undefined) form.set("_csrf", submitted);
      const response = await browser.post("/note", form);
      assert.equal(response.status, 403, `token ${submitted}`);
      assert.equal(await response.text(), "Forbidden");
      assert.equal(response.headers.get("Set-Cookie"), null);
      // Loaded, and nothing written: no set, no touch.
      assert.deepEqual(store.calls, ["get"]);
    }
    assert.equal(seen.at(-1)!.get("note"), undefined);
  });

  test("refuses the token of another session", async () => {
    const { app } = createApp();
    const alice = new Browser(app);
    const mallory = new Browser(app);
    await alice.token();
    const mallorys = await mallory.token();
    const response = await alice.post(
      "/note",
      new URLSearchParams({ _csrf: mallorys, note: "forged" }),
    );
    assert.equal(response.status, 403);
  });

  test("changes on regenerate(): the token seen before login is dead after it", async () => {
    const { app } = createApp();
    const browser = new Browser(app);
    const before = await browser.token();
    const after = await browser.token("/login");
    assert.notEqual(after, before);
    assert.equal(await browser.token(), after);
    const old = await browser.post(
      "/note",
      new URLSearchParams({ _csrf: before, note: "x" }),
    );
    assert.equal(old.status, 403);
    const fresh = await browser.post(
      "/note",
      new URLSearchParams({ _csrf: after, note: "x" }),
    );
    assert.equal(fresh.status, 200);
  });

  test("changes on destroy(): the next session's token is saved with the logout", async () => {
    const { app } = createApp();
    const browser = new Browser(app);
    const signedIn = await browser.token("/login");
    const logout = await browser.send("/logout", {
      method: "POST",
      headers: { "X-CSRF-Token": signedIn },
    });
    assert.equal(logout.status, 200);
    const { token: next } = await logout.json();
    assert.notEqual(next, signedIn);
    assert.equal(await browser.token(), next);
    const old = await browser.post("/note", "", { "X-CSRF-Token": signedIn });
    assert.equal(old.status, 403);
  });

  test("asks nothing of safe methods", async () => {
    const { csrf, sessions } = createApp();
    const session = await sessions.load(new Request(ORIGIN));
    for (const method of ["GET", "HEAD", "OPTIONS"]) {
      await csrf.requireToken(new Request(ORIGIN, { method }), session);
    }
  });

  test("throws a CsrfError that answers 403 in every framework's convention", async () => {
    const { csrf, sessions } = createApp();
    const session = await sessions.load(new Request(ORIGIN));
    const error = await csrf.requireToken(
      new Request(ORIGIN, { method: "DELETE" }),
      session,
    ).then(() => undefined, (error: unknown) => error);
    assert.ok(error instanceof CsrfError);
    assert.equal(error.name, "CsrfError");
    assert.equal(error.reason, "invalid token");
    assert.equal(error.message, "Cross-site request refused: invalid token");
    assert.equal(error.status, 403);
    assert.equal(error.statusCode, 403);
    assert.equal(error.getResponse().status, 403);
  });

  test("with tokenPolicy fallback, asks a token only of requests without Sec-Fetch-Site or Origin", async () => {
    const { app } = createApp({ tokenPolicy: "fallback" });
    const browser = new Browser(app);
    const token = await browser.token();
    const note = () => new URLSearchParams({ note: "n" });
    const sameOrigin = await browser.post("/note", note(), {
      "Sec-Fetch-Site": "same-origin",
    });
    assert.equal(sameOrigin.status, 200);
    const oldBrowser = await browser.post("/note", note(), { Origin: ORIGIN });
    assert.equal(oldBrowser.status, 200);
    const neither = await browser.post("/note", note());
    assert.equal(neither.status, 403);
    const withToken = await browser.post("/note", note(), {
      "X-CSRF-Token": token,
    });
    assert.equal(withToken.status, 200);
  });

  test("with tokenPolicy always, asks a token of same-origin requests too", async () => {
    const { app } = createApp();
    const browser = new Browser(app);
    await browser.token();
    const response = await browser.post("/note", "", {
      "Sec-Fetch-Site": "same-origin",
    });
    assert.equal(response.status, 403);
  });

  test("verifyToken() reads a Node request's header, or its parsed body", async () => {
    const { csrf, sessions } = createApp();
    const session = await sessions.load(new Request(ORIGIN));
    const token = csrf.token(session);
    const verify = (request: CsrfRequestLike) =>
      csrf.verifyToken(request, session);
    assert.equal(
      await verify({ method: "POST", headers: { "x-csrf-token": token } }),
      true,
    );
    assert.equal(
      await verify({ method: "POST", headers: {}, body: { _csrf: token } }),
      true,
    );
    assert.equal(
      await verify({
        method: "POST",
        headers: {},
        body: new URLSearchParams({ _csrf: token }),
      }),
      true,
    );
    assert.equal(
      await verify({ method: "POST", headers: {}, body: { _csrf: [token] } }),
      false,
    );
    assert.equal(
      await verify({
        method: "POST",
        headers: {},
        body: Object.create({ _csrf: token }),
      }),
      false,
      "an inherited property is no field",
    );
    assert.equal(await verify({ method: "POST", headers: {} }), false);
  });

  test("verifyToken() finds no token in a malformed, used or text/plain body, and never throws", async () => {
    const { csrf, sessions } = createApp();
    const session = await sessions.load(new Request(ORIGIN));
    const token = csrf.token(session);
    const malformed = new Request(ORIGIN, {
      method: "POST",
      headers: { "Content-Type": "multipart/form-data; boundary=x" },
      body: "not multipart",
    });
    assert.equal(await csrf.verifyToken(malformed, session), false);
    const used = new Request(ORIGIN, {
      method: "POST",
      body: new URLSearchParams({ _csrf: token }),
    });
    await used.text();
    assert.equal(await csrf.verifyToken(used, session), false);
    const plain = new Request(ORIGIN, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: `_csrf=${token}`,
    });
    assert.equal(await csrf.verifyToken(plain, session), false);
  });

  test("verifyToken() reads the form of a request that is a Request only by its shape", async () => {
    const { csrf, sessions } = createApp();
    const session = await sessions.load(new Request(ORIGIN));
    const real = new Request(ORIGIN, {
      method: "POST",
      body: new URLSearchParams({ _csrf: csrf.token(session) }),
    });
    // As a server's own lightweight request, or one of another realm.
    const lookalike = {
      method: real.method,
      url: real.url,
      headers: real.headers,
      body: real.body,
      bodyUsed: false,
      clone: () => real.clone(),
      formData: () => real.formData(),
    } as unknown as Request;
    assert.ok(!(lookalike instanceof Request));
    assert.equal(await csrf.verifyToken(lookalike, session), true);
  });

  test("a token works with the sealed cookie store, whose id travels in the cookie", async () => {
    const sessions = createSessionManager({
      store: new SealedCookieStore({ secrets: ["x".repeat(32)] }),
    });
    const csrf = createCsrfProtection();
    const app = csrf.handler(sessions.handler(async (request, session) => {
      if (request.method === "GET") {
        return Response.json({ token: csrf.token(session) });
      }
      await csrf.requireToken(request, session);
      return new Response("ok");
    }));
    const browser = new Browser(app);
    const token = await browser.token();
    assert.equal(await browser.token(), token);
    assert.equal(
      (await browser.post("/", new URLSearchParams({ _csrf: token }))).status,
      200,
    );
    assert.equal((await browser.post("/", "")).status, 403);
  });
});

describe("handler()", () => {
  test("refuses a cross-site request before the session is loaded", async () => {
    const store = new RecordingStore();
    const { app, seen } = createApp({}, store);
    const browser = new Browser(app);
    const token = await browser.token();
    store.calls.length = 0;
    const forged: Record<string, string>[] = [
      { "Sec-Fetch-Site": "cross-site", Origin: "https://evil.example" },
      { "Sec-Fetch-Site": "same-site", Origin: "https://blog.example.com" },
      { Origin: "https://evil.example" },
      { Origin: "null" },
    ];
    for (const headers of forged) {
      const before = seen.length;
      const response = await browser.post(
        "/note",
        new URLSearchParams({ _csrf: token, note: "forged" }),
        headers,
      );
      assert.equal(response.status, 403);
      assert.equal(response.headers.get("Set-Cookie"), null);
      assert.equal(seen.length, before, "the handler did not run");
    }
    assert.deepEqual(store.calls, [], "the store was not called");
  });

  test("lets a trusted origin's request through", async () => {
    const { app } = createApp({ trustedOrigins: [TRUSTED] });
    const browser = new Browser(app);
    const token = await browser.token();
    const response = await browser.post(
      "/note",
      new URLSearchParams({ _csrf: token, note: "from www" }),
      { "Sec-Fetch-Site": "same-site", Origin: TRUSTED },
    );
    assert.equal(response.status, 200);
  });

  test("passes on what the handler throws, other than a CsrfError", async () => {
    const csrf = createCsrfProtection();
    const failure = new Error("boom");
    const app = csrf.handler(() => {
      throw failure;
    });
    await assert.rejects(app(new Request(ORIGIN)), failure);
  });

  test("throws a TypeError for a handler that is not a function", () => {
    assert.throws(
      () =>
        createCsrfProtection().handler(
          "no" as unknown as () => Response,
        ),
      {
        name: "TypeError",
        message:
          'Cannot wrap handler: handler must be a function, received "no"',
      },
    );
  });
});

describe("SessionManager.handler() with the csrf option", () => {
  test("a cross-site post gets 403 before its session is loaded; a same-origin one is served", async () => {
    const store = new RecordingStore();
    const sessions = createSessionManager<{ n: number }>({ store });
    const serve = sessions.handler((_request, session) => {
      session.update("n", (n = 0) => n + 1);
      return new Response("ok");
    }, { csrf: createCsrfProtection() });
    const post = (site: string) =>
      new Request("https://app.test/count", {
        method: "POST",
        headers: { "Sec-Fetch-Site": site, Origin: "https://evil.test" },
      });
    const refused = await serve(post("cross-site"));
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get("Set-Cookie"), null);
    assert.deepEqual(store.calls, []);
    const served = await serve(
      new Request("https://app.test/count", {
        method: "POST",
        headers: { "Sec-Fetch-Site": "same-origin" },
      }),
    );
    assert.equal(served.status, 200);
    assert.match(served.headers.get("Set-Cookie") ?? "", /__Host-sid=/);
  });

  test("an options.csrf that is not a protection is a TypeError naming the option", () => {
    const sessions = createSessionManager();
    assert.throws(
      () =>
        sessions.handler(() => new Response("ok"), {
          csrf: {} as never,
        }),
      { name: "TypeError", message: /options\.csrf .*createCsrfProtection/ },
    );
  });
});
