// DurableObjectStore and SessionDurableObject.
//
// The real thing runs in workerd through Miniflare (Node only): the
// SessionDurableObject class is bundled into a test Worker
// (fixtures/durable_object/worker.ts) and runs in workerd with SQLite
// storage and alarms, while the store runs in Node and reaches the objects
// through the Worker: each of its stub.fetch() calls travels over a
// WebSocket to the Worker, which makes it with the binding's real stub.
// That is how the conformance suite and the model-based properties drive
// it: the model's gate must hold each store call in the test's own process.
// (Miniflare's own proxy of the binding, mf.getDurableObjectNamespace(),
// reaches the same objects, but with an HTTP round trip and two blocking
// calls per store call: at several times the latency, concurrent
// compare-and-set writers exhaust the manager's retries.) The same Worker also serves a small app whose store
// runs inside workerd, for requests end to end. On Deno and Bun only the
// tests of the store's own checks and replies run, over a fake stub.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SessionStoreError, SessionTooLargeError } from "../src/errors.ts";
import { createSessionManager } from "../src/manager.ts";
import {
  DurableObjectStore,
  type DurableObjectStoreNamespace,
  SessionDurableObject,
} from "../src/stores/durable_object.ts";
import { testSessionStore } from "../src/testing.ts";
import { CookieJar } from "./_cookie_jar.ts";
import { type Backend, freshPrefix, gatedStore } from "./_model.ts";
import {
  registerModel,
  registerTouchAfterRotation,
} from "./_model_register.ts";
import type { Workerd } from "./_miniflare.ts";

const WORKER = new URL("./fixtures/durable_object/worker.ts", import.meta.url);
/** The seeds of this file's model properties (see _model_register.ts). */
const MODEL_SEEDS = 60;
const MIB = 1_048_576;

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The part of Miniflare's WebSocket that the tests use. */
interface TestSocket {
  accept(): void;
  send(message: string): void;
  close(): void;
  addEventListener(
    type: "message",
    listener: (event: { data: unknown }) => void,
  ): void;
}

/**
 * The objects of a binding, reached from Node over the fixture Worker's
 * WebSocket bridge: each `stub.fetch()` becomes one message, which the
 * Worker sends on with the binding's real stub.
 */
async function connectObjects(
  workerd: Workerd,
  binding: string,
): Promise<{ namespace: DurableObjectStoreNamespace; close(): void }> {
  const response = await workerd.fetch(
    `http://app.test/__objects?binding=${binding}`,
    { headers: { Upgrade: "websocket" } },
  );
  const socket = (response as unknown as { webSocket: TestSocket | null })
    .webSocket;
  assert.ok(socket, "the bridge accepted the WebSocket");
  socket.accept();
  const pending = new Map<
    number,
    {
      resolve(reply: { status: number; text: string }): void;
      reject(error: Error): void;
    }
  >();
  let next = 0;
  socket.addEventListener("message", ({ data }) => {
    const { id, status, text, error } = JSON.parse(String(data));
    const waiting = pending.get(id)!;
    pending.delete(id);
    if (error === undefined) waiting.resolve({ status, text });
    else waiting.reject(new Error(error));
  });
  const namespace: DurableObjectStoreNamespace = {
    idFromName: (name) => name,
    get: (name) => ({
      fetch: (url, init) =>
        new Promise((resolve, reject) => {
          const id = ++next;
          pending.set(id, {
            resolve: ({ status, text }) =>
              resolve({ status, text: () => Promise.resolve(text) }),
            reject,
          });
          socket.send(JSON.stringify({
            id,
            name,
            url,
            method: init.method,
            body: init.body,
          }));
        }),
    }),
  };
  return { namespace, close: () => socket.close() };
}

/** A prefix of object names that no other store of this run uses. */
const prefix = () => `${freshPrefix()}:`;

registerStubTests();

if ("Deno" in globalThis || "Bun" in globalThis) {
  describe("DurableObjectStore in workerd", () => {
    test("runs against real Durable Objects", {
      skip:
        "Miniflare (and so workerd) runs from Node only: run this file with node --import tsx --test",
    }, () => {});
  });
} else {
  registerWorkerdTests();
}

// ---------------------------------------------------------------------------
// The store's own checks and replies, over a fake stub (every runtime)

/** A namespace whose objects answer `reply`, recording what they were sent. */
function fakeNamespace(
  reply: (command: Record<string, unknown>) => {
    status?: number;
    body: string;
  },
) {
  const sent: { name: string; command: Record<string, unknown> }[] = [];
  const namespace: DurableObjectStoreNamespace = {
    idFromName: (name) => ({ name }),
    get: (id) => ({
      fetch(_url, init) {
        const command = JSON.parse(init.body);
        sent.push({ name: (id as { name: string }).name, command });
        const { status = 200, body } = reply(command);
        return Promise.resolve(new Response(body, { status }));
      },
    }),
  };
  return { namespace, sent };
}

// The bindings' types as @cloudflare/workers-types describes them (the parts
// that matter here), to check that real bindings fit the structural types.
declare class CfDurableObjectId {
  toString(): string;
  equals(other: CfDurableObjectId): boolean;
  readonly name?: string;
}
interface CfDurableObjectStub {
  readonly id: CfDurableObjectId;
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}
interface CfDurableObjectNamespace {
  newUniqueId(options?: { jurisdiction?: string }): CfDurableObjectId;
  idFromName(name: string): CfDurableObjectId;
  idFromString(id: string): CfDurableObjectId;
  get(
    id: CfDurableObjectId,
    options?: { locationHint?: string },
  ): CfDurableObjectStub;
}
type CfSqlValue = ArrayBuffer | string | number | null;
interface CfDurableObjectState {
  readonly id: CfDurableObjectId;
  readonly storage: {
    readonly sql: {
      exec<T extends Record<string, CfSqlValue>>(
        query: string,
        ...bindings: unknown[]
      ): { toArray(): T[]; one(): T; readonly rowsWritten: number };
    };
    transactionSync<T>(closure: () => T): T;
    getAlarm(options?: { allowConcurrency?: boolean }): Promise<number | null>;
    setAlarm(
      scheduledTime: number | Date,
      options?: { allowUnconfirmed?: boolean },
    ): Promise<void>;
    deleteAlarm(options?: { allowUnconfirmed?: boolean }): Promise<void>;
    deleteAll(options?: { allowUnconfirmed?: boolean }): Promise<void>;
  };
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
}

function registerStubTests(): void {
  describe("DurableObjectStore over a fake stub", () => {
    test("the runtime's binding and state fit the structural types", () => {
      // Checked by the type checker: these compile only if they fit.
      const store = (namespace: CfDurableObjectNamespace) =>
        new DurableObjectStore({ namespace });
      const object = (ctx: CfDurableObjectState) =>
        new SessionDurableObject(ctx, {});
      assert.equal(typeof store, "function");
      assert.equal(typeof object, "function");
    });

    const later = () => Date.now() + 60_000;

    test("sends one command per call, to the object of the record or subject", async () => {
      const { namespace, sent } = fakeNamespace(({ op }) => ({
        body: JSON.stringify(
          op === "get"
            ? { entry: null }
            : op === "list"
            ? { keys: [] }
            : op === "set"
            ? { written: 1, version: "v".repeat(22) }
            : op === "touch"
            ? { touched: true }
            : { done: true },
        ),
      }));
      const store = new DurableObjectStore({ namespace, prefix: "app:" });
      const expiresAt = later();
      await store.get("k");
      await store.set("k", "v", { expiresAt, ifVersion: null });
      await store.touch("k", expiresAt, { ifVersion: "v".repeat(22) });
      await store.delete("k");
      await store.subjects.add("ada", "k", expiresAt);
      await store.subjects.list("ada");
      await store.subjects.remove("ada", ["k"]);
      await store.subjects.remove("ada", []);
      assert.deepEqual(sent, [
        { name: "app:s:k", command: { op: "get", key: "k" } },
        {
          name: "app:s:k",
          command: {
            op: "set",
            key: "k",
            value: "v",
            expiresAt,
            condition: "absent",
            version: "",
          },
        },
        {
          name: "app:s:k",
          command: {
            op: "touch",
            key: "k",
            expiresAt,
            version: "v".repeat(22),
          },
        },
        { name: "app:s:k", command: { op: "delete", key: "k" } },
        {
          name: "app:u:ada",
          command: { op: "add", subject: "ada", key: "k", expiresAt },
        },
        { name: "app:u:ada", command: { op: "list", subject: "ada" } },
        {
          name: "app:u:ada",
          command: { op: "remove", subject: "ada", keys: ["k"] },
        },
      ]);
    });

    test("a version it never wrote fails set() and touch() without a round trip", async () => {
      const { namespace, sent } = fakeNamespace(() => ({ body: "{}" }));
      const store = new DurableObjectStore({ namespace });
      assert.deepEqual(
        await store.set("k", "v", { expiresAt: later(), ifVersion: "nope" }),
        { ok: false },
      );
      assert.equal(
        await store.touch("k", later(), { ifVersion: "nope" }),
        false,
      );
      assert.deepEqual(sent, []);
    });

    test("a value over 1 MiB throws SessionTooLargeError and sends nothing", async () => {
      const { namespace, sent } = fakeNamespace(() => ({ body: "{}" }));
      const store = new DurableObjectStore({ namespace });
      const value = "é".repeat(MIB / 2) + "x";
      await assert.rejects(
        store.set("k", value, { expiresAt: later() }),
        (error: unknown) => {
          assert.ok(error instanceof SessionTooLargeError);
          assert.equal(error.bytes, MIB + 1);
          assert.equal(error.limit, MIB);
          assert.equal(
            error.message,
            `Cannot save session: the Durable Object record would take ${
              MIB + 1
            } bytes, over the limit of ${MIB} bytes`,
          );
          return true;
        },
      );
      assert.deepEqual(sent, []);
    });

    test("an expiry that is not a number of milliseconds throws before sending", async () => {
      const { namespace, sent } = fakeNamespace(() => ({ body: "{}" }));
      const store = new DurableObjectStore({ namespace });
      await assert.rejects(
        store.set("k", "v", { expiresAt: "soon" as never }),
        {
          name: "TypeError",
          message:
            'Cannot set session record in a Durable Object: expiresAt must be a number, received "soon"',
        },
      );
      await assert.rejects(store.touch("k", Infinity), {
        name: "RangeError",
        message:
          "Cannot touch session record in a Durable Object: expiresAt must be a number of milliseconds from -9007199254740991 to 9007199254740991, received Infinity",
      });
      await assert.rejects(store.subjects.add("ada", "k", NaN), {
        name: "TypeError",
      });
      assert.deepEqual(sent, []);
    });

    test("an error status or a reply of another shape rejects with what came back", async () => {
      const cases: [
        { status?: number; body: string },
        (store: DurableObjectStore) => Promise<unknown>,
        string,
      ][] = [
        [
          { status: 400, body: "Malformed session store command: x" },
          (store) => store.get("k"),
          "Cannot get session record from a Durable Object: the Durable Object answered 400: Malformed session store command: x",
        ],
        [
          { body: "not json" },
          (store) => store.get("k"),
          'Cannot get session record from a Durable Object: expected a JSON object from the Durable Object, received "not json"',
        ],
        [
          { body: '{"entry":{"value":1}}' },
          (store) => store.get("k"),
          "Cannot get session record from a Durable Object: expected null or an entry from the Durable Object, received an object",
        ],
        [
          { body: '{"written":1}' },
          (store) => store.set("k", "v", { expiresAt: later() }),
          "Cannot set session record in a Durable Object: expected written 1, 0 or 2 from the Durable Object, received 1",
        ],
        [
          { body: '{"touched":1}' },
          (store) => store.touch("k", later()),
          "Cannot touch session record in a Durable Object: expected touched true or false from the Durable Object, received 1",
        ],
        [
          { body: '{"keys":[1]}' },
          (store) => store.subjects.list("ada"),
          "Cannot list sessions of subject in a Durable Object: expected an array of keys from the Durable Object, received an array",
        ],
        [
          { body: "[]" },
          (store) => store.delete("k"),
          "Cannot delete session record in a Durable Object: expected a JSON object from the Durable Object, received an array",
        ],
      ];
      for (const [reply, call, message] of cases) {
        const { namespace } = fakeNamespace(() => reply);
        const store = new DurableObjectStore({ namespace });
        await assert.rejects(call(store), { name: "Error", message });
      }
    });

    test("the manager wraps a failing object in SessionStoreError", async () => {
      const { namespace } = fakeNamespace(() => ({
        status: 500,
        body: "Internal error",
      }));
      const sessions = createSessionManager({
        store: new DurableObjectStore({ namespace }),
      });
      const session = await sessions.load(new Request("http://app.test/"));
      session.set("count", 1);
      await assert.rejects(session.commit(), SessionStoreError);
    });

    test("rejects invalid options at construction", () => {
      const { namespace } = fakeNamespace(() => ({ body: "{}" }));
      const action = "Cannot create Durable Object store";
      assert.throws(() => new DurableObjectStore(undefined as never), {
        name: "TypeError",
        message: `${action}: options must be an object, received undefined`,
      });
      for (
        const [value, described] of [[undefined, "undefined"], [{
          get() {},
        }, "an object"]] as const
      ) {
        assert.throws(
          () => new DurableObjectStore({ namespace: value as never }),
          {
            name: "TypeError",
            message:
              `${action}: namespace must be a Durable Object namespace binding (idFromName and get), received ${described}`,
          },
        );
      }
      assert.throws(
        () => new DurableObjectStore({ namespace, prefix: 1 as never }),
        {
          name: "TypeError",
          message: `${action}: prefix must be a string, received 1`,
        },
      );
      const store = new DurableObjectStore({ namespace, prefix: "" });
      assert.equal(store.compareAndSet, true);
      assert.equal("inProcess" in store, false);
    });
  });
}

// ---------------------------------------------------------------------------
// Real Durable Objects in workerd (Node only)

function registerWorkerdTests(): void {
  let workerd: Workerd | undefined;
  let objects: DurableObjectStoreNamespace | undefined;
  let inspected: DurableObjectStoreNamespace | undefined;
  let kvBacked: DurableObjectStoreNamespace | undefined;
  let closeBridges = () => {};
  const namespace = () => {
    assert.ok(objects, "workerd is running");
    return objects;
  };

  before(async () => {
    const { startWorkerd } = await import("./_miniflare.ts");
    workerd = await startWorkerd(WORKER, {
      durableObjects: {
        SESSION_OBJECTS: "SessionDurableObject",
        INSPECTED: "InspectedSessionDurableObject",
        KV_BACKED: {
          className: "KvBackedSessionDurableObject",
          useSQLite: false,
        },
      },
    });
    const bridges = await Promise.all(
      ["SESSION_OBJECTS", "INSPECTED", "KV_BACKED"].map((binding) =>
        connectObjects(workerd!, binding)
      ),
    );
    closeBridges = () => bridges.forEach((bridge) => bridge.close());
    [objects, inspected, kvBacked] = bridges.map((bridge) => bridge.namespace);
  }, { timeout: 60_000 });
  after(async () => {
    closeBridges();
    await workerd?.dispose();
  }, { timeout: 30_000 });

  describe("DurableObjectStore over workerd's Durable Objects", {
    timeout: 300_000,
  }, () => {
    testSessionStore("DurableObjectStore (workerd)", {
      create: () =>
        new DurableObjectStore({ namespace: namespace(), prefix: prefix() }),
      // The objects decide expiry by their own clock: real time.
      now: () => Date.now(),
      advanceSeconds: (seconds) => sleep(seconds * 1000),
      maxValueBytes: MIB,
    });
  });

  describe("DurableObjectStore model", { timeout: 1_200_000 }, () => {
    // The objects expire records by their own (real) clock, so the fake
    // clock starts at the real time and only moves forward: nothing expires
    // in an object before the manager thinks it has.
    const backend: Backend = {
      name: "DurableObjectStore (workerd)",
      runs: 200,
      start: () => Date.now(),
      create: (_clock, gate, names) =>
        Promise.resolve(
          gatedStore(
            new DurableObjectStore({
              namespace: namespace(),
              prefix: prefix(),
            }),
            gate,
            names,
          ),
        ),
    };
    registerModel(backend, false, MODEL_SEEDS);
    registerTouchAfterRotation(backend);
  });

  describe("SessionDurableObject in workerd", { timeout: 120_000 }, () => {
    /** A store over the inspectable class, and a look into its objects. */
    function inspectable() {
      assert.ok(inspected, "workerd is running");
      const ns = inspected;
      const names = prefix();
      const store = new DurableObjectStore({ namespace: ns, prefix: names });
      const inspect = async (name: string) => {
        const stub = ns.get(ns.idFromName(names + name));
        const response = await stub.fetch("https://sesame.invalid/inspect", {
          method: "GET",
          headers: {},
          body: undefined as never,
        });
        assert.equal(response.status, 200);
        return JSON.parse(await response.text()) as {
          tables: string[];
          records: {
            key: string;
            value: string;
            version: string;
            expires_at: number;
          }[];
          subjects: { subject: string; key: string; expires_at: number }[];
          alarm: number | null;
        };
      };
      return { store, inspect, ns, names };
    }

    /** Waits until `check` holds; fails after 30 s. */
    async function eventually(
      what: string,
      check: () => Promise<boolean>,
    ): Promise<void> {
      const deadline = Date.now() + 30_000;
      while (!(await check())) {
        if (Date.now() > deadline) assert.fail(`${what} did not happen`);
        await sleep(100);
      }
    }

    test("a record lives alone in its object, with the alarm at its expiry", async () => {
      const { store, inspect } = inspectable();
      const expiresAt = Date.now() + 60_000;
      const written = await store.set("k", '{"a":1}', { expiresAt });
      assert.ok(written.ok);
      assert.deepEqual(await inspect("s:k"), {
        tables: ["sesame_records", "sesame_subjects"],
        records: [{
          key: "k",
          value: '{"a":1}',
          version: written.version,
          expires_at: expiresAt,
        }],
        subjects: [],
        alarm: expiresAt,
      });
      assert.match(written.version!, /^[A-Za-z0-9_-]{22}$/);
    });

    test("delete() frees the object: no tables, no alarm", async () => {
      const { store, inspect } = inspectable();
      await store.set("k", "v", { expiresAt: Date.now() + 60_000 });
      await store.delete("k");
      assert.deepEqual(await inspect("s:k"), {
        tables: [],
        records: [],
        subjects: [],
        alarm: null,
      });
    });

    test("reading a key never written stores nothing", async () => {
      const { store, inspect } = inspectable();
      assert.equal(await store.get("k"), undefined);
      assert.equal(await store.touch("k", Date.now() + 60_000), false);
      assert.deepEqual(await store.subjects.list("ada"), []);
      for (const name of ["s:k", "u:ada"]) {
        assert.deepEqual((await inspect(name)).tables, []);
      }
    });

    test("the alarm deletes an expired record and frees the object", async () => {
      const { store, inspect } = inspectable();
      await store.set("k", "v", { expiresAt: Date.now() + 500 });
      await eventually(
        "freeing the object",
        async () => (await inspect("s:k")).tables.length === 0,
      );
      assert.equal((await inspect("s:k")).alarm, null);
      assert.equal(await store.get("k"), undefined);
    });

    test("touch() leaves the alarm early; when it fires, it moves to the new expiry", async () => {
      const { store, inspect } = inspectable();
      const first = Date.now() + 500;
      const written = await store.set("k", "v", { expiresAt: first });
      const extended = Date.now() + 600_000;
      assert.equal(await store.touch("k", extended), true);
      assert.equal((await inspect("s:k")).alarm, first);
      await eventually(
        "moving the alarm",
        async () => (await inspect("s:k")).alarm === extended,
      );
      assert.deepEqual(await store.get("k"), {
        value: "v",
        expiresAt: extended,
        version: written.ok ? written.version : undefined,
      });
    });

    test("a write with an earlier expiry moves the alarm earlier", async () => {
      const { store, inspect } = inspectable();
      await store.set("k", "v", { expiresAt: Date.now() + 600_000 });
      const marker = Date.now() + 30_000;
      await store.set("k", "marker", { expiresAt: marker });
      assert.equal((await inspect("s:k")).alarm, marker);
    });

    test("a subject's index is one object; expired entries are dropped", async () => {
      const { store, inspect } = inspectable();
      const long = Date.now() + 600_000;
      await store.subjects.add("ada", "k1", long);
      await store.subjects.add("ada", "k2", Date.now() + 300);
      await store.subjects.add("ada", "k1", long - 1000);
      const seen = await inspect("u:ada");
      assert.deepEqual(
        seen.subjects.map(({ key, expires_at }) => [key, expires_at]),
        [["k1", long], ["k2", seen.subjects[1].expires_at]],
      );
      assert.equal(seen.alarm, seen.subjects[1].expires_at);
      await eventually(
        "dropping the expired entry",
        async () => (await inspect("u:ada")).subjects.length === 1,
      );
      assert.deepEqual(await store.subjects.list("ada"), ["k1"]);
      assert.equal((await inspect("u:ada")).alarm, long);
      await store.subjects.remove("ada", ["k1"]);
      assert.deepEqual((await inspect("u:ada")).tables, []);
    });

    test("a class declared with the key-value backend fails, naming new_sqlite_classes", async () => {
      assert.ok(kvBacked, "workerd is running");
      const store = new DurableObjectStore({
        namespace: kvBacked,
        prefix: prefix(),
      });
      await assert.rejects(
        store.set("k", "v", { expiresAt: Date.now() + 60_000 }),
        /new_sqlite_classes/,
      );
      const sessions = createSessionManager({ store });
      const session = await sessions.load(new Request("http://app.test/"));
      session.set("count", 1);
      await assert.rejects(session.commit(), SessionStoreError);
    });

    test("a command that SQLite refuses rolls back whole, and the object works on", async () => {
      const { ns, names, inspect, store } = inspectable();
      const stub = ns.get(ns.idFromName(names + "s:k"));
      // A new object: the command creates the tables, then SQLite refuses
      // the row (over 2 MB), so the tables go too.
      await assert.rejects(
        stub.fetch("https://sesame.invalid/v1", {
          method: "POST",
          headers: {},
          body: JSON.stringify({
            op: "set",
            key: "k".repeat(3_000_000),
            value: "v",
            expiresAt: Date.now() + 60_000,
            condition: "any",
            version: "",
          }),
        }),
      );
      assert.deepEqual((await inspect("s:k")).tables, []);
      await store.set("k", "v", { expiresAt: Date.now() + 60_000 });
      assert.equal((await store.get("k"))?.value, "v");
    });

    test("a malformed command is answered 400, another URL 404, and neither changes anything", async () => {
      const { ns, names, inspect, store } = inspectable();
      await store.set("k", "v", { expiresAt: Date.now() + 60_000 });
      const stub = ns.get(ns.idFromName(names + "s:k"));
      for (
        const [body, message] of [
          ["{", "a command must be a JSON object, received undefined"],
          ['{"op":"drop","key":"k"}', "op must be"],
          ['{"op":"set","key":"k","value":"w"}', "expiresAt must be a number"],
          [
            JSON.stringify({
              op: "set",
              key: "k",
              value: "x".repeat(MIB + 1),
              expiresAt: Date.now() + 60_000,
              condition: "any",
              version: "",
            }),
            `value must be at most ${MIB} bytes`,
          ],
        ]
      ) {
        const response = await stub.fetch("https://sesame.invalid/v1", {
          method: "POST",
          headers: {},
          body,
        });
        assert.equal(response.status, 400);
        assert.match(
          await response.text(),
          new RegExp(`^Malformed session store command: ${message}`),
        );
      }
      const elsewhere = await stub.fetch("https://app.example/v1", {
        method: "POST",
        headers: {},
        body: JSON.stringify({ op: "get", key: "k" }),
      });
      assert.equal(elsewhere.status, 404);
      assert.equal(await elsewhere.text(), "Not a session store command");
      assert.equal((await inspect("s:k")).records[0].value, "v");
    });
  });

  describe("DurableObjectStore in a Worker on workerd", {
    timeout: 120_000,
  }, () => {
    /** A browser: sends requests to the Worker and keeps its cookie. */
    function browser() {
      const jar = new CookieJar();
      return {
        jar,
        async send(method: string, path: string) {
          assert.ok(workerd, "workerd is running");
          const cookie = jar.header();
          const response = await workerd.fetch("http://app.test" + path, {
            method,
            headers: cookie === undefined ? {} : { Cookie: cookie },
          });
          jar.storeFrom(response);
          assert.equal(response.status, 200);
          return await response.json() as unknown;
        },
      };
    }

    test("a session counts across requests, and concurrent requests lose no update", async () => {
      const alice = browser();
      assert.deepEqual(await alice.send("POST", "/count"), { count: 1 });
      assert.deepEqual(await alice.send("POST", "/count"), { count: 2 });
      // Ten at once: every one must count (the e2e suite sends twenty).
      await Promise.all(
        Array.from({ length: 10 }, () => alice.send("POST", "/count")),
      );
      assert.deepEqual(await alice.send("GET", "/peek"), {
        count: 12,
        user: null,
        isNew: false,
        stale: false,
      });
    });

    test("login lists the user's sessions; revoking ends the others", async () => {
      const user = `u-${crypto.randomUUID()}`;
      const laptop = browser();
      const phone = browser();
      await laptop.send("POST", "/count");
      const oldId = laptop.jar.get("sid");
      await laptop.send("POST", `/login?user=${user}`);
      assert.notEqual(laptop.jar.get("sid"), oldId);
      await phone.send("POST", `/login?user=${user}`);
      const listed = await laptop.send("GET", `/sessions?user=${user}`);
      assert.deepEqual((listed as boolean[]).sort(), [false, true]);
      assert.deepEqual(await laptop.send("POST", `/revoke?user=${user}`), {
        ended: 1,
      });
      assert.deepEqual(await phone.send("GET", "/peek"), {
        count: null,
        user: null,
        isNew: true,
        stale: false,
      });
      assert.deepEqual(await laptop.send("GET", `/sessions?user=${user}`), [
        true,
      ]);
      await laptop.send("POST", "/logout");
      assert.deepEqual(await laptop.send("GET", `/sessions?user=${user}`), []);
    });
  });
}
