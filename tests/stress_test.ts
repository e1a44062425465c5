// Thousands of requests over hundreds of sessions, interleaved at every
// await, with logins (regenerate) and logouts (destroy) racing increments.
// At the end: every acknowledged increment is counted, no session ever saw
// another's data, and no ended id came back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { CookieJar } from "./_cookie_jar.ts";
import { interleaved, seededRandom, yieldRandomly } from "./_random.ts";

type Data = { owner: string; count: number };

test("3000 requests over 300 sessions lose no increment and leak nothing", async () => {
  const next = seededRandom(7);
  const sessions = createSessionManager<Data>({
    store: interleaved(new MemoryStore(), next),
    maxCommitAttempts: 50,
  });
  const leaks: string[] = [];

  const app = sessions.handler(async (request, session) => {
    const url = new URL(request.url);
    const owner = url.searchParams.get("owner")!;
    const seen = session.get("owner");
    if (seen !== undefined && seen !== owner) {
      leaks.push(`${owner} saw ${seen}`);
    }
    await yieldRandomly(next);
    switch (url.pathname) {
      case "/inc": {
        if (seen === undefined) session.set("owner", owner);
        session.update("count", (n = 0) => n + 1);
        await yieldRandomly(next);
        await session.commit();
        return Response.json({
          stale: session.stale,
          count: session.get("count"),
        });
      }
      case "/login":
        session.regenerate();
        return Response.json({ stale: session.stale });
      case "/logout":
        session.destroy();
        return Response.json({});
      default:
        return Response.json({
          owner: session.get("owner") ?? null,
          count: session.get("count") ?? null,
        });
    }
  });

  const browsers = Array.from({ length: 300 }, (_, i) => ({
    owner: `user-${i}`,
    jar: new CookieJar(),
    acked: 0,
    ended: [] as string[],
  }));

  let requests = 0;
  async function send(browser: (typeof browsers)[number], path: string) {
    requests++;
    const response = await app(
      browser.jar.request(`http://app.test${path}?owner=${browser.owner}`),
    );
    browser.jar.storeFrom(response);
    return await response.json();
  }

  await Promise.all(browsers.map(async (browser) => {
    for (let round = 0; round < 4; round++) {
      if (!browser.jar.get("sid")) {
        // Without a cookie, parallel requests would start parallel sessions
        // (as in any browser): the first request starts it alone.
        if (!(await send(browser, "/inc")).stale) browser.acked++;
      }
      const roll = next();
      if (roll < 0.1) {
        // Log out alone: what was counted is gone with the session.
        browser.ended.push(browser.jar.get("sid")!);
        await send(browser, "/logout");
        browser.acked = 0;
        continue;
      }
      // A batch of parallel requests, sometimes with a login among them.
      const batch = ["/inc", "/inc", "/inc"];
      if (roll < 0.35) {
        browser.ended.push(browser.jar.get("sid")!);
        batch.splice(Math.floor(next() * 3), 0, "/login");
      }
      const results = await Promise.all(
        batch.map((path) => send(browser, path)),
      );
      batch.forEach((path, i) => {
        if (path === "/inc" && !results[i].stale) browser.acked++;
      });
    }
  }));

  assert.ok(requests >= 3000, `sent ${requests} requests`);
  assert.deepEqual(leaks, []);
  for (const browser of browsers) {
    const state = await send(browser, "/peek");
    assert.equal(state.count ?? 0, browser.acked, `${browser.owner}'s count`);
    if (browser.acked > 0) assert.equal(state.owner, browser.owner);
    for (const id of browser.ended) {
      const replay = await sessions.load(
        new Request("http://app.test/", { headers: { Cookie: `sid=${id}` } }),
      );
      assert.equal(replay.get("count"), undefined, "an ended id stays dead");
      assert.equal(replay.get("owner"), undefined);
    }
  }
});
