// Session data encrypted at rest (encryptAtRest): what the store holds, what
// it can and cannot change, and moving between clear and sealed records.
// The behaviour suites (manager, flash, lifetime, events) also run on an
// encrypting manager: see EVERY_BACKEND in tests/_backends.ts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import { hashSessionId } from "../src/session_id.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { SealedCookieStore } from "../src/stores/sealed_cookie.ts";
import { cookieValue } from "./_cookie_jar.ts";
import { RecordingStore } from "./_stores.ts";

const URL = "http://app.test/";
const SECRET = "a card number, 4111 1111 1111 1111";

/** A request carrying the session cookie of a `Set-Cookie`. */
function withCookie(setCookie: string | undefined): Request {
  return new Request(URL, {
    headers: { Cookie: `sid=${cookieValue(setCookie)}` },
  });
}

/** A manager over `store`, encrypting at rest unless told otherwise. */
function managerOver(store: MemoryStore | RecordingStore, encrypt = true) {
  return createSessionManager<{ card: string; count: number }, {
    notice: string;
  }>({ store, encryptAtRest: encrypt });
}

describe("encryptAtRest", () => {
  test("the store holds neither the id nor the values, only what listing needs", async () => {
    const store = new RecordingStore({ inProcess: true, subjects: true });
    const sessions = managerOver(store);
    const session = await sessions.load(new Request(URL));
    session.set("card", SECRET);
    session.flash("notice", "card saved");
    session.setSubject("user-1", { label: "Firefox on Linux" });
    await session.commit();
    const stored = store.setValues.at(-1)!;
    assert.ok(!stored.includes("4111"), "no value in clear");
    assert.ok(!stored.includes("card saved"), "no flash value in clear");
    assert.ok(!stored.includes(session.id), "no id");
    assert.match(stored, /"subject":"user-1"/);
    assert.match(stored, /"label":"Firefox on Linux"/);
    assert.match(stored, /"sealed":"[\w-]+"/);
    assert.ok(
      store.keys.every((key) => key !== session.id),
      "even an in-process store is keyed by the id's hash",
    );
    assert.ok(store.keys.includes(hashSessionId(session.id)));
    const listed = await sessions.listSessions("user-1");
    assert.equal(listed.length, 1);
    assert.equal(listed[0].label, "Firefox on Linux");
  });

  test("a request carrying the cookie reads its values back", async () => {
    const store = new MemoryStore();
    const sessions = managerOver(store);
    const first = await sessions.load(new Request(URL));
    first.set("card", SECRET);
    first.flash("notice", "card saved");
    const setCookie = await first.commit();
    const next = await sessions.load(withCookie(setCookie));
    assert.equal(next.get("card"), SECRET);
    assert.equal(next.takeFlash("notice"), "card saved");
  });

  test("a record whose readable part was changed in the store does not open, and is deleted", async () => {
    const inner = new MemoryStore();
    const sessions = managerOver(inner);
    const first = await sessions.load(new Request(URL));
    first.set("card", SECRET);
    const setCookie = await first.commit();
    const key = hashSessionId(first.id);
    const entry = (await inner.get(key))!;
    // An attacker with write access to the store moves the creation time
    // forward, to outlive the absolute timeout.
    const forged = entry.value.replace(
      /"createdAt":(\d+)/,
      (_, n) => `"createdAt":${Number(n) + 3600_000}`,
    );
    await inner.set(key, forged, { expiresAt: entry.expiresAt });
    const next = await sessions.load(withCookie(setCookie));
    assert.equal(next.isNew, true);
    assert.equal(await inner.get(key), undefined);
  });

  test("records written in clear are read, and sealed at their next write", async () => {
    const store = new RecordingStore({ inProcess: false });
    const clear = managerOver(store, false);
    const first = await clear.load(new Request(URL));
    first.set("card", SECRET);
    const setCookie = await first.commit();
    assert.ok(store.setValues.at(-1)!.includes("4111"));
    const sealed = managerOver(store);
    const next = await sealed.load(withCookie(setCookie));
    assert.equal(next.get("card"), SECRET);
    next.set("count", 1);
    await next.commit();
    assert.ok(!store.setValues.at(-1)!.includes("4111"));
    // And a manager that no longer encrypts still reads sealed records.
    const after = await clear.load(withCookie(setCookie));
    assert.equal(after.get("card"), SECRET);
    assert.equal(after.get("count"), 1);
  });

  test("concurrent updates of a sealed record lose nothing", async () => {
    const store = new MemoryStore();
    const sessions = managerOver(store);
    const first = await sessions.load(new Request(URL));
    first.set("count", 0);
    const setCookie = await first.commit();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const session = await sessions.load(withCookie(setCookie));
        session.update("count", (count = 0) => count + 1);
        await session.commit();
      }),
    );
    const last = await sessions.load(withCookie(setCookie));
    assert.equal(last.get("count"), 20);
  });

  test("regenerate() racing a change takes the change over to the new id", async () => {
    const store = new MemoryStore();
    const sessions = managerOver(store);
    const first = await sessions.load(new Request(URL));
    first.set("card", SECRET);
    const setCookie = await first.commit();
    const login = await sessions.load(withCookie(setCookie));
    const other = await sessions.load(withCookie(setCookie));
    other.set("count", 7);
    await other.commit();
    login.regenerate();
    const moved = await login.commit();
    const next = await sessions.load(withCookie(moved));
    assert.equal(next.get("card"), SECRET);
    assert.equal(next.get("count"), 7);
    const old = await sessions.load(withCookie(setCookie));
    assert.equal(old.get("card"), undefined);
  });

  test("invalid use throws at construction", () => {
    assert.throws(
      () =>
        createSessionManager({
          encryptAtRest: "yes" as unknown as boolean,
        }),
      {
        name: "TypeError",
        message:
          'Cannot create session manager: encryptAtRest must be a boolean, received "yes"',
      },
    );
    assert.throws(
      () =>
        createSessionManager({
          encryptAtRest: true,
          store: new SealedCookieStore({
            secrets: ["a test secret of at least 32 characters"],
          }),
        }),
      /encryptAtRest is for stores that keep records/,
    );
  });
});
