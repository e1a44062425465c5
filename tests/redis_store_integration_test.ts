// RedisStore against a real redis-server started for this file: through
// ioredis on Deno and Node, through Bun's built-in client on Bun. The tests
// with a fake client (options, arguments, replies) are in
// redis_store_test.ts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { SessionStoreError } from "../src/errors.ts";
import { createSessionManager } from "../src/manager.ts";
import { createSessionId, hashSessionId } from "../src/session_id.ts";
import { RedisStore, type RedisStoreClient } from "../src/stores/redis.ts";
import { testSessionStore } from "../src/testing.ts";
import { cookiePair } from "./_cookie_jar.ts";
import {
  CLIENT_NAME,
  command,
  type Connection,
  connectTo,
  counting,
  keysUnder,
  parsingJson,
} from "./_redis.ts";
import {
  findRedisServer,
  freePort,
  type RedisServer,
  startRedisServer,
} from "./_redis_server.ts";

const APP_URL = "http://app.test/";
/** The longest the Redis-specific tests may take together. */
const SUITE_TIMEOUT_MS = 60_000;

let prefixes = 0;
/** A prefix that no other store of this run uses. */
function freshPrefix(): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `sesame-test:${random}-${++prefixes}:`;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

const serverPath = findRedisServer();

if (serverPath === undefined) {
  describe("RedisStore", () => {
    const message =
      "redis-server was not found (looked at $REDIS_SERVER, or else /usr/bin/redis-server and PATH)";
    if (process.env.CI === "true") {
      before(() => {
        throw new Error(`${message}: CI must run the Redis store tests`);
      });
      test("runs against a real redis-server", () => {
        throw new Error(message);
      });
    } else {
      console.warn(
        `\n!!! SKIPPING the RedisStore tests: ${message}. ` +
          "Install redis-server (Debian: apt-get install redis-server) to run them. !!!\n",
      );
      test("runs against a real redis-server", { skip: message }, () => {});
    }
  });
} else {
  registerRedisTests(serverPath);
}

function registerRedisTests(serverPath: string): void {
  describe(`RedisStore (${CLIENT_NAME})`, () => {
    let server: RedisServer | undefined;
    let connection: Connection | undefined;
    const opened: Connection[] = [];
    /** The shared client, once the server runs. */
    const shared: RedisStoreClient = {
      eval: (script, keys, args) => connection!.client.eval(script, keys, args),
    };
    const open = async (port: number, options?: { failFast?: boolean }) => {
      const opening = await connectTo(port, options);
      opened.push(opening);
      return opening;
    };

    before(async () => {
      server = await startRedisServer(serverPath);
      connection = await open(server.port);
    });

    after(async () => {
      await Promise.all(opened.map((each) => each.close()));
      await server?.stop();
    });

    const realTime = {
      now: () => Date.now(),
      advanceSeconds: (seconds: number) => sleep(seconds * 1000),
    };
    testSessionStore(`RedisStore (${CLIENT_NAME})`, {
      create: () => new RedisStore({ client: shared, prefix: freshPrefix() }),
      ...realTime,
    });
    testSessionStore(
      `RedisStore (${CLIENT_NAME}, replies parsed as JSON like @upstash/redis)`,
      {
        create: () =>
          new RedisStore({
            client: parsingJson(shared),
            prefix: freshPrefix(),
          }),
        ...realTime,
      },
    );

    describe("on Redis", { timeout: SUITE_TIMEOUT_MS }, () => {
      test("records hold a Redis TTL at their expiry, which touch() moves", async () => {
        const prefix = freshPrefix();
        const store = new RedisStore({ client: shared, prefix });
        const key = `${prefix}s:k`;
        const expiresAt = Date.now() + 60_000;
        await store.set("k", "v", { expiresAt });
        const ttl = Number(await command(shared, "PTTL", key));
        assert.ok(ttl > 0 && ttl <= 60_000, `PTTL ${ttl}`);
        assert.equal(
          Number(await command(shared, "PEXPIRETIME", key)),
          expiresAt,
        );
        const before = await store.get("k");
        assert.equal(await store.touch("k", expiresAt + 600_000), true);
        const grown = Number(await command(shared, "PTTL", key));
        assert.ok(grown > ttl + 500_000, `PTTL ${grown} after ${ttl}`);
        const after = await store.get("k");
        assert.equal(after?.expiresAt, expiresAt + 600_000);
        assert.equal(after?.version, before?.version);
        assert.equal(after?.value, "v");
      });

      test("a record is one string: its version, a colon and the value", async () => {
        const prefix = freshPrefix();
        const store = new RedisStore({ client: shared, prefix });
        const result = await store.set("k", '{"a":1}', {
          expiresAt: Date.now() + 60_000,
        });
        assert.ok(result.ok);
        assert.match(result.version!, /^[A-Za-z0-9_-]{22}$/);
        assert.deepEqual(await keysUnder(shared, prefix), [`${prefix}s:k`]);
        assert.equal(
          await command(shared, "GET", `${prefix}s:k`),
          `${result.version}:{"a":1}`,
        );
      });

      test("every set() writes a new version", async () => {
        const store = new RedisStore({ client: shared, prefix: freshPrefix() });
        const versions = new Set<string | undefined>();
        for (let i = 0; i < 20; i++) {
          const result = await store.set("k", "v", {
            expiresAt: Date.now() + 60_000,
          });
          versions.add(result.ok ? result.version : undefined);
        }
        assert.equal(versions.size, 20);
        assert.ok(!versions.has(undefined));
      });

      test("a write whose expiry has passed leaves no key", async () => {
        const prefix = freshPrefix();
        const store = new RedisStore({ client: shared, prefix });
        await store.set("k", "v", { expiresAt: Date.now() + 60_000 });
        for (const expiresAt of [Date.now() - 1_000, 0, -5]) {
          const result = await store.set("k", "v", { expiresAt });
          assert.deepEqual(result, { ok: false, expired: true });
          assert.equal(await store.get("k"), undefined);
          assert.deepEqual(await keysUnder(shared, prefix), []);
        }
        assert.equal(
          (await store.set("k", "v", {
            expiresAt: Date.now() - 1_000,
            ifVersion: null,
          })).ok,
          false,
        );
        assert.deepEqual(await keysUnder(shared, prefix), []);
      });

      test("touch() to a past expiry moves nothing and answers false", async () => {
        const prefix = freshPrefix();
        const store = new RedisStore({ client: shared, prefix });
        const expiresAt = Date.now() + 60_000;
        await store.set("k", "v", { expiresAt });
        assert.equal(await store.touch("k", Date.now() - 1), false);
        assert.equal((await store.get("k"))?.expiresAt, expiresAt);
      });

      test("an ifVersion the store never wrote does not match", async () => {
        const counter = counting(shared);
        const store = new RedisStore({
          client: counter.client,
          prefix: freshPrefix(),
        });
        await store.set("k", "v", { expiresAt: Date.now() + 60_000 });
        const calls = counter.calls;
        for (const ifVersion of ["", "1", "x".repeat(23), "a:b"]) {
          const result = await store.set("k", "w", {
            expiresAt: Date.now() + 60_000,
            ifVersion,
          });
          assert.equal(result.ok, false);
        }
        assert.equal(counter.calls, calls, "no call for an impossible version");
        assert.equal((await store.get("k"))?.value, "v");
      });

      test("a key under the prefix that the store did not write reads as no record", async () => {
        const prefix = freshPrefix();
        const store = new RedisStore({ client: shared, prefix });
        const expiry = String(Date.now() + 60_000);
        await command(shared, "SET", `${prefix}s:plain`, "{}", "PXAT", expiry);
        await command(
          shared,
          "SET",
          `${prefix}s:forever`,
          "A".repeat(22) + ":{}",
        );
        assert.equal(await store.get("plain"), undefined);
        assert.equal(await store.get("forever"), undefined);
        assert.equal(await store.touch("plain", Date.now() + 60_000), false);
        const created = await store.set("plain", "mine", {
          expiresAt: Date.now() + 60_000,
          ifVersion: null,
        });
        assert.equal(created.ok, true);
        assert.equal((await store.get("plain"))?.value, "mine");
      });

      test("sessions are stored under the prefix by the SHA-256 of their id, never the id", async () => {
        const prefix = freshPrefix();
        const sessions = createSessionManager<{ user: string }>({
          store: new RedisStore({ client: shared, prefix }),
          cookie: { name: "sid" },
        });
        const session = await sessions.load(new Request(APP_URL));
        session.set("user", "ada");
        const cookie = cookiePair(await session.commit());
        const id = cookie.slice("sid=".length);
        const keys = await keysUnder(shared, prefix);
        assert.deepEqual(keys, [`${prefix}s:${hashSessionId(id)}`]);
        assert.ok(keys.every((key) => !key.includes(id)));
        const stored = String(await command(shared, "GET", keys[0]));
        assert.ok(!stored.includes(id));
        const again = await sessions.load(
          new Request(APP_URL, { headers: { Cookie: cookie } }),
        );
        assert.equal(again.get("user"), "ada");
      });

      test("each manager operation is one round trip", async () => {
        const counter = counting(shared);
        const sessions = createSessionManager<{ n: number }>({
          store: new RedisStore({
            client: counter.client,
            prefix: freshPrefix(),
          }),
          cookie: { name: "sid" },
          touchIntervalSeconds: 0,
        });
        const count = async (run: () => Promise<unknown>) => {
          const start = counter.calls;
          await run();
          return counter.calls - start;
        };
        const load = (cookie?: string) =>
          sessions.load(
            new Request(APP_URL, { headers: cookie ? { Cookie: cookie } : {} }),
          );

        const fresh = await load();
        fresh.set("n", 1);
        let cookie = "";
        assert.equal(
          await count(async () => {
            cookie = cookiePair(await fresh.commit());
          }),
          1,
          "creating a session",
        );
        let session = await load();
        assert.equal(
          await count(async () => session = await load(cookie)),
          1,
          "loading a session",
        );
        session.set("n", 2);
        assert.equal(await count(() => session.commit()), 1, "saving a change");
        await sleep(5);
        session = await load(cookie);
        let setCookie: string | undefined;
        assert.equal(
          await count(async () => setCookie = await session.commit()),
          1,
          "extending the expiry",
        );
        assert.ok(setCookie, "the extension sends a cookie");
        session = await load(cookie);
        session.destroy();
        assert.equal(await count(() => session.commit()), 1, "destroying");
      });

      test("subject indexes are sorted sets that live as long as their last session", async () => {
        const prefix = freshPrefix();
        const store = new RedisStore({ client: shared, prefix });
        const soon = Date.now() + 60_000;
        const later = Date.now() + 120_000;
        await store.subjects.add("user:1", "k1", later);
        await store.subjects.add("user:1", "k2", soon);
        await store.subjects.add("user:1", "k1", soon);
        const key = `${prefix}u:user:1`;
        assert.equal(await command(shared, "TYPE", key), "zset");
        assert.equal(Number(await command(shared, "ZSCORE", key, "k1")), later);
        assert.equal(Number(await command(shared, "PEXPIRETIME", key)), later);
      });

      test("a subject never names a record, whatever its text", async () => {
        const prefix = freshPrefix();
        const store = new RedisStore({ client: shared, prefix });
        const expiresAt = Date.now() + 60_000;
        await store.set("k", "record", { expiresAt });
        for (const subject of ["k", "s:k", `${prefix}s:k`, "../s:k", "東京"]) {
          await store.subjects.add(subject, "k", expiresAt);
          assert.deepEqual(await store.subjects.list(subject), ["k"]);
        }
        assert.equal((await store.get("k"))?.value, "record");
        await store.subjects.remove("s:k", ["k"]);
        assert.equal((await store.get("k"))?.value, "record");
        assert.deepEqual(await store.subjects.list("k"), ["k"]);
      });

      test("list() drops expired keys from the set, and add() skips them", async () => {
        const prefix = freshPrefix();
        const store = new RedisStore({ client: shared, prefix });
        await store.subjects.add("u", "short", Date.now() + 300);
        await store.subjects.add("u", "long", Date.now() + 60_000);
        await store.subjects.add("u", "past", Date.now() - 1_000);
        assert.deepEqual((await store.subjects.list("u")).sort(), [
          "long",
          "short",
        ]);
        await sleep(400);
        assert.deepEqual(await store.subjects.list("u"), ["long"]);
        assert.equal(Number(await command(shared, "ZCARD", `${prefix}u:u`)), 1);
        await store.subjects.add("other", "past", Date.now() - 1_000);
        assert.deepEqual(await store.subjects.list("other"), []);
      });

      test("remove() forgets thousands of keys in one call", async () => {
        const counter = counting(shared);
        const store = new RedisStore({
          client: counter.client,
          prefix: freshPrefix(),
        });
        const expiresAt = Date.now() + 60_000;
        const keys = Array.from({ length: 2_500 }, (_, i) => `k${i}`);
        await Promise.all(
          keys.map((key) => store.subjects.add("u", key, expiresAt)),
        );
        const calls = counter.calls;
        await store.subjects.remove("u", keys.slice(0, 2_400));
        await store.subjects.remove("u", []);
        assert.equal(counter.calls, calls + 1);
        assert.deepEqual(
          (await store.subjects.list("u")).sort(),
          keys.slice(2_400).sort(),
        );
      });

      test("a failing backend rejects load() and commit() with SessionStoreError and the client's error as cause", async () => {
        const closed = await freePort();
        const { client } = await open(closed, { failFast: true });
        const errors: unknown[] = [];
        const sessions = createSessionManager({
          store: new RedisStore({
            client: {
              eval: (script, keys, args) =>
                client.eval(script, keys, args).catch((error) => {
                  errors.push(error);
                  throw error;
                }),
            },
          }),
          cookie: { name: "sid" },
        });
        const load = sessions.load(
          new Request(APP_URL, {
            headers: { Cookie: `sid=${createSessionId()}` },
          }),
        );
        await assert.rejects(load, (error) => {
          assert.ok(error instanceof SessionStoreError);
          assert.equal(error.operation, "get");
          assert.equal(error.cause, errors.at(-1));
          assert.ok(error.cause instanceof Error);
          return true;
        });
        const session = await sessions.load(new Request(APP_URL));
        session.set("user", "ada");
        await assert.rejects(session.commit(), (error) => {
          assert.ok(error instanceof SessionStoreError);
          assert.equal(error.operation, "set");
          assert.equal(error.cause, errors.at(-1));
          return true;
        });
        assert.equal(errors.length, 2);
      });

      test("the store recovers when redis-server is stopped and started again", async () => {
        const own = await startRedisServer(serverPath);
        try {
          const { client } = await open(own.port);
          const sessions = createSessionManager<{ user: string }>({
            store: new RedisStore({ client }),
            cookie: { name: "sid" },
          });
          const first = await sessions.load(new Request(APP_URL));
          first.set("user", "ada");
          const cookie = cookiePair(await first.commit());
          const request = () =>
            new Request(APP_URL, { headers: { Cookie: cookie } });
          assert.equal((await sessions.load(request())).get("user"), "ada");

          await own.stop();
          await assert.rejects(sessions.load(request()), SessionStoreError);

          // The database was not persisted: the session is gone, and a new
          // one can be saved as soon as the client has reconnected.
          await own.start();
          const deadline = Date.now() + 10_000;
          for (;;) {
            try {
              const session = await sessions.load(request());
              assert.equal(session.isNew, true);
              session.set("user", "grace");
              const next = cookiePair(await session.commit());
              const loaded = await sessions.load(
                new Request(APP_URL, { headers: { Cookie: next } }),
              );
              assert.equal(loaded.get("user"), "grace");
              break;
            } catch (error) {
              if (!(error instanceof SessionStoreError)) throw error;
              if (Date.now() > deadline) throw error;
              await sleep(50);
            }
          }
        } finally {
          await own.stop();
        }
      });
    });
  });
}
