// Stores that fail: a fault injector over a memory store rejects, hangs, or
// answers garbage, for every operation, all the time, only for writes, or
// from some call on. Whatever it does, a request either works or fails with
// a SessionStoreError (a hang after storeTimeoutMs), no cookie is sent for a
// write that failed, nothing is left half-done, corrupt records count as no
// session, and no error carries an id, a store key or session data.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createSessionManager } from "../src/manager.ts";
import { SessionStoreError } from "../src/errors.ts";
import { hashSessionId } from "../src/session_id.ts";
import type { SessionStore, StoreSetOptions } from "../src/store.ts";
import { CookieJar, cookiePair } from "./_cookie_jar.ts";
import { FakeClock } from "./_fake_clock.ts";
import {
  afterCalls,
  always,
  type FaultOutcome,
  FaultyStore,
  only,
  type StoreOperation,
} from "./_stores.ts";

const SITE = "http://app.test/";
const SEED = 0xfa17;
const TIMEOUT_MS = 30;
const SECRET_DATA = "private-data-5d1c";

type Data = { user: string; count: number; note: string };

function setup(storeTimeoutMs = TIMEOUT_MS) {
  const clock = new FakeClock();
  const store = new FaultyStore({ now: clock.now, subjects: true });
  const sessions = createSessionManager<Data>({
    store,
    now: clock.now,
    storeTimeoutMs,
    idleTimeoutSeconds: 600,
  });
  const jar = new CookieJar();
  const app = sessions.handler(async (request, session) => {
    const path = new URL(request.url).pathname;
    if (path === "/inc") session.update("count", (n = 0) => n + 1);
    if (path === "/login") {
      session.regenerate();
      session.set("user", SECRET_DATA);
    }
    if (path === "/logout") session.destroy();
    if (path === "/subject") session.setSubject("user-1");
    await Promise.resolve();
    return Response.json({
      user: session.get("user") ?? null,
      count: session.get("count") ?? null,
    });
  });
  /** Runs one request through the handler, carrying cookies in the jar. */
  async function visit(path: string) {
    store.reset();
    const response = await app(jar.request(SITE + path.slice(1)));
    jar.storeFrom(response);
    return await response.json() as { user: string | null; count: number };
  }
  /** The session as the store holds it, read with the store healthy. */
  async function stored() {
    const fault = store.fault;
    store.fault = undefined;
    try {
      const session = await sessions.load(jar.request(SITE));
      return {
        isNew: session.isNew,
        user: session.get("user"),
        count: session.get("count"),
      };
    } finally {
      store.fault = fault;
    }
  }
  /** A signed-in session with a count of 1 and data worth stealing. */
  async function signIn() {
    await visit("/login");
    await visit("/inc");
    assert.deepEqual(await stored(), {
      isNew: false,
      user: SECRET_DATA,
      count: 1,
    });
    return jar.get("sid")!;
  }
  return { clock, store, sessions, jar, app, visit, stored, signIn };
}

/** Asserts a store error of `operation` whose cause is `cause` (or a timeout). */
function assertStoreError(
  error: unknown,
  operation: StoreOperation,
  cause: unknown,
): true {
  assert.ok(
    error instanceof SessionStoreError,
    `not a SessionStoreError: ${error}`,
  );
  assert.equal(error.operation, operation);
  assert.equal(
    error.message,
    `Cannot ${operation} session record: the store failed`,
  );
  if (cause === "timeout") {
    assert.ok(
      error.cause instanceof Error || error.cause instanceof DOMException,
    );
    assert.equal((error.cause as Error).name, "TimeoutError");
    assert.equal(
      (error.cause as Error).message,
      `The store did not answer within ${TIMEOUT_MS} ms`,
    );
  } else {
    assert.equal(error.cause, cause);
  }
  return true;
}

/** Asserts that nothing the library wrote in an error names the session. */
function assertNothingLeaks(error: unknown, secrets: string[]): void {
  const texts: string[] = [];
  for (let e = error; e instanceof Error || e instanceof DOMException;) {
    texts.push(e.message, String((e as Error).stack));
    const cause: unknown = (e as Error).cause;
    // Only the causes the library made: the store's own error is its business.
    if (cause === FAILURE) break;
    e = cause;
  }
  const text = texts.join("\n");
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `an error carries "${secret}"`);
  }
}

const FAILURE = new Error("connection refused");

/** Settles as `promise` does, or rejects when it takes longer than `ms`. */
function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still pending after ${ms} ms: it hangs`)),
      ms,
    );
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** For each operation: a request that needs it, on a signed-in session. */
const SCENARIOS: {
  operation: StoreOperation;
  path: string;
  prepare?: (world: ReturnType<typeof setup>) => void;
}[] = [
  { operation: "get", path: "/peek" },
  { operation: "set", path: "/inc" },
  { operation: "delete", path: "/logout" },
  {
    operation: "touch",
    path: "/peek",
    prepare: ({ clock }) => clock.advanceSeconds(120),
  },
  { operation: "index", path: "/subject" },
];

describe("a store call that rejects or hangs", () => {
  for (const { operation, path, prepare } of SCENARIOS) {
    for (const mode of ["rejects", "hangs"] as const) {
      test(`${operation}() that ${mode}: SessionStoreError, no cookie, the session intact`, async () => {
        const world = setup();
        const { store, jar, visit, stored } = world;
        const cookie = await world.signIn();
        const key = hashSessionId(cookie);
        prepare?.(world);
        store.fault = only(
          [operation],
          mode === "rejects" ? { reject: FAILURE } : { hang: true },
        );
        const started = Date.now();
        const error = await visit(path).then(
          () => assert.fail(`${path} answered although ${operation}() failed`),
          (error: unknown) => error,
        );
        assert.ok(Date.now() - started < 2000, "failed fast");
        assertStoreError(
          error,
          operation,
          mode === "rejects" ? FAILURE : "timeout",
        );
        assertNothingLeaks(error, [cookie, key, SECRET_DATA]);
        assert.ok(
          store.calls.some((call) => call.operation === operation),
          `${operation}() was called`,
        );
        // The handler rejected: no response, so no Set-Cookie; the browser
        // keeps its cookie, and the store the session.
        assert.equal(jar.get("sid"), cookie);
        store.fault = undefined;
        assert.deepEqual(await stored(), {
          isNew: false,
          user: SECRET_DATA,
          count: 1,
        });
      });
    }
  }

  test("a request without a cookie that writes nothing needs no store: it works while the store is down", async () => {
    const { store, visit, jar } = setup();
    store.fault = always({ reject: FAILURE });
    assert.deepEqual(await visit("/peek"), { user: null, count: null });
    assert.equal(jar.header(), undefined);
    assert.deepEqual(store.calls, []);
  });

  test("a store that rejects only writes: reads work, every write fails without a cookie", async () => {
    const { store, visit, jar, stored, signIn } = setup();
    const cookie = await signIn();
    store.fault = only(["set", "delete", "touch", "index"], {
      reject: FAILURE,
    });
    assert.deepEqual(await visit("/peek"), { user: SECRET_DATA, count: 1 });
    for (const path of ["/inc", "/login", "/logout", "/subject"]) {
      await assert.rejects(visit(path), SessionStoreError);
      assert.equal(jar.get("sid"), cookie, path);
    }
    // A new visitor cannot start a session either, and gets no cookie.
    await assert.rejects(strangerWrites(store), SessionStoreError);
    store.fault = undefined;
    assert.deepEqual(await stored(), {
      isNew: false,
      user: SECRET_DATA,
      count: 1,
    });
  });
});

/** A new visitor's first write, through another manager over `store`. */
async function strangerWrites(store: FaultyStore): Promise<void> {
  const sessions = createSessionManager<Data>({ store });
  const session = await sessions.load(new Request(SITE));
  session.set("count", 1);
  const setCookie = await session.commit();
  assert.fail(`a cookie was sent for a failed write: ${setCookie}`);
}

describe("a regenerate() or destroy() that fails half-way leaves no partial state", () => {
  test("the new record's write fails: the old session is intact, the new id has no record", async () => {
    const { store, sessions, jar, signIn } = setup();
    await signIn();
    const login = await sessions.load(jar.request(SITE));
    login.regenerate();
    login.set("note", "after login");
    const newId = login.id;
    store.fault = only(["set"], { reject: FAILURE });
    await assert.rejects(
      login.commit(),
      (e) => assertStoreError(e, "set", FAILURE),
    );
    store.fault = undefined;
    assert.equal(await store.inner.get(hashSessionId(newId)), undefined);
    const again = await sessions.load(jar.request(SITE));
    assert.equal(again.get("user"), SECRET_DATA);
    assert.equal(again.get("note"), undefined);
  });

  test("the old record's marker write hangs: the new record is discarded, the old session is intact", async () => {
    const { store, sessions, jar, signIn } = setup();
    const cookie = await signIn();
    const oldKey = hashSessionId(cookie);
    const login = await sessions.load(jar.request(SITE));
    login.regenerate();
    const newId = login.id;
    store.fault = ({ operation, key }) =>
      operation === "set" && key === oldKey ? { hang: true } : undefined;
    await assert.rejects(
      login.commit(),
      (e) => assertStoreError(e, "set", "timeout"),
    );
    store.fault = undefined;
    assert.equal(await store.inner.get(hashSessionId(newId)), undefined);
    const again = await sessions.load(jar.request(SITE));
    assert.equal(again.isNew, false);
    assert.equal(again.get("user"), SECRET_DATA);
  });

  test("the store goes down after the new record is written: no cookie, the old session is intact", async () => {
    const { store, sessions, jar, signIn } = setup();
    await signIn();
    const login = await sessions.load(jar.request(SITE));
    login.regenerate();
    store.reset();
    // The new record's write passes; the marker write and the clean-up fail.
    store.fault = afterCalls(1, always({ reject: FAILURE }));
    await assert.rejects(login.commit(), SessionStoreError);
    store.fault = undefined;
    const again = await sessions.load(jar.request(SITE));
    assert.equal(again.get("user"), SECRET_DATA);
  });

  test("the store hangs after the new record is written: commit() still fails within the store timeout", async () => {
    const { store, sessions, jar, signIn } = setup();
    await signIn();
    const login = await sessions.load(jar.request(SITE));
    login.regenerate();
    store.reset();
    // The new record's write passes; the marker write and the clean-up hang.
    store.fault = afterCalls(1, always({ hang: true }));
    const started = Date.now();
    await assert.rejects(
      settlesWithin(login.commit(), 20 * TIMEOUT_MS),
      (e) => assertStoreError(e, "set", "timeout"),
    );
    assert.ok(Date.now() - started < 20 * TIMEOUT_MS);
    store.fault = undefined;
    const again = await sessions.load(jar.request(SITE));
    assert.equal(again.get("user"), SECRET_DATA);
  });

  test("a commit() retried after a regenerate that failed half-way succeeds once the store is back", async () => {
    const { store, sessions, jar, signIn } = setup();
    await signIn();
    const login = await sessions.load(jar.request(SITE));
    login.regenerate();
    store.reset();
    store.fault = afterCalls(1, always({ reject: FAILURE }));
    await assert.rejects(login.commit(), SessionStoreError);
    store.fault = undefined;
    // The store is healthy again: the retry must work, under an id that no
    // record could already hold.
    const setCookie = await login.commit();
    assert.ok(setCookie?.startsWith("sid="));
    jar.store(setCookie);
    const after2 = await sessions.load(jar.request(SITE));
    assert.equal(after2.get("user"), SECRET_DATA);
  });

  test("a commit() retried after a write that timed out and landed late succeeds", async () => {
    const { store, sessions } = setup();
    const session = await sessions.load(new Request(SITE));
    session.set("count", 1);
    // The write lands, but only after the manager gave up on it.
    let landed: Promise<unknown> = Promise.resolve();
    store.fault = ({ operation, key }) => {
      if (operation !== "set") return undefined;
      store.fault = undefined;
      landed = new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 3))
        .then(() =>
          store.inner.set(key, '{"createdAt":0,"data":{}}', {
            expiresAt: Date.now() + 1e9,
          })
        );
      return { hang: true };
    };
    await assert.rejects(
      session.commit(),
      (e) => assertStoreError(e, "set", "timeout"),
    );
    await landed;
    const setCookie = await session.commit();
    assert.ok(setCookie?.startsWith("sid="));
  });

  test("a destroy() whose delete fails leaves the session intact and sends no deletion cookie", async () => {
    const { store, sessions, jar, signIn, stored } = setup();
    const cookie = await signIn();
    const session = await sessions.load(jar.request(SITE));
    session.destroy();
    store.fault = only(["delete"], { reject: FAILURE });
    await assert.rejects(
      session.commit(),
      (e) => assertStoreError(e, "delete", FAILURE),
    );
    store.fault = undefined;
    assert.equal(jar.get("sid"), cookie);
    assert.deepEqual(await stored(), {
      isNew: false,
      user: SECRET_DATA,
      count: 1,
    });
  });
});

describe("a store that answers garbage", () => {
  const LIVE = Date.UTC(2030, 0, 1);
  const entries: [string, unknown, "deleted" | "no session"][] = [
    [
      "invalid JSON",
      { value: "{not json", expiresAt: LIVE, version: "1" },
      "deleted",
    ],
    ["a record of the wrong shape", {
      value: '{"data":[]}',
      expiresAt: LIVE,
      version: "1",
    }, "deleted"],
    ["JSON null", { value: "null", expiresAt: LIVE, version: "1" }, "deleted"],
    ["a value that is not a string ({ value: 42 })", {
      value: 42,
      expiresAt: LIVE,
      version: "1",
    }, "deleted"],
    ["an entry without an expiry ({ value: 42 })", { value: 42 }, "no session"],
    ["an entry with null fields", {
      value: null,
      expiresAt: null,
      version: null,
    }, "no session"],
    ["an array instead of an entry", [], "no session"],
    ["a string instead of an entry", "{}", "no session"],
    ["null instead of undefined", null, "no session"],
  ];
  for (const [what, entry, outcome] of entries) {
    test(`get() answering ${what} gives no session${outcome === "deleted" ? ", and the record is deleted" : ""}`, async () => {
      const { store, sessions, jar, signIn } = setup();
      const cookie = await signIn();
      const key = hashSessionId(cookie);
      store.fault = only(["get"], { answer: entry });
      const session = await sessions.load(jar.request(SITE));
      assert.equal(session.isNew, true);
      assert.equal(session.get("user"), undefined);
      if (outcome === "deleted") {
        assert.ok(
          store.calls.some((c) => c.operation === "delete" && c.key === key),
          "the corrupt record is deleted",
        );
        assert.equal(await store.inner.get(key), undefined);
      }
      // A write starts a new session under a new id.
      session.set("count", 1);
      const setCookie = (await session.commit())!;
      assert.ok(!setCookie.includes(cookie));
    });
  }

  test("get() answering the record of another session never leaks it", async () => {
    const alice = setup();
    await alice.signIn();
    const aliceKey = hashSessionId(alice.jar.get("sid")!);
    const aliceEntry = (await alice.store.inner.get(aliceKey))!;
    const { store, sessions, jar } = alice;
    // Bob's request, through the same manager, is answered with Alice's record.
    const bobJar = new CookieJar();
    const bob = await sessions.load(bobJar.request(SITE));
    bob.set("note", "bob");
    bobJar.store(await bob.commit());
    store.fault = only(["get"], { answer: aliceEntry });
    const loaded = await sessions.load(bobJar.request(SITE));
    assert.equal(loaded.isNew, true);
    assert.equal(loaded.get("user"), undefined);
    store.fault = undefined;
    const stillAlice = await sessions.load(jar.request(SITE));
    assert.equal(stillAlice.get("user"), SECRET_DATA);
  });

  for (const [what, answer] of [["undefined", undefined], ["null", null]]) {
    test(`set() resolving to ${what} fails the commit with a SessionStoreError`, async () => {
      const { store, sessions } = setup();
      const session = await sessions.load(new Request(SITE));
      session.set("count", 1);
      store.fault = only(["set"], { answer });
      await assert.rejects(session.commit(), (error) => {
        assert.ok(
          error instanceof SessionStoreError,
          `${(error as Error).name}: ${(error as Error).message}`,
        );
        assert.equal(error.operation, "set");
        return true;
      });
    });
  }

  for (const inProcess of [true, false]) {
    test(
      `a store${
        inProcess ? " in process" : ""
      } answering plain values instead of promises still works`,
      async () => {
        // The types ask for promises; a hand-written store in plain JavaScript
        // may answer synchronously, which an `await` has always accepted.
        const entries = new Map<string, { value: string; expiresAt: number }>();
        const store = {
          compareAndSet: false,
          inProcess,
          get: (key: string) => entries.get(key),
          set: (key: string, value: string, { expiresAt }: StoreSetOptions) => {
            entries.set(key, { value, expiresAt });
            return { ok: true };
          },
          delete: (key: string) => void entries.delete(key),
        } as unknown as SessionStore;
        const sessions = createSessionManager<Data>({ store });
        const first = await sessions.load(new Request(SITE));
        first.set("count", 1);
        const cookie = cookiePair(await first.commit());
        const second = await sessions.load(
          new Request(SITE, { headers: { Cookie: cookie } }),
        );
        assert.equal(second.get("count"), 1);
        second.destroy();
        assert.match((await second.commit())!, /Max-Age=0/);
        assert.equal(entries.size, 0);
      },
    );
  }

  test("any string stored as a record never crashes load(): no session, and the record is deleted", async () => {
    const { store, sessions, jar, signIn } = setup();
    const cookie = await signIn();
    const key = hashSessionId(cookie);
    const corrupt = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.json(),
      fc.record({
        createdAt: fc.oneof(fc.double(), fc.string(), fc.constant(null)),
        data: fc.anything(),
        flash: fc.anything(),
        subject: fc.anything(),
        key: fc.string(),
      }, { requiredKeys: [] }).map((record) => JSON.stringify(record)),
    );
    await fc.assert(
      fc.asyncProperty(corrupt, async (value) => {
        await store.inner.set(key, value, { expiresAt: Date.UTC(2030, 0, 1) });
        const session = await sessions.load(jar.request(SITE));
        assert.equal(session.isNew, true);
        assert.equal(session.get("user"), undefined);
        // Only the marker of a regenerated session stays; anything else goes.
        let rotated = false;
        try {
          rotated = typeof JSON.parse(value)?.rotatedAt === "number";
        } catch { /* not JSON */ }
        assert.equal(session.stale, rotated);
        if (!rotated) assert.equal(await store.inner.get(key), undefined);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test("any answer of get() never crashes load() nor adopts the session", async () => {
    const { store, sessions, jar, signIn } = setup();
    await signIn();
    await fc.assert(
      fc.asyncProperty(
        fc.anything({ withNullPrototype: true }),
        async (answer) => {
          store.fault = only(["get"], { answer });
          try {
            const session = await sessions.load(jar.request(SITE));
            assert.equal(session.isNew, true);
            assert.equal(session.get("user"), undefined);
          } finally {
            store.fault = undefined;
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe("random faults over random request sequences", () => {
  test("a store failing at any call never loses acknowledged data, never hangs, never leaves a reachable stray record", async () => {
    const fault = fc.option(
      fc.record({
        // One call fails, or the store is down from that call on.
        kind: fc.constantFrom("one call", "from then on"),
        at: fc.nat({ max: 5 }),
        mode: fc.constantFrom("rejects", "hangs"),
      }),
      { nil: undefined, freq: 3 },
    );
    const step = fc.record({
      path: fc.constantFrom("/inc", "/inc", "/login", "/logout", "/peek"),
      fault,
      advanceSeconds: fc.nat({ max: 30 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 12 }),
        async (steps) => {
          const { store, jar, visit, stored, clock } = setup(5);
          // The acknowledged state: what the client was told.
          let model: { user?: string; count?: number } = {};
          // Records a failed request may leave when the store went down
          // before it could clean up: no cookie ever named them.
          const unreachable = new Set<string>();
          for (const { path, fault, advanceSeconds } of steps) {
            clock.advanceSeconds(advanceSeconds);
            const cookieBefore = jar.header();
            const writtenBefore = new Set(store.written);
            const outcome: FaultOutcome | undefined = fault === undefined
              ? undefined
              : fault.mode === "rejects"
              ? { reject: FAILURE }
              : { hang: true };
            store.fault = fault === undefined
              ? undefined
              : ({ n }) =>
                n === fault.at ||
                  (fault.kind === "from then on" && n > fault.at)
                  ? outcome
                  : undefined;
            let ok = true;
            try {
              await settlesWithin(visit(path), 250);
            } catch (error) {
              ok = false;
              assert.ok(error instanceof SessionStoreError, String(error));
              assert.equal(jar.header(), cookieBefore, "a cookie was sent");
              if (fault?.kind === "from then on") {
                for (const key of store.written) {
                  if (!writtenBefore.has(key)) unreachable.add(key);
                }
              }
            }
            store.fault = undefined;
            if (ok) {
              if (path === "/inc") {
                model = { ...model, count: (model.count ?? 0) + 1 };
              }
              if (path === "/login") model = { ...model, user: SECRET_DATA };
              if (path === "/logout") model = {};
            }
            const seen = await stored();
            assert.equal(seen.count, model.count, `count after ${path}`);
            assert.equal(seen.user, model.user, `user after ${path}`);
            // Every live record is the current session, a rotation marker,
            // or one that no cookie names.
            const current = jar.get("sid");
            for (const key of store.written) {
              const entry = await store.inner.get(key);
              if (entry === undefined || unreachable.has(key)) continue;
              if (current !== undefined && key === hashSessionId(current)) {
                continue;
              }
              assert.ok(
                "rotatedAt" in JSON.parse(entry.value),
                `a stray record after ${path}`,
              );
            }
          }
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });
});

describe("a flood while the store is down", () => {
  for (const mode of ["rejects", "hangs"] as const) {
    test(`1000 requests while the store ${mode} all fail fast, then all succeed when it is back, losing nothing`, async () => {
      const clock = new FakeClock();
      const store = new FaultyStore({ now: clock.now, subjects: true });
      const sessions = createSessionManager<Data>({
        store,
        now: clock.now,
        storeTimeoutMs: TIMEOUT_MS,
      });
      const app = sessions.handler((_request, session) => {
        session.update("count", (n = 0) => n + 1);
        return Response.json({});
      });
      const jars = Array.from({ length: 1000 }, () => new CookieJar());
      const all = () =>
        Promise.allSettled(jars.map(async (jar) => {
          const response = await app(jar.request(SITE));
          jar.storeFrom(response);
        }));
      for (const result of await all()) {
        assert.equal(result.status, "fulfilled");
      }

      store.fault = always(
        mode === "rejects" ? { reject: FAILURE } : { hang: true },
      );
      const started = Date.now();
      const down = await all();
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 3000, `the flood took ${elapsed} ms`);
      for (const result of down) {
        assert.equal(result.status, "rejected");
        assert.ok(
          (result as PromiseRejectedResult).reason instanceof SessionStoreError,
        );
      }

      store.fault = undefined;
      for (const result of await all()) {
        assert.equal(result.status, "fulfilled");
      }
      for (const jar of jars) {
        const session = await sessions.load(jar.request(SITE));
        assert.equal(session.get("count"), 2);
      }
      assert.equal(store.inner.size, 1000);
    });
  }
});

describe("errors never carry secrets", () => {
  test("a conflict, a broken create and a timeout name no id, key or data", async () => {
    const { store, sessions, jar, signIn } = setup();
    const cookie = await signIn();
    const key = hashSessionId(cookie);
    const errors: unknown[] = [];
    // Every conditional write loses: SessionConflictError.
    const session = await sessions.load(jar.request(SITE));
    session.set("note", SECRET_DATA);
    store.fault = ({ operation }) =>
      operation === "set" ? { answer: { ok: false } } : undefined;
    await session.commit().catch((error) => errors.push(error));
    // A store claiming a record under a brand-new id.
    const fresh = await sessions.load(new Request(SITE));
    fresh.set("note", SECRET_DATA);
    const freshId = fresh.id;
    await fresh.commit().catch((error) => errors.push(error));
    // A hang.
    store.fault = always({ hang: true });
    await sessions.load(jar.request(SITE)).catch((error) => errors.push(error));
    assert.equal(errors.length, 3);
    for (const error of errors) {
      assertNothingLeaks(error, [
        cookie,
        key,
        freshId,
        hashSessionId(freshId),
        SECRET_DATA,
      ]);
    }
  });
});
