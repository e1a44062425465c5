/**
 * The demo's middleware: the session of `session_middleware.ts` for every
 * request, and 503 while the store is down. `/count/` is not `/count`, as in
 * every demo (Astro would redirect it, or serve it with `trailingSlash`).
 *
 * @module
 */
import { defineMiddleware } from "astro:middleware";
import { SessionStoreError } from "../../../mod.ts";
import { NOT_FOUND, STORE_UNAVAILABLE } from "../../demo/routes.ts";
import { json } from "./json.ts";
import { sessionMiddleware } from "./session_middleware.ts";
import { sessions } from "./sessions.ts";

const withSession = sessionMiddleware(
  sessions,
  (error) =>
    error instanceof SessionStoreError ? json(STORE_UNAVAILABLE) : undefined,
);

export const onRequest = defineMiddleware((context, next) => {
  const path = context.url.pathname;
  if (path !== "/" && path.endsWith("/")) return json(NOT_FOUND);
  return withSession(context, next);
});
