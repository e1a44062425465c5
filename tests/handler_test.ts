import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { CookieJar } from "./_cookie_jar.ts";

const URL = "http://app.test/";

describe("SessionManager.handler()", () => {
  test("appends the Set-Cookie to the handler's response", async () => {
    const sessions = createSessionManager<{ n: number }>();
    const app = sessions.handler((_request, session) => {
      session.set("n", 1);
      return new Response("ok", { status: 201, headers: { "X-App": "1" } });
    });
    const response = await app(new Request(URL));
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("X-App"), "1");
    assert.match(response.headers.get("Set-Cookie")!, /^sid=[\w-]{43}; /);
    assert.equal(await response.text(), "ok");
  });

  test("sends no Set-Cookie when the session was only read", async () => {
    const sessions = createSessionManager<{ n: number }>();
    const app = sessions.handler((_request, session) =>
      Response.json({ n: session.get("n") ?? null })
    );
    const response = await app(new Request(URL));
    assert.equal(response.headers.get("Set-Cookie"), null);
    assert.deepEqual(await response.json(), { n: null });
  });

  test("works with Response.redirect(), whose headers are immutable", async () => {
    const sessions = createSessionManager<{ user: string }>();
    const app = sessions.handler((_request, session) => {
      session.set("user", "ada");
      return Response.redirect("http://app.test/home", 303);
    });
    const response = await app(new Request(URL));
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("Location"), "http://app.test/home");
    assert.match(response.headers.get("Set-Cookie")!, /^sid=/);
  });

  test("works with a fetch() result, whose headers are immutable", async () => {
    const sessions = createSessionManager<{ user: string }>();
    const app = sessions.handler(async (_request, session) => {
      session.set("user", "ada");
      return await fetch("data:text/plain,proxied");
    });
    const response = await app(new Request(URL));
    assert.equal(await response.text(), "proxied");
    assert.match(response.headers.get("Set-Cookie")!, /^sid=/);
  });

  test("keeps Set-Cookie headers the handler set itself", async () => {
    const sessions = createSessionManager<{ n: number }>();
    const app = sessions.handler((_request, session) => {
      session.set("n", 1);
      return new Response(null, { headers: { "Set-Cookie": "theme=dark" } });
    });
    const response = await app(new Request(URL));
    const cookies = response.headers.getSetCookie();
    assert.equal(cookies.length, 2);
    assert.equal(cookies[0], "theme=dark");
    assert.match(cookies[1], /^sid=/);
  });

  test("writes nothing when the handler throws", async () => {
    const store = new MemoryStore();
    const sessions = createSessionManager<{ n: number }>({ store });
    const app = sessions.handler((_request, session) => {
      session.set("n", 1);
      throw new Error("handler failed");
    });
    await assert.rejects(app(new Request(URL)), { message: "handler failed" });
    assert.equal(store.size, 0);
  });

  test("carries the session from request to request", async () => {
    const sessions = createSessionManager<{ n: number }>();
    const app = sessions.handler((_request, session) => {
      const n = (session.get("n") ?? 0) + 1;
      session.set("n", n);
      return Response.json({ n });
    });
    const jar = new CookieJar();
    for (let n = 1; n <= 3; n++) {
      const response = await app(jar.request(URL));
      jar.storeFrom(response);
      assert.deepEqual(await response.json(), { n });
    }
  });

  test("rejects a handler that is not a function", () => {
    const sessions = createSessionManager();
    assert.throws(
      () => sessions.handler("nope" as never),
      {
        name: "TypeError",
        message:
          "Cannot wrap handler: handler must be a function, received string",
      },
    );
  });
});
