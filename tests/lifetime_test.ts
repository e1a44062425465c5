// A session's own lifetime (Session.setLifetime()): stored with the session,
// bounded by the manager's maximums, carried through regenerate(), enforced
// on the server. Every behaviour test runs on every backend.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createSessionManager } from "../src/manager.ts";
import { parseRecord, serializeRecord } from "../src/_record.ts";
import { BACKENDS, EVERY_BACKEND, setupWith, URL } from "./_backends.ts";

/** The `Max-Age` of a `Set-Cookie`, or `undefined` when it has none. */
function maxAge(setCookie: string | undefined): number | undefined {
  assert.ok(setCookie, "a cookie was sent");
  const match = /; Max-Age=(\d+)/.exec(setCookie);
  return match === null ? undefined : Number(match[1]);
}

for (const { name, makeStore } of EVERY_BACKEND) {
  describe(`setLifetime() on the ${name}`, () => {
    const setup = (options?: Parameters<typeof setupWith>[1]) =>
      setupWith(makeStore, options);

    test("a session without a lifetime of its own keeps the manager's", async () => {
      const { visit } = setup();
      const { setCookie } = await visit((s) => s.set("count", 1));
      assert.equal(maxAge(setCookie), 1800);
    });

    test("a shorter idle timeout is honoured on the server, not only in the cookie", async () => {
      const { visit, clock } = setup();
      const { setCookie } = await visit((s) => {
        s.set("count", 1);
        s.setLifetime({ idleTimeoutSeconds: 60 });
      });
      assert.equal(maxAge(setCookie), 60);
      clock.advanceSeconds(59);
      await visit((s) => assert.equal(s.get("count"), 1));
      clock.advanceSeconds(60);
      await visit((s) => assert.equal(s.isNew, true));
    });

    test("the touch interval follows a shorter idle timeout", async () => {
      // The manager's: idle 1800 s, touch 180 s; the session's: idle 100 s,
      // so touch 10 s.
      const { visit, clock } = setup();
      await visit((s) => {
        s.set("count", 1);
        s.setLifetime({ idleTimeoutSeconds: 100 });
      });
      clock.advanceSeconds(9);
      assert.equal((await visit()).setCookie, undefined);
      clock.advanceSeconds(2);
      assert.equal(maxAge((await visit()).setCookie), 100);
    });

    test("a shorter absolute timeout ends an active session", async () => {
      const { visit, clock } = setup();
      await visit((s) => {
        s.set("count", 1);
        s.setLifetime({ absoluteTimeoutSeconds: 600 });
      });
      for (let i = 0; i < 5; i++) {
        clock.advanceSeconds(110);
        await visit((s) => assert.equal(s.get("count"), 1));
      }
      clock.advanceSeconds(51);
      await visit((s) => assert.equal(s.isNew, true));
    });

    test("a longer lifetime is lowered to the manager's maximums", async () => {
      const { visit, clock } = setup({ idleTimeoutSeconds: 600 });
      const { setCookie } = await visit((s) => {
        s.set("count", 1);
        s.setLifetime({ idleTimeoutSeconds: 6000 });
      });
      assert.equal(
        maxAge(setCookie),
        600,
        "maxIdleTimeoutSeconds defaults to idleTimeoutSeconds",
      );
      clock.advanceSeconds(601);
      await visit((s) => assert.equal(s.isNew, true));
    });

    test("raised maximums let a session live longer than the default", async () => {
      const days = 24 * 60 * 60;
      const { visit, clock } = setup({
        maxIdleTimeoutSeconds: 7 * days,
        maxAbsoluteTimeoutSeconds: 30 * days,
      });
      const { setCookie } = await visit((s) => {
        s.set("count", 1);
        s.setLifetime({
          idleTimeoutSeconds: 7 * days,
          absoluteTimeoutSeconds: 30 * days,
        });
      });
      assert.equal(maxAge(setCookie), 7 * days);
      for (let i = 0; i < 4; i++) {
        clock.advanceSeconds(6 * days);
        await visit((s) => assert.equal(s.get("count"), 1));
      }
      clock.advanceSeconds(6 * days + 1);
      await visit((s) => assert.equal(s.isNew, true));
    });

    test("a maximum lowered later ends sessions stored past it", async () => {
      const { visit, clock, store, jar } = setup({
        maxAbsoluteTimeoutSeconds: 86400,
      });
      await visit((s) => {
        s.set("count", 1);
        s.setLifetime({ absoluteTimeoutSeconds: 86400 });
      });
      for (let i = 0; i < 30; i++) {
        clock.advanceSeconds(1500);
        await visit((s) => assert.equal(s.get("count"), 1));
      }
      // 45,000 s old: within its own 86,400, past the manager's 43,200.
      const stricter = createSessionManager({ store, now: clock.now });
      const session = await stricter.load(jar.request(URL));
      assert.equal(session.isNew, true);
    });

    test("persistent: false sends the cookie without Max-Age, also when extended", async () => {
      const { visit, clock } = setup();
      const { setCookie } = await visit((s) => {
        s.set("count", 1);
        s.setLifetime({ persistent: false });
      });
      assert.equal(maxAge(setCookie), undefined);
      clock.advanceSeconds(600);
      const extended = await visit((s) => assert.equal(s.get("count"), 1));
      assert.equal(maxAge(extended.setCookie), undefined);
      clock.advanceSeconds(1801);
      await visit((s) => assert.equal(s.isNew, true));
    });

    test("persistent: true gives a Max-Age where the manager's cookie has none", async () => {
      const { visit } = setup({ cookie: { persistent: false } });
      const { setCookie } = await visit((s) => {
        s.set("count", 1);
        s.setLifetime({ persistent: true });
      });
      assert.equal(maxAge(setCookie), 1800);
    });

    test("the lifetime survives regenerate()", async () => {
      const { visit, clock } = setup();
      await visit((s) => {
        s.set("count", 1);
        s.setLifetime({ idleTimeoutSeconds: 120, persistent: false });
      });
      clock.advanceSeconds(60);
      const { setCookie, session } = await visit((s) => s.regenerate());
      assert.ok(setCookie?.startsWith("sid="));
      assert.equal(maxAge(setCookie), undefined);
      clock.advanceSeconds(119);
      await visit((s) => {
        assert.equal(s.get("count"), 1);
        assert.equal(s.id, session.id);
      });
      clock.advanceSeconds(121);
      await visit((s) => assert.equal(s.isNew, true));
    });

    test("setLifetime() on a stored session moves its expiry at once", async () => {
      const { visit, clock } = setup();
      await visit((s) => s.set("count", 1));
      clock.advanceSeconds(10);
      const { setCookie } = await visit((s) =>
        s.setLifetime({ idleTimeoutSeconds: 30 })
      );
      assert.equal(maxAge(setCookie), 30);
      clock.advanceSeconds(31);
      await visit((s) => assert.equal(s.isNew, true));
    });

    test("setLifetime({}) goes back to the manager's lifetime", async () => {
      const { visit, clock } = setup();
      await visit((s) => {
        s.set("count", 1);
        s.setLifetime({ idleTimeoutSeconds: 30 });
      });
      const { setCookie } = await visit((s) => s.setLifetime({}));
      assert.equal(maxAge(setCookie), 1800);
      clock.advanceSeconds(60);
      await visit((s) => assert.equal(s.get("count"), 1));
    });

    test("destroy() drops the lifetime: the next session has the manager's", async () => {
      const { visit } = setup();
      await visit((s) => {
        s.set("count", 1);
        s.setLifetime({ idleTimeoutSeconds: 30 });
      });
      const { setCookie } = await visit((s) => {
        s.destroy();
        s.set("count", 2);
      });
      assert.equal(maxAge(setCookie), 1800);
    });

    test("setLifetime() refuses what is not a lifetime", async () => {
      const { visit } = setup();
      await visit((s) => {
        assert.throws(() => s.setLifetime({ idleTimeoutSeconds: 0 }), {
          name: "TypeError",
          message:
            "Cannot set session lifetime: idleTimeoutSeconds must be a whole number of seconds above 0, received 0",
        });
        assert.throws(
          () => s.setLifetime({ absoluteTimeoutSeconds: 1.5 }),
          TypeError,
        );
        assert.throws(
          () => s.setLifetime({ persistent: "no" as unknown as boolean }),
          {
            message:
              "Cannot set session lifetime: persistent must be a boolean, received string",
          },
        );
        assert.throws(
          () => s.setLifetime(null as unknown as object),
          TypeError,
        );
      });
    });
  });
}

for (const { name, makeStore } of BACKENDS) {
  describe(`setLifetime() on the ${name}, under contention`, () => {
    test("a concurrent change keeps the lifetime another request set", async () => {
      const { visit, sessions, jar, clock } = setupWith(makeStore);
      await visit((s) => s.set("count", 1));
      const a = await sessions.load(jar.request(URL));
      const b = await sessions.load(jar.request(URL));
      a.setLifetime({ idleTimeoutSeconds: 60 });
      jar.store(await a.commit());
      b.set("user", "ada");
      await b.commit();
      clock.advanceSeconds(61);
      await visit((s) => assert.equal(s.isNew, true));
    });
  });
}

describe("the stored record's lifetime", () => {
  test("a record written before lifetimes existed reads as the manager's", () => {
    const record = parseRecord('{"createdAt":1,"data":{"a":1}}');
    assert.ok(record !== undefined && typeof record === "object");
    assert.equal(record.lifetime, undefined);
  });

  test("a lifetime round-trips, without fields it should not hold", () => {
    const text = serializeRecord({
      createdAt: 1,
      data: {},
      flash: {},
      lifetime: { idleTimeoutSeconds: 60, persistent: false },
    });
    assert.equal(
      text,
      '{"createdAt":1,"data":{},"lifetime":{"idleTimeoutSeconds":60,"persistent":false}}',
    );
    const record = parseRecord(
      '{"createdAt":1,"data":{},"lifetime":{"persistent":true,"extra":1}}',
    );
    assert.ok(record !== undefined && typeof record === "object");
    assert.deepEqual(record.lifetime, { persistent: true });
  });

  test("a record with a malformed lifetime is no record", () => {
    for (
      const lifetime of [
        "1",
        "[]",
        '{"idleTimeoutSeconds":0}',
        '{"absoluteTimeoutSeconds":"60"}',
        '{"persistent":1}',
      ]
    ) {
      assert.equal(
        parseRecord(`{"createdAt":1,"data":{},"lifetime":${lifetime}}`),
        undefined,
        lifetime,
      );
    }
  });
});

describe("the lifetime maximums", () => {
  for (
    const [options, message] of [
      [
        { idleTimeoutSeconds: 600, maxIdleTimeoutSeconds: 599 },
        "Cannot create session manager: maxIdleTimeoutSeconds must be a whole number from 600 to 9007199254740991, received 599",
      ],
      [
        { maxAbsoluteTimeoutSeconds: 60 },
        "Cannot create session manager: maxAbsoluteTimeoutSeconds must be a whole number from 43200 to 9007199254740991, received 60",
      ],
    ] as const
  ) {
    test(`rejects ${JSON.stringify(options)}`, () => {
      assert.throws(() => createSessionManager(options), {
        name: "RangeError",
        message,
      });
    });
  }
});
