// RedisStore in a real Redis Cluster of three masters started for this file:
// the conformance suite and the model's properties through ioredis's
// `Cluster` (and the conformance suite again through node-redis's
// `createCluster`), on Deno, Bun and Node alike; then that the keys of many
// sessions spread over all three masters, that every store call names
// exactly the one key it touches, so listing and revoking a subject whose
// sessions live in different slots meets no CROSSSLOT error, and that a
// master that is down fails only the sessions it holds.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { Cluster } from "ioredis";
import { createCluster } from "redis";
import { SessionStoreError } from "../src/errors.ts";
import { createSessionManager } from "../src/manager.ts";
import { hashSessionId } from "../src/session_id.ts";
import { RedisStore, type RedisStoreClient } from "../src/stores/redis.ts";
import { testSessionStore } from "../src/testing.ts";
import { cookiePair, cookieValue } from "./_cookie_jar.ts";
import { redisBackend } from "./_model.ts";
import {
  registerModel,
  registerTouchAfterRotation,
} from "./_model_register.ts";
import {
  clusterUnavailable,
  findRedisCli,
  findRedisServer,
  MASTERS,
  type RedisCluster,
  startRedisCluster,
} from "./_redis_cluster.ts";

const APP_URL = "http://app.test/";
/** The model's seeds for this file: 70 and up. */
const MODEL_SEEDS = 70;
/** For the tests that start servers or make hundreds of calls (Bun's default is 5 s). */
const LONG = { timeout: 60_000 };
/** The longest any one call may take before it rejects. */
const CALL_TIMEOUT_MS = 10_000;

let prefixes = 0;
/** A prefix that no other store of this run uses. */
function freshPrefix(): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `sesame-cluster:${random}-${++prefixes}:`;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

const realTime = {
  now: () => Date.now(),
  advanceSeconds: (seconds: number) => sleep(seconds * 1000),
};

const unavailable = clusterUnavailable();

if (unavailable !== undefined) {
  describe("RedisStore on Redis Cluster", () => {
    if (process.env.CI === "true") {
      before(() => {
        throw new Error(
          `${unavailable}: CI must run the Redis Cluster store tests`,
        );
      });
      test("runs against a real Redis Cluster", () => {
        throw new Error(unavailable);
      });
    } else {
      console.warn(
        `\n!!! SKIPPING the RedisStore Redis Cluster tests: ${unavailable}. ` +
          "Install redis-server and redis-cli (Debian: apt-get install redis-server redis-tools) to run them. !!!\n",
      );
      test(
        "runs against a real Redis Cluster",
        { skip: unavailable },
        () => {},
      );
    }
  });
} else {
  const serverPath = findRedisServer()!;
  const cliPath = findRedisCli()!;
  // Started here rather than in before(): Bun gives a hook five seconds,
  // whatever its timeout option says.
  const cluster = await startRedisCluster(serverPath, cliPath);
  let nodeRedis: Connection;
  try {
    nodeRedis = await connectNodeRedis(cluster);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  registerClusterTests(cluster, connectIoredis(cluster), nodeRedis, {
    serverPath,
    cliPath,
  });
}

/** A connection to the cluster, and how to close it. */
interface Connection {
  client: RedisStoreClient;
  close(): Promise<void>;
}

/** ioredis's `Cluster` over the masters, with the adapter the docs give. */
function connectIoredis(cluster: RedisCluster): Connection {
  const redis = new Cluster(
    cluster.ports.map((port) => ({ host: "127.0.0.1", port })),
    {
      redisOptions: {
        connectTimeout: 2_000,
        commandTimeout: CALL_TIMEOUT_MS,
        maxRetriesPerRequest: 1,
      },
    },
  );
  // Failures reach the store as rejections; the events are noise here.
  redis.on("error", () => {});
  return {
    client: {
      eval: (script, keys, args) =>
        redis.eval(script, keys.length, ...keys, ...args),
    },
    close: async () => {
      redis.disconnect();
      await Promise.resolve();
    },
  };
}

/** node-redis's `createCluster` over the masters, with the documented adapter. */
async function connectNodeRedis(cluster: RedisCluster): Promise<Connection> {
  const redis = createCluster({
    rootNodes: cluster.ports.map((port) => ({
      url: `redis://127.0.0.1:${port}`,
    })),
    defaults: { socket: { connectTimeout: 2_000 } },
  });
  redis.on("error", () => {});
  await redis.connect();
  return {
    client: {
      eval: (script, keys, args) =>
        redis.eval(script, { keys, arguments: args }),
    },
    close: async () => {
      await redis.close();
    },
  };
}

/**
 * A client that remembers the keys of every call, and fails a call that
 * names other than exactly one key.
 */
function oneKeyPerCall(client: RedisStoreClient) {
  const seen = { calls: 0, keys: new Set<string>() };
  const checked: RedisStoreClient = {
    eval(script, keys, args) {
      seen.calls++;
      if (keys.length !== 1) {
        return Promise.reject(
          new Error(`a call named ${keys.length} keys: ${keys.join(", ")}`),
        );
      }
      seen.keys.add(keys[0]);
      return client.eval(script, keys, args);
    },
  };
  return { seen, client: checked };
}

function registerClusterTests(
  cluster: RedisCluster,
  ioredis: Connection,
  nodeRedis: Connection,
  { serverPath, cliPath }: { serverPath: string; cliPath: string },
): void {
  describe("RedisStore on Redis Cluster", () => {
    const viaIoredis = ioredis.client;
    const viaNodeRedis = nodeRedis.client;

    after(async () => {
      await ioredis.close();
      await nodeRedis.close();
      await cluster.stop();
    });

    testSessionStore("RedisStore on Redis Cluster (ioredis Cluster)", {
      create: () =>
        new RedisStore({
          client: oneKeyPerCall(viaIoredis).client,
          prefix: freshPrefix(),
        }),
      ...realTime,
    });
    testSessionStore("RedisStore on Redis Cluster (node-redis createCluster)", {
      create: () =>
        new RedisStore({
          client: oneKeyPerCall(viaNodeRedis).client,
          prefix: freshPrefix(),
        }),
      ...realTime,
    });

    describe("the model over RedisStore on Redis Cluster", () => {
      const backend = {
        ...redisBackend(() => oneKeyPerCall(viaIoredis).client),
        name: "RedisStore (real Redis Cluster of three masters, ioredis)",
      };
      registerModel(backend, false, MODEL_SEEDS);
      registerTouchAfterRotation(backend);
    });

    describe("keys across the cluster", () => {
      /** The keys under `pattern` that each master holds. */
      const perMaster = (pattern: string) =>
        Promise.all(
          cluster.ports.map((port) => cluster.keysOn(port, pattern)),
        );

      test(
        "the records of one subject's sessions spread over all three masters, and listing and revoking them meets no CROSSSLOT",
        LONG,
        async () => {
          const prefix = freshPrefix();
          const { seen, client } = oneKeyPerCall(viaIoredis);
          const sessions = createSessionManager<{ n: number }>({
            store: new RedisStore({ client, prefix }),
            cookie: { name: "sid" },
          });
          const cookies: string[] = [];
          for (let n = 0; n < 48; n++) {
            const session = await sessions.load(new Request(APP_URL));
            session.set("n", n);
            session.setSubject("user-1", { label: `device ${n}` });
            cookies.push(cookiePair(await session.commit()));
          }
          const load = (cookie: string) =>
            sessions.load(
              new Request(APP_URL, { headers: { Cookie: cookie } }),
            );

          const records = await perMaster(`${prefix}s:*`);
          for (const [i, held] of records.entries()) {
            assert.ok(
              held.length > 0,
              `master ${cluster.nodes[i]} holds none of the 48 records`,
            );
          }
          assert.equal(records.flat().length, 48);
          const slots = new Set(
            await Promise.all(records.flat().map((key) => cluster.slotOf(key))),
          );
          assert.ok(slots.size > MASTERS, `${slots.size} slots`);
          // The subject's index is one sorted set, on one master.
          assert.deepEqual((await perMaster(`${prefix}u:*`)).flat(), [
            `${prefix}u:user-1`,
          ]);

          const listed = await sessions.listSessions("user-1");
          assert.equal(listed.length, 48);
          assert.deepEqual(
            listed.map((info) => info.label).sort(),
            Array.from({ length: 48 }, (_, n) => `device ${n}`).sort(),
          );

          const kept = await load(cookies[0]);
          assert.equal(kept.get("n"), 0);
          assert.equal(
            await sessions.revokeSessions("user-1", { except: kept }),
            47,
          );
          assert.deepEqual(
            (await sessions.listSessions("user-1", kept)).map((info) => [
              info.label,
              info.current,
            ]),
            [["device 0", true]],
          );
          assert.equal((await perMaster(`${prefix}s:*`)).flat().length, 1);
          for (const cookie of cookies.slice(1)) {
            assert.equal((await load(cookie)).isNew, true);
          }
          assert.equal((await load(cookies[0])).get("n"), 0);

          const [last] = await sessions.listSessions("user-1");
          assert.equal(
            await sessions.revokeSession("user-1", last.handle),
            true,
          );
          assert.deepEqual(await sessions.listSessions("user-1"), []);
          assert.deepEqual((await perMaster(`${prefix}*`)).flat(), []);
          // Every call named the one key it touched, records and index alike.
          assert.ok(seen.calls > 48 * 2);
          assert.ok(seen.keys.has(`${prefix}u:user-1`));
        },
      );

      test(
        "the subject indexes of many subjects spread over all three masters",
        LONG,
        async () => {
          const prefix = freshPrefix();
          const store = new RedisStore({
            client: oneKeyPerCall(viaIoredis).client,
            prefix,
          });
          const expiresAt = Date.now() + 60_000;
          const subjects = Array.from({ length: 48 }, (_, n) => `user-${n}`);
          for (const subject of subjects) {
            await store.set(subject, "record", { expiresAt });
            await store.subjects.add(subject, subject, expiresAt);
          }
          const indexes = await perMaster(`${prefix}u:*`);
          for (const [i, held] of indexes.entries()) {
            assert.ok(held.length > 0, `master ${cluster.nodes[i]} holds none`);
          }
          assert.equal(indexes.flat().length, 48);
          for (const subject of subjects) {
            assert.deepEqual(await store.subjects.list(subject), [subject]);
          }
        },
      );

      test(
        "a master that is down fails its sessions with SessionStoreError, and the other masters' sessions keep working",
        LONG,
        async () => {
          // Without replicas, the others serve their slots only when the
          // cluster does not require full coverage.
          const own = await startRedisCluster(serverPath, cliPath, {
            serverArgs: ["--cluster-require-full-coverage", "no"],
          });
          const connection = connectIoredis(own);
          try {
            const prefix = freshPrefix();
            const sessions = createSessionManager<{ n: number }>({
              store: new RedisStore({ client: connection.client, prefix }),
              cookie: { name: "sid" },
            });
            const cookies: string[] = [];
            for (let n = 0; n < 12; n++) {
              const session = await sessions.load(new Request(APP_URL));
              session.set("n", n);
              cookies.push(cookiePair(await session.commit()));
            }
            const down = own.ports[1];
            const heldThere = new Set(await own.keysOn(down, `${prefix}s:*`));
            const onDown = (cookie: string) =>
              heldThere.has(`${prefix}s:${hashSessionId(cookieValue(cookie))}`);
            assert.ok(
              cookies.some(onDown),
              "the master to stop holds a session",
            );
            assert.ok(!cookies.every(onDown), "the others hold sessions too");

            await own.stopNode(down);
            for (const [n, cookie] of cookies.entries()) {
              const load = sessions.load(
                new Request(APP_URL, { headers: { Cookie: cookie } }),
              );
              if (onDown(cookie)) {
                await assert.rejects(load, SessionStoreError);
              } else {
                assert.equal((await load).get("n"), n);
              }
            }
          } finally {
            await connection.close();
            await own.stop();
          }
        },
      );

      test(
        "a hash tag in the prefix puts every key of the store in one slot",
        LONG,
        async () => {
          // What the docs warn against: it works, but on one master only.
          const prefix = `{${freshPrefix()}}`;
          const store = new RedisStore({ client: viaIoredis, prefix });
          const expiresAt = Date.now() + 60_000;
          for (let n = 0; n < 12; n++) {
            await store.set(`k${n}`, "v", { expiresAt });
            await store.subjects.add(`user-${n}`, `k${n}`, expiresAt);
          }
          const keys = (await perMaster(`${prefix}*`)).filter((held) =>
            held.length > 0
          );
          assert.equal(keys.length, 1, "one master holds them all");
          const slots = new Set(
            await Promise.all(keys[0].map((key) => cluster.slotOf(key))),
          );
          assert.equal(slots.size, 1);
        },
      );
    });
  });
}
