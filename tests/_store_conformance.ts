// The contract every SessionStore must meet, as one suite that each store's
// test file runs against a fresh instance of that store.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { SessionStore } from "../src/store.ts";

/** How a store's test file hands the suite fresh stores and a clock. */
export interface ConformanceSubject {
  /** A fresh, empty store. */
  create(): SessionStore | Promise<SessionStore>;
  /** Releases a store made by `create`. */
  dispose?(store: SessionStore): void | Promise<void>;
  /** The store's clock in milliseconds, when the test controls it. */
  now(): number;
  /** Lets `seconds` pass for the store (moves a fake clock, or waits). */
  advanceSeconds(seconds: number): Promise<void>;
}

/** Runs the store conformance suite. */
export function storeConformance(
  name: string,
  subject: ConformanceSubject,
): void {
  async function withStore(run: (store: SessionStore) => Promise<void>) {
    const store = await subject.create();
    try {
      await run(store);
    } finally {
      await subject.dispose?.(store);
    }
  }
  const later = (seconds: number) => subject.now() + seconds * 1000;

  describe(`${name} conformance`, () => {
    test("get() returns undefined for a key never written", () =>
      withStore(async (store) => {
        assert.equal(await store.get("missing"), undefined);
      }));

    test("set() then get() round-trips the value and expiry", () =>
      withStore(async (store) => {
        const expiresAt = later(60);
        const result = await store.set("k", '{"a":1}', { expiresAt });
        assert.equal(result.ok, true);
        const entry = await store.get("k");
        assert.equal(entry?.value, '{"a":1}');
        assert.equal(entry?.expiresAt, expiresAt);
      }));

    test("set() overwrites and delete() removes", () =>
      withStore(async (store) => {
        await store.set("k", "one", { expiresAt: later(60) });
        await store.set("k", "two", { expiresAt: later(60) });
        assert.equal((await store.get("k"))?.value, "two");
        await store.delete("k");
        assert.equal(await store.get("k"), undefined);
        await store.delete("k");
      }));

    test("keys are kept apart exactly", () =>
      withStore(async (store) => {
        const keys = [
          "a",
          "A",
          "a ",
          "ä",
          "a\u0000",
          "__proto__",
          "constructor",
        ];
        for (const key of keys) {
          await store.set(key, `value of ${JSON.stringify(key)}`, {
            expiresAt: later(60),
          });
        }
        for (const key of keys) {
          assert.equal(
            (await store.get(key))?.value,
            `value of ${JSON.stringify(key)}`,
          );
        }
      }));

    test("values keep unicode and size intact", () =>
      withStore(async (store) => {
        const value = JSON.stringify({
          text: "zürich 東京 🍪 \u2028",
          big: "x".repeat(100_000),
        });
        await store.set("k", value, { expiresAt: later(60) });
        assert.equal((await store.get("k"))?.value, value);
      }));

    test("an entry is gone once its expiry has passed", () =>
      withStore(async (store) => {
        await store.set("short", "v", { expiresAt: later(1) });
        await store.set("long", "v", { expiresAt: later(600) });
        await subject.advanceSeconds(2);
        assert.equal(await store.get("short"), undefined);
        assert.equal((await store.get("long"))?.value, "v");
      }));

    test("touch() extends the expiry without changing value or version", async (t) => {
      await withStore(async (store) => {
        if (store.touch === undefined) return t.skip("store has no touch()");
        await store.set("k", "v", { expiresAt: later(1) });
        const before = await store.get("k");
        const expiresAt = later(600);
        assert.equal(await store.touch("k", expiresAt), true);
        await subject.advanceSeconds(2);
        const after = await store.get("k");
        assert.equal(after?.value, "v");
        assert.equal(after?.expiresAt, expiresAt);
        assert.equal(after?.version, before?.version);
        assert.equal(await store.touch("missing", expiresAt), false);
      });
    });

    test("concurrent writes to different keys all land", () =>
      withStore(async (store) => {
        await Promise.all(
          Array.from(
            { length: 50 },
            (_, i) => store.set(`k${i}`, `v${i}`, { expiresAt: later(60) }),
          ),
        );
        const values = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.get(`k${i}`)),
        );
        assert.deepEqual(
          values.map((e) => e?.value),
          values.map((_, i) => `v${i}`),
        );
      }));

    describe("compare-and-set", () => {
      test("ifVersion null writes only when the key is absent", async (t) => {
        await withStore(async (store) => {
          if (!store.compareAndSet) {
            return t.skip("store has no compare-and-set");
          }
          const first = await store.set("k", "one", {
            expiresAt: later(60),
            ifVersion: null,
          });
          assert.equal(first.ok, true);
          const second = await store.set("k", "two", {
            expiresAt: later(60),
            ifVersion: null,
          });
          assert.equal(second.ok, false);
          assert.equal((await store.get("k"))?.value, "one");
        });
      });

      test("ifVersion writes only over that exact version", async (t) => {
        await withStore(async (store) => {
          if (!store.compareAndSet) {
            return t.skip("store has no compare-and-set");
          }
          await store.set("k", "one", { expiresAt: later(60) });
          const read = await store.get("k");
          assert.equal(typeof read?.version, "string");
          const won = await store.set("k", "two", {
            expiresAt: later(60),
            ifVersion: read!.version,
          });
          assert.equal(won.ok, true);
          const lost = await store.set("k", "three", {
            expiresAt: later(60),
            ifVersion: read!.version,
          });
          assert.equal(lost.ok, false);
          const entry = await store.get("k");
          assert.equal(entry?.value, "two");
          assert.equal(won.ok && won.version, entry?.version);
        });
      });

      test("a version never comes back after delete and re-create", async (t) => {
        await withStore(async (store) => {
          if (!store.compareAndSet) {
            return t.skip("store has no compare-and-set");
          }
          await store.set("k", "one", { expiresAt: later(60) });
          const old = (await store.get("k"))!.version;
          await store.delete("k");
          await store.set("k", "two", { expiresAt: later(60) });
          const stale = await store.set("k", "three", {
            expiresAt: later(60),
            ifVersion: old,
          });
          assert.equal(stale.ok, false);
          assert.equal((await store.get("k"))?.value, "two");
        });
      });

      test("ifVersion of an expired entry does not write", async (t) => {
        await withStore(async (store) => {
          if (!store.compareAndSet) {
            return t.skip("store has no compare-and-set");
          }
          await store.set("k", "one", { expiresAt: later(1) });
          const version = (await store.get("k"))!.version;
          await subject.advanceSeconds(2);
          const result = await store.set("k", "two", {
            expiresAt: later(60),
            ifVersion: version,
          });
          assert.equal(result.ok, false);
          assert.equal(await store.get("k"), undefined);
        });
      });

      test("of many concurrent writers with one version, exactly one wins", async (t) => {
        await withStore(async (store) => {
          if (!store.compareAndSet) {
            return t.skip("store has no compare-and-set");
          }
          await store.set("k", "start", { expiresAt: later(60) });
          const version = (await store.get("k"))!.version;
          const results = await Promise.all(
            Array.from(
              { length: 20 },
              (_, i) =>
                store.set("k", `w${i}`, {
                  expiresAt: later(60),
                  ifVersion: version,
                }),
            ),
          );
          const winners = results.flatMap((r, i) => r.ok ? [i] : []);
          assert.equal(winners.length, 1);
          assert.equal((await store.get("k"))?.value, `w${winners[0]}`);
        });
      });
    });
  });
}
