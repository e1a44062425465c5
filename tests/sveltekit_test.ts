// The SvelteKit hook (src/middleware/sveltekit.ts): first on its own, with
// `resolve` standing in for SvelteKit (every runtime), then the demo of
// examples/sveltekit/ built for production with adapter-node (Node only): a
// form action that redirects, a streaming response, a failing route, HEAD,
// SvelteKit's own cookies beside the session's, a response with immutable
// headers, and 503 when the store fails.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import type { Session } from "../src/session.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { createSessionHandle } from "../src/middleware/sveltekit.ts";
import { type DemoServer, startDemo } from "./_demo_server.ts";

type Data = { count: number; user: string };

/** A request event as the hook sees it: the request, and empty locals. */
function eventOf(cookie?: string) {
  return {
    request: new Request("http://app.test/", {
      headers: cookie === undefined ? {} : { Cookie: cookie },
    }),
    locals: {} as { session: Session<Data> },
  };
}

describe("createSessionHandle()", () => {
  test("puts the session in locals, commits after resolve and appends its cookie", async () => {
    const store = new MemoryStore();
    const handle = createSessionHandle(createSessionManager<Data>({ store }));
    const event = eventOf();
    const response = await handle({
      event,
      resolve: (resolved) => {
        assert.equal(resolved, event);
        resolved.locals.session.set("count", 1);
        const headers = new Headers({ "Set-Cookie": "theme=dark; Path=/" });
        return new Response("ok", { headers });
      },
    });
    const cookies = response.headers.getSetCookie();
    assert.equal(cookies.length, 2);
    assert.equal(cookies[0], "theme=dark; Path=/");
    assert.match(cookies[1], /^sid=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/;/);
    assert.equal(store.size, 1);
  });

  test("a response with immutable headers is copied to carry the cookie", async () => {
    const handle = createSessionHandle(createSessionManager<Data>());
    const response = await handle({
      event: eventOf(),
      resolve: ({ locals }) => {
        locals.session.set("user", "ada");
        return Response.redirect("http://app.test/home", 303);
      },
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("Location"), "http://app.test/home");
    assert.match(response.headers.get("Set-Cookie")!, /^sid=/);
  });

  test("a response of 500 or more commits nothing", async () => {
    const store = new MemoryStore();
    const handle = createSessionHandle(createSessionManager<Data>({ store }));
    const response = await handle({
      event: eventOf(),
      resolve: ({ locals }) => {
        locals.session.set("count", 1);
        return new Response("Internal Error", { status: 500 });
      },
    });
    assert.equal(response.headers.get("Set-Cookie"), null);
    assert.equal(store.size, 0);
  });

  test("a session only read sends no cookie", async () => {
    const handle = createSessionHandle(createSessionManager<Data>());
    const response = await handle({
      event: eventOf(),
      resolve: ({ locals }) =>
        Response.json({ count: locals.session.get("count") ?? null }),
    });
    assert.equal(response.headers.get("Set-Cookie"), null);
  });

  test("the local's name is an option, checked at once", async () => {
    const sessions = createSessionManager<Data>();
    const handle = createSessionHandle(sessions, { local: "auth" });
    const event = {
      request: new Request("http://app.test/"),
      locals: {} as { auth: Session<Data> },
    };
    await handle({
      event,
      resolve: ({ locals }) => {
        assert.equal(locals.auth.isNew, true);
        return new Response("ok");
      },
    });
    assert.throws(
      () => createSessionHandle(sessions, { local: "" }),
      {
        name: "TypeError",
        message:
          'Cannot create session handle: local must be a non-empty string, received ""',
      },
    );
  });
});

// The demo is built and served by Node: the framework tests run once, under
// Node's test runner.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
  describe("the SvelteKit demo, built for production", () => {
    let server: DemoServer;

    before(async () => {
      server = await startDemo("sveltekit", { SESAME_DEMO_TESTS: "1" });
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

    test("a form action that logs in and redirects sends the cookie on its 303", async () => {
      const cookie = await counted(2);
      const response = await fetch(url("/test/action"), {
        method: "POST",
        body: new URLSearchParams({ user: "ada" }),
        // A browser's post, without JavaScript: an HTML page is asked for.
        headers: { Cookie: cookie, Origin: server.origin, Accept: "text/html" },
        redirect: "manual",
      });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("Location"), "/");
      const [setCookie] = response.headers.getSetCookie();
      assert.match(setCookie, /^sid=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/;/);
      assert.notEqual(pairOf(setCookie), cookie, "login moved the id");
      assert.deepEqual(await peek(pairOf(setCookie)), {
        count: 2,
        user: "ada",
      });
      assert.deepEqual(await peek(cookie), { count: null, user: null });
    });

    test("an endpoint's Response.redirect(), immutable, carries the cookie", async () => {
      const response = await fetch(url("/test/redirect"), {
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
      assert.deepEqual(await peek(pairOf(setCookie)), {
        count: 1,
        user: null,
      });
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
      assert.deepEqual(await response.json(), { count: 1 });
      const names = response.headers.getSetCookie().map((line) =>
        line.split("=")[0]
      ).sort();
      assert.deepEqual(names, ["sid", "theme"]);
    });

    test("the page at / shows the session of the request", async () => {
      const cookie = await counted(5);
      const response = await fetch(url("/"), { headers: { Cookie: cookie } });
      assert.equal(response.status, 200);
      assert.deepEqual(response.headers.getSetCookie(), []);
      assert.match(await response.text(), /<output id="count">5<\/output>/);
    });

    test("without SESAME_DEMO_TESTS the test routes are 404 like any other path", async () => {
      const demo = await startDemo("sveltekit");
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

    test("a store that fails answers 503 on every route that needs it", async () => {
      const demo = await startDemo("sveltekit", {
        SESSION_STORE: "redis",
        REDIS_URL: "redis://127.0.0.1:1",
      });
      const cookie = `sid=${"A".repeat(43)}`;
      try {
        for (
          const [method, path, sent] of [
            ["GET", "/count", undefined],
            ["GET", "/peek", cookie],
            ["GET", "/", cookie],
            ["GET", "/nope", cookie],
            ["POST", "/login", undefined],
          ] as const
        ) {
          const response = await fetch(demo.origin + path, {
            method,
            headers: {
              ...(sent && { Cookie: sent }),
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
