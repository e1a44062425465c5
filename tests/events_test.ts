// Lifecycle events: what a manager's onEvent listener hears, on every
// backend; that a listener cannot break a request; that events name a
// session by its public handle, never by its id.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import type { SessionEvent } from "../src/events.ts";
import { readConfig } from "../src/manager_options.ts";
import { SessionConflictError, SessionStoreError } from "../src/errors.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { FaultyStore, only } from "./_stores.ts";
import { cookieValue } from "./_cookie_jar.ts";
import { EVERY_BACKEND, setupWith, URL } from "./_backends.ts";
import { FakeClock } from "./_fake_clock.ts";

/** A listener that keeps what it hears. */
function recorder() {
  const events: SessionEvent[] = [];
  return {
    events,
    onEvent: (event: SessionEvent) => {
      events.push(event);
    },
    types: () => events.map((event) => event.type),
    clear: () => events.splice(0),
  };
}

for (const { name, makeStore, sealed } of EVERY_BACKEND) {
  describe(`events on the ${name}`, () => {
    test("created, regenerated, destroyed, each with the handle and subject", async () => {
      const heard = recorder();
      const { visit, clock } = setupWith(makeStore, { onEvent: heard.onEvent });
      const start = clock.now();
      const { session: first } = await visit((s) => s.set("count", 1));
      assert.deepEqual(heard.types(), ["created"]);
      const created = heard.events[0];
      assert.ok(created.type === "created");
      assert.equal(created.at, start);
      assert.equal(created.createdAt, start);
      assert.equal(created.expiresAt, start + 1800_000);
      assert.equal(created.subject, undefined);
      assert.match(created.handle!, /^[\w-]{43}$/);
      assert.ok(!created.handle!.includes(first.id));

      clock.advanceSeconds(10);
      const { session } = await visit((s) => {
        s.regenerate();
        s.setSubject("user-1");
      });
      assert.deepEqual(heard.types(), ["created", "regenerated"]);
      const regenerated = heard.events[1];
      assert.ok(regenerated.type === "regenerated");
      assert.equal(regenerated.previousHandle, created.handle);
      assert.notEqual(regenerated.handle, created.handle);
      assert.equal(regenerated.subject, "user-1");
      assert.equal(regenerated.createdAt, start + 10_000);

      await visit((s) => s.destroy());
      assert.deepEqual(heard.types(), ["created", "regenerated", "destroyed"]);
      assert.deepEqual(heard.events[2], {
        type: "destroyed",
        at: start + 10_000,
        handle: regenerated.handle,
        subject: "user-1",
      });
      for (const event of heard.events) {
        const text = JSON.stringify(event);
        assert.ok(!text.includes(first.id) && !text.includes(session.id));
      }
    });

    test("a request that only reads reports nothing unless loads are sampled", async () => {
      const heard = recorder();
      const { visit } = setupWith(makeStore, { onEvent: heard.onEvent });
      await visit((s) => s.set("count", 1));
      heard.clear();
      await visit();
      assert.deepEqual(heard.types(), []);

      const sampled = recorder();
      const all = setupWith(makeStore, {
        onEvent: sampled.onEvent,
        loadedEventSampleRate: 1,
      });
      await all.visit((s) => {
        s.set("count", 1);
        s.setSubject("user-2");
      });
      await all.visit();
      assert.deepEqual(sampled.types(), ["created", "loaded"]);
      const [created, loaded] = sampled.events;
      assert.ok(loaded.type === "loaded" && created.type === "created");
      assert.equal(loaded.handle, created.handle);
      assert.equal(loaded.subject, "user-2");
      assert.equal(loaded.createdAt, created.createdAt);
    });

    test("values set after destroy() report destroyed, then created", async () => {
      const heard = recorder();
      const { visit } = setupWith(makeStore, { onEvent: heard.onEvent });
      await visit((s) => s.set("count", 1));
      await visit((s) => {
        s.destroy();
        s.flash("notice", "signed out");
      });
      assert.deepEqual(heard.types(), ["created", "destroyed", "created"]);
      assert.notEqual(heard.events[2].handle, heard.events[1].handle);
    });

    test("a listener that throws or rejects breaks no request; onEventError hears it", async () => {
      const reported: [unknown, SessionEvent["type"]][] = [];
      let calls = 0;
      const { visit } = setupWith(makeStore, {
        onEvent: (event) => {
          calls++;
          if (event.type === "created") throw new Error("listener down");
          return Promise.reject(new Error("async listener down"));
        },
        onEventError: (error, event) => {
          reported.push([(error as Error).message, event.type]);
          throw new Error("the reporter fails too");
        },
      });
      const { setCookie } = await visit((s) => s.set("count", 1));
      assert.ok(setCookie);
      await visit((s) => s.regenerate());
      await visit((s) => assert.equal(s.get("count"), 1));
      await new Promise((resolve) => setTimeout(resolve, 0));
      assert.equal(calls, 2);
      assert.deepEqual(reported, [
        ["listener down", "created"],
        ["async listener down", "regenerated"],
      ]);
    });

    if (sealed) {
      test("a sealed cookie sent past its expiry reports expired (idle or absolute)", async () => {
        const heard = recorder();
        const { visit, clock } = setupWith(makeStore, {
          onEvent: heard.onEvent,
          idleTimeoutSeconds: 60,
          absoluteTimeoutSeconds: 100,
          cookie: { persistent: false },
        });
        await visit((s) => s.set("count", 1));
        clock.advanceSeconds(61);
        await visit((s) => assert.equal(s.isNew, true));
        const expired = heard.events[1];
        assert.ok(expired.type === "expired");
        assert.equal(expired.reason, "idle");
        assert.equal(expired.handle, heard.events[0].handle);

        heard.clear();
        await visit((s) => s.set("count", 1));
        for (let i = 0; i < 3; i++) {
          clock.advanceSeconds(40);
          await visit();
        }
        const last = heard.events.at(-1)!;
        assert.ok(last.type === "expired");
        assert.equal(last.reason, "absolute");
      });
    }
  });
}

describe("events of the store backend", () => {
  test("a record the store still returns past its expiry reports expired", async () => {
    const heard = recorder();
    const clock = new FakeClock();
    // A store whose clock runs behind the manager's: it still returns the
    // record that the manager sees expired.
    const behind = () => clock.now() - 3600_000;
    const store = new MemoryStore({ now: behind });
    const sessions = createSessionManager({
      store,
      now: clock.now,
      idleTimeoutSeconds: 60,
      onEvent: heard.onEvent,
    });
    const first = await sessions.load(new Request(URL));
    first.setSubject("user-3");
    const setCookie = await first.commit();
    clock.advanceSeconds(61);
    const next = await sessions.load(
      new Request(URL, {
        headers: { Cookie: `sid=${cookieValue(setCookie)}` },
      }),
    );
    assert.equal(next.isNew, true);
    assert.deepEqual(heard.types(), ["created", "expired"]);
    const expired = heard.events[1];
    assert.ok(expired.type === "expired");
    assert.equal(expired.reason, "idle");
    assert.equal(expired.subject, "user-3");
    assert.equal(expired.handle, heard.events[0].handle);
  });

  test("a lowered maximum reports the sessions it ends as expired (absolute)", async () => {
    const { visit, clock, store, jar } = setupWith(
      (now) => new MemoryStore({ now }),
      { maxAbsoluteTimeoutSeconds: 86400 },
    );
    await visit((s) => {
      s.set("count", 1);
      s.setLifetime({
        absoluteTimeoutSeconds: 86400,
        idleTimeoutSeconds: 1800,
      });
    });
    for (let i = 0; i < 30; i++) {
      clock.advanceSeconds(1500);
      await visit();
    }
    const heard = recorder();
    const stricter = createSessionManager({
      store,
      now: clock.now,
      onEvent: heard.onEvent,
    });
    await stricter.load(jar.request(URL));
    assert.deepEqual(heard.types(), ["expired"]);
    const [expired] = heard.events;
    assert.ok(expired.type === "expired" && expired.reason === "absolute");
  });

  test("revokeSession() and revokeSessions() report each session revoked", async () => {
    const heard = recorder();
    const sessions = createSessionManager({ onEvent: heard.onEvent });
    const handles: string[] = [];
    for (let i = 0; i < 3; i++) {
      const session = await sessions.load(new Request(URL));
      session.setSubject("user-4");
      await session.commit();
      handles.push(heard.events.at(-1)!.handle!);
    }
    const listed = await sessions.listSessions("user-4");
    assert.deepEqual(
      listed.map((info) => info.handle).sort(),
      [...handles].sort(),
      "events and listings name sessions alike",
    );
    heard.clear();
    assert.equal(await sessions.revokeSession("user-4", handles[0]), true);
    assert.equal(await sessions.revokeSessions("user-4"), 2);
    const revoked = heard.events.map((e) =>
      e.type === "revoked" && [e.reason, e.handle, e.subject]
    );
    assert.deepEqual(revoked[0], ["one", handles[0], "user-4"]);
    assert.deepEqual(
      revoked.slice(1).sort(),
      [["all", handles[1], "user-4"], ["all", handles[2], "user-4"]].sort(),
    );
  });

  test("a save that keeps losing the race reports each retry, then gives up", async () => {
    const heard = recorder();
    const store = new FaultyStore({
      inProcess: true,
      touch: false,
      fault: ({ operation, ifVersion }) =>
        operation === "set" && typeof ifVersion === "string"
          ? { answer: { ok: false } }
          : undefined,
    });
    const sessions = createSessionManager({
      store,
      maxCommitAttempts: 3,
      onEvent: heard.onEvent,
    });
    const first = await sessions.load(new Request(URL));
    first.set("count", 1);
    first.setSubject("user-5");
    const cookie = `sid=${cookieValue(await first.commit())}`;
    const second = await sessions.load(
      new Request(URL, { headers: { Cookie: cookie } }),
    );
    second.set("count", 2);
    await assert.rejects(second.commit(), SessionConflictError);
    assert.deepEqual(
      heard.events.map((e) =>
        e.type === "conflict" ? [e.reason, e.attempts, e.subject] : e.type
      ),
      [
        "created",
        ["retried", 1, "user-5"],
        ["retried", 2, "user-5"],
        ["gave up", 3, "user-5"],
      ],
    );
    assert.equal(heard.events[1].handle, heard.events[0].handle);
  });

  test("a failing store reports a store error with the error thrown", async () => {
    const heard = recorder();
    const inner = new MemoryStore();
    const store = new FaultyStore({
      inner,
      fault: only(["get"], { reject: new Error("connection refused") }),
    });
    const sessions = createSessionManager({ store, onEvent: heard.onEvent });
    const seed = createSessionManager({ store: inner });
    const session = await seed.load(new Request(URL));
    session.set("count", 1);
    const setCookie = await session.commit();
    let thrown: unknown;
    try {
      await sessions.load(
        new Request(URL, {
          headers: { Cookie: `sid=${cookieValue(setCookie)}` },
        }),
      );
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof SessionStoreError);
    assert.deepEqual(heard.types(), ["store error"]);
    const [event] = heard.events;
    assert.ok(event.type === "store error");
    assert.equal(event.operation, "get");
    assert.equal(event.error, thrown);
    assert.equal(event.handle, undefined);
    assert.ok(event.durationMs >= 0);
  });
});

describe("events cost nothing when unused", () => {
  test("a manager without a listener has no event sink", () => {
    assert.equal(readConfig({}).events, undefined);
    assert.equal(readConfig({ loadedEventSampleRate: 1 }).events, undefined);
    assert.notEqual(readConfig({ onEvent: () => {} }).events, undefined);
  });

  test("invalid event options throw at construction", () => {
    assert.throws(
      () => createSessionManager({ onEvent: 1 as unknown as () => void }),
      {
        name: "TypeError",
        message:
          "Cannot create session manager: onEvent must be a function, received 1",
      },
    );
    assert.throws(() => createSessionManager({ loadedEventSampleRate: 2 }), {
      name: "RangeError",
      message:
        "Cannot create session manager: loadedEventSampleRate must be a number from 0 to 1, received 2",
    });
  });
});
