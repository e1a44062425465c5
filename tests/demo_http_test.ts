import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { CookieJar } from "./_cookie_jar.ts";
import { type DemoServer, startDemo } from "./_demo_server.ts";

/** A minimal client with a cookie jar for the demo's one cookie. */
function client(origin: string) {
  const jar = new CookieJar();
  return {
    get cookie() {
      return jar.header();
    },
    async send(method: string, path: string, body?: string) {
      const headers: Record<string, string> = {};
      const cookie = jar.header();
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
      jar.storeFrom(response);
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

/**
 * Sends one raw HTTP/1.1 request and answers the status code of the
 * response, or `undefined` when the server closes the connection without one.
 */
function sendRaw(
  origin: string,
  head: string,
  body = "",
): Promise<number | undefined> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = connect(Number(port), hostname, () => {
      socket.write(`${head}\r\nConnection: close\r\n\r\n${body}`);
    });
    socket.setEncoding("latin1");
    socket.setTimeout(5_000, () => {
      socket.destroy(new Error(`No answer to ${head.split("\r\n")[0]}`));
    });
    socket.on("data", (chunk) => {
      received += chunk;
      const status = /^HTTP\/1\.[01] (\d{3}) /.exec(received)?.[1];
      if (status !== undefined) {
        socket.destroy();
        resolve(Number(status));
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(undefined));
  });
}

/** The demos on Node's HTTP server, which answer raw requests alike. */
const NODE_DEMOS: [runtime: string, server: string][] = [
  ["node", "node:http"],
  ["express", "Express"],
  ["fastify", "Fastify"],
];

// The suite spawns the demo with Node itself: it runs once, under Node's test
// runner, not again under Deno's and Bun's.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
  for (const [runtime, name] of NODE_DEMOS) describeRawHttp(runtime, name);
}

function describeRawHttp(runtime: string, name: string): void {
  describe(`demo over raw HTTP on ${name}`, () => {
    let server: DemoServer;
    before(async () => {
      server = await startDemo(runtime);
    });
    after(() => server?.stop());

    const cases: [what: string, head: string, status: number, body?: string][] =
      [
        // Methods a Request refuses: 501, as examples/demo/node_server.ts explains;
        // the demos on node:http, Express and Fastify answer the same.
        ["TRACE /", "TRACE / HTTP/1.1\r\nHost: app.test", 501],
        [
          "CONNECT",
          "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443",
          501,
        ],
        // Node's parser does not know TRACK and answers 400 itself.
        ["TRACK /", "TRACK / HTTP/1.1\r\nHost: app.test", 400],
        // Targets and Host headers that give no URL.
        ["OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: app.test", 400],
        ["a Host with a space", "GET /count HTTP/1.1\r\nHost: a b", 400],
        ["a Host with a bad port", "GET /count HTTP/1.1\r\nHost: a:99999", 400],
        ["a Host with a path", "GET /count HTTP/1.1\r\nHost: a/count", 400],
        [
          "an absolute-form target with credentials",
          "GET http://user:pw@app.test/count HTTP/1.1\r\nHost: app.test",
          400,
        ],
        // Routes as the demo on every runtime has them: exact paths of the
        // URL, GET or POST only, no conditional answers.
        ["HEAD /count", "HEAD /count HTTP/1.1\r\nHost: app.test", 404],
        ["OPTIONS /count", "OPTIONS /count HTTP/1.1\r\nHost: app.test", 404],
        ["GET /count/", "GET /count/ HTTP/1.1\r\nHost: app.test", 404],
        ["GET /Count", "GET /Count HTTP/1.1\r\nHost: app.test", 404],
        ["GET /%63ount", "GET /%63ount HTTP/1.1\r\nHost: app.test", 404],
        ["GET /./count", "GET /./count HTTP/1.1\r\nHost: app.test", 200],
        [
          "GET /peek with If-None-Match: *",
          "GET /peek HTTP/1.1\r\nHost: app.test\r\nIf-None-Match: *",
          200,
        ],
        // Servers must accept the absolute-form (RFC 9112 section 3.2.2).
        [
          "an absolute-form target",
          "GET http://app.test/count HTTP/1.1\r\nHost: other.test",
          200,
        ],
        // A path that starts with "//" stays a path: its first segment does
        // not become the request's host, which would pass the Origin check.
        [
          "a cross-site POST to //evil.test/login",
          "POST //evil.test/login HTTP/1.1\r\nHost: app.test\r\n" +
          "Origin: http://evil.test\r\n" +
          "Content-Type: application/x-www-form-urlencoded\r\n" +
          "Content-Length: 8",
          404,
          "user=eve",
        ],
      ];
    for (const [what, head, status, body] of cases) {
      test(`${what} gets ${status}, and the server keeps serving`, async () => {
        assert.equal(await sendRaw(server.origin, head, body), status);
        const count = await client(server.origin).send("GET", "/count");
        assert.equal(count.status, 200);
        assert.deepEqual(await count.json(), { count: 1 });
      });
    }
  });
}
