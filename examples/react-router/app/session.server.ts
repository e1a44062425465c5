/**
 * The demo's sessions: the manager, configured from the environment when the
 * server starts (as every demo is: see `../../demo/config.ts`), the router
 * context that holds each request's session, and the root's middleware.
 *
 * @module
 */
import { createContext } from "react-router";
import {
  createSessionManager,
  type Session,
  SessionStoreError,
} from "../../../mod.ts";
import { readDemoConfig } from "../../demo/config.ts";
import { connectIoredis, connectIoredisCluster } from "../../demo/ioredis.ts";
import {
  type DemoData,
  NOT_FOUND,
  STORE_UNAVAILABLE,
} from "../../demo/routes.ts";
import { json } from "./json.ts";
import { sessionMiddleware } from "./session_middleware.ts";

let config;
try {
  config = await readDemoConfig((name) => process.env[name], {
    name: "Node",
    redis: connectIoredis,
    redisCluster: connectIoredisCluster,
  });
} catch (error) {
  console.error(`Cannot start the demo: ${(error as Error).message}`);
  process.exit(1);
}

/** The session of the request, for loaders and actions: `context.get(session)`. */
export const session = createContext<Session<DemoData>>();

const withSession = sessionMiddleware(
  createSessionManager<DemoData>(config.sessions),
  session,
  (error) =>
    error instanceof SessionStoreError ? json(STORE_UNAVAILABLE) : undefined,
);

/**
 * The root's middleware: HEAD, `/count/` and `/count.data` are 404, as in
 * every demo (React Router would answer them with the GET route, the last
 * for its client's navigations, which the demo's resource routes do not
 * use), then the session.
 */
export const demoMiddleware: typeof withSession = (args, next) => {
  const { pathname } = new URL(args.request.url);
  if (
    args.request.method === "HEAD" ||
    (pathname !== "/" && pathname.endsWith("/")) ||
    pathname.endsWith(".data")
  ) {
    return json(NOT_FOUND);
  }
  return withSession(args, next);
};
