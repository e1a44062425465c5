// Many requests of many sessions interleave at every await inside one
// configured manager; none may ever see another's data (the bug of
// process-global session state under a concurrent server).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { interleaved, seededRandom, yieldRandomly } from "./_random.ts";
import { CookieJar } from "./_cookie_jar.ts";

test("interleaved requests of 100 users never see each other's data", async () => {
  const next = seededRandom(42);
  const sessions = createSessionManager<{ owner: string; seen: number }>({
    store: interleaved(new MemoryStore(), next),
  });
  const app = sessions.handler(async (request, session) => {
    const owner = new URL(request.url).searchParams.get("owner")!;
    await yieldRandomly(next);
    const stored = session.get("owner");
    if (stored !== undefined && stored !== owner) {
      return Response.json({ leak: stored }, { status: 500 });
    }
    session.set("owner", owner);
    await yieldRandomly(next);
    session.set("seen", (session.get("seen") ?? 0) + 1);
    await yieldRandomly(next);
    return Response.json({ owner: session.get("owner"), id: session.id });
  });

  const users = Array.from({ length: 100 }, (_, i) => ({
    name: `user-${i}`,
    jar: new CookieJar(),
    ids: new Set<string>(),
  }));
  // Every user sends 5 requests one after another; all users at once.
  await Promise.all(users.map(async (user) => {
    for (let i = 0; i < 5; i++) {
      const response = await app(
        user.jar.request(`http://app.test/?owner=${user.name}`),
      );
      user.jar.storeFrom(response);
      const body = await response.json();
      assert.equal(
        response.status,
        200,
        `leak into ${user.name}: ${JSON.stringify(body)}`,
      );
      assert.equal(body.owner, user.name);
      user.ids.add(body.id);
    }
  }));

  const allIds = new Set<string>();
  for (const user of users) {
    assert.equal(user.ids.size, 1, `${user.name} kept one session`);
    for (const id of user.ids) allIds.add(id);
  }
  assert.equal(
    allIds.size,
    users.length,
    "every user had a session of their own",
  );
});
