// Private module: the subject index part of the conformance suite, for
// stores that have one. Adding, listing and removing the keys of a subject.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ConformanceContext } from "./_context.ts";

/** Registers the "subject index" suite: `store.subjects` on its own. */
export function describeSubjectIndex(context: ConformanceContext): void {
  const { withStore, later } = context;

  describe("subject index", () => {
    test("add() then list() gives each key once", async (t) => {
      await withStore(async (store) => {
        const subjects = store.subjects;
        if (subjects === undefined) {
          return t.skip("store has no subject index");
        }
        await subjects.add("user-1", "k1", later(600));
        await subjects.add("user-1", "k2", later(600));
        await subjects.add("user-1", "k1", later(900));
        assert.deepEqual((await subjects.list("user-1")).sort(), [
          "k1",
          "k2",
        ]);
      });
    });

    test("subjects are kept apart and remove() forgets only the keys given", async (t) => {
      await withStore(async (store) => {
        const subjects = store.subjects;
        if (subjects === undefined) {
          return t.skip("store has no subject index");
        }
        for (
          const [subject, key] of [["a", "k1"], ["a", "k2"], ["a", "k3"], [
            "b",
            "k4",
          ], ["ä", "k5"]]
        ) {
          await subjects.add(subject, key, later(600));
        }
        await subjects.remove("a", ["k1", "k3", "missing"]);
        assert.deepEqual(await subjects.list("a"), ["k2"]);
        assert.deepEqual(await subjects.list("b"), ["k4"]);
        assert.deepEqual(await subjects.list("ä"), ["k5"]);
        assert.deepEqual(await subjects.list("nobody"), []);
        await subjects.remove("nobody", ["k1"]);
      });
    });
  });
}
