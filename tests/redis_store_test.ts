// RedisStore without a server: fake clients answer, so that the store's
// own checks (its options, its arguments) and its reading of replies run
// without I/O. The tests against a real redis-server are in
// redis_store_integration_test.ts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SessionStoreError } from "../src/errors.ts";
import { createSessionManager } from "../src/manager.ts";
import { createSessionId } from "../src/session_id.ts";
import { RedisStore, type RedisStoreClient } from "../src/stores/redis.ts";
import { counting, replying } from "./_redis.ts";

const APP_URL = "http://app.test/";

describe("RedisStore", () => {
  test("an expiry that is not a number Redis can hold rejects before any call", async () => {
    const counter = counting(replying(null));
    const store = new RedisStore({ client: counter.client });
    await assert.rejects(store.set("k", "v", { expiresAt: NaN }), {
      name: "TypeError",
      message:
        "Cannot set session record in Redis: expiresAt must be a number, received NaN",
    });
    for (const expiresAt of [Infinity, 2 ** 60]) {
      await assert.rejects(store.touch("k", expiresAt), {
        name: "RangeError",
        message:
          `Cannot touch session record in Redis: expiresAt must be a number of milliseconds from -9007199254740991 to 9007199254740991, received ${expiresAt}`,
      });
    }
    await assert.rejects(store.subjects.add("u", "k", -Infinity), {
      name: "RangeError",
    });
    assert.equal(counter.calls, 0);
  });

  describe("with malformed replies", () => {
    const malformedGets: [unknown, string][] = [
      ["OK", '"OK"'],
      [["only one"], "an array"],
      [["v", "soon"], "an array"],
      [[1, 2], "an array"],
      [7, "7"],
    ];
    for (const [reply, shown] of malformedGets) {
      test(
        `get() rejects the reply ${JSON.stringify(reply)} with a clear Error`,
        async () => {
          const store = new RedisStore({ client: replying(reply) });
          await assert.rejects(store.get("k"), {
            name: "Error",
            message:
              `Cannot get session record from Redis: expected nil or an array of a string and a whole number in reply, received ${shown}`,
          });
        },
      );
    }

    test("get() reads nil in every shape clients give it", async () => {
      for (const reply of [null, undefined, false]) {
        const store = new RedisStore({ client: replying(reply) });
        assert.equal(await store.get("k"), undefined);
      }
    });

    test("get() reads bytes as UTF-8 and integers in any shape", async () => {
      const expiresAt = Date.now() + 60_000;
      const stored = "A".repeat(22) + ':{"text":"東京"}';
      for (
        const reply of [
          [stored, expiresAt],
          [new TextEncoder().encode(stored), String(expiresAt)],
          [stored, BigInt(expiresAt)],
        ]
      ) {
        const store = new RedisStore({ client: replying(reply) });
        assert.deepEqual(await store.get("k"), {
          value: '{"text":"東京"}',
          expiresAt,
          version: "A".repeat(22),
        });
      }
    });

    test("set(), touch() and list() reject replies of the wrong shape", async () => {
      const store = new RedisStore({ client: replying("OK") });
      await assert.rejects(store.set("k", "v", { expiresAt: 1 }), {
        name: "Error",
        message:
          'Cannot set session record in Redis: expected 1, 0 or 2 in reply, received "OK"',
      });
      await assert.rejects(store.touch("k", 1), {
        name: "Error",
        message:
          'Cannot touch session record in Redis: expected 1 or 0 in reply, received "OK"',
      });
      await assert.rejects(store.subjects.list("u"), {
        name: "Error",
        message:
          'Cannot list sessions of subject in Redis: expected an array of strings in reply, received "OK"',
      });
      const nested = new RedisStore({ client: replying([["k"]]) });
      await assert.rejects(nested.subjects.list("u"), {
        message:
          "Cannot list sessions of subject in Redis: expected an array of strings in reply, received an array",
      });
    });

    test("the manager reports a malformed reply as SessionStoreError", async () => {
      const sessions = createSessionManager({
        store: new RedisStore({ client: replying("OK") }),
        cookie: { name: "sid" },
      });
      await assert.rejects(
        sessions.load(
          new Request(APP_URL, {
            headers: { Cookie: `sid=${createSessionId()}` },
          }),
        ),
        (error) => {
          assert.ok(error instanceof SessionStoreError);
          assert.match(
            (error.cause as Error).message,
            /^Cannot get session record from Redis: expected/,
          );
          return true;
        },
      );
    });
  });

  test("every script names in KEYS the one key it touches, so Redis Cluster routes it", async () => {
    const calls: { script: string; keys: string[] }[] = [];
    let reply: unknown = null;
    const store = new RedisStore({
      client: {
        eval(script, keys) {
          calls.push({ script, keys });
          return Promise.resolve(reply);
        },
      },
      prefix: "app:",
    });
    const expiresAt = Date.now() + 60_000;
    const ifVersion = "A".repeat(22);
    reply = null;
    await store.get("k");
    reply = 1;
    for (const precondition of [undefined, null, ifVersion]) {
      await store.set("k", "v", { expiresAt, ifVersion: precondition });
    }
    await store.touch("k", expiresAt);
    await store.touch("k", expiresAt, { ifVersion });
    await store.delete("k");
    await store.subjects.add("user-1", "k", expiresAt);
    await store.subjects.remove("user-1", ["k", "k2"]);
    reply = [];
    await store.subjects.list("user-1");

    assert.deepEqual(calls.map(({ keys }) => keys), [
      ...Array(7).fill(["app:s:k"]),
      ...Array(3).fill(["app:u:user-1"]),
    ]);
    for (const { script } of calls) {
      // KEYS[1] and nothing else: no other key, no key built in Lua.
      assert.deepEqual(
        [...new Set(script.match(/KEYS(\[\w*\])?/g))],
        ["KEYS[1]"],
        script,
      );
    }
  });

  describe("construction", () => {
    const client = replying(null);

    test("rejects a client without eval()", () => {
      for (
        const [value, shown] of [
          [undefined, "undefined"],
          [null, "null"],
          [{}, "an object"],
          [{ eval: "EVAL" }, "an object"],
        ] as const
      ) {
        assert.throws(
          () =>
            new RedisStore({ client: value as unknown as RedisStoreClient }),
          {
            name: "TypeError",
            message:
              `Cannot create Redis store: client must have an eval(script, keys, args) method, received ${shown}`,
          },
        );
      }
    });

    test("rejects a prefix that is not a string", () => {
      assert.throws(
        () => new RedisStore({ client, prefix: 5 as unknown as string }),
        {
          name: "TypeError",
          message:
            "Cannot create Redis store: prefix must be a string, received 5",
        },
      );
    });

    test("rejects options that are not an object", () => {
      assert.throws(
        () =>
          new RedisStore(
            undefined as unknown as { client: RedisStoreClient },
          ),
        {
          name: "TypeError",
          message:
            "Cannot create Redis store: options must be an object, received undefined",
        },
      );
    });

    test("sends nothing until first used, and does not change the options", () => {
      const counter = counting(client);
      const options = Object.freeze({ client: counter.client, prefix: "" });
      const store = new RedisStore(options);
      assert.equal(counter.calls, 0);
      assert.equal(store.compareAndSet, true);
      assert.equal("inProcess" in store, false);
    });
  });
});
