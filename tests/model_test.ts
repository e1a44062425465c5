// Model-based and differential tests of the session manager.
//
// The model: fast-check generates concurrent requests over a few sessions
// (loads by a cookie from the ids sent so far, changes, commits, clock
// advances past the touch interval, listings and revocations) together with
// the order in which their store calls land (tests/_model.ts holds every
// store call at a gate until a generated `release` lets it through; it says
// why that is not fc.scheduler()). After every step a small reference model
// checks the promises of the README's "Concurrency" and "A user's sessions"
// sections:
//
// 1. no lost update where the store has compare-and-set: every increment of
//    a commit that resolved and left its handle fresh is in the session's
//    final count, across regenerations;
// 2. no resurrection: an id ended by a resolved destroy() or a revocation
//    never loads as a live session again;
// 3. no old id sent after a rotation: no commit resolving after a
//    regeneration sends the old id, and a save of the old id that starts
//    after it ends stale;
// 4. every live session with a subject is listed, and a revocation that ran
//    alone leaves no live session of its subject;
// 5. a stale handle sends nothing;
// 6. with a clock that differs from real time and the default store, a
//    cookie sent is a session found (a property of its own, below).
//
// Each promise is its own property over the in-process backends, so that
// each broken promise shrinks to its own counterexample; over Redis and
// Deno KV one property checks them all, with fewer runs. A failure prints
// fast-check's seed and path, the shrunk command list and the history of
// the run (which store call of which request landed when). SESAME_MODEL_RUNS
// multiplies the number of runs, SESAME_MODEL_SEED changes the seed, and
// SESAME_MODEL_REPLAY replays a printed failure (see below).
//
// The differential test runs the same generated requests through the
// memory store's synchronous path and through its asynchronous one (the
// store behind a delegating object), with fake clocks in step, and compares
// what the application sees, step by step. Each load and commit finishes
// before the next step starts, so both worlds are deterministic; a request
// may stay open while others commit, which is what sends the synchronous
// path to its fallbacks (a conflict, a stale handle).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import { Redis } from "ioredis";
import { createSessionManager, type SessionManager } from "../src/manager.ts";
import type { SessionStore } from "../src/store.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import type { RedisStoreClient } from "../src/stores/redis.ts";
import { FakeClock } from "./_fake_clock.ts";
import {
  type AppSession,
  BIG,
  type Data,
  denoKvBackend,
  describeError,
  type Flash,
  GRACE_SECONDS,
  IDLE_SECONDS,
  managerOptions,
  memoryEncrypted,
  memoryFastPath,
  memoryWrapped,
  parseSetCookie,
  redisBackend,
  requestWith,
  SUBJECTS,
  TOUCH_SECONDS,
  weighted,
} from "./_model.ts";
import {
  findRedisServer,
  type RedisServer,
  startRedisServer,
} from "./_redis_server.ts";
import {
  options,
  registerModel,
  registerTouchAfterRotation,
  SEED,
} from "./_model_register.ts";

describe("session manager model", () => {
  registerModel(memoryFastPath, true, 0);
  registerTouchAfterRotation(memoryFastPath);
  registerModel(memoryWrapped, true, 10);
  registerTouchAfterRotation(memoryWrapped);
  registerModel(memoryEncrypted, true, 40);
  registerTouchAfterRotation(memoryEncrypted);
});

// ---------------------------------------------------------------------------
// Real engines

const serverPath = findRedisServer();

describe("session manager model over RedisStore", () => {
  if (serverPath === undefined) {
    const message =
      "redis-server was not found (looked at $REDIS_SERVER, or else /usr/bin/redis-server and PATH)";
    if (process.env.CI === "true") {
      test("runs against a real redis-server", () => {
        throw new Error(`${message}: CI must run the Redis model tests`);
      });
    } else {
      console.warn(
        `\n!!! SKIPPING the RedisStore model tests: ${message}. ` +
          "Install redis-server (Debian: apt-get install redis-server) to run them. !!!\n",
      );
      test("runs against a real redis-server", { skip: message }, () => {});
    }
    return;
  }
  let server: RedisServer | undefined;
  let client: RedisStoreClient | undefined;
  let redis: Redis | undefined;
  before(async () => {
    server = await startRedisServer(serverPath);
    redis = new Redis({
      host: "127.0.0.1",
      port: server.port,
      lazyConnect: true,
      connectTimeout: 2_000,
      maxRetriesPerRequest: 1,
    });
    redis.on("error", () => {});
    const connected = redis;
    client = {
      eval: (script, keys, args) =>
        connected.eval(script, keys.length, ...keys, ...args),
    };
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });
  // Stores are made per run, once before() has connected.
  const backend = redisBackend(() => client!);
  registerModel(backend, false, 20);
  registerTouchAfterRotation(backend);
});

// Deno KV exists only on Deno (the CLI needs --unstable-kv, which deno.json
// turns on); under Bun and Node this registers nothing.
if (typeof Deno !== "undefined" && typeof Deno.openKv === "function") {
  describe("session manager model over DenoKvStore", () => {
    let kv: Deno.Kv | undefined;
    before(async () => {
      kv = await Deno.openKv(":memory:");
    });
    after(() => kv?.close());
    // Stores are made per run, once before() has opened the database.
    const backend = denoKvBackend(() => kv!);
    registerModel(backend, false, 30);
    registerTouchAfterRotation(backend);
  });
}

// ---------------------------------------------------------------------------
// Differential: the synchronous memory path against the asynchronous one

/** A step of sequential requests: each finishes before the next starts. */
type DiffOp =
  | { kind: "load"; slot: number; cookie: number }
  | { kind: "set"; slot: number; key: "a" | "b"; value: number }
  | { kind: "delete"; slot: number; key: "a" | "blob" }
  | { kind: "increment"; slot: number }
  | { kind: "setBig"; slot: number }
  | { kind: "flash"; slot: number; value: number }
  | { kind: "takeFlash"; slot: number }
  | { kind: "setSubject"; slot: number; subject: string | undefined }
  | { kind: "regenerate"; slot: number }
  | { kind: "destroy"; slot: number }
  | { kind: "commit"; slot: number }
  | { kind: "advance"; seconds: number }
  | { kind: "list"; subject: string; current: number }
  | { kind: "revoke"; subject: string; except: number | undefined };

const diffSlot = fc.nat({ max: 2 });
const diffSubject = fc.constantFrom(...SUBJECTS);
const diffOp: fc.Arbitrary<DiffOp> = fc.oneof(
  weighted<DiffOp>(6, "load", { slot: diffSlot, cookie: fc.nat({ max: 4 }) }),
  weighted<DiffOp>(3, "set", {
    slot: diffSlot,
    key: fc.constantFrom("a", "b"),
    value: fc.nat({ max: 9 }),
  }),
  weighted<DiffOp>(1, "delete", {
    slot: diffSlot,
    key: fc.constantFrom("a", "blob"),
  }),
  weighted<DiffOp>(3, "increment", { slot: diffSlot }),
  weighted<DiffOp>(1, "setBig", { slot: diffSlot }),
  weighted<DiffOp>(1, "flash", { slot: diffSlot, value: fc.nat({ max: 9 }) }),
  weighted<DiffOp>(1, "takeFlash", { slot: diffSlot }),
  weighted<DiffOp>(2, "setSubject", {
    slot: diffSlot,
    subject: fc.option(diffSubject, { nil: undefined, freq: 4 }),
  }),
  weighted<DiffOp>(2, "regenerate", { slot: diffSlot }),
  weighted<DiffOp>(1, "destroy", { slot: diffSlot }),
  weighted<DiffOp>(8, "commit", { slot: diffSlot }),
  weighted<DiffOp>(3, "advance", {
    seconds: fc.constantFrom(1, TOUCH_SECONDS + 1, GRACE_SECONDS + 1),
  }),
  weighted<DiffOp>(1, "list", { subject: diffSubject, current: diffSlot }),
  weighted<DiffOp>(1, "revoke", {
    subject: diffSubject,
    except: fc.option(diffSlot, { nil: undefined }),
  }),
);

/** One world of the differential test: a manager and the requests open on it. */
class DiffWorld {
  readonly clock = new FakeClock();
  readonly sessions: SessionManager<Data, Flash>;
  /** Ids in the order cookies first carried them: compared by position. */
  readonly pool: string[] = [];
  readonly slots: (AppSession | undefined)[] = [];

  constructor(wrap: (store: MemoryStore) => SessionStore) {
    const store = wrap(new MemoryStore({ now: this.clock.now }));
    this.sessions = createSessionManager<Data, Flash>(
      managerOptions(store, this.clock),
    );
  }

  /** A cookie with its id replaced by its position in the pool. */
  #normalize(setCookie: string | undefined): unknown {
    if (setCookie === undefined) return undefined;
    const cookie = parseSetCookie(setCookie);
    let value = cookie.value;
    if (value !== "") {
      if (!this.pool.includes(value)) this.pool.push(value);
      value = `#${this.pool.indexOf(value)}`;
    }
    return { name: cookie.name, value, attributes: cookie.attributes };
  }

  /** Loads the id at `index` of the pool: its session and its flash value. */
  async reload(index: number): Promise<unknown> {
    const session = await this.sessions.load(requestWith(this.pool[index]));
    return { ...observe(session), notice: session.takeFlash("notice") };
  }

  /** Applies a step and answers what the application sees of it. */
  async apply(op: DiffOp): Promise<unknown> {
    if (
      "slot" in op && op.kind !== "load" && this.slots[op.slot] === undefined
    ) {
      return "no request in this slot";
    }
    const session = "slot" in op ? this.slots[op.slot] : undefined;
    const seen = (result?: unknown) => ({ result, ...observe(session!) });
    switch (op.kind) {
      case "load": {
        const id = op.cookie === 4 || this.pool.length === 0
          ? undefined
          : this.pool[this.pool.length - 1 - (op.cookie % this.pool.length)];
        const loaded = await this.sessions.load(requestWith(id));
        this.slots[op.slot] = loaded;
        return observe(loaded);
      }
      case "set":
        session!.set(op.key, op.value);
        return seen();
      case "delete":
        session!.delete(op.key);
        return seen();
      case "increment":
        return seen(session!.update("count", (n) => (n ?? 0) + 1));
      case "setBig":
        session!.set("blob", BIG);
        return seen();
      case "flash":
        session!.flash("notice", op.value);
        return seen();
      case "takeFlash":
        return seen(session!.takeFlash("notice"));
      case "setSubject":
        session!.setSubject(op.subject, { label: `device ${op.slot}` });
        return seen();
      case "regenerate":
        session!.regenerate();
        return seen();
      case "destroy":
        session!.destroy();
        return seen();
      case "commit":
        try {
          return seen({ cookie: this.#normalize(await session!.commit()) });
        } catch (error) {
          return seen({ error: describeError(error) });
        }
      case "advance":
        this.clock.advanceSeconds(op.seconds);
        return undefined;
      case "list": {
        const listed = await this.sessions.listSessions(
          op.subject,
          this.slots[op.current],
        );
        // Handles are digests of ids, which differ between the worlds.
        return listed.map(({ handle: _, ...info }) => info);
      }
      case "revoke":
        return await this.sessions.revokeSessions(
          op.subject,
          op.except === undefined || this.slots[op.except] === undefined
            ? {}
            : { except: this.slots[op.except] },
        );
    }
  }
}

/** What the application sees of a handle. */
function observe(session: AppSession) {
  return {
    isNew: session.isNew,
    stale: session.stale,
    destroyed: session.destroyed,
    subject: session.subject,
    data: {
      a: session.get("a"),
      b: session.get("b"),
      count: session.get("count"),
      blob: session.get("blob") === undefined ? undefined : "big",
    },
  };
}

/** A MemoryStore behind a plain object that forwards every member. */
function delegating(memory: MemoryStore): SessionStore {
  return {
    compareAndSet: memory.compareAndSet,
    inProcess: memory.inProcess,
    subjects: memory.subjects,
    get: (...args) => memory.get(...args),
    set: (...args) => memory.set(...args),
    delete: (...args) => memory.delete(...args),
    touch: (...args: Parameters<MemoryStore["touch"]>) => memory.touch(...args),
  };
}

describe("differential: the memory store's synchronous path against its asynchronous one", () => {
  test("the same sequential requests give the same cookies, values, flags and errors", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(diffOp, { minLength: 1, maxLength: 50, size: "max" }),
        async (ops) => {
          const fast = new DiffWorld((memory) => memory);
          const general = new DiffWorld(delegating);
          const story: string[] = [];
          const compare = async (
            step: string,
            apply: (world: DiffWorld) => Promise<unknown>,
          ) => {
            const expected = await apply(fast);
            const actual = await apply(general);
            story.push(`${step} -> ${JSON.stringify(expected)}`);
            assert.deepEqual(
              actual,
              expected,
              `${step}: the asynchronous path (actual) differs from the synchronous one (expected)\n  ${
                story.join("\n  ")
              }`,
            );
          };
          for (const [i, op] of ops.entries()) {
            await compare(
              `step ${i}, ${JSON.stringify(op)}`,
              (world) => world.apply(op),
            );
          }
          // What was stored but never shown: every id sent, loaded once more.
          for (let i = 0; i < fast.pool.length; i++) {
            await compare(
              `then a request with cookie #${i}`,
              (world) => world.reload(i),
            );
          }
        },
      ),
      options(500, SEED + 100),
    );
  });
});

// ---------------------------------------------------------------------------
// Promise 6: the default store keeps the manager's clock

const DAY_MS = 24 * 60 * 60 * 1000;

describe("the default store with a clock that differs from real time", () => {
  test("a commit that returns a cookie means the next request with it finds the session", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(-DAY_MS, -IDLE_SECONDS * 1000, -60_000, 0, DAY_MS),
        fc.array(
          fc.constantFrom(
            "set",
            "increment",
            "regenerate",
            "subject",
            "read",
            "advance",
          ),
          { minLength: 1, maxLength: 12, size: "max" },
        ),
        async (offsetMs, steps) => {
          let skew = offsetMs;
          // No store option: the manager makes its own MemoryStore.
          const sessions = createSessionManager<Data, Flash>({
            now: () => Date.now() + skew,
            idleTimeoutSeconds: IDLE_SECONDS,
            touchIntervalSeconds: TOUCH_SECONDS,
          });
          let id: string | undefined;
          let a = 0;
          for (const step of steps) {
            if (step === "advance") {
              skew += (TOUCH_SECONDS + 1) * 1000;
              continue;
            }
            const session = await sessions.load(requestWith(id));
            if (step === "set") session.set("a", ++a);
            if (step === "increment") {
              session.update("count", (n) => (n ?? 0) + 1);
            }
            if (step === "regenerate") session.regenerate();
            if (step === "subject") session.setSubject("alice");
            const setCookie = await session.commit();
            if (setCookie === undefined) continue;
            id = parseSetCookie(setCookie).value;
            const next = await sessions.load(requestWith(id));
            assert.equal(
              next.isNew,
              false,
              `the manager's clock is ${offsetMs} ms off real time: after ${step}, the cookie it sent (${setCookie}) names no session`,
            );
            assert.deepEqual(observe(next).data, observe(session).data);
          }
        },
      ),
      options(100, SEED + 110),
    );
  });
});
