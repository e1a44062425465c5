import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  createSessionManager,
  type SessionManagerOptions,
} from "../src/manager.ts";
import {
  SessionConflictError,
  SessionStoreError,
  SessionTooLargeError,
} from "../src/errors.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { isSessionId } from "../src/session_id.ts";
import type { SessionStore } from "../src/store.ts";
import { CookieJar, cookiePair } from "./_cookie_jar.ts";
import { FakeClock } from "./_fake_clock.ts";
import {
  always,
  FaultyStore,
  only,
  RecordingStore,
  WrappedStore,
} from "./_stores.ts";
import {
  BACKENDS,
  type Data,
  EVERY_BACKEND,
  setupWith,
  URL,
} from "./_backends.ts";

for (const { name, makeStore, sealed } of EVERY_BACKEND) {
  describe(`createSessionManager() on the ${name}`, () => {
    const setup = (options?: SessionManagerOptions) =>
      setupWith(makeStore, options);
    /**
     * Checks that a Set-Cookie carries the session's id (sealed, for the
     * sealed cookie store: never in clear) and returns its attributes.
     */
    const attributesFor = (setCookie: string | undefined, id: string) => {
      assert.ok(setCookie, "a cookie was sent");
      const [pair, ...attributes] = setCookie.split("; ");
      if (sealed) {
        assert.match(pair, /^sid=[\w-]+$/);
        assert.ok(!pair.includes(id));
      } else {
        assert.equal(pair, `sid=${id}`);
      }
      return attributes.join("; ");
    };

    describe("load and commit", () => {
      test("a request without a cookie gets a new, empty session", async () => {
        const { visit } = setup();
        const { session, setCookie } = await visit((s) => {
          assert.equal(s.isNew, true);
          assert.equal(s.get("count"), undefined);
          assert.equal(s.has("count"), false);
        });
        assert.equal(setCookie, undefined);
        assert.equal(session.destroyed, false);
      });

      test("a written session sends a strict cookie carrying a fresh id", async () => {
        const { visit } = setup();
        const { session, setCookie } = await visit((s) => s.set("count", 1));
        assert.equal(
          attributesFor(setCookie, session.id),
          "Max-Age=1800; Path=/; HttpOnly; SameSite=Lax",
        );
        assert.ok(isSessionId(session.id));
      });

      test("a returning request sees the values and the same id", async () => {
        const { visit } = setup();
        const first = await visit((s) => s.set("count", 1));
        const second = await visit((s) => {
          assert.equal(s.isNew, false);
          assert.equal(s.get("count"), 1);
          s.set("count", s.get("count")! + 1);
        });
        assert.equal(second.session.id, first.session.id);
        const third = await visit((s) => assert.equal(s.get("count"), 2));
        assert.equal(third.setCookie, undefined);
      });

      test("delete() removes a value for later requests", async () => {
        const { visit } = setup();
        await visit((s) => {
          s.set("count", 1);
          s.set("user", "ada");
        });
        await visit((s) => {
          s.delete("user");
          assert.equal(s.has("user"), false);
        });
        await visit((s) => {
          assert.equal(s.get("user"), undefined);
          assert.equal(s.get("count"), 1);
        });
      });

      test("setting undefined deletes the value", async () => {
        const { visit } = setup();
        await visit((s) => s.set("user", "ada"));
        await visit((s) => s.set("user", undefined));
        await visit((s) => assert.equal(s.has("user"), false));
      });

      test("set() refuses values that JSON cannot keep", async () => {
        const { visit } = setup();
        await visit((s) => {
          assert.throws(
            () => s.set("count", (() => 1) as unknown as number),
            {
              name: "TypeError",
              message:
                'Cannot set session value "count": values must be JSON-compatible, received a function',
            },
          );
          assert.throws(
            () => s.set("count", 1n as unknown as number),
            TypeError,
          );
        });
      });
    });

    describe("strict mode", () => {
      test("the session cookie sent twice is treated as no session", async () => {
        const { visit, sessions, jar } = setup();
        const { session } = await visit((s) => s.set("count", 1));
        const both = await sessions.load(
          new Request(URL, {
            headers: { Cookie: `sid=${jar.get("sid")}; sid=${"A".repeat(43)}` },
          }),
        );
        assert.equal(both.isNew, true);
        assert.notEqual(both.id, session.id);
      });
    });

    describe("expiry", () => {
      test("a session idle past idleTimeoutSeconds is gone", async () => {
        const { visit, clock } = setup({ idleTimeoutSeconds: 60 });
        const { session } = await visit((s) => s.set("count", 1));
        clock.advanceSeconds(60);
        const { session: next } = await visit((s) => {
          assert.equal(s.isNew, true);
          assert.equal(s.get("count"), undefined);
        });
        assert.notEqual(next.id, session.id);
      });

      test("activity slides the idle expiry forward", async () => {
        const { visit, clock } = setup({ idleTimeoutSeconds: 60 });
        await visit((s) => s.set("count", 1));
        for (let i = 0; i < 10; i++) {
          clock.advanceSeconds(45);
          await visit((s) => assert.equal(s.get("count"), 1));
        }
      });

      test("touchIntervalSeconds 0 extends on every request", async () => {
        const { visit, clock } = setup({
          idleTimeoutSeconds: 100,
          touchIntervalSeconds: 0,
        });
        await visit((s) => s.set("count", 1));
        clock.advanceSeconds(1);
        const { setCookie } = await visit();
        assert.match(setCookie!, /; Max-Age=100;/);
      });

      test("the absolute timeout ends an active session", async () => {
        const { visit, clock } = setup({
          idleTimeoutSeconds: 600,
          absoluteTimeoutSeconds: 1000,
        });
        const { session } = await visit((s) => s.set("count", 1));
        for (let i = 0; i < 3; i++) {
          clock.advanceSeconds(300);
          await visit((s) => assert.equal(s.get("count"), 1));
        }
        clock.advanceSeconds(101);
        const { session: next } = await visit((s) =>
          assert.equal(s.isNew, true)
        );
        assert.notEqual(next.id, session.id);
      });

      test("the cookie's Max-Age never outlives the absolute timeout", async () => {
        const { visit, clock } = setup({
          idleTimeoutSeconds: 600,
          absoluteTimeoutSeconds: 1000,
        });
        await visit((s) => s.set("count", 1));
        clock.advanceSeconds(300);
        await visit();
        clock.advanceSeconds(400);
        const { setCookie } = await visit((s) => s.set("count", 2));
        assert.match(setCookie!, /; Max-Age=300;/);
      });

      test("a browser-session cookie carries no Max-Age", async () => {
        const { visit } = setup({ cookie: { persistent: false } });
        const { setCookie } = await visit((s) => s.set("count", 1));
        assert.doesNotMatch(setCookie!, /Max-Age/);
      });
    });

    describe("regenerate and destroy", () => {
      test("regenerate() without other changes still writes the new id", async () => {
        const { visit } = setup();
        await visit((s) => s.set("count", 1));
        const { setCookie, session } = await visit((s) => s.regenerate());
        attributesFor(setCookie, session.id);
        await visit((s) => assert.equal(s.get("count"), 1));
      });

      test("regenerate() keeps flash values not yet read", async () => {
        const { visit } = setup();
        await visit((s) => s.flash("notice", "saved"));
        await visit((s) => s.regenerate());
        await visit((s) => assert.equal(s.takeFlash("notice"), "saved"));
      });

      test("values set after destroy() start a new session with a new id", async () => {
        const { visit } = setup();
        const { session: first } = await visit((s) => s.set("user", "ada"));
        const { session, setCookie } = await visit((s) => {
          s.destroy();
          s.flash("notice", "signed out");
        });
        assert.notEqual(session.id, first.id);
        attributesFor(setCookie, session.id);
        await visit((s) => {
          assert.equal(s.get("user"), undefined);
          assert.equal(s.takeFlash("notice"), "signed out");
        });
      });

      test("the subject survives regenerate() and travels in the record", async () => {
        const { visit } = setup();
        await visit((s) => {
          s.setSubject("user-1", { label: "laptop" });
          s.set("user", "ada");
        });
        await visit((s) => s.regenerate());
        await visit((s) => assert.equal(s.subject, "user-1"));
      });
    });

    describe("flash values", () => {
      test("a flash value is readable exactly once, on a later request", async () => {
        const { visit } = setup();
        await visit((s) => {
          s.flash("notice", "saved");
          assert.equal(s.takeFlash("notice"), undefined);
        });
        await visit((s) => {
          assert.equal(s.takeFlash("notice"), "saved");
          assert.equal(s.takeFlash("notice"), undefined);
        });
        await visit((s) => assert.equal(s.takeFlash("notice"), undefined));
      });

      test("a flash value not read stays for a later request", async () => {
        const { visit } = setup();
        await visit((s) => s.flash("notice", "saved"));
        await visit((s) => s.set("count", 1));
        await visit((s) => assert.equal(s.takeFlash("notice"), "saved"));
      });

      test("a flash value set while reading one is kept for the next request", async () => {
        const { visit } = setup();
        await visit((s) => s.flash("notice", "first"));
        await visit((s) => {
          assert.equal(s.takeFlash("notice"), "first");
          s.flash("notice", "second");
        });
        await visit((s) => assert.equal(s.takeFlash("notice"), "second"));
      });
    });
  });
}

for (const { name, makeStore, sync } of BACKENDS) {
  describe(`createSessionManager() on the ${name}, as its store sees it`, () => {
    const setup = (options?: SessionManagerOptions) =>
      setupWith(makeStore, options);

    // Without it, losing the fast path would run the async path twice.
    test(`load() and commit() take the ${name}`, async () => {
      const { visit, store } = setup();
      await visit((s) => s.set("count", 1));
      await visit((s) => s.set("count", 2));
      assert.deepEqual(store.calls, ["set", "get", "set"]);
      assert.equal(store.syncCalls, sync ? 3 : 0);
    });

    describe("load and commit", () => {
      test("reading a new session writes nothing and sends no cookie", async () => {
        const { visit, store } = setup();
        for (let i = 0; i < 100; i++) {
          const { setCookie } = await visit((s) => {
            s.get("count");
            void s.id;
          });
          assert.equal(setCookie, undefined);
        }
        assert.deepEqual(store.calls, []);
        assert.equal(store.size, 0);
      });

      test("an untouched returning session makes one store read and no write", async () => {
        const { visit, store } = setup();
        await visit((s) => s.set("count", 1));
        store.calls = [];
        const { setCookie } = await visit((s) => s.get("count"));
        assert.equal(setCookie, undefined);
        assert.deepEqual(store.calls, ["get"]);
      });

      test("commit() twice writes once and keeps returning the cookie owed", async () => {
        const { sessions, store, jar } = setup();
        const session = await sessions.load(jar.request(URL));
        session.set("count", 1);
        const first = await session.commit();
        const second = await session.commit();
        assert.equal(second, first);
        assert.deepEqual(store.calls, ["set"]);
      });

      test("values keyed __proto__ and constructor stay plain data", async () => {
        const { store, clock, jar } = setup();
        const loose = createSessionManager({ store, now: clock.now });
        const session = await loose.load(jar.request(URL));
        assert.equal(session.get("constructor"), undefined);
        assert.equal(session.get("toString"), undefined);
        assert.equal(session.has("__proto__"), false);
        session.set("__proto__", { polluted: true });
        session.set("constructor", "plain");
        jar.store(await session.commit());
        const again = await loose.load(jar.request(URL));
        assert.deepEqual(again.get("__proto__"), { polluted: true });
        assert.equal(again.get("constructor"), "plain");
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.equal(
          Object.getPrototypeOf(again.get("__proto__")),
          Object.prototype,
        );
      });

      test("concurrent requests changing different keys both survive", async () => {
        const { visit, sessions, jar } = setup();
        await visit((s) => s.set("count", 1));
        const a = await sessions.load(jar.request(URL));
        const b = await sessions.load(jar.request(URL));
        a.set("user", "ada");
        b.set("cart", ["tea"]);
        b.delete("count");
        await Promise.all([a.commit(), b.commit()]);
        await visit((s) => {
          assert.equal(s.get("user"), "ada");
          assert.deepEqual(s.get("cart"), ["tea"]);
          assert.equal(s.has("count"), false);
        });
      });

      test("a session over maxRecordBytes is refused before anything is written", async () => {
        const { visit, store } = setup({ maxRecordBytes: 1024 });
        await visit((s) => s.set("user", "ada"));
        store.calls = [];
        await assert.rejects(
          visit((s) => s.set("cart", ["x".repeat(600), "é".repeat(300)])),
          (error) => {
            assert.ok(error instanceof SessionTooLargeError);
            assert.equal(error.limit, 1024);
            assert.ok(error.bytes > 1024);
            assert.match(
              error.message,
              /^Cannot save session: the session record would take \d+ bytes, over the limit of 1024 bytes$/,
            );
            return true;
          },
        );
        assert.deepEqual(store.calls, ["get"]);
        await visit((s) => {
          assert.equal(s.get("user"), "ada");
          assert.equal(s.get("cart"), undefined);
        });
      });
    });

    describe("strict mode", () => {
      test("an id the store does not know is not adopted", async () => {
        const { sessions, store } = setup();
        const planted = "A".repeat(43);
        const session = await sessions.load(
          new Request(URL, { headers: { Cookie: `sid=${planted}` } }),
        );
        assert.equal(session.isNew, true);
        session.set("count", 1);
        const setCookie = await session.commit();
        assert.notEqual(session.id, planted);
        assert.ok(!setCookie!.includes(planted));
        assert.equal(await store.get(planted), undefined);
      });

      const malformed = [
        "",
        "short",
        "A".repeat(42),
        "A".repeat(44),
        "A".repeat(42) + "B",
        "A".repeat(42) + "=",
        "+".repeat(43),
        '"' + "A".repeat(43) + '"',
        "%41".repeat(15),
        "x".repeat(16_000),
      ];
      for (const value of malformed) {
        test(`a malformed id (${JSON.stringify(value.slice(0, 20))}…, ${value.length} chars) gives a new session without a store read`, async () => {
          const { sessions, store } = setup();
          const session = await sessions.load(
            new Request(URL, { headers: { Cookie: `sid=${value}` } }),
          );
          assert.equal(session.isNew, true);
          assert.deepEqual(store.calls, []);
        });
      }

      test("a corrupt record is treated as no session and deleted", async () => {
        const { visit, store } = setup();
        const { session } = await visit((s) => s.set("count", 1));
        for (
          const corrupt of [
            "{not json",
            "[]",
            '{"createdAt":"x","data":{}}',
            '{"createdAt":1}',
            "null",
          ]
        ) {
          await store.set(session.id, corrupt, { expiresAt: Date.now() + 1e9 });
          const { session: next } = await visit((s) =>
            assert.equal(s.isNew, true)
          );
          assert.notEqual(next.id, session.id);
          assert.equal(await store.get(session.id), undefined);
        }
      });
    });

    describe("expiry", () => {
      test("the expiry is extended without rewriting the data, once per touch interval", async () => {
        const { visit, clock, store } = setup({ idleTimeoutSeconds: 100 });
        await visit((s) => s.set("count", 1));
        store.calls = [];
        clock.advanceSeconds(5);
        const early = await visit((s) => s.get("count"));
        assert.equal(early.setCookie, undefined);
        assert.deepEqual(store.calls, ["get"]);
        clock.advanceSeconds(6);
        const due = await visit((s) => s.get("count"));
        assert.deepEqual(store.calls, ["get", "get", "touch"]);
        assert.match(due.setCookie!, /; Max-Age=100;/);
      });

      test("a write within the touch interval keeps the expiry and sends no cookie", async () => {
        const { visit, clock, store } = setup({ idleTimeoutSeconds: 100 });
        const { session } = await visit((s) => s.set("count", 1));
        const created = (await store.get(session.id))!.expiresAt;
        clock.advanceSeconds(5);
        const { setCookie } = await visit((s) => s.set("count", 2));
        assert.equal(setCookie, undefined);
        assert.equal((await store.get(session.id))!.expiresAt, created);
        clock.advanceSeconds(6);
        const due = await visit((s) => s.set("count", 3));
        assert.match(due.setCookie!, /; Max-Age=100;/);
        assert.equal(
          (await store.get(session.id))!.expiresAt,
          clock.now() + 100_000,
        );
      });
    });

    describe("regenerate and destroy", () => {
      test("regenerate() moves the values to a new id and kills the old one", async () => {
        const { visit, sessions, jar, store } = setup();
        const { session: first } = await visit((s) => s.set("count", 3));
        const oldCookie = jar.header()!;
        const { session: rotated, setCookie } = await visit((s) => {
          s.regenerate();
          s.set("user", "ada");
        });
        assert.notEqual(rotated.id, first.id);
        assert.ok(setCookie!.startsWith(`sid=${rotated.id};`));
        assert.doesNotMatch((await store.get(first.id))!.value, /count/);
        await visit((s) => {
          assert.equal(s.get("count"), 3);
          assert.equal(s.get("user"), "ada");
          assert.equal(s.isNew, false);
        });
        const replay = await sessions.load(
          new Request(URL, { headers: { Cookie: oldCookie } }),
        );
        assert.equal(replay.isNew, true);
        assert.equal(replay.stale, true);
        assert.equal(replay.get("count"), undefined);
      });

      test("destroy() deletes the record and expires the cookie at once", async () => {
        const { visit, sessions, jar, store } = setup();
        const { session: first } = await visit((s) => s.set("count", 1));
        const oldCookie = jar.header()!;
        const { session, setCookie } = await visit((s) => s.destroy());
        assert.equal(session.destroyed, true);
        assert.equal(session.isNew, true);
        assert.equal(
          setCookie,
          "sid=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
        );
        assert.equal(await store.get(first.id), undefined);
        assert.equal(jar.header(), undefined);
        const replay = await sessions.load(
          new Request(URL, { headers: { Cookie: oldCookie } }),
        );
        assert.equal(replay.isNew, true);
      });

      test("destroy() of a session that was never stored sends nothing", async () => {
        const { visit, store } = setup();
        const { setCookie } = await visit((s) => s.destroy());
        assert.equal(setCookie, undefined);
        assert.deepEqual(store.calls, []);
      });
    });
  });
}

describe("createSessionManager() stores", () => {
  test("the default store keeps the manager's clock", async () => {
    const dayBehind = () => Date.now() - 24 * 60 * 60 * 1000;
    const sessions = createSessionManager<Data>({ now: dayBehind });
    const session = await sessions.load(new Request(URL));
    session.set("count", 1);
    const cookie = cookiePair(await session.commit());
    const next = await sessions.load(
      new Request(URL, { headers: { Cookie: cookie } }),
    );
    assert.equal(next.isNew, false);
    assert.equal(next.get("count"), 1);
  });

  for (const { name, makeStore } of BACKENDS) {
    test(`a write the store drops as expired sends no cookie (${name})`, async () => {
      const clock = new FakeClock();
      const storeClock = new FakeClock();
      const store = makeStore(storeClock.now);
      const sessions = createSessionManager<Data>({
        store,
        now: clock.now,
        idleTimeoutSeconds: 60,
        touchIntervalSeconds: 0,
      });
      const first = await sessions.load(new Request(URL));
      first.set("count", 1);
      const cookie = cookiePair(await first.commit());
      // The store's clock runs ahead of the manager's: by its clock every
      // record the manager writes has already expired.
      storeClock.advanceSeconds(50);
      const returning = await sessions.load(
        new Request(URL, { headers: { Cookie: cookie } }),
      );
      assert.equal(returning.get("count"), 1);
      storeClock.advanceSeconds(3600);
      clock.advanceSeconds(1);
      returning.set("count", 2);
      assert.equal(await returning.commit(), undefined);
      assert.equal(returning.stale, true);
      const fresh = await sessions.load(new Request(URL));
      fresh.set("count", 1);
      await assert.rejects(fresh.commit(), SessionStoreError);
    });
  }

  test("a store whose records leave the process never sees the raw id", async () => {
    const { visit, store } = setupWith(
      (now) => new RecordingStore({ now }),
    );
    const { session } = await visit((s) => s.set("count", 1));
    await visit((s) => assert.equal(s.get("count"), 1));
    assert.ok(store.keys.length > 0);
    for (const key of store.keys) {
      assert.notEqual(key, session.id);
      assert.ok(!key.includes(session.id));
      assert.equal(key.length, 43);
    }
  });

  test("a failing read surfaces as SessionStoreError with its cause", async () => {
    const cause = new Error("connection refused");
    const store = new FaultyStore({
      compareAndSet: false,
      touch: false,
      fault: always({ reject: cause }),
    });
    const sessions = createSessionManager({ store });
    const request = new Request(URL, {
      headers: { Cookie: `sid=${"A".repeat(43)}` },
    });
    await assert.rejects(sessions.load(request), (error) => {
      assert.ok(error instanceof SessionStoreError);
      assert.equal(error.operation, "get");
      assert.equal(error.cause, cause);
      assert.equal(
        error.message,
        "Cannot get session record: the store failed",
      );
      return true;
    });
  });

  test("a failing write produces no cookie and leaves the old record", async () => {
    const clock = new FakeClock();
    const store = new FaultyStore({
      now: clock.now,
      inProcess: true,
      touch: false,
    });
    const failing = only(["set"], { reject: new Error("down") });
    const sessions = createSessionManager<{ count: number }>({
      store,
      now: clock.now,
    });
    const jar = new CookieJar();
    const first = await sessions.load(jar.request(URL));
    first.set("count", 1);
    jar.store(await first.commit());
    store.fault = failing;
    const second = await sessions.load(jar.request(URL));
    second.set("count", 2);
    await assert.rejects(second.commit(), SessionStoreError);
    store.fault = undefined;
    const fresh = await sessions.load(new Request(URL));
    fresh.set("count", 5);
    store.fault = failing;
    await assert.rejects(fresh.commit(), { name: "SessionStoreError" });
    store.fault = undefined;
    assert.equal((await fresh.commit())?.startsWith("sid="), true);
    const third = await sessions.load(jar.request(URL));
    assert.equal(third.get("count"), 1);
  });

  test("a store without compare-and-set keeps the keys other requests changed", async () => {
    const clock = new FakeClock();
    const store = new WrappedStore({
      now: clock.now,
      compareAndSet: false,
      touch: false,
    });
    const sessions = createSessionManager<Data>({ store, now: clock.now });
    const jar = new CookieJar();
    const first = await sessions.load(jar.request(URL));
    first.set("count", 1);
    jar.store(await first.commit());
    const a = await sessions.load(jar.request(URL));
    const b = await sessions.load(jar.request(URL));
    a.set("user", "ada");
    b.set("cart", ["tea"]);
    await a.commit();
    await b.commit();
    const after = await sessions.load(jar.request(URL));
    assert.equal(after.get("user"), "ada");
    assert.deepEqual(after.get("cart"), ["tea"]);
  });

  test("a store without touch() gets the stored text rewritten unchanged", async () => {
    const clock = new FakeClock();
    const store = new RecordingStore({
      now: clock.now,
      inProcess: true,
      touch: false,
    });
    const sets = store.setValues;
    const sessions = createSessionManager({
      store,
      now: clock.now,
      idleTimeoutSeconds: 100,
    });
    const jar = new CookieJar();
    const first = await sessions.load(jar.request(URL));
    first.set("count", 1);
    jar.store(await first.commit());
    clock.advanceSeconds(50);
    const second = await sessions.load(jar.request(URL));
    assert.match((await second.commit())!, /Max-Age=100;/);
    assert.equal(sets.length, 2);
    assert.equal(sets[1], sets[0]);
  });
});

describe("createSessionManager() under contention", () => {
  test("a save that keeps losing the race throws SessionConflictError and writes nothing", async () => {
    let writes = 0;
    const store = new FaultyStore({
      inProcess: true,
      touch: false,
      fault: ({ operation, ifVersion }) => {
        if (operation !== "set") return undefined;
        // Every conditional write finds the record changed.
        if (typeof ifVersion === "string") return { answer: { ok: false } };
        writes++;
        return undefined;
      },
    });
    const sessions = createSessionManager<Data>({
      store,
      maxCommitAttempts: 3,
    });
    const first = await sessions.load(new Request(URL));
    first.set("count", 1);
    const cookie = cookiePair(await first.commit());
    const second = await sessions.load(
      new Request(URL, { headers: { Cookie: cookie } }),
    );
    second.set("count", 2);
    await assert.rejects(second.commit(), (error) => {
      assert.ok(error instanceof SessionConflictError);
      assert.equal(error.attempts, 3);
      assert.equal(
        error.message,
        "Cannot save session: the record kept changing under concurrent requests (3 attempts)",
      );
      return true;
    });
    assert.equal(writes, 1);
    const third = await sessions.load(
      new Request(URL, { headers: { Cookie: cookie } }),
    );
    assert.equal(third.get("count"), 1);
  });

  test("a failed regenerate() leaves the request in the session it had", async () => {
    const inner = new MemoryStore();
    const store = new FaultyStore({ inner, inProcess: true, touch: false });
    const sessions = createSessionManager<Data>({ store });
    const first = await sessions.load(new Request(URL));
    first.set("user", "ada");
    const cookie = cookiePair(await first.commit());
    const oldKey = first.id;
    const login = await sessions.load(
      new Request(URL, { headers: { Cookie: cookie } }),
    );
    login.regenerate();
    const newId = login.id;
    store.fault = ({ operation, key }) =>
      operation === "set" && key === oldKey
        ? { reject: new Error("down") }
        : undefined;
    await assert.rejects(login.commit(), SessionStoreError);
    assert.equal(
      await inner.get(newId),
      undefined,
      "the new record is removed",
    );
    const again = await sessions.load(
      new Request(URL, { headers: { Cookie: cookie } }),
    );
    assert.equal(again.get("user"), "ada");
  });
});

describe("createSessionManager() against failing and hostile stores", () => {
  /** Reads and writes that never answer. */
  const hang = only(["get", "set"], { hang: true });

  test("a store that hangs fails the call after storeTimeoutMs", async () => {
    const store = new FaultyStore({ touch: false });
    const sessions = createSessionManager<Data>({ store, storeTimeoutMs: 50 });
    const first = await sessions.load(new Request(URL));
    first.set("count", 1);
    const cookie = cookiePair(await first.commit());
    store.fault = hang;
    const started = Date.now();
    await assert.rejects(
      sessions.load(new Request(URL, { headers: { Cookie: cookie } })),
      (error) => {
        assert.ok(error instanceof SessionStoreError);
        assert.equal(error.operation, "get");
        assert.equal((error.cause as Error).name, "TimeoutError");
        assert.equal(
          (error.cause as Error).message,
          "The store did not answer within 50 ms",
        );
        return true;
      },
    );
    assert.ok(Date.now() - started < 5000);
    const fresh = await sessions.load(new Request(URL));
    fresh.set("count", 1);
    await assert.rejects(fresh.commit(), SessionStoreError);
    assert.equal(fresh.isNew, true);
  });

  test("a record the store returns for another key is no session, and is deleted", async () => {
    const inner = new MemoryStore();
    const store = new FaultyStore({ inner, touch: false });
    const sessions = createSessionManager<Data>({ store });
    const alice = await sessions.load(new Request(URL));
    alice.set("user", "alice");
    const aliceCookie = cookiePair(await alice.commit());
    const bob = await sessions.load(new Request(URL));
    bob.set("user", "bob");
    const bobCookie = cookiePair(await bob.commit());
    // The store mixes up its entries: Bob's key now holds Alice's record.
    const aliceKey = (alice as unknown as { bound: { key: string } }).bound.key;
    const bobKey = (bob as unknown as { bound: { key: string } }).bound.key;
    const aliceEntry = (await inner.get(aliceKey))!;
    await inner.set(bobKey, aliceEntry.value, {
      expiresAt: aliceEntry.expiresAt,
    });
    const loaded = await sessions.load(
      new Request(URL, { headers: { Cookie: bobCookie } }),
    );
    assert.equal(loaded.isNew, true);
    assert.equal(loaded.get("user"), undefined);
    assert.equal(
      await inner.get(bobKey),
      undefined,
      "the wrong record is deleted",
    );
    const stillAlice = await sessions.load(
      new Request(URL, { headers: { Cookie: aliceCookie } }),
    );
    assert.equal(stillAlice.get("user"), "alice");
  });

  test("errors never carry the session id, its key or the session's data", async () => {
    const store = new FaultyStore({ touch: false });
    const sessions = createSessionManager<Data>({ store, storeTimeoutMs: 20 });
    const first = await sessions.load(new Request(URL));
    first.set("user", "secret-user-name");
    const cookie = cookiePair(await first.commit());
    const id = cookie.slice("sid=".length);
    store.fault = hang;
    const errors: unknown[] = [];
    await sessions.load(new Request(URL, { headers: { Cookie: cookie } }))
      .catch((error) => errors.push(error));
    const big = createSessionManager<Data>({ maxRecordBytes: 100 });
    const session = await big.load(new Request(URL));
    session.set("user", "secret-user-name".repeat(20));
    await session.commit().catch((error) => errors.push(error));
    assert.equal(errors.length, 2);
    for (const error of errors) {
      const text = `${(error as Error).message} ${(error as Error).stack}`;
      assert.ok(!text.includes(id));
      assert.ok(!text.includes("secret-user-name"));
    }
  });
});

describe("createSessionManager() subjects", () => {
  test("listing or revoking needs a store with a subject index", async () => {
    const store = new WrappedStore({ touch: false });
    const sessions = createSessionManager({ store });
    const message =
      "the store keeps no subject index (SessionStore.subjects); use a store that does, such as MemoryStore, RedisStore or DenoKvStore";
    await assert.rejects(sessions.listSessions("user-1"), {
      name: "TypeError",
      message: `Cannot list sessions: ${message}`,
    });
    await assert.rejects(sessions.revokeSessions("user-1"), {
      name: "TypeError",
      message: `Cannot revoke sessions: ${message}`,
    });
  });

  test("setSubject() refuses an empty subject and an overlong label", async () => {
    const sessions = createSessionManager();
    const session = await sessions.load(new Request(URL));
    assert.throws(() => session.setSubject(""), TypeError);
    assert.throws(
      () => session.setSubject("user-1", { label: "x".repeat(201) }),
      TypeError,
    );
  });
});

describe("createSessionManager() configuration", () => {
  const cases: [SessionManagerOptions, string, string][] = [
    [
      { idleTimeoutSeconds: 0 },
      "RangeError",
      "Cannot create session manager: idleTimeoutSeconds must be a whole number from 1 to 9007199254740991, received 0",
    ],
    [
      { idleTimeoutSeconds: "60" as unknown as number },
      "TypeError",
      'Cannot create session manager: idleTimeoutSeconds must be a number, received "60"',
    ],
    [
      { idleTimeoutSeconds: 600, absoluteTimeoutSeconds: 60 },
      "RangeError",
      "Cannot create session manager: absoluteTimeoutSeconds must be a whole number from 600 to 9007199254740991, received 60",
    ],
    [
      { idleTimeoutSeconds: 60, touchIntervalSeconds: 60 },
      "RangeError",
      "Cannot create session manager: touchIntervalSeconds must be a whole number from 0 to 59, received 60",
    ],
    [
      { store: {} as SessionStore },
      "TypeError",
      "Cannot create session manager: store must implement SessionStore (get, set, delete and a boolean compareAndSet), received an object",
    ],
    [
      { now: 5 as unknown as () => number },
      "TypeError",
      "Cannot create session manager: now must be a function, received 5",
    ],
  ];
  for (const [options, name, message] of cases) {
    test(`rejects ${JSON.stringify(options)} with a ${name}`, () => {
      assert.throws(() => createSessionManager(options), { name, message });
    });
  }

  test("does not change the options object", () => {
    const options = Object.freeze({
      idleTimeoutSeconds: 60,
      cookie: Object.freeze({ name: "app" }),
    });
    createSessionManager(options);
    assert.deepEqual(options, {
      idleTimeoutSeconds: 60,
      cookie: { name: "app" },
    });
  });
});
