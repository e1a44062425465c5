// A catalogue of hostile requests, each sent to real configured sites: a
// manager over an in-process memory store, one over a store keyed by hashes,
// one over the sealed cookie store, and the demo app (examples/demo/app.ts).
// A victim signs in first. Whatever the attacker sends, the answer is a fresh
// session or none: never an error, never a 5xx, never the victim's data, and
// never a Set-Cookie that adopts a value the attacker sent.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import { SessionTooLargeError } from "../src/errors.ts";
import {
  decodeBase64urlNoPadding,
  encodeBase64urlNoPadding,
} from "../src/_base64url.ts";
import { isSessionId } from "../src/session_id.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { SealedCookieStore } from "../src/stores/sealed_cookie.ts";
import type { SessionStore } from "../src/store.ts";
import { createDemoApp } from "../examples/demo/app.ts";
import { CookieJar, cookiePair, cookieValue } from "./_cookie_jar.ts";
import { FakeClock } from "./_fake_clock.ts";
import { WrappedStore } from "./_stores.ts";

const HTTP = "http://app.test";
const HTTPS = "https://app.test";
const SECRET = "the sealed cookie secret, 32+ characters long";
const VICTIM = "victim-3f9a";
const IDLE_SECONDS = 600;
const ABSOLUTE_SECONDS = 3600;
const GRACE_SECONDS = 60;

/** A site under attack: a request handler and what it is built on. */
interface Site {
  name: string;
  clock: FakeClock;
  fetch: (request: Request) => Promise<Response>;
  /** Whether the server can end a session (not so for sealed cookies). */
  revocable: boolean;
  /** Whether the answer reports `isNew` and `stale` (not so for the demo). */
  reportsHandle: boolean;
}

const TIMEOUTS = {
  idleTimeoutSeconds: IDLE_SECONDS,
  absoluteTimeoutSeconds: ABSOLUTE_SECONDS,
  rotationGraceSeconds: GRACE_SECONDS,
};

/** The demo's routes on a bare manager, answering what the session was. */
function managerSite(
  name: string,
  store: (now: () => number) => SessionStore | SealedCookieStore,
  revocable = true,
): () => Site {
  return () => {
    const clock = new FakeClock();
    const sessions = createSessionManager<{ user: string; count: number }>({
      store: store(clock.now),
      now: clock.now,
      ...TIMEOUTS,
    });
    const app = sessions.handler(async (request, session) => {
      const route = `${request.method} ${new URL(request.url).pathname}`;
      const seen = {
        isNew: session.isNew,
        stale: session.stale,
        loadedUser: session.get("user") ?? null,
      };
      if (route === "GET /count") {
        session.update("count", (count = 0) => count + 1);
        await session.commit();
      } else if (route === "POST /login") {
        const form = new URLSearchParams(await request.text());
        session.regenerate();
        session.set("user", form.get("user") ?? "");
      } else if (route === "POST /logout") {
        session.destroy();
      }
      return Response.json({
        ...seen,
        count: session.get("count") ?? null,
        user: session.get("user") ?? null,
      });
    });
    return {
      name,
      clock,
      fetch: app,
      revocable,
      reportsHandle: true,
    };
  };
}

const memorySite = managerSite(
  "a manager over the memory store",
  (now) => new MemoryStore({ now }),
);
const hashedSite = managerSite(
  "a manager over a store keyed by hashes",
  (now) => new WrappedStore({ now }),
);
const sealedSite = managerSite(
  "a manager over the sealed cookie store",
  () => new SealedCookieStore({ secrets: [SECRET] }),
  false, // a sealed cookie cannot be revoked on the server (documented)
);
function demoSite(): Site {
  const clock = new FakeClock();
  const fetch = createDemoApp({
    store: new MemoryStore({ now: clock.now }),
    now: clock.now,
    ...TIMEOUTS,
  });
  return {
    name: "the demo app",
    clock,
    fetch,
    revocable: true,
    reportsHandle: false,
  };
}

const SITES = [memorySite, hashedSite, sealedSite, demoSite];

/**
 * A request carrying `cookie` as its Cookie header. A value that `Headers`
 * refuses (CR, LF, NUL, beyond Latin-1) never comes from a runtime's server,
 * but an adapter or a proxy might pass it on: the request then answers the
 * raw value through a stand-in `headers`.
 */
function hostileRequest(
  url: string,
  cookie: string,
  init: RequestInit = {},
): Request {
  const headers = new Headers(init.headers);
  try {
    headers.set("Cookie", cookie);
    return new Request(url, { ...init, headers });
  } catch {
    const request = new Request(url, { ...init, headers });
    Object.defineProperty(request, "headers", {
      value: {
        get: (name: string) =>
          name.toLowerCase() === "cookie" ? cookie : headers.get(name),
        has: (name: string) =>
          name.toLowerCase() === "cookie" || headers.has(name),
      },
    });
    return request;
  }
}

function form(user: string): RequestInit {
  return {
    method: "POST",
    body: new URLSearchParams({ user }).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  };
}

/** The victim: signed in and counting, with its cookie in a jar. */
class Victim {
  jar = new CookieJar();
  constructor(readonly site: Site, readonly origin: string) {}

  get cookieName(): string {
    return this.origin === HTTPS ? "__Host-sid" : "sid";
  }

  /** The victim's session cookie value. */
  get value(): string {
    return this.jar.get(this.cookieName)!;
  }

  async send(path: string, init: RequestInit = {}) {
    const response = await this.site.fetch(
      this.jar.request(this.origin + path, init),
    );
    assert.equal(response.status, 200);
    this.jar.storeFrom(response);
    return await response.json();
  }

  async signIn(): Promise<void> {
    await this.send("/login", form(VICTIM));
    await this.send("/count");
    assert.deepEqual(
      (await this.send("/count")).count,
      2,
      "the victim is signed in",
    );
  }

  /** Checks that the victim's session is untouched. */
  async assertIntact(): Promise<void> {
    const seen = await this.send("/peek");
    assert.equal(seen.user, VICTIM);
    assert.equal(seen.count, 2);
  }
}

/**
 * Sends `cookie` to /peek, /count and / and checks the answers: no 5xx, none
 * of the victim's data, a fresh session (or, for `stale`, one that writes
 * nothing and sends no cookie), and never a cookie value that was sent.
 */
async function assertRepelled(
  site: Site,
  victim: Victim,
  url: string,
  cookie: string,
  expect: "fresh" | "stale" = "fresh",
): Promise<void> {
  const what = `${site.name}, Cookie: ${
    JSON.stringify(cookie.length > 80 ? cookie.slice(0, 77) + "..." : cookie)
  }`;
  for (const path of ["/peek", "/count", "/"]) {
    const response = await site.fetch(hostileRequest(url + path, cookie));
    assert.ok(response.status < 500, `${what}: ${path} answered 5xx`);
    const setCookies = response.headers.getSetCookie();
    if (path === "/") {
      const page = await response.text();
      assert.ok(!page.includes(VICTIM), `${what}: the page shows the victim`);
      continue;
    }
    const text = await response.text();
    assert.ok(!text.includes(VICTIM), `${what}: ${path} shows the victim`);
    const body = JSON.parse(text);
    if (site.reportsHandle) {
      assert.equal(body.loadedUser, null);
      assert.equal(body.isNew, true, `${what}: ${path} adopted a session`);
      assert.equal(body.stale, expect === "stale");
    }
    if (path === "/peek") {
      assert.equal(body.count, null, `${what}: /peek shows a count`);
      assert.deepEqual(setCookies, [], `${what}: /peek sent a cookie`);
      continue;
    }
    assert.equal(body.count, 1, `${what}: /count did not start afresh`);
    if (expect === "stale") {
      assert.deepEqual(
        setCookies,
        [],
        `${what}: a stale session sent a cookie`,
      );
      continue;
    }
    assert.equal(setCookies.length, 1, `${what}: /count sent no cookie`);
    const [line] = setCookies;
    assert.doesNotMatch(line, /[\r\n\0]/);
    const value = cookieValue(line);
    assert.ok(value.length > 0);
    assert.notEqual(
      value,
      victim.value,
      `${what}: the victim's cookie came back`,
    );
    assert.ok(!cookie.includes(value), `${what}: a sent value was adopted`);
    if (site.revocable) assert.ok(isSessionId(value));
  }
}

/** The text with upper and lower case swapped. */
function swapCase(text: string): string {
  return [...text].map((c) =>
    c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()
  ).join("");
}

function toHex(value: string): string {
  const bytes = decodeBase64urlNoPadding(value) ?? new Uint8Array();
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function toBase64(value: string): string {
  const bytes = decodeBase64urlNoPadding(value) ?? new Uint8Array();
  return btoa(String.fromCharCode(...bytes));
}

/** 16 KB of other cookies. */
function bigHeader(extra: string): string {
  const pairs: string[] = [];
  for (let i = 0; pairs.join("; ").length < 16 * 1024; i++) {
    pairs.push(`pref${i}=${"x".repeat(120)}`);
  }
  pairs.splice(pairs.length >> 1, 0, extra);
  return pairs.join("; ");
}

interface Attack {
  name: string;
  /** The scheme of the victim and of the attack. */
  origin?: string;
  /** Only where the server can end sessions. */
  needsRevocation?: boolean;
  /** Runs before the attack: ends or moves the victim's session. */
  prepare?: (victim: Victim) => Promise<void>;
  /** The Cookie headers to send. */
  cookies: (victim: Victim) => string[];
  expect?: "fresh" | "stale";
  /** Whether the victim's session survives the attack. */
  victimSurvives?: boolean;
}

const ATTACKS: Attack[] = [
  {
    name: "the id with one character changed",
    cookies: (v) =>
      [0, 1, 21, 41, 42, v.value.length - 1].map((i) => {
        const value = v.value;
        const changed = value[i] === "A" ? "E" : "A"; // both canonical last characters
        return `sid=${value.slice(0, i)}${changed}${value.slice(i + 1)}`;
      }),
  },
  {
    name: "the id truncated",
    cookies: (v) =>
      [v.value.length - 1, 42, 22, 1].map((n) => `sid=${v.value.slice(0, n)}`),
  },
  {
    name: "the id padded",
    cookies: (v) => [
      `sid=${v.value}=`,
      `sid=${v.value}==`,
      `sid=${v.value}A`,
      `sid=A${v.value}`,
      `sid=${v.value}%00`,
      `sid="${v.value}"`,
    ],
  },
  {
    name: "the id in another letter case",
    cookies: (v) => [
      `sid=${swapCase(v.value)}`,
      `sid=${v.value.toUpperCase()}`,
      `sid=${v.value.toLowerCase()}`,
    ],
  },
  {
    name: "the id's bytes in hex and in standard base64",
    cookies: (v) => [
      `sid=${toHex(v.value)}`,
      `sid=${toHex(v.value).toUpperCase()}`,
      `sid=${toBase64(v.value)}`,
      `sid=${encodeURIComponent(toBase64(v.value))}`,
    ],
  },
  {
    name: "a Cookie header of 16 KB",
    cookies: () => [
      bigHeader(`sid=${"A".repeat(43)}`),
      bigHeader("other=1"),
      `sid=${"A".repeat(16 * 1024)}`,
    ],
  },
  {
    name: "500 cookies",
    cookies: (v) => [
      Array.from({ length: 500 }, (_, i) => `c${i}=${i}`).join("; "),
      Array.from({ length: 500 }, (_, i) => `sid=${i}`).join("; "),
      Array.from({ length: 500 }, () => `sid=${v.value}`).join("; "),
    ],
  },
  {
    name: "the session cookie twice with different values",
    cookies: (v) => [
      `sid=${v.value}; sid=${"A".repeat(43)}`,
      `sid=${"A".repeat(43)}; sid=${v.value}`,
      `sid=${v.value};sid=`,
    ],
  },
  {
    name: "the session cookie twice with the same value",
    cookies: (v) => [`sid=${v.value}; sid=${v.value}`],
  },
  {
    name: "an expired id replayed (idle timeout)",
    prepare: (v) => {
      v.site.clock.advanceSeconds(IDLE_SECONDS + 1);
      return Promise.resolve();
    },
    cookies: (v) => [`sid=${v.value}`],
    victimSurvives: false,
  },
  {
    name: "an expired id replayed (absolute timeout, although active)",
    prepare: async (v) => {
      for (let s = 0; s < ABSOLUTE_SECONDS; s += IDLE_SECONDS / 2) {
        v.site.clock.advanceSeconds(IDLE_SECONDS / 2);
        await v.send("/peek");
      }
    },
    cookies: (v) => [`sid=${v.value}`],
    victimSurvives: false,
  },
  {
    name: "a destroyed id replayed",
    needsRevocation: true,
    prepare: async (v) => {
      const old = v.value;
      await v.send("/logout", { method: "POST" });
      assert.equal(v.jar.get("sid"), undefined);
      v.jar.store(`sid=${old}`);
    },
    cookies: (v) => [`sid=${v.value}`],
    victimSurvives: false,
  },
  {
    name: "a regenerated id replayed within the rotation grace period",
    needsRevocation: true,
    prepare: async (v) => {
      const old = v.value;
      await v.send("/login", form(VICTIM));
      assert.notEqual(v.value, old);
      v.jar.store(`sid=${old}`);
    },
    cookies: (v) => [`sid=${v.value}`],
    expect: "stale",
    victimSurvives: false,
  },
  {
    name: "a regenerated id replayed after the rotation grace period",
    needsRevocation: true,
    prepare: async (v) => {
      const old = v.value;
      await v.send("/login", form(VICTIM));
      v.site.clock.advanceSeconds(GRACE_SECONDS + 1);
      v.jar.store(`sid=${old}`);
    },
    cookies: (v) => [`sid=${v.value}`],
    victimSurvives: false,
  },
  {
    name: "a __Host-sid cookie over http",
    cookies: (v) => [`__Host-sid=${v.value}`, `__Secure-sid=${v.value}`],
  },
  {
    name: "a plain sid cookie over https",
    origin: HTTPS,
    cookies: (v) => [
      `sid=${v.value}`,
      `__Secure-sid=${v.value}`,
      `__host-sid=${v.value}`,
      `__Host-sid =${v.value}x`,
    ],
  },
  {
    name: "header injection with CR and LF in values",
    cookies: (v) => [
      `sid=${v.value}\r\nSet-Cookie: admin=1`,
      `sid=${v.value}\nX-Injected: 1`,
      `sid=x\r\n\r\nHTTP/1.1 200 OK\r\nSet-Cookie: sid=${v.value}`,
      `sid=%0d%0aSet-Cookie:%20admin=1`,
      `a=1\r\n; sid=${"A".repeat(43)}\r\n`,
      `sid=${v.value}\0`,
      `sid=\u2028${v.value}`,
      `sid=${v.value}\u0130`,
    ],
  },
];

for (const makeSite of SITES) {
  const probe = makeSite();
  describe(`hostile requests to ${probe.name}`, () => {
    for (const attack of ATTACKS) {
      if (attack.needsRevocation && !probe.revocable) continue;
      test(attack.name, async () => {
        const site = makeSite();
        const origin = attack.origin ?? HTTP;
        const victim = new Victim(site, origin);
        await victim.signIn();
        await attack.prepare?.(victim);
        for (const cookie of attack.cookies(victim)) {
          await assertRepelled(site, victim, origin, cookie, attack.expect);
        }
        if (attack.victimSurvives !== false) await victim.assertIntact();
      });
    }
  });
}

describe("hostile requests to specific stores", () => {
  test("a sealed cookie with any one bit flipped is no session", async () => {
    const site = sealedSite();
    const victim = new Victim(site, HTTP);
    await victim.signIn();
    const bytes = decodeBase64urlNoPadding(victim.value)!;
    const sessions = createSessionManager({
      store: new SealedCookieStore({ secrets: [SECRET] }),
      now: site.clock.now,
    });
    let tried = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = new Uint8Array(bytes);
        flipped[i] ^= 1 << bit;
        const cookie = `sid=${encodeBase64urlNoPadding(flipped)}`;
        const session = await sessions.load(hostileRequest(HTTP, cookie));
        assert.equal(session.isNew, true, `byte ${i}, bit ${bit}`);
        assert.equal(session.get("user"), undefined);
        tried++;
      }
    }
    assert.equal(tried, bytes.length * 8);
    // The unflipped cookie still opens: the flips, not the setup, failed.
    const intact = await sessions.load(
      hostileRequest(HTTP, `sid=${victim.value}`),
    );
    assert.equal(intact.get("user"), VICTIM);
  });

  test("session data with CR and LF never reaches a header", async () => {
    for (const makeSite of SITES) {
      const site = makeSite();
      const attacker = new CookieJar();
      const user = "x\r\nSet-Cookie: admin=1\r\n\r\n<script>";
      const login = await site.fetch(
        attacker.request(HTTP + "/login", form(user)),
      );
      assert.ok(login.status < 500, site.name);
      const lines = login.headers.getSetCookie();
      assert.ok(lines.length <= 1, site.name);
      for (const line of lines) {
        assert.doesNotMatch(line, /[\r\n]|admin/, site.name);
      }
      for (const [name] of login.headers) {
        assert.ok(!name.includes("admin"), site.name);
      }
    }
  });

  test("a cookie with a name that only looks like the session cookie is ignored", async () => {
    const site = memorySite();
    const victim = new Victim(site, HTTP);
    await victim.signIn();
    for (
      const cookie of [
        `SID=${victim.value}`,
        `sid2=${victim.value}`,
        `xsid=${victim.value}`,
        `s id=${victim.value}`,
        `"sid"=${victim.value}`,
        `a=x, sid=${victim.value}`, // commas do not separate cookies
        `sid\v=${victim.value}`,
      ]
    ) {
      await assertRepelled(site, victim, HTTP, cookie);
    }
    await victim.assertIntact();
  });
});

describe("secrets hygiene of the sealed cookie store", () => {
  test("a secret given as a string instead of an array is not echoed in the error", () => {
    // A common mistake: `secrets: process.env.SESSION_SECRET`.
    assert.throws(
      () => new SealedCookieStore({ secrets: SECRET as never }),
      (error) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /secrets must be a non-empty array/);
        const text = `${error.message}\n${error.stack}`;
        assert.ok(
          !text.includes(SECRET.slice(0, 12)),
          `the secret is in the error: ${error.message}`,
        );
        return true;
      },
    );
  });

  test("errors of a sealed session never carry the secret, the id or the data", async () => {
    const clock = new FakeClock();
    const sessions = createSessionManager<{ user: string; blob: string }>({
      store: new SealedCookieStore({ secrets: [SECRET] }),
      now: clock.now,
    });
    const first = await sessions.load(new Request(HTTP));
    first.set("user", VICTIM);
    const line = (await first.commit())!;
    const sealed = cookieValue(line);
    const session = await sessions.load(
      new Request(HTTP, { headers: { Cookie: `sid=${sealed}` } }),
    );
    const id = session.id;
    session.set("blob", `${VICTIM}-`.repeat(400));
    const error = await session.commit().then(
      () => assert.fail("a 4 KB session was sealed"),
      (error: unknown) => error,
    );
    assert.ok(error instanceof SessionTooLargeError);
    const text = `${error.message}\n${error.stack}`;
    for (const secret of [SECRET, id, VICTIM, sealed.slice(0, 20)]) {
      assert.ok(!text.includes(secret));
    }
  });
});

describe("a flood of new sessions", () => {
  test("past maxEntries, the memory store stays at its cap and evicted sessions are simply gone", async () => {
    const store = new MemoryStore({ maxEntries: 1000 });
    const sessions = createSessionManager<{ n: number }>({ store });
    const cookies: string[] = [];
    for (let n = 0; n < 3000; n++) {
      const session = await sessions.load(new Request(HTTP));
      session.set("n", n);
      cookies.push(cookiePair(await session.commit()));
      assert.ok(store.size <= 1000);
    }
    assert.equal(store.size, 1000);
    for (
      const [n, cookie] of [[0, cookies[0]], [2999, cookies[2999]]] as const
    ) {
      const session = await sessions.load(
        new Request(HTTP, { headers: { Cookie: cookie } }),
      );
      assert.equal(session.get("n"), n === 0 ? undefined : n);
    }
  });
});
