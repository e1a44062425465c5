// Private module: the basics of the conformance suite. Get, set and delete
// round trips, expiry, touch(), large and unicode values, keys that must not
// be confused, and concurrent writes to different keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ConformanceContext } from "./_context.ts";

/** Registers the tests of a store's basic operations in the current suite. */
export function describeBasics(context: ConformanceContext): void {
  const { withStore, later, now, advanceSeconds, maxValueBytes } = context;

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

  /** A JSON value of unicode text padded to `bytes` bytes of UTF-8. */
  const valueOf = (bytes: number) => {
    const text = "zürich 東京 🍪 \u2028";
    const size = new TextEncoder().encode(JSON.stringify({ text, big: "" }))
      .length;
    return JSON.stringify({ text, big: "x".repeat(bytes - size) });
  };

  test("values keep unicode and size intact", () =>
    withStore(async (store) => {
      const value = valueOf(maxValueBytes ?? 100_000);
      await store.set("k", value, { expiresAt: later(60) });
      assert.equal((await store.get("k"))?.value, value);
    }));

  test("a value over the store's size limit rejects and changes nothing", async (t) => {
    await withStore(async (store) => {
      const limit = maxValueBytes;
      if (limit === undefined) return t.skip("store has no size limit");
      await store.set("k", "before", { expiresAt: later(60) });
      await assert.rejects(
        store.set("k", valueOf(limit + 1), { expiresAt: later(60) }),
      );
      await assert.rejects(
        store.set("new", valueOf(limit + 1), { expiresAt: later(60) }),
      );
      assert.equal((await store.get("k"))?.value, "before");
      assert.equal(await store.get("new"), undefined);
    });
  });

  test("an entry is gone once its expiry has passed", () =>
    withStore(async (store) => {
      await store.set("short", "v", { expiresAt: later(1) });
      await store.set("long", "v", { expiresAt: later(600) });
      await advanceSeconds(2);
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
      await advanceSeconds(2);
      const after = await store.get("k");
      assert.equal(after?.value, "v");
      assert.equal(after?.expiresAt, expiresAt);
      assert.equal(after?.version, before?.version);
      assert.equal(await store.touch("missing", expiresAt), false);
    });
  });

  test("set() with an expiry already passed leaves nothing live and answers ok: false", () =>
    withStore(async (store) => {
      await store.set("k", "v", { expiresAt: later(600) });
      const result = await store.set("k", "w", {
        expiresAt: now() - 1000,
      });
      assert.deepEqual(result, { ok: false, expired: true });
      assert.equal(await store.get("k"), undefined);
    }));

  test("touch() to an expiry already passed moves nothing and answers false", async (t) => {
    await withStore(async (store) => {
      if (store.touch === undefined) return t.skip("store has no touch()");
      const expiresAt = later(600);
      await store.set("k", "v", { expiresAt });
      assert.equal(await store.touch("k", now() - 1000), false);
      assert.equal((await store.get("k"))?.expiresAt, expiresAt);
    });
  });

  test("touch() with ifVersion extends only that version", async (t) => {
    await withStore(async (store) => {
      if (store.touch === undefined) return t.skip("store has no touch()");
      if (!store.compareAndSet) {
        return t.skip("store has no compare-and-set");
      }
      const first = later(60);
      await store.set("k", "v1", { expiresAt: first });
      const read = (await store.get("k"))!.version!;
      await store.set("k", "marker", { expiresAt: first, ifVersion: read });
      const replaced = (await store.get("k"))!.version!;
      assert.equal(
        await store.touch("k", later(600), { ifVersion: read }),
        false,
        "a replaced version is not extended",
      );
      assert.equal((await store.get("k"))?.expiresAt, first);
      assert.equal(
        await store.touch("k", later(600), { ifVersion: "not-a-version" }),
        false,
      );
      const extended = later(600);
      assert.equal(
        await store.touch("k", extended, { ifVersion: replaced }),
        true,
      );
      const after = await store.get("k");
      assert.equal(after?.expiresAt, extended);
      assert.equal(after?.version, replaced);
      assert.equal(
        await store.touch("missing", later(600), { ifVersion: replaced }),
        false,
      );
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
}
