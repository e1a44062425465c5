import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SessionTooLargeError } from "../src/errors.ts";
import { createSessionManager } from "../src/manager.ts";
import { hashSessionId } from "../src/session_id.ts";
import type { SessionStore } from "../src/store.ts";
import {
  DenoKvStore,
  type DenoKvStoreClient,
  type DenoKvStoreOptions,
} from "../src/stores/deno_kv.ts";
import { testSessionStore } from "../src/testing.ts";
import { cookiePair, cookieValue } from "./_cookie_jar.ts";
import { FakeClock } from "./_fake_clock.ts";

const APP_URL = "http://app.test/";

// Deno KV exists only on Deno with --unstable-kv (and Deno Deploy); under Bun and Node this file registers no tests.
if (typeof Deno !== "undefined" && typeof Deno.openKv === "function") {
  registerDenoKvTests();
}

/** A database opened for one store or test, and how to release it. */
interface Opened {
  kv: Deno.Kv;
  close(): Promise<void>;
}

async function openMemory(): Promise<Opened> {
  const kv = await Deno.openKv(":memory:");
  return {
    kv,
    close() {
      kv.close();
      return Promise.resolve();
    },
  };
}

async function openFile(): Promise<Opened> {
  const dir = await Deno.makeTempDir({ prefix: "sesame-kv-" });
  const kv = await Deno.openKv(`${dir}/sessions.sqlite3`);
  return {
    kv,
    async close() {
      kv.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Runs `run` with a fresh in-memory database, closed afterwards. */
async function withKv(run: (kv: Deno.Kv) => Promise<void>): Promise<void> {
  const { kv, close } = await openMemory();
  try {
    await run(kv);
  } finally {
    await close();
  }
}

/** Every entry of the database, with its value as text where it is bytes. */
async function dump(kv: Deno.Kv): Promise<{ key: Deno.KvKey; text: string }[]> {
  const entries = [];
  for await (const { key, value } of kv.list({ prefix: [] })) {
    const text = value instanceof Uint8Array
      ? new TextDecoder().decode(value)
      : JSON.stringify(value);
    entries.push({ key, text });
  }
  return entries;
}

function registerDenoKvTests(): void {
  for (
    const [name, open] of [
      ["DenoKvStore (:memory:)", openMemory],
      ["DenoKvStore (file)", openFile],
    ] as const
  ) {
    let clock = new FakeClock();
    const opened = new Map<SessionStore, Opened>();
    testSessionStore(name, {
      async create() {
        clock = new FakeClock();
        const database = await open();
        const store = new DenoKvStore({ kv: database.kv, now: clock.now });
        opened.set(store, database);
        return store;
      },
      async dispose(store) {
        await opened.get(store)?.close();
        opened.delete(store);
      },
      now: () => clock.now(),
      advanceSeconds(seconds) {
        clock.advanceSeconds(seconds);
        return Promise.resolve();
      },
      maxValueBytes: 65_527,
    });
  }

  describe("DenoKvStore", () => {
    test("takes a Deno.Kv as its client without a cast", () =>
      withKv(async (kv) => {
        const client: DenoKvStoreClient = kv;
        const store = new DenoKvStore({ kv: client });
        const written = await store.set("k", "v", {
          expiresAt: Date.now() + 60_000,
        });
        assert.ok(written.ok);
        assert.equal((await store.get("k"))?.version, written.version);
      }));

    test("keeps records under [...prefix, 's', key] and subjects under [...prefix, 'u', subject, key]", () =>
      withKv(async (kv) => {
        const clock = new FakeClock();
        const expiresAt = clock.now() + 60_000;
        const store = new DenoKvStore({ kv, now: clock.now });
        await store.set("k1", "v", { expiresAt });
        await store.subjects.add("user-1", "k1", expiresAt);
        const custom = new DenoKvStore({
          kv,
          prefix: ["app", "sessions"],
          now: clock.now,
        });
        await custom.set("k2", "v", { expiresAt });
        await custom.subjects.add("user-2", "k2", expiresAt);
        assert.deepEqual((await dump(kv)).map((e) => e.key), [
          ["app", "sessions", "s", "k2"],
          ["app", "sessions", "u", "user-2", "k2"],
          ["sesame", "s", "k1"],
          ["sesame", "u", "user-1", "k1"],
        ]);
      }));

    test("stores under different prefixes of one database stay apart", () =>
      withKv(async (kv) => {
        const clock = new FakeClock();
        const expiresAt = clock.now() + 60_000;
        const a = new DenoKvStore({ kv, prefix: ["a"], now: clock.now });
        const b = new DenoKvStore({ kv, prefix: ["b"], now: clock.now });
        await a.set("k", "from a", { expiresAt });
        await b.set("k", "from b", { expiresAt });
        await a.subjects.add("user", "ka", expiresAt);
        await b.subjects.add("user", "kb", expiresAt);
        assert.equal((await a.get("k"))?.value, "from a");
        assert.equal((await b.get("k"))?.value, "from b");
        assert.deepEqual(await a.subjects.list("user"), ["ka"]);
        await b.delete("k");
        assert.equal((await a.get("k"))?.value, "from a");
      }));

    test("sessions survive closing and reopening the database file", async () => {
      const dir = await Deno.makeTempDir({ prefix: "sesame-kv-" });
      const path = `${dir}/sessions.sqlite3`;
      try {
        let kv = await Deno.openKv(path);
        let cookie: string;
        try {
          const sessions = createSessionManager<{ user: string }>({
            store: new DenoKvStore({ kv }),
          });
          const session = await sessions.load(new Request(APP_URL));
          session.set("user", "ada");
          cookie = cookiePair(await session.commit());
        } finally {
          kv.close();
        }
        kv = await Deno.openKv(path);
        try {
          const sessions = createSessionManager<{ user: string }>({
            store: new DenoKvStore({ kv }),
          });
          const session = await sessions.load(
            new Request(APP_URL, { headers: { Cookie: cookie } }),
          );
          assert.equal(session.isNew, false);
          assert.equal(session.get("user"), "ada");
        } finally {
          kv.close();
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });

    test("no session id appears in any key or value, only its digest", () =>
      withKv(async (kv) => {
        const sessions = createSessionManager<{ user: string }>({
          store: new DenoKvStore({ kv }),
        });
        const first = await sessions.load(new Request(APP_URL));
        first.set("user", "ada");
        const oldId = cookieValue(await first.commit());
        const login = await sessions.load(
          new Request(APP_URL, { headers: { Cookie: `sid=${oldId}` } }),
        );
        login.regenerate();
        login.setSubject("user-1", { label: "laptop" });
        const newId = cookieValue(await login.commit());
        const entries = await dump(kv);
        assert.deepEqual(
          entries.map((e) => e.key).sort(),
          [
            ["sesame", "s", hashSessionId(oldId)],
            ["sesame", "s", hashSessionId(newId)],
            ["sesame", "u", "user-1", hashSessionId(newId)],
          ].sort(),
        );
        for (const id of [oldId, newId]) {
          for (const { key, text } of entries) {
            assert.ok(!JSON.stringify(key).includes(id), "id in a key");
            assert.ok(!text.includes(id), "id in a value");
          }
        }
      }));

    test("an expired entry is not returned though Deno KV still holds it", () =>
      withKv(async (kv) => {
        const clock = new FakeClock();
        const store = new DenoKvStore({ kv, now: clock.now });
        const expiresAt = clock.now() + 60_000;
        await store.set("k", "v", { expiresAt });
        await store.subjects.add("user", "k", expiresAt);
        assert.equal((await store.get("k"))?.expiresAt, expiresAt);
        clock.advanceSeconds(60);
        assert.equal(await store.get("k"), undefined);
        assert.deepEqual(await store.subjects.list("user"), []);
        assert.notEqual((await kv.get(["sesame", "s", "k"])).value, null);
        assert.notEqual(
          (await kv.get(["sesame", "u", "user", "k"])).value,
          null,
        );
      }));

    test("ifVersion null replaces an expired entry that Deno KV still holds", () =>
      withKv(async (kv) => {
        const clock = new FakeClock();
        const store = new DenoKvStore({ kv, now: clock.now });
        await store.set("k", "old", { expiresAt: clock.now() + 60_000 });
        const old = (await store.get("k"))!.version;
        clock.advanceSeconds(61);
        assert.notEqual((await kv.get(["sesame", "s", "k"])).value, null);
        const stale = await store.set("k", "lost", {
          expiresAt: clock.now() + 60_000,
          ifVersion: old,
        });
        assert.equal(stale.ok, false);
        const created = await store.set("k", "new", {
          expiresAt: clock.now() + 60_000,
          ifVersion: null,
        });
        assert.equal(created.ok, true);
        const entry = await store.get("k");
        assert.equal(entry?.value, "new");
        assert.equal(created.ok && created.version, entry?.version);
        assert.notEqual(entry?.version, old);
      }));

    test("of many concurrent creates over an expired entry, exactly one wins", () =>
      withKv(async (kv) => {
        const clock = new FakeClock();
        const store = new DenoKvStore({ kv, now: clock.now });
        await store.set("k", "old", { expiresAt: clock.now() + 1000 });
        clock.advanceSeconds(2);
        const results = await Promise.all(
          Array.from(
            { length: 20 },
            (_, i) =>
              store.set("k", `w${i}`, {
                expiresAt: clock.now() + 60_000,
                ifVersion: null,
              }),
          ),
        );
        const winners = results.flatMap((r, i) => r.ok ? [i] : []);
        assert.equal(winners.length, 1);
        assert.equal((await store.get("k"))?.value, `w${winners[0]}`);
      }));

    test("a create gives up with an error when the entry keeps changing", async () => {
      let commits = 0;
      const client: DenoKvStoreClient = {
        get: () => Promise.resolve({ value: null, versionstamp: null }),
        set: () => Promise.resolve(),
        delete: () => Promise.resolve(),
        list: () => (async function* () {})(),
        atomic: () => ({
          check: () => {},
          set: () => {},
          delete: () => {},
          commit: () => {
            commits++;
            return Promise.resolve({ ok: false });
          },
        }),
      };
      const store = new DenoKvStore({ kv: client });
      await assert.rejects(
        store.set("k", "v", {
          expiresAt: Date.now() + 60_000,
          ifVersion: null,
        }),
        {
          name: "Error",
          message:
            "Cannot write session record: the entry kept changing between read and write (10 attempts)",
        },
      );
      assert.equal(commits, 10);
    });

    test("a write whose expiry has passed leaves no entry", () =>
      withKv(async (kv) => {
        const clock = new FakeClock();
        const store = new DenoKvStore({ kv, now: clock.now });
        await store.set("k", "v", { expiresAt: clock.now() + 60_000 });
        const version = (await store.get("k"))!.version;
        const result = await store.set("k", "v2", {
          expiresAt: clock.now(),
          ifVersion: version,
        });
        assert.equal(result.ok, false);
        assert.equal((await kv.get(["sesame", "s", "k"])).value, null);
        assert.equal(
          (await store.set("k", "v3", { expiresAt: clock.now() - 1 })).ok,
          false,
        );
        assert.deepEqual(await dump(kv), []);
      }));

    test("versions are Deno KV versionstamps, and a stale one loses", () =>
      withKv(async (kv) => {
        const store = new DenoKvStore({ kv });
        const expiresAt = Date.now() + 60_000;
        const first = await store.set("k", "one", { expiresAt });
        assert.equal(first.ok, true);
        const read = await store.get("k");
        const raw = await kv.get(["sesame", "s", "k"]);
        assert.equal(read?.version, first.ok && first.version);
        assert.equal(read?.version, raw.versionstamp);
        const second = await store.set("k", "two", {
          expiresAt,
          ifVersion: read!.version,
        });
        assert.equal(second.ok, true);
        assert.ok(
          second.ok && String(second.version) > String(read?.version),
          "versionstamps grow",
        );
        const stale = await store.set("k", "three", {
          expiresAt,
          ifVersion: read!.version,
        });
        assert.deepEqual(stale, { ok: false });
        assert.equal((await store.get("k"))?.value, "two");
      }));

    test("a value over Deno KV's 64 KiB limit rejects without writing", () =>
      withKv(async (kv) => {
        const store = new DenoKvStore({ kv });
        const expiresAt = Date.now() + 60_000;
        await store.set("k", "before", { expiresAt });
        const before = await kv.get(["sesame", "s", "k"]);
        for (
          const [value, bytes] of [
            ["x".repeat(65_528), 65_537],
            ["é".repeat(32_764), 65_537],
            ["x".repeat(200_000), 200_009],
          ] as const
        ) {
          await assert.rejects(store.set("k", value, { expiresAt }), {
            name: "SessionTooLargeError",
            message:
              `Cannot save session: the Deno KV value would take ${bytes} bytes, over the limit of 65536 bytes`,
            bytes,
            limit: 65_536,
          });
          await assert.rejects(
            store.set("other", value, { expiresAt, ifVersion: null }),
            SessionTooLargeError,
          );
        }
        const after = await kv.get(["sesame", "s", "k"]);
        assert.equal(after.versionstamp, before.versionstamp);
        assert.equal((await store.get("k"))?.value, "before");
        assert.equal(await store.get("other"), undefined);
        const largest = "é".repeat(32_763) + "x";
        await store.set("k", largest, { expiresAt });
        assert.equal((await store.get("k"))?.value, largest);
      }));

    test("the manager reports a session over the limit as too large, writing nothing", () =>
      withKv(async (kv) => {
        const sessions = createSessionManager<{ notes: string }>({
          store: new DenoKvStore({ kv }),
        });
        const session = await sessions.load(new Request(APP_URL));
        session.set("notes", "x".repeat(70_000));
        await assert.rejects(session.commit(), (error) => {
          assert.ok(error instanceof SessionTooLargeError);
          assert.equal(error.limit, 65_536);
          return true;
        });
        assert.deepEqual(await dump(kv), []);
      }));

    test("remove() deletes at most 10 keys per atomic operation", () =>
      withKv(async (kv) => {
        const mutations: number[] = [];
        const client: DenoKvStoreClient = {
          get: (key) => kv.get(key),
          set: (key, value, options) => kv.set(key, value, options),
          delete: (key) => kv.delete(key),
          list: (selector) => kv.list(selector),
          atomic() {
            const operation = kv.atomic();
            let count = 0;
            return {
              check: (check) => operation.check(check),
              set(key, value, options) {
                count++;
                return operation.set(key, value, options);
              },
              delete(key) {
                count++;
                return operation.delete(key);
              },
              commit() {
                mutations.push(count);
                return operation.commit();
              },
            };
          },
        };
        const store = new DenoKvStore({ kv: client });
        const keys = Array.from({ length: 25 }, (_, i) => `k${i}`);
        for (const key of keys) {
          await store.subjects.add("user", key, Date.now() + 60_000);
        }
        await store.subjects.remove("user", [
          ...keys.slice(2),
          ...keys.slice(2),
          "missing",
        ]);
        assert.deepEqual(mutations, [10, 10, 4]);
        assert.deepEqual((await store.subjects.list("user")).sort(), [
          "k0",
          "k1",
        ]);
      }));

    test("copies the prefix, so changing the caller's array changes nothing", () =>
      withKv(async (kv) => {
        const prefix = ["app"];
        const store = new DenoKvStore({ kv, prefix });
        prefix.push("changed");
        await store.set("k", "v", { expiresAt: Date.now() + 60_000 });
        assert.deepEqual((await dump(kv)).map((e) => e.key), [[
          "app",
          "s",
          "k",
        ]]);
      }));

    test("rejects options of the wrong type at construction", () =>
      withKv((kv) => {
        const action = "Cannot create Deno KV store";
        for (
          const [options, message] of [
            [
              undefined,
              `${action}: kv must be a Deno KV client such as Deno.openKv() returns, received undefined`,
            ],
            [
              { kv: { get() {} } },
              `${action}: kv must be a Deno KV client such as Deno.openKv() returns, received an object`,
            ],
            [
              { kv, prefix: "x" },
              `${action}: prefix must be an array of strings, received "x"`,
            ],
            [
              { kv, prefix: ["a", 1] },
              `${action}: prefix must be an array of strings, received 1 at index 1`,
            ],
            [
              { kv, now: 5 },
              `${action}: now must be a function, received 5`,
            ],
          ] as const
        ) {
          assert.throws(
            () => new DenoKvStore(options as unknown as DenoKvStoreOptions),
            { name: "TypeError", message },
          );
        }
        return Promise.resolve();
      }));
  });
}
