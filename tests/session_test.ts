// The session handle alone: state and change tracking, no store, no I/O.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DELETED, SessionHandle } from "../src/_handle.ts";
import { NO_OWNER } from "../src/_record.ts";
import { isSessionId } from "../src/session_id.ts";

type Data = { count: number; user: string };
type Flash = { notice: string; error: string };

function handle(
  stored?: { data?: Record<string, unknown>; flash?: Record<string, unknown> },
) {
  const commits: SessionHandle[] = [];
  const session = new SessionHandle<Data, Flash>(
    new Request("http://app.test/"),
    (h) => {
      commits.push(h);
      return Promise.resolve();
    },
    stored && {
      id: "A".repeat(43),
      record: {
        key: "k",
        version: "1",
        expiresAt: 0,
        createdAt: 0,
        value: "",
      },
      data: stored.data ?? {},
      flash: stored.flash ?? {},
      owner: NO_OWNER,
    },
  );
  return { session, commits };
}

describe("SessionHandle", () => {
  test("a new handle has no values, no changes and a lazy id", () => {
    const { session } = handle();
    assert.equal(session.isNew, true);
    assert.equal(session.dirty, false);
    assert.ok(isSessionId(session.id));
    assert.equal(session.id, session.id);
    assert.equal(session.dirty, false, "reading the id is not a change");
  });

  test("set() and delete() record changes and update what get() sees", () => {
    const { session } = handle({ data: { count: 1, user: "ada" } });
    assert.equal(session.isNew, false);
    session.set("count", 2);
    session.delete("user");
    assert.equal(session.get("count"), 2);
    assert.equal(session.has("user"), false);
    assert.deepEqual([...session.changes ?? []], [["count", 2], [
      "user",
      DELETED,
    ]]);
  });

  test("flash() is not visible to takeFlash() in the same request", () => {
    const { session } = handle();
    session.flash("notice", "saved");
    assert.equal(session.takeFlash("notice"), undefined);
    assert.deepEqual([...session.flashChanges ?? []], [["notice", "saved"]]);
  });

  test("takeFlash() returns a stored flash value once and records its removal", () => {
    const { session } = handle({ flash: { notice: "hello" } });
    assert.equal(session.takeFlash("notice"), "hello");
    assert.equal(session.takeFlash("notice"), undefined);
    assert.deepEqual([...session.flashChanges ?? []], [["notice", DELETED]]);
  });

  test("peekFlash() reads without recording a change", () => {
    const { session } = handle({ flash: { notice: "hello" } });
    assert.equal(session.peekFlash("notice"), "hello");
    assert.equal(session.flashChanges, undefined);
    assert.equal(session.dirty, false);
  });

  test("takeAllFlash() takes every value; keepFlash() gives them back and drops the changes", () => {
    const { session } = handle({ flash: { notice: "hello", error: "oops" } });
    assert.deepEqual(session.takeAllFlash(), {
      notice: "hello",
      error: "oops",
    });
    assert.deepEqual([...session.flashChanges ?? []], [
      ["notice", DELETED],
      ["error", DELETED],
    ]);
    session.keepFlash("notice");
    assert.deepEqual([...session.flashChanges ?? []], [["error", DELETED]]);
    session.keepFlash();
    assert.equal(session.flashChanges, undefined);
    assert.equal(session.dirty, false);
    assert.equal(session.takeFlash("error"), "oops");
  });

  test("setLifetime() records a copy of the fields given, as a change", () => {
    const { session } = handle({ data: { count: 1 } });
    const lifetime = { idleTimeoutSeconds: 60, persistent: false };
    session.setLifetime(lifetime);
    lifetime.idleTimeoutSeconds = 1;
    assert.deepEqual(session.lifetime, {
      idleTimeoutSeconds: 60,
      persistent: false,
    });
    assert.equal(session.lifetimeChanged, true);
    assert.equal(session.dirty, true);
    session.setLifetime({});
    assert.equal(session.lifetime, undefined);
    assert.equal(session.lifetimeChanged, true);
  });

  test("destroy() remembers the subject of the session it ended, for its event", () => {
    const { session } = handle({ data: { count: 1 } });
    session.setSubject("user-1");
    session.setLifetime({ idleTimeoutSeconds: 60 });
    session.destroy();
    assert.equal(session.destroyedSubject, "user-1");
    assert.equal(session.subject, undefined);
    assert.equal(session.lifetime, undefined);
    assert.equal(session.lifetimeChanged, false);
  });

  test("regenerate() keeps the values and retires the stored record", () => {
    const { session } = handle({ data: { count: 3 } });
    const before = session.id;
    session.regenerate();
    assert.notEqual(session.id, before);
    assert.equal(session.get("count"), 3);
    assert.equal(session.regeneratedFrom?.key, "k");
    assert.equal(session.isNew, false);
    assert.equal(session.dirty, true);
  });

  test("an update(), set() or flash() that throws records no change", () => {
    const { session } = handle();
    assert.throws(
      () =>
        session.update("count", () => {
          throw new Error("refused");
        }),
      /refused/,
    );
    assert.throws(
      () => session.update("count", () => (() => 1) as unknown as number),
      TypeError,
    );
    assert.throws(
      () => session.set("count", Symbol("x") as unknown as number),
      TypeError,
    );
    assert.throws(
      () => session.flash("notice", 1n as unknown as string),
      TypeError,
    );
    assert.equal(session.get("count"), undefined);
    assert.equal(
      session.dirty,
      false,
      "nothing to write, no session to create",
    );
  });

  test("destroy() clears everything and makes the handle a new session", () => {
    const { session } = handle({ data: { count: 3 }, flash: { notice: "x" } });
    const before = session.id;
    session.set("user", "ada");
    session.destroy();
    assert.equal(session.destroyed, true);
    assert.equal(session.isNew, true);
    assert.equal(session.get("count"), undefined);
    assert.equal(session.takeFlash("notice"), undefined);
    assert.equal(session.dirty, false);
    assert.equal(session.destroyedKey, "k");
    assert.equal(session.regeneratedFrom, undefined);
    assert.notEqual(session.id, before);
  });

  test("commit() runs the manager's commit and returns the cookie it owes", async () => {
    const { session, commits } = handle();
    session.markCleared("sid=x");
    assert.equal(await session.commit(), "sid=x");
    assert.deepEqual(commits, [session]);
  });

  test("overlapping commit() calls run one after another", async () => {
    const order: string[] = [];
    const session = new SessionHandle(
      new Request("http://app.test/"),
      async () => {
        order.push("start");
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push("end");
      },
    );
    await Promise.all([session.commit(), session.commit()]);
    assert.deepEqual(order, ["start", "end", "start", "end"]);
  });

  test("a failed commit() does not block the next one", async () => {
    let fail = true;
    const session = new SessionHandle(new Request("http://app.test/"), () => {
      if (fail) return Promise.reject(new Error("down"));
      return Promise.resolve();
    });
    await assert.rejects(session.commit(), { message: "down" });
    fail = false;
    assert.equal(await session.commit(), undefined);
  });
});
