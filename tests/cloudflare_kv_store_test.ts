import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { CloudflareKvStore } from "../src/stores/cloudflare_kv.ts";
import { testSessionStore } from "../src/testing.ts";
import { CookieJar } from "./_cookie_jar.ts";
import { FakeClock } from "./_fake_clock.ts";
import type { TestKvNamespace, Workerd } from "./_miniflare.ts";

const WORKER = new URL("./fixtures/worker/worker.ts", import.meta.url);
const ID = /^[A-Za-z0-9_-]{43}$/;

// Miniflare (and so workerd) runs from Node only: on Deno and Bun this file
// registers nothing.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) registerTests();

function registerTests(): void {
  let workerd: Workerd | undefined;
  const kv = (): TestKvNamespace => {
    assert.ok(workerd, "workerd is running");
    return workerd.namespace;
  };

  before(async () => {
    const { startWorkerd } = await import("./_miniflare.ts");
    workerd = await startWorkerd(WORKER);
  }, { timeout: 60_000 });
  after(() => workerd?.dispose(), { timeout: 30_000 });

  describe("CloudflareKvStore over workerd's KV", { timeout: 120_000 }, () => {
    let clock = new FakeClock();
    testSessionStore("CloudflareKvStore (workerd)", {
      create() {
        clock = new FakeClock();
        return new CloudflareKvStore({
          namespace: kv(),
          prefix: freshPrefix(),
          now: clock.now,
        });
      },
      now: () => clock.now(),
      advanceSeconds(seconds) {
        clock.advanceSeconds(seconds);
        return Promise.resolve();
      },
    });
  });

  describe("CloudflareKvStore", { timeout: 60_000 }, () => {
    function storeWithClock(prefix = freshPrefix()) {
      const clock = new FakeClock();
      const store = new CloudflareKvStore({
        namespace: kv(),
        prefix,
        now: clock.now,
      });
      return { store, clock, prefix };
    }

    test("declares no compare-and-set, touch() or subject index", async () => {
      const { store, clock } = storeWithClock();
      assert.equal(store.compareAndSet, false);
      assert.equal(store.inProcess, false);
      assert.equal("touch" in store, false);
      assert.equal("subjects" in store, false);
      const expiresAt = clock.now() + 60_000;
      assert.deepEqual(await store.set("k", "v", { expiresAt }), { ok: true });
      assert.deepEqual(await store.get("k"), { value: "v", expiresAt });
    });

    test("writes under the prefix, with the expiry in metadata and a TTL for KV", async () => {
      const { store, clock, prefix } = storeWithClock();
      const long = clock.now() + 3600_000;
      const short = clock.now() + 1_000;
      await store.set("long", "v", { expiresAt: long });
      await store.set("short", "v", { expiresAt: short });
      const { keys } = await kv().list({ prefix });
      const byName = new Map(keys.map((key) => [key.name, key]));
      assert.deepEqual([...byName.keys()].sort(), [
        `${prefix}long`,
        `${prefix}short`,
      ]);
      // KV counts the TTL from its own clock, whatever the store's clock says.
      const realNow = Date.now() / 1000;
      const ttlOf = (name: string) => byName.get(name)!.expiration! - realNow;
      assert.ok(
        Math.abs(ttlOf(`${prefix}long`) - 3600) < 5,
        "the TTL is the time left",
      );
      assert.ok(
        Math.abs(ttlOf(`${prefix}short`) - 60) < 5,
        "KV's minimum TTL of 60 seconds",
      );
      assert.deepEqual(byName.get(`${prefix}long`)!.metadata, {
        expiresAt: long,
      });
    });

    test("get() hides a record past its expiry that KV still holds", async () => {
      const { store, clock, prefix } = storeWithClock();
      await store.set("k", "v", { expiresAt: clock.now() + 1_000 });
      clock.advanceSeconds(1);
      assert.equal(await store.get("k"), undefined);
      assert.equal(await kv().get(`${prefix}k`, "text"), "v");
    });

    test("set() with an expiry already past deletes the record and answers ok: false", async () => {
      const { store, clock, prefix } = storeWithClock();
      await store.set("k", "v", { expiresAt: clock.now() + 60_000 });
      const result = await store.set("k", "w", { expiresAt: clock.now() });
      assert.deepEqual(result, { ok: false, expired: true });
      assert.equal(await store.get("k"), undefined);
      assert.equal(await kv().get(`${prefix}k`, "text"), null);
      await store.set("never", "v", { expiresAt: clock.now() - 1 });
      assert.equal(await kv().get(`${prefix}never`, "text"), null);
    });

    test("get() treats a value without the store's metadata as absent", async () => {
      const { store, prefix } = storeWithClock();
      await kv().put(`${prefix}bare`, "v");
      await kv().put(`${prefix}odd`, "v", { metadata: { expiresAt: "soon" } });
      await kv().put(`${prefix}list`, "v", { metadata: [1, 2] });
      for (const key of ["bare", "odd", "list"]) {
        assert.equal(await store.get(key), undefined);
      }
    });

    test("stores with different prefixes share a namespace without mixing", async () => {
      const clock = new FakeClock();
      const expiresAt = clock.now() + 60_000;
      const a = new CloudflareKvStore({
        namespace: kv(),
        prefix: freshPrefix(),
        now: clock.now,
      });
      const b = new CloudflareKvStore({
        namespace: kv(),
        prefix: freshPrefix(),
        now: clock.now,
      });
      await a.set("k", "a", { expiresAt });
      await b.set("k", "b", { expiresAt });
      assert.equal((await a.get("k"))?.value, "a");
      assert.equal((await b.get("k"))?.value, "b");
      await a.delete("k");
      assert.equal(await a.get("k"), undefined);
      assert.equal((await b.get("k"))?.value, "b");
    });

    test("the longest prefix leaves room for the manager's keys", async () => {
      const { store, clock } = storeWithClock("p".repeat(469));
      const key = "k".repeat(43);
      await store.set(key, "v", { expiresAt: clock.now() + 60_000 });
      assert.equal((await store.get(key))?.value, "v");
    });

    test("rejects invalid options at construction", () => {
      const namespace = kv();
      const action = "Cannot create Cloudflare KV store";
      assert.throws(
        () => new CloudflareKvStore({ namespace, prefix: 5 as never }),
        {
          name: "TypeError",
          message: `${action}: prefix must be a string, received 5`,
        },
      );
      assert.throws(
        () => new CloudflareKvStore({ namespace, prefix: "é".repeat(235) }),
        {
          name: "RangeError",
          message:
            `${action}: prefix must be at most 469 bytes in UTF-8, received "${
              "é".repeat(61)
            }..."`,
        },
      );
      assert.throws(
        () => new CloudflareKvStore({ namespace: undefined as never }),
        {
          name: "TypeError",
          message:
            `${action}: namespace must be a KV namespace binding (getWithMetadata, put and delete), received undefined`,
        },
      );
      assert.throws(
        () => new CloudflareKvStore({ namespace: { get() {} } as never }),
        {
          name: "TypeError",
          message:
            `${action}: namespace must be a KV namespace binding (getWithMetadata, put and delete), received an object`,
        },
      );
      assert.throws(() => new CloudflareKvStore(undefined as never), {
        name: "TypeError",
        message: `${action}: options must be an object, received undefined`,
      });
      assert.throws(
        () => new CloudflareKvStore({ namespace, now: "now" as never }),
        {
          name: "TypeError",
          message: `${action}: now must be a function, received "now"`,
        },
      );
      assert.doesNotThrow(() =>
        new CloudflareKvStore({ namespace, prefix: "" })
      );
    });
  });

  describe(
    "CloudflareKvStore in a Worker on workerd",
    { timeout: 60_000 },
    () => {
      const HTTP = "http://app.test";
      const HTTPS = "https://app.test";

      /** A browser for one origin: sends requests and keeps their cookies. */
      function browser(origin = HTTP) {
        const jar = new CookieJar();
        return {
          jar,
          async send(method: string, path: string) {
            assert.ok(workerd, "workerd is running");
            const cookie = jar.header();
            const response = await workerd.fetch(origin + path, {
              method,
              headers: cookie === undefined ? {} : { Cookie: cookie },
            });
            const setCookie = response.headers.getSetCookie();
            assert.ok(setCookie.length <= 1, "at most one Set-Cookie");
            jar.storeFrom(response);
            return {
              status: response.status,
              setCookie: setCookie[0] as string | undefined,
              body: await response.json() as Record<string, unknown>,
            };
          },
        };
      }

      /** The KV key a session id is stored under: the prefix and its digest. */
      const keyOf = (id: string) =>
        `sesame:${createHash("sha256").update(id).digest("base64url")}`;

      test("a session counts across requests and keeps its id", async () => {
        const alice = browser();
        const first = await alice.send("POST", "/count");
        assert.deepEqual(first.body, { count: 1 });
        assert.ok(first.setCookie, "the new session sends its cookie");
        const id = alice.jar.get("sid")!;
        assert.match(id, ID);
        for (const count of [2, 3]) {
          const next = await alice.send("POST", "/count");
          assert.deepEqual(next.body, { count });
          assert.equal(
            next.setCookie,
            undefined,
            "no cookie until the expiry moves",
          );
        }
        assert.equal(alice.jar.get("sid"), id);
        const peek = await alice.send("GET", "/peek");
        assert.deepEqual(peek.body, {
          count: 3,
          user: null,
          isNew: false,
          stale: false,
        });
      });

      test("reading a session without one creates nothing", async () => {
        const keysBefore = await listAll(kv(), "sesame:");
        const visitor = browser();
        const peek = await visitor.send("GET", "/peek");
        assert.deepEqual(peek.body, {
          count: null,
          user: null,
          isNew: true,
          stale: false,
        });
        assert.equal(peek.setCookie, undefined);
        assert.deepEqual(await listAll(kv(), "sesame:"), keysBefore);
      });

      test("an id the server never issued is not adopted", async () => {
        const planted = "A".repeat(42) + "A";
        assert.match(planted, ID);
        const victim = browser();
        victim.jar.store(`sid=${planted}`);
        const response = await victim.send("POST", "/count");
        assert.deepEqual(response.body, { count: 1 });
        const issued = victim.jar.get("sid")!;
        assert.match(issued, ID);
        assert.notEqual(issued, planted);
        assert.equal(await kv().get(keyOf(planted), "text"), null);
        assert.notEqual(await kv().get(keyOf(issued), "text"), null);
      });

      test("login regenerates the id; the old cookie reads a stale, empty session", async () => {
        const ada = browser();
        await ada.send("POST", "/count");
        const oldId = ada.jar.get("sid")!;
        const login = await ada.send("POST", "/login?user=ada");
        assert.deepEqual(login.body, { user: "ada" });
        const newId = ada.jar.get("sid")!;
        assert.match(newId, ID);
        assert.notEqual(newId, oldId);
        assert.deepEqual((await ada.send("GET", "/peek")).body, {
          count: 1,
          user: "ada",
          isNew: false,
          stale: false,
        });

        const late = browser();
        late.jar.store(`sid=${oldId}`);
        const stale = await late.send("GET", "/peek");
        assert.deepEqual(stale.body, {
          count: null,
          user: null,
          isNew: true,
          stale: true,
        });
        assert.equal(stale.setCookie, undefined);
        const write = await late.send("POST", "/count");
        assert.equal(
          write.setCookie,
          undefined,
          "a stale session sends no cookie",
        );
        assert.deepEqual((await ada.send("GET", "/peek")).body.count, 1);
      });

      test("logout deletes the record and expires the cookie", async () => {
        const bob = browser();
        await bob.send("POST", "/count");
        const id = bob.jar.get("sid")!;
        assert.notEqual(await kv().get(keyOf(id), "text"), null);
        const logout = await bob.send("POST", "/logout");
        assert.match(logout.setCookie!, /^sid=; Max-Age=0; /);
        assert.equal(bob.jar.get("sid"), undefined);
        assert.equal(await kv().get(keyOf(id), "text"), null);

        const replay = browser();
        replay.jar.store(`sid=${id}`);
        const peek = await replay.send("GET", "/peek");
        assert.equal(peek.body.isNew, true);
        assert.equal(peek.body.count, null);
      });

      test("the cookie is HttpOnly, SameSite=Lax and Path=/, and __Host- with Secure on https", async () => {
        const plain = await browser(HTTP).send("POST", "/count");
        assert.match(
          plain.setCookie!,
          /^sid=[A-Za-z0-9_-]{43}; Max-Age=1800; Path=\/; HttpOnly; SameSite=Lax$/,
        );
        const secure = browser(HTTPS);
        const first = await secure.send("POST", "/count");
        assert.match(
          first.setCookie!,
          /^__Host-sid=[A-Za-z0-9_-]{43}; Max-Age=1800; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
        );
        assert.deepEqual((await secure.send("POST", "/count")).body, {
          count: 2,
        });
      });

      test("KV keys are digests of the ids, never the ids", async () => {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const user = browser();
          await user.send("POST", "/count");
          ids.push(user.jar.get("sid")!);
          await user.send("POST", `/login?user=u${i}`);
          ids.push(user.jar.get("sid")!);
        }
        const keys = await listAll(kv(), "sesame:");
        for (const { name } of keys) {
          assert.match(
            name,
            /^sesame:[A-Za-z0-9_-]{43}$/,
          );
        }
        const names = new Set(keys.map((key) => key.name));
        for (const id of ids) {
          assert.ok(names.has(keyOf(id)), "each id has its digest's key");
          for (const { name } of keys) {
            assert.ok(!name.includes(id), "no key holds an id");
          }
          const value = await kv().get(keyOf(id), "text");
          assert.ok(value !== null, "the record is there");
          assert.ok(!value.includes(id), "no record holds its id");
        }
        const live = keys.find((key) => key.name === keyOf(ids[1]))!;
        const { expiresAt } = live.metadata as { expiresAt: number };
        assert.ok(
          Math.abs(expiresAt - (Date.now() + 1800_000)) < 60_000,
          "the record expires after the idle timeout",
        );
        assert.ok(
          Math.abs(live.expiration! - expiresAt / 1000) < 60,
          "KV deletes the key when the record expires",
        );
      });
    },
  );
}

/** A key prefix no other test uses. */
function freshPrefix(): string {
  return `test-${crypto.randomUUID()}:`;
}

/** Every key under `prefix`, following the list's cursor. */
async function listAll(namespace: TestKvNamespace, prefix: string) {
  const keys: { name: string; expiration?: number; metadata?: unknown }[] = [];
  let cursor: string | undefined;
  do {
    const page = await namespace.list({ prefix, cursor });
    keys.push(...page.keys);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor !== undefined);
  return keys;
}
