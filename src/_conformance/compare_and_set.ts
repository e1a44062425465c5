// Private module: the compare-and-set part of the conformance suite, for
// stores that claim it. Writes conditional on absence or on an exact version,
// versions that never come back, and one winner among concurrent writers.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ConformanceContext } from "./_context.ts";

/** Registers the "compare-and-set" suite: what `ifVersion` promises. */
export function describeCompareAndSet(context: ConformanceContext): void {
  const { withStore, later, advanceSeconds } = context;

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
        await advanceSeconds(2);
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
}
