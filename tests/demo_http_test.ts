import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type DemoServer, startDemo } from "./_demo_server.ts";

/** A minimal client with a cookie jar for the demo's one cookie. */
function client(origin: string) {
  let cookie: string | undefined;
  return {
    get cookie() {
      return cookie;
    },
    async send(method: string, path: string, body?: string) {
      const headers: Record<string, string> = {};
      if (cookie) headers.Cookie = cookie;
      if (body !== undefined) {
        headers["Content-Type"] = "application/x-www-form-urlencoded";
      }
      const response = await fetch(origin + path, {
        method,
        body,
        headers,
        redirect: "manual",
        signal: AbortSignal.timeout(10_000),
      });
      for (const line of response.headers.getSetCookie()) {
        const pair = line.split(";")[0];
        cookie = /Max-Age=0(;|$)/.test(line) ? undefined : pair;
      }
      return response;
    },
  };
}

describe("demo over HTTP on Deno.serve", () => {
  let server: DemoServer;
  before(async () => {
    server = await startDemo("deno", { SESSION_TTL: "2" });
  });
  after(() => server?.stop());

  test("counts, logs in, logs out, and answers 404", async () => {
    const browser = client(server.origin);
    assert.deepEqual(await (await browser.send("GET", "/peek")).json(), {
      count: null,
      user: null,
    });
    assert.equal(browser.cookie, undefined);
    for (let n = 1; n <= 3; n++) {
      const response = await browser.send("GET", "/count");
      assert.deepEqual(await response.json(), { count: n });
    }
    const anonymous = browser.cookie;
    assert.match(anonymous!, /^sid=[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(
      await (await browser.send("POST", "/login", "user=ada")).json(),
      { user: "ada" },
    );
    assert.notEqual(browser.cookie, anonymous);
    assert.deepEqual(await (await browser.send("GET", "/peek")).json(), {
      count: 3,
      user: "ada",
    });
    const page = await browser.send("GET", "/");
    assert.match(
      await page.text(),
      /Logged in as <strong id="user">ada<\/strong>/,
    );
    assert.deepEqual(
      await (await browser.send("POST", "/logout")).json(),
      { user: null },
    );
    assert.equal(browser.cookie, undefined);
    const missing = await browser.send("GET", "/missing");
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });

  test("20 parallel GET /count with one cookie end at 20", async () => {
    const browser = client(server.origin);
    await (await browser.send("POST", "/login", "user=ada")).body?.cancel();
    const cookie = browser.cookie!;
    const counts = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const response = await fetch(server.origin + "/count", {
          headers: { Cookie: cookie },
          signal: AbortSignal.timeout(10_000),
        });
        return (await response.json()).count as number;
      }),
    );
    assert.deepEqual(
      counts.sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.deepEqual(await (await browser.send("GET", "/peek")).json(), {
      count: 20,
      user: "ada",
    });
  });

  test("an old cookie replayed after login is not adopted", async () => {
    const browser = client(server.origin);
    await (await browser.send("GET", "/count")).body?.cancel();
    const old = browser.cookie!;
    await (await browser.send("POST", "/login", "user=ada")).body?.cancel();
    const replay = await fetch(server.origin + "/peek", {
      headers: { Cookie: old },
    });
    assert.deepEqual(await replay.json(), { count: null, user: null });
  });

  test("SESSION_TTL expires an idle session on the server", async () => {
    const browser = client(server.origin);
    await (await browser.send("GET", "/count")).body?.cancel();
    const cookie = browser.cookie!;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const response = await fetch(server.origin + "/count", {
      headers: { Cookie: cookie },
    });
    assert.deepEqual(await response.json(), { count: 1 });
    assert.doesNotMatch(
      response.headers.get("Set-Cookie")!,
      new RegExp(cookie),
    );
  });
});
