import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import { SessionTooLargeError } from "../src/errors.ts";
import { SealedCookieStore } from "../src/stores/sealed_cookie.ts";
import { CookieJar, cookiePair } from "./_cookie_jar.ts";
import { FakeClock } from "./_fake_clock.ts";
import { seededRandom } from "./_random.ts";

const SECRET = "a test secret that is long enough!";
const OTHER = "another secret, also long enough!!";
const URL = "http://app.test/";

type Data = { user: string; cart: string[]; blob: string };

function setup(secrets = [SECRET], idleTimeoutSeconds = 600) {
  const clock = new FakeClock();
  const sessions = createSessionManager<Data, { notice: string }>({
    store: new SealedCookieStore({ secrets }),
    now: clock.now,
    idleTimeoutSeconds,
  });
  const jar = new CookieJar();
  async function visit(
    run: (s: Awaited<ReturnType<typeof sessions.load>>) => unknown = () => {},
  ) {
    const session = await sessions.load(jar.request(URL));
    await run(session);
    const setCookie = await session.commit();
    jar.store(setCookie);
    return { session, setCookie };
  }
  return { clock, sessions, jar, visit };
}

describe("SealedCookieStore", () => {
  test("carries the session in the cookie, encrypted", async () => {
    const { visit, jar } = setup();
    const { setCookie } = await visit((s) => s.set("user", "ada lovelace"));
    assert.match(
      setCookie!,
      /^sid=[A-Za-z0-9_-]+; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    assert.doesNotMatch(jar.get("sid")!, /ada|lovelace/);
    await visit((s) => {
      assert.equal(s.isNew, false);
      assert.equal(s.get("user"), "ada lovelace");
    });
  });

  test("a read-only request sends no cookie, nothing is sealed", async () => {
    const { visit } = setup();
    assert.equal((await visit((s) => s.get("user"))).setCookie, undefined);
    await visit((s) => s.set("user", "ada"));
    assert.equal((await visit((s) => s.get("user"))).setCookie, undefined);
  });

  test("a tampered cookie counts as no session", async () => {
    const { visit, jar, sessions } = setup();
    await visit((s) => s.set("user", "ada"));
    const sealed = jar.get("sid")!;
    for (let i = 0; i < sealed.length; i += 7) {
      const flipped = sealed.slice(0, i) +
        (sealed[i] === "A" ? "B" : "A") + sealed.slice(i + 1);
      const session = await sessions.load(
        new Request(URL, { headers: { Cookie: `sid=${flipped}` } }),
      );
      assert.equal(session.get("user"), undefined, `flipped at ${i}`);
      assert.equal(session.isNew, true);
    }
  });

  test("hostile cookie values never throw and never load a session", async () => {
    const { sessions } = setup();
    const next = seededRandom(3);
    const values = [
      "",
      "A",
      "AAAA",
      "%00",
      "x".repeat(5000),
      "AQ" + "A".repeat(60),
    ];
    for (let i = 0; i < 200; i++) {
      let value = "";
      const length = Math.floor(next() * 120);
      for (let j = 0; j < length; j++) {
        value +=
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[
            Math.floor(next() * 64)
          ];
      }
      values.push(value);
    }
    for (const value of values) {
      const session = await sessions.load(
        new Request(URL, { headers: { Cookie: `sid=${value}` } }),
      );
      assert.equal(session.isNew, true);
    }
  });

  test("rotates secrets: the first seals, all unseal", async () => {
    const old = setup([OTHER]);
    await old.visit((s) => s.set("user", "ada"));
    const cookie = old.jar.header()!;
    const rotated = createSessionManager<Data>({
      store: new SealedCookieStore({ secrets: [SECRET, OTHER] }),
      now: old.clock.now,
    });
    const session = await rotated.load(
      new Request(URL, { headers: { Cookie: cookie } }),
    );
    assert.equal(session.get("user"), "ada");
    session.set("cart", ["tea"]);
    const resealed = cookiePair(await session.commit());
    const newOnly = createSessionManager<Data>({
      store: new SealedCookieStore({ secrets: [SECRET] }),
      now: old.clock.now,
    });
    assert.equal(
      (await newOnly.load(new Request(URL, { headers: { Cookie: cookie } })))
        .isNew,
      true,
      "a cookie sealed with a dropped secret is no session",
    );
    assert.equal(
      (await newOnly.load(new Request(URL, { headers: { Cookie: resealed } })))
        .get("user"),
      "ada",
      "a cookie resealed with the new secret still works",
    );
  });

  test("expiry inside the sealed payload is enforced on the server", async () => {
    const { visit, clock, jar, sessions } = setup([SECRET], 60);
    await visit((s) => s.set("user", "ada"));
    const cookie = jar.header()!;
    clock.advanceSeconds(60);
    const replay = await sessions.load(
      new Request(URL, { headers: { Cookie: cookie } }),
    );
    assert.equal(replay.isNew, true);
    assert.equal(replay.get("user"), undefined);
  });

  test("activity slides the expiry by resealing", async () => {
    const { visit, clock } = setup([SECRET], 60);
    await visit((s) => s.set("user", "ada"));
    for (let i = 0; i < 5; i++) {
      clock.advanceSeconds(50);
      const { setCookie } = await visit((s) =>
        assert.equal(s.get("user"), "ada")
      );
      assert.match(setCookie!, /Max-Age=60;/);
    }
  });

  test("flash values are read once", async () => {
    const { visit } = setup();
    await visit((s) => s.flash("notice", "saved"));
    await visit((s) => assert.equal(s.takeFlash("notice"), "saved"));
    await visit((s) => assert.equal(s.takeFlash("notice"), undefined));
  });

  test("regenerate() issues a new id; the old cookie stays valid until it expires", async () => {
    const { visit, jar, sessions } = setup();
    const { session: before } = await visit((s) => s.set("user", "ada"));
    const old = jar.header()!;
    const { session: after } = await visit((s) => s.regenerate());
    assert.notEqual(after.id, before.id);
    assert.notEqual(jar.header(), old);
    // The documented limit of a stateless store: no server-side revocation.
    const replay = await sessions.load(
      new Request(URL, { headers: { Cookie: old } }),
    );
    assert.equal(replay.get("user"), "ada");
  });

  test("destroy() expires the cookie", async () => {
    const { visit, jar } = setup();
    await visit((s) => s.set("user", "ada"));
    const { setCookie } = await visit((s) => s.destroy());
    assert.equal(setCookie, "sid=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
    assert.equal(jar.header(), undefined);
  });

  test("a session too large for one cookie throws before sending anything", async () => {
    const { sessions, jar, visit } = setup();
    await visit((s) => s.set("user", "ada"));
    const session = await sessions.load(jar.request(URL));
    session.set("blob", "x".repeat(4000));
    await assert.rejects(session.commit(), (error) => {
      assert.ok(error instanceof SessionTooLargeError);
      assert.equal(error.limit, 4096);
      assert.ok(error.bytes > 4096);
      assert.match(
        error.message,
        /^Cannot save session: the sealed cookie would take \d+ bytes, over the limit of 4096 bytes$/,
      );
      return true;
    });
    assert.equal(session.get("user"), "ada");
    await visit((s) => assert.equal(s.get("blob"), undefined));
  });

  test("listing a user's sessions is not possible", async () => {
    const { sessions } = setup();
    await assert.rejects(sessions.listSessions("user-1"), TypeError);
  });

  test("unseal() returns undefined for junk, never throws", async () => {
    const store = new SealedCookieStore({ secrets: [SECRET] });
    for (
      const junk of [
        "",
        "!!",
        "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "ä",
      ]
    ) {
      assert.equal(await store.unseal(junk), undefined);
    }
    assert.equal(await store.unseal(await store.seal("hello")), "hello");
  });

  test("refuses missing, short and mistyped secrets", () => {
    const cases: [unknown, string][] = [
      [
        undefined,
        "Cannot create sealed cookie store: secrets must be a non-empty array of strings or byte arrays, received undefined",
      ],
      [
        [],
        "Cannot create sealed cookie store: secrets must be a non-empty array of strings or byte arrays, received an array",
      ],
      [
        ["short"],
        "Cannot create sealed cookie store: secrets[0] must be at least 32 characters, received 5 characters (generate one with: openssl rand -base64 32)",
      ],
      [
        [SECRET, new Uint8Array(16)],
        "Cannot create sealed cookie store: secrets[1] must be at least 32 bytes, received 16 bytes",
      ],
      [
        [42],
        "Cannot create sealed cookie store: secrets[0] must be a string or a Uint8Array, received a value of type number",
      ],
    ];
    for (const [secrets, message] of cases) {
      assert.throws(
        () => new SealedCookieStore({ secrets } as never),
        { name: "TypeError", message },
      );
    }
  });
});
