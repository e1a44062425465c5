// h3 v2 on srvx (Node): the end-to-end suite runs the demo's build (see
// e2e_test.ts); this file runs tests/_framework_suite.ts against the build
// of examples/h3/fixture.ts, with the real h3 and srvx.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import type { Session } from "../src/session.ts";
import { h3Session } from "../src/middleware/h3.ts";
import { BUILDS, prepareExample, startExample } from "./_example_build.ts";
import { frameworkSuite } from "./_framework_suite.ts";

/** The few members of h3's H3Event the middleware uses, as h3 makes them. */
function fakeEvent(url = "http://localhost/") {
  return {
    req: new Request(url),
    context: {} as { session?: Session<{ count: number }> },
    res: { status: undefined as number | undefined, headers: new Headers() },
  };
}

// The middleware without h3, on every runtime: what it does with each kind
// of value a handler returns.
describe("h3Session()", () => {
  const middleware = h3Session(createSessionManager<{ count: number }>());
  const count = (event: ReturnType<typeof fakeEvent>) => {
    event.context.session!.set("count", 1);
  };

  test("refuses what is not a session manager, and bad options", () => {
    assert.throws(() => h3Session(null as never), {
      name: "TypeError",
      message:
        "Cannot create h3 session middleware: sessions must be a session manager, received null",
    });
    assert.throws(() => h3Session(createSessionManager(), { name: "" }), {
      name: "TypeError",
      message:
        'Cannot create h3 session middleware: name must be a non-empty string, received ""',
    });
  });

  test("a value: the cookie goes to the prepared headers", async () => {
    const event = fakeEvent();
    const value = await middleware(event, () => (count(event), { ok: 1 }));
    assert.deepEqual(value, { ok: 1 });
    assert.match(event.res.headers.get("Set-Cookie")!, /^sid=/);
  });

  test("a Response, also immutable or of 4xx: the cookie goes on it", async () => {
    for (
      const make of [
        () => new Response("no", { status: 403 }),
        () => Response.redirect("http://localhost/", 303),
      ]
    ) {
      const event = fakeEvent();
      const value = await middleware(event, () => (count(event), make()));
      assert.ok(value instanceof Response);
      assert.match(value.headers.get("Set-Cookie")!, /^sid=/);
      assert.equal(event.res.headers.get("Set-Cookie"), null);
    }
  });

  test("a throw, an Error, or 5xx commits nothing", async () => {
    const event = fakeEvent();
    await assert.rejects(
      middleware(event, () => {
        count(event);
        throw new Error("failed");
      }),
      { message: "failed" },
    );
    for (
      const answer of [
        () => new Error("failed"),
        () => new Response(null, { status: 500 }),
      ]
    ) {
      const event = fakeEvent();
      const value = await middleware(event, () => (count(event), answer()));
      assert.ok(value instanceof Error || value instanceof Response);
      if (value instanceof Response) {
        assert.equal(value.headers.get("Set-Cookie"), null);
      }
      assert.equal(event.res.headers.get("Set-Cookie"), null);
    }
    const status = fakeEvent();
    await middleware(status, () => {
      count(status);
      status.res.status = 503;
      return "down";
    });
    assert.equal(status.res.headers.get("Set-Cookie"), null);
  });

  test("a session only read sends no cookie; another name holds it", async () => {
    const auth = h3Session(createSessionManager(), { name: "auth" });
    const event = fakeEvent();
    await auth(event, () => "read");
    assert.ok("auth" in event.context);
    assert.equal(event.res.headers.get("Set-Cookie"), null);
  });
});

// It spawns servers and drives them from Node: it runs once, under Node's
// test runner, not again under Deno's and Bun's.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
  frameworkSuite("h3", {
    start: async (env) => {
      await prepareExample(BUILDS.h3);
      return await startExample(
        "h3",
        [process.execPath, "dist/fixture.mjs"],
        env,
      );
    },
    more: (origin) => {
      test("a Response of 4xx still carries the cookie (h3 would not merge it)", async () => {
        const response = await fetch(origin() + "/forbidden");
        assert.equal(response.status, 403);
        await response.body?.cancel();
        const cookie = response.headers.getSetCookie()[0];
        assert.match(
          cookie,
          /^sid=[\w-]{43}; Max-Age=1800; Path=\/; HttpOnly; SameSite=Lax$/,
        );
        const peek = await fetch(origin() + "/peek", {
          headers: { Cookie: cookie.split(";")[0] },
        });
        assert.deepEqual(await peek.json(), { count: 403, user: null });
      });
    },
  });
}
