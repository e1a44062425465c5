// The README's migration from express-session, as working code: the app of
// examples/migration/before.ts (express-session + connect-redis) and the
// same app on sesame (after.ts), both over node-redis against a real
// redis-server, answer a visit of the same requests alike.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { createClient } from "redis";
import { createApp as createBefore } from "../examples/migration/before.ts";
import { createApp as createAfter } from "../examples/migration/after.ts";
import { listen, withServer } from "./_node_server.ts";
import {
  findRedisServer,
  type RedisServer,
  startRedisServer,
} from "./_redis_server.ts";

const serverPath = findRedisServer();

const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

describe("migrating from express-session: the same app before and after", () => {
  let redis: RedisServer;
  let client: ReturnType<typeof createClient>;

  before(async () => {
    if (serverPath === undefined) {
      const message = "redis-server was not found";
      if (process.env.CI === "true") throw new Error(`${message}: CI needs it`);
      return;
    }
    redis = await startRedisServer(serverPath);
    client = createClient({ url: redis.url });
    await client.connect();
  });

  after(async () => {
    await client?.quit();
    await redis?.stop();
  });

  /** The answers of one visit: count twice, log in, peek, log out, peek. */
  async function visit(app: Parameters<typeof listen>[0]) {
    const answers: unknown[] = [];
    let oldCookie = "";
    let rotated = false;
    await withServer(listen(app), async (http) => {
      answers.push(await http.json("/count"), await http.json("/count"));
      oldCookie = http.jar.header() ?? "";
      answers.push(
        await http.json("/login", {
          method: "POST",
          headers: FORM,
          body: "user=ada",
        }),
      );
      rotated = http.jar.header() !== oldCookie;
      answers.push(await http.json("/peek"));
      const replay = await fetch(http.origin + "/peek", {
        headers: { Cookie: oldCookie },
      });
      answers.push(await replay.json());
      answers.push(await http.json("/logout", { method: "POST" }));
      answers.push(await http.json("/peek"));
    });
    return { answers, rotated };
  }

  test("both count, rotate the id at login, keep the values, and log out", async (t) => {
    if (serverPath === undefined) return t.skip("redis-server was not found");
    const expected = [
      { count: 1 },
      { count: 2 },
      { user: "ada" },
      { count: 2, user: "ada" },
      { count: null, user: null },
      { user: null },
      { count: null, user: null },
    ];
    const was = await visit(createBefore(client));
    const is = await visit(createAfter(client));
    assert.deepEqual(was, { answers: expected, rotated: true });
    assert.deepEqual(is, { answers: expected, rotated: true });
  });
});
