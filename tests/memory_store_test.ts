import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStore } from "../src/stores/memory.ts";
import { createSessionManager } from "../src/manager.ts";
import { testSessionStore } from "../src/testing.ts";
import { cookiePair } from "./_cookie_jar.ts";
import { FakeClock } from "./_fake_clock.ts";
import { WrappedStore } from "./_stores.ts";

let clock = new FakeClock();
testSessionStore("MemoryStore", {
  create() {
    clock = new FakeClock();
    return new MemoryStore({ now: clock.now });
  },
  now: () => clock.now(),
  advanceSeconds(seconds) {
    clock.advanceSeconds(seconds);
    return Promise.resolve();
  },
});

describe("MemoryStore", () => {
  test("evicts the least recently used record past maxEntries", async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ maxEntries: 3, now: clock.now });
    const expiresAt = clock.now() + 60_000;
    for (const key of ["a", "b", "c"]) await store.set(key, key, { expiresAt });
    await store.get("a");
    await store.set("d", "d", { expiresAt });
    assert.equal(store.size, 3);
    assert.equal(await store.get("b"), undefined);
    assert.equal((await store.get("a"))?.value, "a");
    assert.equal((await store.get("d"))?.value, "d");
  });

  test("stays at its cap under a flood of new records", async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ maxEntries: 100, now: clock.now });
    const expiresAt = clock.now() + 60_000;
    for (let i = 0; i < 10_000; i++) {
      await store.set(`k${i}`, "v", { expiresAt });
    }
    assert.equal(store.size, 100);
    assert.equal((await store.get("k9999"))?.value, "v");
    assert.equal(await store.get("k0"), undefined);
  });

  test("evicts anonymous records before privileged ones", async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    const expiresAt = Date.now() + 60_000;
    await store.set("signed-in", "v", { expiresAt, privileged: true });
    await store.set("anonymous", "v", { expiresAt });
    // A privileged write makes an anonymous record privileged for good.
    await store.set("upgraded", "v", { expiresAt });
    await store.set("upgraded", "v2", { expiresAt, privileged: true });
    await store.set("upgraded", "v3", { expiresAt });
    for (let i = 0; i < 10; i++) {
      await store.set(`flood-${i}`, "v", { expiresAt });
    }
    assert.equal(store.size, 3);
    assert.equal((await store.get("signed-in"))?.value, "v");
    assert.equal((await store.get("upgraded"))?.value, "v3");
    assert.equal(await store.get("anonymous"), undefined);
    assert.equal((await store.get("flood-9"))?.value, "v");
    // With no anonymous record left, the least recently used privileged
    // record goes.
    await store.set("late-login", "v", { expiresAt, privileged: true });
    await store.set("later-login", "v", { expiresAt, privileged: true });
    assert.equal(store.size, 3);
    assert.equal(await store.get("signed-in"), undefined);
    assert.equal((await store.get("upgraded"))?.value, "v3");
  });

  test("1,000 anonymous sessions into a store of 1,000 leave every signed-in session alive", async () => {
    const store = new MemoryStore({ maxEntries: 1_000 });
    const sessions = createSessionManager<{ user: string }>({ store });
    const login = async (user: string | undefined) => {
      const session = await sessions.load(new Request("http://app.test/"));
      session.set("user", user ?? "guest");
      if (user !== undefined) {
        session.setSubject(user);
        session.regenerate();
      }
      return cookiePair(await session.commit());
    };
    const signedIn = [];
    for (let i = 0; i < 100; i++) signedIn.push(await login(`user-${i}`));
    // An app that regenerates at login without a subject is protected too.
    const session = await sessions.load(
      new Request("http://app.test/", {
        headers: { Cookie: await login(undefined) },
      }),
    );
    session.regenerate();
    const regenerated = cookiePair(await session.commit());
    for (let i = 0; i < 1_000; i++) await login(undefined);
    assert.equal(store.size, 1_000);
    for (const [i, cookie] of signedIn.entries()) {
      const found = await sessions.load(
        new Request("http://app.test/", { headers: { Cookie: cookie } }),
      );
      assert.equal(found.get("user"), `user-${i}`);
    }
    const found = await sessions.load(
      new Request("http://app.test/", { headers: { Cookie: regenerated } }),
    );
    assert.equal(found.get("user"), "guest");
    assert.equal((await sessions.listSessions("user-7")).length, 1);
  });

  test("reclaims an expired record when it is read", async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ now: clock.now });
    await store.set("k", "v", { expiresAt: clock.now() + 1000 });
    clock.advanceSeconds(1);
    assert.equal(await store.get("k"), undefined);
    assert.equal(store.size, 0);
  });

  test("a write already expired deletes the record and answers ok: false", async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ now: clock.now });
    await store.set("k", "v", { expiresAt: clock.now() + 60_000 });
    const result = await store.set("k", "w", { expiresAt: clock.now() });
    assert.deepEqual(result, { ok: false, expired: true });
    assert.equal(store.size, 0);
  });

  test("returns copies, so a caller cannot change a stored entry", async () => {
    const store = new MemoryStore();
    await store.set("k", "v", { expiresAt: Date.now() + 60_000 });
    const entry = await store.get("k");
    entry!.value = "changed";
    assert.equal((await store.get("k"))?.value, "v");
  });

  test("subject index entries leave with their records", async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ maxEntries: 2, now: clock.now });
    const expiresAt = clock.now() + 60_000;
    for (const key of ["a", "b", "c"]) {
      await store.subjects.add("user", key, expiresAt);
      await store.set(key, "v", { expiresAt });
    }
    assert.deepEqual((await store.subjects.list("user")).sort(), ["b", "c"]);
    await store.delete("b");
    assert.deepEqual(await store.subjects.list("user"), ["c"]);
    clock.advanceSeconds(60);
    await store.get("c");
    assert.deepEqual(await store.subjects.list("user"), []);
  });

  test("rejects a maxEntries that is not a whole number of at least 1", () => {
    assert.throws(() => new MemoryStore({ maxEntries: 0 }), {
      name: "RangeError",
      message:
        "Cannot create memory store: maxEntries must be a whole number from 1 to 9007199254740991, received 0",
    });
    assert.throws(
      () => new MemoryStore({ maxEntries: "10" as unknown as number }),
      {
        name: "TypeError",
        message:
          'Cannot create memory store: maxEntries must be a number, received "10"',
      },
    );
  });
});

// The same suite through a wrapper that hides compare-and-set: how the
// manager behaves over stores that cannot do it (per-key last-write-wins).
let plainClock = new FakeClock();
testSessionStore("MemoryStore without compare-and-set", {
  create() {
    plainClock = new FakeClock();
    return new WrappedStore({ now: plainClock.now, compareAndSet: false });
  },
  now: () => plainClock.now(),
  advanceSeconds(seconds) {
    plainClock.advanceSeconds(seconds);
    return Promise.resolve();
  },
});
