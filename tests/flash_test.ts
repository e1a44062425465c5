// Flash values across requests: peek, take one or all, keep for one more
// request. Every test runs on every backend (both paths of the store
// backend, and the sealed cookie's).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import { CookieJar } from "./_cookie_jar.ts";
import { EVERY_BACKEND, setupWith, URL } from "./_backends.ts";

for (const { name, makeStore } of EVERY_BACKEND) {
  describe(`flash values on the ${name}`, () => {
    const setup = () => setupWith(makeStore);

    test("peekFlash() reads a flash value without taking it", async () => {
      const { visit } = setup();
      await visit((s) => s.flash("notice", "saved"));
      const { setCookie } = await visit((s) => {
        assert.equal(s.peekFlash("notice"), "saved");
        assert.equal(s.peekFlash("notice"), "saved");
      });
      assert.equal(setCookie, undefined, "peeking writes nothing");
      await visit((s) => assert.equal(s.takeFlash("notice"), "saved"));
      await visit((s) => assert.equal(s.peekFlash("notice"), undefined));
    });

    test("peekFlash() does not see a value this request took or flashed", async () => {
      const { visit } = setup();
      await visit((s) => s.flash("notice", "first"));
      await visit((s) => {
        s.takeFlash("notice");
        assert.equal(s.peekFlash("notice"), undefined);
        s.flash("notice", "second");
        assert.equal(s.peekFlash("notice"), undefined);
      });
      await visit((s) => assert.equal(s.peekFlash("notice"), "second"));
    });

    test("takeAllFlash() takes every waiting value once", async () => {
      const { visit } = setup();
      await visit((s) => s.flash("notice", "saved"));
      await visit((s) => s.set("count", 1));
      const { session } = await visit();
      assert.equal(session.peekFlash("notice"), "saved");
      await visit((s) => {
        assert.deepEqual(s.takeAllFlash(), { notice: "saved" });
        assert.deepEqual(s.takeAllFlash(), {});
      });
      await visit((s) => {
        assert.deepEqual(s.takeAllFlash(), {});
        assert.equal(s.takeFlash("notice"), undefined);
      });
    });

    test("takeAllFlash() of a session without flash values is empty and writes nothing", async () => {
      const { visit } = setup();
      await visit((s) => s.set("count", 1));
      const { setCookie } = await visit((s) =>
        assert.deepEqual(s.takeAllFlash(), {})
      );
      assert.equal(setCookie, undefined);
    });

    test("keepFlash(key) keeps a taken value for the next request, without a write", async () => {
      const { visit } = setup();
      await visit((s) => s.flash("notice", "saved"));
      const { setCookie } = await visit((s) => {
        assert.equal(s.takeFlash("notice"), "saved");
        s.keepFlash("notice");
        assert.equal(s.peekFlash("notice"), "saved");
      });
      assert.equal(setCookie, undefined, "nothing changed in the end");
      await visit((s) => assert.equal(s.takeFlash("notice"), "saved"));
      await visit((s) => assert.equal(s.takeFlash("notice"), undefined));
    });

    test("keepFlash() keeps every taken value; a value flashed anew wins", async () => {
      const sessions = createSessionManager<
        Record<string, unknown>,
        { notice: string; error: string }
      >({ store: makeStore(Date.now) });
      const jar = new CookieJar();
      const visit = async (
        run: (s: Awaited<ReturnType<typeof sessions.load>>) => void,
      ) => {
        const session = await sessions.load(jar.request(URL));
        run(session);
        jar.store(await session.commit());
      };
      await visit((s) => {
        s.flash("notice", "saved");
        s.flash("error", "late");
      });
      await visit((s) => {
        assert.deepEqual(s.takeAllFlash(), { notice: "saved", error: "late" });
        s.flash("error", "again");
        s.keepFlash();
      });
      await visit((s) =>
        assert.deepEqual(s.takeAllFlash(), { notice: "saved", error: "again" })
      );
    });

    test("keepFlash() after a commit flashes the taken value again", async () => {
      const { sessions, jar } = setup();
      await (async () => {
        const s = await sessions.load(jar.request(URL));
        s.flash("notice", "saved");
        jar.store(await s.commit());
      })();
      const s = await sessions.load(jar.request(URL));
      assert.equal(s.takeFlash("notice"), "saved");
      jar.store(await s.commit());
      s.keepFlash("notice");
      jar.store(await s.commit());
      const next = await sessions.load(jar.request(URL));
      assert.equal(next.takeFlash("notice"), "saved");
    });

    test("keepFlash() of a value not taken, or of nothing, changes nothing", async () => {
      const { visit } = setup();
      await visit((s) => s.flash("notice", "saved"));
      const { setCookie } = await visit((s) => {
        s.keepFlash("notice");
        s.keepFlash();
      });
      assert.equal(setCookie, undefined);
      await visit((s) => assert.equal(s.takeFlash("notice"), "saved"));
    });

    test("destroy() forgets the values taken before it", async () => {
      const { visit } = setup();
      await visit((s) => s.flash("notice", "saved"));
      await visit((s) => {
        s.takeFlash("notice");
        s.destroy();
        s.keepFlash();
      });
      await visit((s) => assert.equal(s.takeFlash("notice"), undefined));
    });
  });
}
