// nodeSession() on a plain node:http server over real HTTP, on both of the
// manager's paths: every way a route sends its headers, its own cookies, and
// what reaches onError. The listeners take node:http's own `req` and `res`,
// so the type check proves that they fit the helper's shapes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createSessionManager, type SessionManager } from "../src/manager.ts";
import type { Session } from "../src/session.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { SessionStoreError } from "../src/errors.ts";
import {
  nodeSession,
  type NodeSessionOptions,
} from "../src/middleware/node.ts";
import { FaultyStore, only } from "./_stores.ts";
import {
  Client,
  listen,
  REFUSED,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
  setCookies,
  STORE_PATHS,
  tick,
  withServer,
} from "./_node_server.ts";

type Data = { count: number; user: string };
type Route = (
  session: Session<Data>,
  res: ServerResponse,
) => void | Promise<void>;

/** Headers a route passes to every `writeHead()`, shared across requests. */
const SHARED_HEADERS = { "Set-Cookie": "a=1", "Content-Type": "text/plain" };

/** Routes by path, each answering in its own way. */
const ROUTES: Record<string, Route> = {
  "/count": (session, res) => {
    session.update("count", (count = 0) => count + 1);
    res.end(String(session.get("count")));
  },
  "/peek": (session, res) => {
    res.end(String(session.get("count") ?? 0));
  },
  "/stream": async (session, res) => {
    session.set("user", "ada");
    res.write("a");
    await tick();
    res.write("b");
    await tick();
    res.end("c");
  },
  "/events": async (session, res) => {
    session.set("user", "ada");
    res.setHeader("Content-Type", "text/event-stream");
    res.flushHeaders();
    res.write("data: 1\n\n");
    await tick();
    res.end("data: 2\n\n");
  },
  "/write-head": (session, res) => {
    session.set("user", "ada");
    res.writeHead(200, { ...SHARED_HEADERS });
    res.end("ok");
  },
  "/write-head-shared": (session, res) => {
    session.set("user", "ada");
    // A route may pass the same object every time: it must stay as it is.
    res.writeHead(200, SHARED_HEADERS);
    res.end("ok");
  },
  "/write-head-raw": (session, res) => {
    session.set("user", "ada");
    res.writeHead(200, ["Set-Cookie", "a=1", "Content-Type", "text/plain"]);
    res.end("ok");
  },
  "/set-header": (session, res) => {
    session.set("user", "ada");
    res.setHeader("Set-Cookie", ["a=1", "b=2"]);
    res.end("ok");
  },
  "/status-500": (session, res) => {
    session.set("count", 99);
    res.statusCode = 500;
    res.end("failed");
  },
  "/write-head-503": (session, res) => {
    session.set("count", 99);
    res.writeHead(503);
    res.end("unavailable");
  },
  "/bad-header": (session, res) => {
    session.set("user", "ada");
    res.writeHead(200, { "X-Bad": "a\nb" });
    res.end("never sent");
  },
};

/** Answers with the status and a text body. */
function answer(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.end(body);
}

/**
 * A node:http listener: the session through nodeSession(), then the route.
 * A store failure answers 503, whether loading rejects or onError gets it
 * at commit; a route that throws gets a 500. `seen` records the errors.
 */
function createListener(
  sessions: SessionManager<Data>,
  options?: NodeSessionOptions,
  seen: unknown[] = [],
) {
  const session = nodeSession(sessions, options);
  const fail = (res: ServerResponse) => (error: unknown) => {
    seen.push(error);
    if (error instanceof SessionStoreError) answer(res, 503, "unavailable");
    else answer(res, 500, "failed");
  };
  return async (req: IncomingMessage, res: ServerResponse) => {
    let loaded: Session<Data>;
    try {
      loaded = await session(req, res, fail(res));
    } catch (error) {
      return fail(res)(error);
    }
    try {
      await (ROUTES[req.url!] ?? ((_, res) => answer(res, 404, "")))(
        loaded,
        res,
      );
    } catch (error) {
      fail(res)(error);
    }
  };
}

for (const { name, store } of STORE_PATHS) {
  const server = (options?: NodeSessionOptions) =>
    listen(
      createListener(createSessionManager<Data>({ store: store() }), options),
    );

  describe(`nodeSession() on node:http (${name})`, { timeout: 20_000 }, () => {
    test("counts across requests, with a cookie on the first write only", async () => {
      await withServer(server(), async (client) => {
        const peek = await client.send("/peek");
        assert.equal(await peek.text(), "0");
        assert.deepEqual(setCookies(peek), []);
        const first = await client.send("/count");
        assert.equal(await first.text(), "1");
        assert.match(setCookies(first)[0], SESSION_COOKIE);
        for (const count of [2, 3]) {
          const response = await client.send("/count");
          assert.equal(await response.text(), String(count));
          assert.deepEqual(setCookies(response), []);
        }
      });
    });

    test("res.write() several times before res.end() streams, with the cookie", async () => {
      await withServer(server(), async (client) => {
        const response = await client.send("/stream");
        assert.equal(await response.text(), "abc");
        assert.match(setCookies(response)[0], SESSION_COOKIE);
      });
    });

    test("res.flushHeaders() before the events carries the cookie", async () => {
      await withServer(server(), async (client) => {
        const response = await client.send("/events");
        assert.equal(response.headers.get("Content-Type"), "text/event-stream");
        assert.equal(await response.text(), "data: 1\n\ndata: 2\n\n");
        assert.match(setCookies(response)[0], SESSION_COOKIE);
      });
    });

    test("res.writeHead() with the route's own Set-Cookie sends both", async () => {
      await withServer(server(), async ({ origin }) => {
        for (const path of ["/write-head", "/write-head-raw"]) {
          const response = await new Client(origin).send(path);
          assert.equal(await response.text(), "ok");
          const [own, sid] = setCookies(response);
          assert.equal(own, "a=1", path);
          assert.match(sid, SESSION_COOKIE, path);
        }
      });
    });

    test("a headers object shared by every res.writeHead() carries no other visitor's cookie", async () => {
      await withServer(server(), async ({ origin }) => {
        const visitors = [new Client(origin), new Client(origin)];
        for (const visitor of visitors) {
          const response = await visitor.send("/write-head-shared");
          const [own, sid, ...more] = setCookies(response);
          assert.equal(own, "a=1");
          assert.match(sid, SESSION_COOKIE);
          assert.deepEqual(more, []);
        }
        assert.notEqual(visitors[0].jar.get("sid"), visitors[1].jar.get("sid"));
        assert.deepEqual(SHARED_HEADERS, {
          "Set-Cookie": "a=1",
          "Content-Type": "text/plain",
        });
      });
    });

    test("res.setHeader('Set-Cookie', [...]) and the session cookie all arrive", async () => {
      await withServer(server(), async (client) => {
        const response = await client.send("/set-header");
        const [a, b, sid] = setCookies(response);
        assert.deepEqual([a, b], ["a=1", "b=2"]);
        assert.match(sid, SESSION_COOKIE);
      });
    });

    test("a status of 500 or more commits nothing", async () => {
      await withServer(server(), async (client) => {
        await client.send("/count");
        for (
          const [path, status] of [["/status-500", 500], [
            "/write-head-503",
            503,
          ]] as const
        ) {
          const response = await client.send(path);
          assert.equal(response.status, status);
          assert.deepEqual(setCookies(response), []);
        }
        assert.equal(await (await client.send("/peek")).text(), "1");
      });
    });

    test("an invalid header in res.writeHead() fails the request, not the server", async () => {
      await withServer(server(), async (client) => {
        const response = await client.send("/bad-header");
        assert.equal(response.status, 500);
        assert.equal(await response.text(), "failed");
        assert.equal(await (await client.send("/count")).text(), "1");
      });
    });

    test("20 parallel update() requests with one cookie end at 20", async () => {
      await withServer(server(), async (client) => {
        await client.send("/stream");
        const responses = await client.parallel(20, "/count");
        assert.deepEqual(responses.map((r) => r.status), Array(20).fill(200));
        assert.equal(await (await client.send("/peek")).text(), "20");
      });
    });

    test("https: () => true gives the __Host- cookie with Secure", async () => {
      await withServer(server({ https: () => true }), async (client) => {
        const response = await client.send("/count");
        assert.match(setCookies(response)[0], SECURE_SESSION_COOKIE);
        assert.equal(await (await client.send("/count")).text(), "2");
      });
    });
  });
}

describe("nodeSession() on node:http, a failing store", () => {
  test("a store failing at load rejects with a SessionStoreError: 503, no cookie", async () => {
    const store = new FaultyStore();
    const seen: unknown[] = [];
    const sessions = createSessionManager<Data>({ store });
    await withServer(
      listen(createListener(sessions, {}, seen)),
      async (client) => {
        await client.send("/count");
        store.fault = only(["get"], REFUSED);
        const response = await client.send("/count");
        assert.equal(response.status, 503);
        assert.deepEqual(setCookies(response), []);
      },
    );
    assert.equal(seen.length, 1);
    assert.ok(seen[0] instanceof SessionStoreError);
    assert.equal(seen[0].operation, "get");
    assert.equal((seen[0].cause as Error).message, "connection refused");
  });

  test("a store failing at commit reaches onError as a SessionStoreError: 503, no cookie", async () => {
    const inner = new MemoryStore();
    const store = new FaultyStore({ inner, fault: only(["set"], REFUSED) });
    const seen: unknown[] = [];
    const sessions = createSessionManager<Data>({ store });
    await withServer(
      listen(createListener(sessions, {}, seen)),
      async (client) => {
        for (const path of ["/count", "/write-head", "/events"]) {
          const response = await client.send(path);
          assert.equal(response.status, 503, path);
          assert.equal(await response.text(), "unavailable", path);
          assert.deepEqual(setCookies(response), [], path);
        }
      },
    );
    assert.equal(inner.size, 0);
    assert.equal(seen.length, 3);
    for (const error of seen) {
      assert.ok(error instanceof SessionStoreError);
      assert.equal(error.operation, "set");
    }
  });
});
