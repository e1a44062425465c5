// Private module: the sessions-over-the-store part of the conformance suite.
// A session manager over the store under concurrent requests: changes that
// merge, saves that race destroy() and regenerate(), the rotated cookie and
// its grace period, and listing and revoking a subject's sessions, also while
// a commit is half done or fails.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SessionStoreError, SessionTooLargeError } from "../errors.ts";
import { type ConformanceContext, login, SetGate, start } from "./_context.ts";

/** Registers the "sessions over the store" suite: a manager over the store. */
export function describeSessions(context: ConformanceContext): void {
  describe("sessions over the store", () => {
    describeMerges(context);
    describeRotation(context);
    describeSubjects(context);
  });
}

/** Changes of concurrent requests merge: different keys, update(), 20 parallel increments, a save racing destroy(). */
function describeMerges(context: ConformanceContext): void {
  const { withSessions } = context;

  test("two requests that change different keys both survive", () =>
    withSessions(async ({ load }) => {
      const cookie = await start(load);
      const a = await load(cookie);
      const b = await load(cookie);
      a.set("cart", ["tea"]);
      b.set("theme", "dark");
      await b.commit();
      await a.commit();
      const after = await load(cookie);
      assert.deepEqual(after.get("cart"), ["tea"]);
      assert.equal(after.get("theme"), "dark");
      assert.equal(after.get("count"), 0);
    }));

  test("update() re-applies on the value another request saved first", async (t) => {
    await withSessions(async ({ store, load }) => {
      if (!store.compareAndSet) {
        return t.skip("store has no compare-and-set");
      }
      const cookie = await start(load);
      const a = await load(cookie);
      const b = await load(cookie);
      assert.equal(a.update("count", (n = 0) => n + 1), 1);
      assert.equal(b.update("count", (n = 0) => n + 1), 1);
      await a.commit();
      await b.commit();
      assert.equal(
        b.get("count"),
        2,
        "the handle shows the committed value",
      );
      assert.equal((await load(cookie)).get("count"), 2);
    });
  });

  test("20 parallel increments end at exactly 20", async (t) => {
    await withSessions(async ({ store, load }) => {
      if (!store.compareAndSet) {
        return t.skip("store has no compare-and-set");
      }
      const cookie = await start(load);
      const seen = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const session = await load(cookie);
          session.update("count", (n = 0) => n + 1);
          await session.commit();
          return session.get("count");
        }),
      );
      assert.equal((await load(cookie)).get("count"), 20);
      assert.deepEqual(
        [...seen].sort((x, y) => x! - y!),
        Array.from({ length: 20 }, (_, i) => i + 1),
        "every request saw its own committed count",
      );
    });
  });

  test("a save racing destroy() does not bring the session back", () =>
    withSessions(async ({ load }) => {
      const cookie = await start(load);
      const saving = await load(cookie);
      const ending = await load(cookie);
      ending.destroy();
      assert.match((await ending.commit())!, /Max-Age=0/);
      saving.set("user", "mallory");
      assert.equal(await saving.commit(), undefined);
      assert.equal(saving.stale, true);
      const after = await load(cookie);
      assert.equal(after.isNew, true);
      assert.equal(after.get("user"), undefined);
    }));
}

/** Regeneration under concurrent requests: saves and touches of the old id, values taken over, the old cookie during and after its grace period. */
function describeRotation(context: ConformanceContext): void {
  const { withSessions, advanceSeconds } = context;

  test("a save racing regenerate() does not write to the old id", () =>
    withSessions(async ({ load, cookieOf }) => {
      const cookie = await start(load);
      const saving = await load(cookie);
      const login = await load(cookie);
      login.regenerate();
      login.set("user", "ada");
      const fresh = cookieOf(await login.commit());
      saving.set("theme", "dark");
      assert.equal(await saving.commit(), undefined);
      assert.equal(saving.stale, true);
      const old = await load(cookie);
      assert.equal(old.get("theme"), undefined);
      assert.equal(old.get("user"), undefined);
      const current = await load(fresh);
      assert.equal(current.get("user"), "ada");
      assert.equal(current.get("theme"), undefined);
    }));

  test("regenerate() takes over what a concurrent request saved first", async (t) => {
    await withSessions(async ({ store, load, cookieOf }) => {
      if (!store.compareAndSet) {
        return t.skip("store has no compare-and-set");
      }
      const cookie = await start(load);
      const login = await load(cookie);
      const saving = await load(cookie);
      saving.set("cart", ["tea"]);
      saving.update("count", (n = 0) => n + 1);
      await saving.commit();
      login.regenerate();
      login.set("user", "ada");
      const fresh = cookieOf(await login.commit());
      const current = await load(fresh);
      assert.deepEqual(current.get("cart"), ["tea"]);
      assert.equal(current.get("count"), 1);
      assert.equal(current.get("user"), "ada");
    });
  });

  test("a request still carrying the rotated cookie neither reaches the new session nor sends a cookie", () =>
    withSessions(async ({ store, load, cookieOf }) => {
      const cookie = await start(load);
      const login = await load(cookie);
      login.regenerate();
      login.set("user", "ada");
      const fresh = cookieOf(await login.commit());
      const late = await load(cookie);
      assert.equal(late.stale, true);
      assert.equal(late.get("user"), undefined);
      assert.equal(late.get("count"), undefined);
      late.update("count", (n = 0) => n + 1);
      late.regenerate();
      assert.equal(await late.commit(), undefined);
      const stillLate = await load(cookie);
      stillLate.destroy();
      assert.equal(await stillLate.commit(), undefined);
      const current = await load(fresh);
      assert.equal(current.get("user"), "ada");
      assert.equal(current.get("count"), 0);
      void store;
    }));

  test("a touch that loses to a regeneration sends nothing and leaves the old id's grace as it was", () =>
    withSessions(async ({ load, cookieOf }) => {
      const cookie = await start(load);
      const late = await load(cookie);
      const login = await load(cookie);
      login.regenerate();
      login.set("user", "ada");
      const fresh = cookieOf(await login.commit());
      // Time enough for the late request's expiry to be due to move.
      await advanceSeconds(0.01);
      assert.equal(await late.commit(), undefined, "no cookie, old or new");
      assert.equal(late.stale, true);
      assert.equal((await load(fresh)).get("user"), "ada");
      await advanceSeconds(2);
      const again = await load(cookie);
      assert.equal(again.stale, false, "the marker kept its grace period");
      assert.equal(again.isNew, true);
    }, { touchIntervalSeconds: 0 }));

  test("the rotated id is forgotten after the grace period", () =>
    withSessions(async ({ load }) => {
      const cookie = await start(load);
      const login = await load(cookie);
      login.regenerate();
      await login.commit();
      await advanceSeconds(2);
      const late = await load(cookie);
      assert.equal(late.stale, false);
      assert.equal(late.isNew, true);
      late.set("count", 5);
      const next = await late.commit();
      assert.ok(
        next && !next.startsWith(cookie + ";"),
        "a new id, never the old one",
      );
    }));
}

/** A subject's sessions: listing, revoking, leaving the list, also while a commit is half done or fails. */
function describeSubjects(context: ConformanceContext): void {
  const { withSessions, now, advanceSeconds } = context;

  test("listSessions() lists a subject's devices and marks the current one", async (t) => {
    await withSessions(async ({ store, sessions, load }) => {
      if (!store.subjects) return t.skip("store has no subject index");
      const laptop = await login(load, "user-1", "laptop");
      await advanceSeconds(1);
      const phone = await login(load, "user-1", "phone");
      await login(load, "user-2", "other user");
      const current = await load(phone);
      assert.equal(current.subject, "user-1");
      const listed = await sessions.listSessions("user-1", current);
      assert.deepEqual(
        listed.map(({ label, current }) => ({ label, current })),
        [{ label: "phone", current: true }, {
          label: "laptop",
          current: false,
        }],
      );
      for (const info of listed) {
        assert.equal(info.handle.length, 43);
        assert.ok(
          !laptop.includes(info.handle) && !phone.includes(info.handle),
        );
        assert.ok(info.expiresAt > now());
      }
      assert.deepEqual(await sessions.listSessions("nobody"), []);
    });
  });

  test("revokeSessions() ends every other session of the subject at once", async (t) => {
    await withSessions(async ({ store, sessions, load }) => {
      if (!store.subjects) return t.skip("store has no subject index");
      const devices = [];
      for (const label of ["a", "b", "c"]) {
        devices.push(await login(load, "user-1", label));
      }
      const other = await login(load, "user-2", "d");
      const keep = await load(devices[0]);
      const inFlight = await load(devices[1]);
      assert.equal(
        await sessions.revokeSessions("user-1", { except: keep }),
        2,
      );
      assert.equal((await load(devices[0])).get("user"), "user-1");
      assert.equal((await load(devices[1])).isNew, true);
      assert.equal((await load(devices[2])).isNew, true);
      assert.equal((await load(other)).get("user"), "user-2");
      inFlight.set("theme", "dark");
      assert.equal(await inFlight.commit(), undefined, "no resurrection");
      assert.equal((await load(devices[1])).isNew, true);
      assert.deepEqual(
        (await sessions.listSessions("user-1")).map((i) => i.label),
        ["a"],
      );
      assert.equal(await sessions.revokeSessions("user-1"), 1);
      assert.equal((await load(devices[0])).isNew, true);
    });
  });

  test("revokeSession() ends the one session named by its handle", async (t) => {
    await withSessions(async ({ store, sessions, load }) => {
      if (!store.subjects) return t.skip("store has no subject index");
      const laptop = await login(load, "user-1", "laptop");
      const phone = await login(load, "user-1", "phone");
      const [info] = (await sessions.listSessions("user-1"))
        .filter((i) => i.label === "phone");
      assert.equal(
        await sessions.revokeSession("user-2", info.handle),
        false,
      );
      assert.equal(
        await sessions.revokeSession("user-1", info.handle),
        true,
      );
      assert.equal(
        await sessions.revokeSession("user-1", info.handle),
        false,
      );
      assert.equal((await load(phone)).isNew, true);
      assert.equal((await load(laptop)).get("user"), "user-1");
    });
  });

  test("a regenerated or re-assigned session leaves its old place in the list", async (t) => {
    await withSessions(async ({ store, sessions, load, cookieOf }) => {
      if (!store.subjects) return t.skip("store has no subject index");
      const first = await login(load, "user-1", "laptop");
      const session = await load(first);
      session.regenerate();
      const second = cookieOf(await session.commit());
      assert.equal((await sessions.listSessions("user-1")).length, 1);
      const moved = await load(second);
      moved.setSubject("user-2");
      await moved.commit();
      assert.deepEqual(await sessions.listSessions("user-1"), []);
      assert.equal((await sessions.listSessions("user-2")).length, 1);
      const anonymous = await load(second);
      anonymous.setSubject(undefined);
      await anonymous.commit();
      assert.deepEqual(await sessions.listSessions("user-2"), []);
    });
  });

  test("a listing between a login's index entry and its record still lists the session", async (t) => {
    const gate = new SetGate();
    await withSessions(async ({ store, sessions, load, cookieOf }) => {
      if (!store.subjects) return t.skip("store has no subject index");
      const session = await load();
      session.setSubject("user-1");
      session.set("user", "user-1");
      gate.pauseNext();
      const committing = session.commit();
      await gate.paused;
      // The record is not written yet: the listing may or may not show
      // it, but must not forget it.
      for (const info of await sessions.listSessions("user-1")) {
        assert.equal(typeof info.handle, "string");
      }
      assert.equal(await sessions.revokeSessions("user-1"), 0);
      gate.resume();
      const cookie = cookieOf(await committing);
      const current = await load(cookie);
      assert.equal(current.subject, "user-1");
      const listed = await sessions.listSessions("user-1", current);
      assert.deepEqual(listed.map((info) => info.current), [true]);
      assert.equal(await sessions.revokeSessions("user-1"), 1);
      assert.equal((await load(cookie)).isNew, true);
    }, { wrap: (store) => gate.wrap(store) });
  });

  test("a change of subject that fails to save leaves the session listed where it was", async (t) => {
    const gate = new SetGate();
    await withSessions(async ({ store, sessions, load }) => {
      if (!store.subjects) return t.skip("store has no subject index");
      const cookie = await login(load, "user-1", "laptop");
      const tooLarge = await load(cookie);
      tooLarge.setSubject("user-2");
      tooLarge.set("theme", "x".repeat(2000));
      await assert.rejects(tooLarge.commit(), SessionTooLargeError);
      const failing = await load(cookie);
      failing.setSubject("user-2");
      gate.failNext();
      await assert.rejects(failing.commit(), SessionStoreError);
      const current = await load(cookie);
      assert.equal(current.subject, "user-1");
      assert.deepEqual(
        (await sessions.listSessions("user-1", current)).map((info) =>
          info.current
        ),
        [true],
      );
      assert.deepEqual(await sessions.listSessions("user-2"), []);
      assert.equal(await sessions.revokeSessions("user-1"), 1);
      assert.equal((await load(cookie)).isNew, true);
    }, { wrap: (store) => gate.wrap(store), maxRecordBytes: 1024 });
  });
}
