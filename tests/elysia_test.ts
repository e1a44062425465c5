// Elysia on Bun: the end-to-end suite runs the demo's production build (see
// e2e_test.ts); this file runs tests/_framework_suite.ts against
// examples/elysia/fixture.ts, with the real Elysia on Bun.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import { elysiaSession } from "../src/middleware/elysia.ts";
import {
  failedStatus,
  jarCookie,
  putSetCookie,
} from "../src/middleware/_elysia_response.ts";
import { BUILDS, prepareExample, startExample } from "./_example_build.ts";
import { frameworkSuite } from "./_framework_suite.ts";

// The plugin's parts that need no Elysia, on every runtime.
describe("elysiaSession()", () => {
  test("refuses what is not a session manager, and bad options", () => {
    assert.throws(() => elysiaSession({} as never), {
      name: "TypeError",
      message:
        "Cannot create Elysia session plugin: sessions must be a session manager, received an object",
    });
    const sessions = createSessionManager();
    assert.throws(() => elysiaSession(sessions, { name: "" }), {
      name: "TypeError",
      message:
        'Cannot create Elysia session plugin: name must be a non-empty string, received ""',
    });
    assert.throws(
      () => elysiaSession(sessions, { as: "everywhere" as never }),
      {
        name: "TypeError",
        message:
          'Cannot create Elysia session plugin: as must be "local", "scoped" or "global", received "everywhere"',
      },
    );
  });

  test("jarCookie() reads every attribute the manager writes", () => {
    const [name, cookie] = jarCookie(
      "__Host-sid=abc_-1; Max-Age=60; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Strict; Partitioned",
    );
    assert.equal(name, "__Host-sid");
    const { encode, ...rest } = cookie;
    assert.deepEqual(rest, {
      value: "abc_-1",
      maxAge: 60,
      domain: "example.com",
      path: "/",
      httpOnly: true,
      secure: true,
      sameSite: "strict",
      partitioned: true,
    });
    assert.equal(encode!("a%b"), "a%b", "the value goes out as it is");
    assert.deepEqual(
      jarCookie("sid=; Max-Age=0; Path=/; SameSite=Lax")[1].maxAge,
      0,
    );
  });

  test("putSetCookie() joins a set-cookie header, else the jar", () => {
    const header = {
      headers: { "set-cookie": "lang=en" } as Record<string, unknown>,
    };
    putSetCookie(header, "sid=a; Path=/");
    assert.deepEqual(header.headers["set-cookie"], [
      "lang=en",
      "sid=a; Path=/",
    ]);
    const jar = {
      headers: { "set-cookie": "lang=en" } as Record<string, unknown>,
      cookie: { theme: { value: "dark" } } as Record<string, unknown>,
    };
    putSetCookie(jar, "sid=a; Path=/");
    assert.equal(jar.headers["set-cookie"], "lang=en");
    assert.equal((jar.cookie.sid as { value: string }).value, "a");
  });

  test("failedStatus() sees 5xx in set.status, a Response and status()", () => {
    const set = { headers: {} };
    assert.equal(failedStatus({ set, responseValue: { ok: 1 } }), false);
    assert.equal(failedStatus({ set: { ...set, status: 503 } }), true);
    assert.equal(
      failedStatus({ set: { ...set, status: "Internal Server Error" } }),
      true,
    );
    assert.equal(failedStatus({ set: { ...set, status: "Not Found" } }), false);
    assert.equal(
      failedStatus({ set, responseValue: new Response(null, { status: 502 }) }),
      true,
    );
    assert.equal(
      failedStatus({ set, responseValue: { code: 500, response: "x" } }),
      true,
    );
    assert.equal(
      failedStatus({ set, responseValue: { code: 404, response: "x" } }),
      false,
    );
  });
});

// It spawns servers and drives them from Node: it runs once, under Node's
// test runner, not again under Deno's and Bun's.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
  frameworkSuite("Elysia", {
    start: async (env) => {
      await prepareExample(BUILDS.elysia);
      return await startExample("elysia", ["bun", "fixture.ts"], env);
    },
    more: (origin) => {
      test("a set-cookie header the route set goes out beside the session's", async () => {
        const response = await fetch(origin() + "/header-cookie");
        await response.body?.cancel();
        const lines = response.headers.getSetCookie();
        assert.equal(lines.length, 2, lines.join(" | "));
        assert.equal(lines[0], "lang=en; Path=/");
        assert.match(
          lines[1],
          /^sid=[\w-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/,
        );
      });

      test("one plugin used by an app and its child loads and commits once", async () => {
        const first = await fetch(origin() + "/child/count");
        assert.deepEqual(await first.json(), { count: 1 });
        const lines = first.headers.getSetCookie();
        assert.equal(lines.length, 1, lines.join(" | "));
        const second = await fetch(origin() + "/child/count", {
          headers: { Cookie: lines[0].split(";")[0] },
        });
        assert.deepEqual(await second.json(), { count: 2 });
        assert.ok(second.headers.getSetCookie().length <= 1);
      });

      test("HEAD of a GET route runs it, and commits what it changed", async () => {
        const response = await fetch(origin() + "/count", { method: "HEAD" });
        assert.equal(response.status, 200);
        assert.equal(await response.text(), "");
        const cookie = response.headers.getSetCookie()[0].split(";")[0];
        const peek = await fetch(origin() + "/peek", {
          headers: { Cookie: cookie },
        });
        assert.deepEqual(await peek.json(), { count: 1, user: null });
      });

      test("the session cookie has the attributes the manager chose", async () => {
        const response = await fetch(origin() + "/theme");
        await response.body?.cancel();
        const session = response.headers.getSetCookie().find((line) =>
          line.startsWith("sid=")
        );
        assert.match(
          session!,
          /^sid=[\w-]{43}; Max-Age=1800; Path=\/; HttpOnly; SameSite=Lax$/,
        );
      });
    },
  });
}
