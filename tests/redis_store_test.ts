// RedisStore against a real redis-server started for this file: through
// ioredis on Deno and Node, through Bun's built-in client on Bun.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { SessionStoreError } from "../src/errors.ts";
import { createSessionManager } from "../src/manager.ts";
import { createSessionId, hashSessionId } from "../src/session_id.ts";
import { RedisStore, type RedisStoreClient } from "../src/stores/redis.ts";
import { testSessionStore } from "../src/testing.ts";
import {
  findRedisServer,
  freePort,
  type RedisServer,
  startRedisServer,
} from "./_redis_server.ts";

const APP_URL = "http://app.test/";
const IS_BUN = "Bun" in globalThis;
const CLIENT_NAME = IS_BUN ? "Bun RedisClient" : "ioredis";
/** The longest any one store call may take before the test fails. */
const CALL_TIMEOUT_MS = 10_000;
/** The longest the Redis-specific tests may take together. */
const SUITE_TIMEOUT_MS = 60_000;

/** A connection to Redis through the runtime's client, and how to close it. */
interface Connection {
  /** The client as the store takes it; every call is bounded in time. */
  client: RedisStoreClient;
  close(): Promise<void>;
}

/** The part of Bun's `RedisClient` that these tests use. */
interface BunRedisClient {
  readonly connected: boolean;
  connect(): Promise<void>;
  send(command: string, args: string[]): Promise<unknown>;
  close(): void;
}

/**
 * Connects to `port` of 127.0.0.1. With `failFast`, ioredis makes one
 * connection attempt and rejects calls instead of retrying (Bun's adapter
 * always fails fast while Redis is down).
 */
async function connectTo(
  port: number,
  { failFast = false } = {},
): Promise<Connection> {
  let client: RedisStoreClient;
  let close: () => Promise<void>;
  if (IS_BUN) {
    // Resolved at run time only, so that Deno and Node never look for it.
    const bun = "bun";
    const { RedisClient } = await import(bun) as {
      RedisClient: new (
        url: string,
        options: Record<string, unknown>,
      ) => BunRedisClient;
    };
    // Bun's client never reconnects by itself once a connection has failed
    // (it rejects every later command), so the adapter reconnects when
    // needed; without autoReconnect, a call fails at once while Redis is down
    // instead of after ~30 s of retries.
    const redis = new RedisClient(`redis://127.0.0.1:${port}`, {
      autoReconnect: false,
      connectionTimeout: 2_000,
    });
    client = {
      async eval(script, keys, args) {
        if (!redis.connected) await redis.connect();
        return await redis.send("EVAL", [
          script,
          String(keys.length),
          ...keys,
          ...args,
        ]);
      },
    };
    close = () => Promise.resolve(redis.close());
  } else {
    const { Redis } = await import("ioredis");
    const redis = new Redis({
      host: "127.0.0.1",
      port,
      lazyConnect: true,
      connectTimeout: 2_000,
      commandTimeout: CALL_TIMEOUT_MS,
      // Fail a call after one reconnection attempt rather than queue it.
      maxRetriesPerRequest: failFast ? 0 : 1,
      retryStrategy: failFast ? () => null : () => 50,
    });
    // Failures reach the store as rejections; the events are noise here.
    redis.on("error", () => {});
    client = {
      eval: (script, keys, args) =>
        redis.eval(script, keys.length, ...keys, ...args),
    };
    close = async () => {
      redis.disconnect();
      await Promise.resolve();
    };
  }
  return { client: bounded(client), close };
}

/** A client whose calls reject when they take longer than CALL_TIMEOUT_MS. */
function bounded(client: RedisStoreClient): RedisStoreClient {
  return {
    eval(script, keys, args) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`EVAL took over ${CALL_TIMEOUT_MS} ms`)),
          CALL_TIMEOUT_MS,
        );
      });
      return Promise.race([client.eval(script, keys, args), timeout])
        .finally(() => clearTimeout(timer));
    },
  };
}

/** A client that counts its calls. */
function counting(client: RedisStoreClient) {
  const counter = {
    calls: 0,
    client: {
      eval(script: string, keys: string[], args: string[]) {
        counter.calls++;
        return client.eval(script, keys, args);
      },
    } satisfies RedisStoreClient,
  };
  return counter;
}

/**
 * A client that parses replies as JSON the way `@upstash/redis` does by
 * default: every string that is JSON text becomes its value (a number only
 * when it converts back to the same text), recursively through arrays.
 */
function parsingJson(client: RedisStoreClient): RedisStoreClient {
  const parse = (reply: unknown): unknown => {
    if (Array.isArray(reply)) return reply.map(parse);
    if (typeof reply !== "string") return reply;
    try {
      const value: unknown = JSON.parse(reply);
      return typeof value === "number" && String(value) !== reply
        ? reply
        : value;
    } catch {
      return reply;
    }
  };
  return {
    eval: async (script, keys, args) =>
      parse(await client.eval(script, keys, args)),
  };
}

/** A client that answers every call with `reply`. */
function replying(reply: unknown): RedisStoreClient {
  return { eval: () => Promise.resolve(reply) };
}

let prefixes = 0;
/** A prefix that no other store of this run uses. */
function freshPrefix(): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `sesame-test:${random}-${++prefixes}:`;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs a Lua one-liner on `key` through the store's own client interface. */
function command(
  client: RedisStoreClient,
  name: string,
  key: string,
  ...args: string[]
): Promise<unknown> {
  return client.eval(
    `return redis.call('${name}', KEYS[1], unpack(ARGV))`,
    [key],
    args,
  );
}

/** The keys under `prefix`, sorted. */
async function keysUnder(
  client: RedisStoreClient,
  prefix: string,
): Promise<string[]> {
  const keys = await client.eval(
    "return redis.call('KEYS', ARGV[1])",
    [],
    [prefix + "*"],
  );
  return (keys as string[]).map(String).sort();
}

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
          assert.deepEqual(result, { ok: false });
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

      test("an expiry that is not a number Redis can hold rejects before any call", async () => {
        const counter = counting(shared);
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
        const cookie = (await session.commit())!.split(";")[0];
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
            cookie = (await fresh.commit())!.split(";")[0];
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
          const cookie = (await first.commit())!.split(";")[0];
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
              const next = (await session.commit())!.split(";")[0];
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
            'Cannot set session record in Redis: expected 1 or 0 in reply, received "OK"',
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
}
