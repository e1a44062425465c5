// Concurrent saves of one session on a store that serves one call at a
// time and takes milliseconds for each, as one Durable Object, a database
// across a network or a busy machine does: the manager's retries must give
// every request its turn, not only those of a store that answers at once.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import { type StoreCall, WrappedStore } from "./_stores.ts";

/** A store that runs one call at a time, each `ms` long. */
class SerialStore extends WrappedStore {
  #queue: Promise<unknown> = Promise.resolve();
  constructor(readonly ms: number) {
    super();
  }

  protected override pass<T>(
    _call: StoreCall,
    run: () => Promise<T>,
  ): Promise<T> {
    const next = this.#queue.then(async () => {
      await new Promise((resolve) => setTimeout(resolve, this.ms));
      return await run();
    });
    this.#queue = next.catch(() => {});
    return next;
  }
}

describe("concurrent saves on a store that serves one call at a time", () => {
  for (const ms of [2, 5]) {
    test(`20 parallel increments of one session, ${ms} ms per store call, all land`, async () => {
      const sessions = createSessionManager<{ n: number }>({
        store: new SerialStore(ms),
      });
      const first = await sessions.load(new Request("http://app.test/"));
      first.set("n", 0);
      const cookie = (await first.commit())!.split(";", 1)[0];
      const request = () =>
        new Request("http://app.test/", { headers: { Cookie: cookie } });
      const loaded = await Promise.all(
        Array.from({ length: 20 }, () => sessions.load(request())),
      );
      for (const session of loaded) session.update("n", (n = 0) => n + 1);
      const results = await Promise.allSettled(
        loaded.map((session) => session.commit()),
      );
      const failed = results.filter((result) => result.status === "rejected");
      assert.deepEqual(failed, [], "a save gave up");
      const last = await sessions.load(request());
      assert.equal(last.get("n"), 20);
    });
  }
});
