// The Next.js adapter (src/middleware/next.ts): first over a cookie store
// that behaves as Next's does (every runtime), then the demo of
// examples/next/ built for production and served by `next start` (Node
// only): a Server Action that redirects, a streaming response, a failing
// route, HEAD, Next's own cookies beside the session's, the read-only rule
// in a Server Component, and 503 when the store fails.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import type { SessionManagerOptions } from "../src/manager_options.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import {
  createNextSessions,
  type NextCookieOptions,
  type NextCookieStore,
  type NextHeaders,
} from "../src/middleware/next.ts";
import { type DemoServer, startDemo } from "./_demo_server.ts";

type Data = { count: number; user: string };

/**
 * A request's cookies as `cookies()` of `next/headers` gives them: the
 * request's `Cookie` header parsed into a map (the last of two of one name
 * wins, values URI-decoded), `set()` recording the response cookies, or
 * throwing as in a Server Component.
 */
class NextCookies implements NextCookieStore {
  readonly #cookies = new Map<string, string>();
  readonly written: [string, string, NextCookieOptions][] = [];

  constructor(header: string, readonly readOnly = false) {
    for (const pair of header.split(/; */)) {
      const at = pair.indexOf("=");
      if (at === -1) continue;
      try {
        this.#cookies.set(
          pair.slice(0, at),
          decodeURIComponent(pair.slice(at + 1)),
        );
      } catch {
        // Next skips a value it cannot decode.
      }
    }
  }

  getAll(): { name: string; value: string }[] {
    return [...this.#cookies].map(([name, value]) => ({ name, value }));
  }

  set(name: string, value: string, options: NextCookieOptions): void {
    if (this.readOnly) {
      throw new Error(
        "Cookies can only be modified in a Server Action or Route Handler.",
      );
    }
    this.written.push([name, value, options]);
    this.#cookies.set(name, value);
  }
}

/** One request: its cookies and headers, as next/headers gives them. */
function nextRequest(
  cookie = "",
  { proto = "http", readOnly = false } = {},
): { cookies: NextCookies; headers: NextHeaders } {
  const headers = new Headers({ "x-forwarded-proto": proto });
  return { cookies: new NextCookies(cookie, readOnly), headers };
}

/** The sessions of an app whose every call of cookies() sees `request`. */
function nextSessions(
  request: () => { cookies: NextCookies; headers: NextHeaders },
  options: SessionManagerOptions = {},
) {
  const sessions = createSessionManager<Data>(options);
  return createNextSessions(sessions, {
    cookies: () => Promise.resolve(request().cookies),
    headers: () => Promise.resolve(request().headers),
  });
}

describe("createNextSessions()", () => {
  test("getSession() reads the cookie from cookies() and commit() sets it with the manager's attributes", async () => {
    let request = nextRequest();
    const { getSession } = nextSessions(() => request, {
      idleTimeoutSeconds: 600,
    });
    const first = await getSession();
    first.set("count", 1);
    const setCookie = await first.commit();
    assert.equal(
      setCookie,
      `sid=${first.id}; Max-Age=600; Path=/; HttpOnly; SameSite=Lax`,
    );
    assert.deepEqual(request.cookies.written, [[
      "sid",
      first.id,
      {
        maxAge: 600,
        path: "/",
        httpOnly: true,
        secure: false,
        sameSite: "lax",
        partitioned: false,
      },
    ]]);

    request = nextRequest(`theme=dark; sid=${first.id}`);
    const second = await getSession();
    assert.equal(second.isNew, false);
    assert.equal(second.get("count"), 1);
  });

  test("on https the cookie is __Host-sid, Secure, and read under that name only", async () => {
    let request = nextRequest("", { proto: "https" });
    const { getSession } = nextSessions(() => request);
    const session = await getSession();
    session.set("user", "ada");
    await session.commit();
    const [[name, value, options]] = request.cookies.written;
    assert.equal(name, "__Host-sid");
    assert.equal(options.secure, true);

    request = nextRequest(`sid=${value}`, { proto: "https" });
    assert.equal((await getSession()).isNew, true, "the unprefixed name");
    request = nextRequest(`__Host-sid=${value}`, { proto: "https,http" });
    assert.equal((await getSession()).get("user"), "ada");
  });

  test("destroy() deletes the cookie with Max-Age 0; a browser-session cookie has no maxAge", async () => {
    let request = nextRequest();
    const { getSession } = nextSessions(() => request, {
      cookie: { persistent: false, domain: "example.com" },
    });
    const session = await getSession();
    session.set("count", 1);
    await session.commit();
    const [[, id, options]] = request.cookies.written;
    assert.equal("maxAge" in options, false);
    assert.equal(options.domain, "example.com");

    request = nextRequest(`sid=${id}`);
    const loaded = await getSession();
    loaded.destroy();
    await loaded.commit();
    assert.deepEqual(request.cookies.written, [["sid", "", {
      maxAge: 0,
      domain: "example.com",
      path: "/",
      httpOnly: true,
      secure: false,
      sameSite: "lax",
      partitioned: false,
    }]]);
  });

  test("a session only read sets no cookie and writes nothing", async () => {
    const store = new MemoryStore();
    const request = nextRequest();
    const { getSession } = nextSessions(() => request, { store });
    const session = await getSession();
    assert.equal(session.get("count"), undefined);
    assert.equal(await session.commit(), undefined);
    assert.deepEqual(request.cookies.written, []);
    assert.equal(store.size, 0);
  });

  test("one request gets one session, another request its own", async () => {
    let request = nextRequest();
    const { getSession, readSession } = nextSessions(() => request);
    const session = await getSession();
    assert.equal(await getSession(), session);
    const read = await readSession();
    assert.equal(await readSession(), read);
    assert.notEqual(read, session, "a read-only session of its own");
    request = nextRequest();
    assert.notEqual(await getSession(), session);
  });

  test("readSession() reads, and every change throws a TypeError naming the rule", async () => {
    const store = new MemoryStore();
    let request = nextRequest();
    const { getSession, readSession } = nextSessions(() => request, { store });
    const writer = await getSession();
    writer.set("count", 7);
    await writer.commit();
    const [[, id]] = request.cookies.written;

    request = nextRequest(`sid=${id}`, { readOnly: true });
    const session = await readSession();
    assert.equal(session.get("count"), 7);
    assert.equal(session.has("user"), false);
    assert.equal(session.isNew, false);
    const changing = session as unknown as Record<string, () => unknown>;
    for (
      const method of [
        "set",
        "delete",
        "update",
        "flash",
        "takeFlash",
        "regenerate",
        "destroy",
        "setSubject",
        "commit",
      ]
    ) {
      assert.throws(() => changing[method](), {
        name: "TypeError",
        message:
          `Cannot ${method}() a session from readSession(): Next.js lets only Server Functions (Server Actions) and Route Handlers set cookies, so change the session there, with getSession()`,
      });
    }
    assert.equal(session.get("count"), 7);
  });

  test("committing where Next cannot set cookies throws a TypeError naming the rule", async () => {
    const request = nextRequest("", { readOnly: true });
    const { getSession } = nextSessions(() => request);
    const session = await getSession();
    session.set("count", 1);
    await assert.rejects(session.commit(), (error: Error) => {
      assert.equal(error.name, "TypeError");
      assert.match(
        error.message,
        /^Cannot commit session: Next\.js refused to set the session cookie, which it allows only in Server Functions \(Server Actions\) and Route Handlers/,
      );
      assert.match(String(error.cause), /Cookies can only be modified/);
      return true;
    });
  });

  test("an id hidden in another cookie's value is never read", async () => {
    let request = nextRequest();
    const { getSession } = nextSessions(() => request);
    const session = await getSession();
    session.set("count", 1);
    await session.commit();
    const [[, id]] = request.cookies.written;
    request = nextRequest(`x=${encodeURIComponent(`1; sid=${id}`)}`);
    assert.equal((await getSession()).isNew, true);
  });

  test("invalid options throw a TypeError naming the option", () => {
    const sessions = createSessionManager();
    const headers = () => Promise.resolve(new Headers());
    assert.throws(
      () =>
        createNextSessions(
          sessions,
          { headers } as unknown as Parameters<typeof createNextSessions>[1],
        ),
      {
        name: "TypeError",
        message:
          'Cannot create Next.js sessions: cookies must be a function (cookies of "next/headers"), received undefined',
      },
    );
    assert.throws(
      () =>
        createNextSessions(sessions, {
          cookies: () => Promise.resolve(new NextCookies("")),
          headers,
          https: true as unknown as () => boolean,
        }),
      {
        name: "TypeError",
        message:
          "Cannot create Next.js sessions: https must be a function, received true",
      },
    );
  });
});

// The demo is built and served by Node: the framework tests run once, under
// Node's test runner.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
  describe("the Next.js demo, built for production", () => {
    let server: DemoServer;

    before(async () => {
      server = await startDemo("next", { SESAME_DEMO_TESTS: "1" });
    }, { timeout: 900_000 });
    after(() => server?.stop());

    const url = (path: string) => server.origin + path;
    const pairOf = (setCookie: string) => setCookie.split(";")[0];

    /** A session with a count of `count`, as its `sid=…` pair. */
    async function counted(count: number): Promise<string> {
      let cookie = "";
      for (let n = 1; n <= count; n++) {
        const response = await fetch(url("/count"), {
          headers: cookie ? { Cookie: cookie } : {},
        });
        assert.deepEqual(await response.json(), { count: n });
        cookie ||= pairOf(response.headers.get("Set-Cookie")!);
      }
      return cookie;
    }

    async function peek(cookie: string): Promise<unknown> {
      const response = await fetch(url("/peek"), {
        headers: { Cookie: cookie },
      });
      return await response.json();
    }

    test("a Server Action that logs in and redirects sends the cookie on its 303", async () => {
      const cookie = await counted(2);
      const page = await (await fetch(url("/test/action"))).text();
      // Without JavaScript, the form posts its action's id as a field.
      const field = /name="(\$ACTION_ID_[^"]+)"/.exec(page)?.[1];
      assert.ok(field, "the form carries its Server Action");
      const form = new FormData();
      form.set(field, "");
      form.set("user", "ada");
      const response = await fetch(url("/test/action"), {
        method: "POST",
        body: form,
        headers: { Cookie: cookie, Origin: server.origin },
        redirect: "manual",
      });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("Location"), "/");
      const [setCookie] = response.headers.getSetCookie();
      assert.match(setCookie, /^sid=[A-Za-z0-9_-]{43}; /);
      assert.match(setCookie, /HttpOnly/);
      assert.notEqual(pairOf(setCookie), cookie, "login moved the id");
      assert.deepEqual(await peek(pairOf(setCookie)), {
        count: 2,
        user: "ada",
      });
      assert.deepEqual(await peek(cookie), { count: null, user: null });
    });

    test("a Route Handler's redirect carries the session cookie", async () => {
      const response = await fetch(url("/test/login-redirect"), {
        method: "POST",
        redirect: "manual",
      });
      assert.equal(response.status, 303);
      assert.equal(
        new URL(response.headers.get("Location")!).pathname,
        "/peek",
      );
      const [setCookie] = response.headers.getSetCookie();
      assert.deepEqual(await peek(pairOf(setCookie)), {
        count: null,
        user: "redirected",
      });
    });

    test("a streaming response carries the cookie committed before it streams", async () => {
      const response = await fetch(url("/test/stream"));
      const [setCookie] = response.headers.getSetCookie();
      assert.match(setCookie, /^sid=/);
      const chunks: string[] = [];
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) {
        chunks.push(decoder.decode(chunk));
      }
      assert.equal(chunks.join(""), "count 1 streamed");
      assert.deepEqual(await peek(pairOf(setCookie)), { count: 1, user: null });
    });

    test("a route that fails commits nothing: 500, no cookie, the session as it was", async () => {
      const cookie = await counted(3);
      const response = await fetch(url("/test/fail"), {
        headers: { Cookie: cookie },
      });
      assert.equal(response.status, 500);
      assert.deepEqual(response.headers.getSetCookie(), []);
      await response.body?.cancel();
      assert.deepEqual(await peek(cookie), { count: 3, user: null });
    });

    test("HEAD answers as GET does, without a body", async () => {
      const cookie = await counted(1);
      const head = await fetch(url("/count"), {
        method: "HEAD",
        headers: { Cookie: cookie },
      });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), "");
      assert.deepEqual(await peek(cookie), { count: 2, user: null });
      const peeked = await fetch(url("/peek"), { method: "HEAD" });
      assert.equal(peeked.status, 200);
      assert.deepEqual(peeked.headers.getSetCookie(), []);
      const missing = await fetch(url("/nope"), { method: "HEAD" });
      assert.equal(missing.status, 404);
    });

    test("the app's own cookies go out beside the session's", async () => {
      const response = await fetch(url("/test/theme"));
      assert.deepEqual(await response.json(), { count: 1, theme: "dark" });
      const names = response.headers.getSetCookie().map((line) =>
        line.split("=")[0]
      ).sort();
      assert.deepEqual(names, ["sid", "theme"]);
    });

    test("a Server Component that changes the session gets the rule as a TypeError", async () => {
      // A new visitor: committing must set a cookie, which Next refuses.
      const response = await fetch(url("/test/read-only"));
      assert.equal(response.status, 200);
      assert.deepEqual(response.headers.getSetCookie(), []);
      const page = (await response.text()).replaceAll("&#x27;", "'");
      assert.match(
        page,
        /<p id="set">TypeError: Cannot set\(\) a session from readSession\(\): Next\.js lets only Server Functions/,
      );
      assert.match(
        page,
        /<p id="commit">TypeError: Cannot commit session: Next\.js refused to set the session cookie/,
      );
      assert.match(page, /<p id="count">null<\/p>/);
    });

    test("the page at / shows the session it reads, and is never cached", async () => {
      const cookie = await counted(5);
      const first = await fetch(url("/"), { headers: { Cookie: cookie } });
      assert.equal(first.status, 200);
      assert.deepEqual(first.headers.getSetCookie(), []);
      assert.match(await first.text(), /<output id="count">5<\/output>/);
      await fetch(url("/count"), { headers: { Cookie: cookie } });
      const second = await fetch(url("/"), { headers: { Cookie: cookie } });
      assert.match(await second.text(), /<output id="count">6<\/output>/);
      assert.match(second.headers.get("Cache-Control") ?? "", /no-store/);
    });

    test("without SESAME_DEMO_TESTS the test routes are 404 like any other path", async () => {
      const demo = await startDemo("next");
      try {
        for (const path of ["/test/stream", "/test/theme", "/test/nope"]) {
          const response = await fetch(demo.origin + path);
          assert.equal(response.status, 404, path);
          assert.deepEqual(await response.json(), { error: "not found" });
        }
      } finally {
        await demo.stop();
      }
    });

    test("a store that fails answers 503", async () => {
      const demo = await startDemo("next", {
        SESSION_STORE: "redis",
        REDIS_URL: "redis://127.0.0.1:1",
      });
      try {
        for (
          const [method, path, cookie] of [
            ["GET", "/count", undefined],
            ["GET", "/peek", `sid=${"A".repeat(43)}`],
            ["POST", "/login", undefined],
          ] as const
        ) {
          const response = await fetch(demo.origin + path, {
            method,
            headers: {
              ...(cookie && { Cookie: cookie }),
              "Content-Type": "application/x-www-form-urlencoded",
            },
            body: method === "POST" ? "user=ada" : undefined,
          });
          assert.equal(response.status, 503, `${method} ${path}`);
          assert.deepEqual(await response.json(), {
            error: "session store unavailable",
          });
          assert.deepEqual(response.headers.getSetCookie(), []);
        }
      } finally {
        await demo.stop();
      }
    });
  });
}
