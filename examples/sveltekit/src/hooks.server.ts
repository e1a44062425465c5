/**
 * The session of every request, from `createSessionHandle` of
 * `@sesame/session/sveltekit`: loaded into `event.locals.session` before
 * SvelteKit answers, committed after (its `Set-Cookie` added to the
 * response). A failing store answers 503, as in every demo.
 *
 * @module
 */
import { json } from "@sveltejs/kit";
import type { Handle, ServerInit } from "@sveltejs/kit";
import { createSessionManager, SessionStoreError } from "../../../mod.ts";
import {
  createSessionHandle,
  type SessionHandleHook,
} from "../../../src/middleware/sveltekit.ts";
import { readDemoConfig } from "../../demo/config.ts";
import { connectIoredis, connectIoredisCluster } from "../../demo/ioredis.ts";
import { type DemoData, STORE_UNAVAILABLE } from "../../demo/routes.ts";

let withSession: SessionHandleHook<DemoData>;

// SESSION_STORE, REDIS_URL, SESSION_TTL, as for every demo.
export const init: ServerInit = async () => {
  const config = await readDemoConfig((name) => process.env[name], {
    name: "SvelteKit",
    redis: connectIoredis,
    redisCluster: connectIoredisCluster,
  });
  withSession = createSessionHandle(
    createSessionManager<DemoData>(config.sessions),
  );
};

export const handle: Handle = async (input) => {
  try {
    return await withSession(input);
  } catch (error) {
    if (!(error instanceof SessionStoreError)) throw error;
    return json(STORE_UNAVAILABLE.body, { status: STORE_UNAVAILABLE.status });
  }
};
