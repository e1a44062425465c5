/**
 * The demo's sessions: one manager for the whole app, configured from the
 * environment as every demo is (`SESSION_STORE`, `REDIS_URL`, `SESSION_TTL`),
 * and `getSession` / `readSession` of `@sesame/session/next` over it.
 *
 * `next start` serves every route from one process, so the memory store
 * works; it is kept on `globalThis` because Next bundles each route on its
 * own and must still share one store. Several processes (or serverless
 * functions) need a shared store such as Redis.
 *
 * @module
 */
import { cookies, headers } from "next/headers";
import { createSessionManager, type Session } from "../../../mod.ts";
import {
  createNextSessions,
  type NextSessions,
  type ReadonlySession,
} from "../../../src/middleware/next.ts";
import { readDemoConfig } from "../../demo/config.ts";
import { connectIoredis, connectIoredisCluster } from "../../demo/ioredis.ts";
import type { DemoData } from "../../demo/routes.ts";

const demo = globalThis as typeof globalThis & {
  sesameDemo?: Promise<NextSessions<DemoData>>;
};

/** The sessions, created on first use from the environment. */
function nextSessions(): Promise<NextSessions<DemoData>> {
  demo.sesameDemo ??= readDemoConfig((name) => process.env[name], {
    name: "Next.js",
    redis: connectIoredis,
    redisCluster: connectIoredisCluster,
  }).then((config) =>
    createNextSessions(createSessionManager<DemoData>(config.sessions), {
      cookies,
      headers,
    })
  );
  return demo.sesameDemo;
}

/** The request's session, in Route Handlers and Server Functions. */
export async function getSession(): Promise<Session<DemoData>> {
  return await (await nextSessions()).getSession();
}

/** The request's session, to read, in Server Components. */
export async function readSession(): Promise<ReadonlySession<DemoData>> {
  return await (await nextSessions()).readSession();
}
