// The behaviours every framework integration must show over real HTTP,
// against a fixture app of that framework (examples/<framework>/) that
// serves these routes with the session of `@sesame/session`:
//
// - GET /peek: {"count": n|null, "user": string|null}, creates nothing;
// - GET /count: adds 1 to count, answers {"count": n};
// - POST /login: regenerates, sets user "ada", redirects (303) to /peek;
// - POST /logout: destroys the session, redirects (303) to /;
// - GET /stream: sets count to 42, then streams "chunk 1\n" to "chunk 3\n";
// - GET /throw: sets count to 1000, then throws;
// - GET /status500: sets count to 1000, answers 500;
// - GET /theme: sets the framework's own cookie theme (dark) and count to 7.
//
// With STORE=down in its environment, every store call fails and the app
// answers 503.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { CookieJar } from "./_cookie_jar.ts";

/** A running fixture server. */
export interface FixtureServer {
  origin: string;
  stop(): Promise<void>;
}

/** How a framework's fixture starts, and what differs between frameworks. */
export interface FrameworkFixture {
  /** Starts the fixture app with extra environment variables. */
  start(env?: Record<string, string>): Promise<FixtureServer>;
  /** How long starting may take, a build included. */
  startTimeoutMs?: number;
  /** Registers tests of the framework's own, against the running fixture. */
  more?: (origin: () => string) => void;
}

/** Sends a request with the jar's cookies and keeps those it sets. */
async function send(
  origin: string,
  jar: CookieJar,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const response = await fetch(
    jar.request(origin + path, {
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
      ...init,
    }),
  );
  jar.storeFrom(response);
  return response;
}

const sessionCookies = (response: Response) =>
  response.headers.getSetCookie().filter((line) => line.startsWith("sid="));

/** Registers the suite for one framework. */
export function frameworkSuite(name: string, fixture: FrameworkFixture): void {
  describe(`${name} integration`, () => {
    let server: FixtureServer;
    let down: FixtureServer;
    before(async () => {
      server = await fixture.start();
      down = await fixture.start({ STORE: "down" });
    }, { timeout: fixture.startTimeoutMs ?? 600_000 });
    after(async () => {
      await server?.stop();
      await down?.stop();
    });

    const peek = async (jar: CookieJar) =>
      await (await send(server.origin, jar, "/peek")).json();

    test("a redirect after login carries the new session cookie", async () => {
      const jar = new CookieJar();
      await (await send(server.origin, jar, "/count")).body?.cancel();
      const before = jar.get("sid");
      const response = await send(server.origin, jar, "/login", {
        method: "POST",
        body: new URLSearchParams({ user: "ada" }),
      });
      assert.equal(response.status, 303);
      assert.match(response.headers.get("Location")!, /\/peek$/);
      await response.body?.cancel();
      assert.equal(sessionCookies(response).length, 1);
      assert.notEqual(jar.get("sid"), before);
      assert.deepEqual(await peek(jar), { count: 1, user: "ada" });
    });

    test("logout redirects and clears the cookie", async () => {
      const jar = new CookieJar();
      await (await send(server.origin, jar, "/count")).body?.cancel();
      const response = await send(server.origin, jar, "/logout", {
        method: "POST",
      });
      assert.equal(response.status, 303);
      await response.body?.cancel();
      assert.match(sessionCookies(response)[0], /Max-Age=0/);
      assert.equal(jar.get("sid"), undefined);
    });

    test("a streamed answer carries the cookie of what was set before it", async () => {
      const jar = new CookieJar();
      const response = await send(server.origin, jar, "/stream");
      assert.equal(response.status, 200);
      assert.equal(sessionCookies(response).length, 1);
      assert.equal(
        await response.text(),
        "chunk 1\nchunk 2\nchunk 3\n",
      );
      assert.deepEqual(await peek(jar), { count: 42, user: null });
    });

    for (const path of ["/throw", "/status500"]) {
      test(`a route that fails (${path}) commits nothing`, async () => {
        const jar = new CookieJar();
        await (await send(server.origin, jar, "/count")).body?.cancel();
        const response = await send(server.origin, jar, path);
        assert.ok(response.status >= 500, `status ${response.status}`);
        await response.body?.cancel();
        assert.deepEqual(sessionCookies(response), []);
        assert.deepEqual(await peek(jar), { count: 1, user: null });
      });
    }

    test("a new session that fails is not created", async () => {
      const jar = new CookieJar();
      const response = await send(server.origin, jar, "/throw");
      assert.ok(response.status >= 500);
      await response.body?.cancel();
      assert.equal(jar.get("sid"), undefined);
    });

    test("HEAD answers without a body", async () => {
      const jar = new CookieJar();
      const response = await send(server.origin, jar, "/peek", {
        method: "HEAD",
      });
      assert.equal(await response.text(), "");
      assert.deepEqual(sessionCookies(response), []);
    });

    test("the framework's own cookies go out beside the session's", async () => {
      const jar = new CookieJar();
      const response = await send(server.origin, jar, "/theme");
      await response.body?.cancel();
      const lines = response.headers.getSetCookie();
      assert.equal(lines.length, 2, lines.join(" | "));
      // (React Router's createCookie() encodes the value: "theme=ImRhcmsi".)
      assert.ok(lines.some((line) => line.startsWith("theme=")));
      assert.equal(sessionCookies(response).length, 1);
      assert.deepEqual(await peek(jar), { count: 7, user: null });
    });

    test("a session read only sends no cookie", async () => {
      const jar = new CookieJar();
      await (await send(server.origin, jar, "/count")).body?.cancel();
      const response = await send(server.origin, jar, "/peek");
      await response.body?.cancel();
      assert.deepEqual(response.headers.getSetCookie(), []);
    });

    test("a store that is down answers 503 and sets no cookie", async () => {
      // With a cookie, loading reads the store; without, committing writes.
      for (const cookie of [`sid=${"A".repeat(43)}`, undefined]) {
        const jar = new CookieJar();
        jar.store(cookie);
        const path = cookie === undefined ? "/count" : "/peek";
        const response = await send(down.origin, jar, path);
        assert.equal(response.status, 503, path);
        await response.body?.cancel();
        assert.deepEqual(response.headers.getSetCookie(), []);
      }
    });

    fixture.more?.(() => server.origin);
  });
}
