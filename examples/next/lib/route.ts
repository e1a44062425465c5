/**
 * The demo's Route Handlers: each answers with a function of
 * `examples/demo/routes.ts`, so that every demo decides alike. The session
 * is committed after the route's function returns (its `Set-Cookie` goes out
 * through `cookies().set()`), nothing is committed when it throws, and a
 * failing store answers 503. Methods a route does not serve answer 404, as
 * the other demos do.
 *
 * @module
 */
import { SessionStoreError } from "../../../mod.ts";
import {
  type DemoAnswer,
  type DemoPost,
  type DemoSession,
  NOT_FOUND,
  STORE_UNAVAILABLE,
} from "../../demo/routes.ts";
import { getSession } from "./session.ts";

/** A route's function: the session and the request in, an answer out. */
type Route = (
  session: DemoSession,
  request: Request,
) => DemoAnswer | Promise<DemoAnswer>;

/** A Route Handler. */
type Handler = (request: Request) => Promise<Response>;

/** Serves `route` with the request's session. */
export function withSession(route: Route): Handler {
  return async (request) => {
    try {
      const session = await getSession();
      const answer = await route(session, request);
      await session.commit();
      return json(answer);
    } catch (error) {
      if (error instanceof SessionStoreError) return json(STORE_UNAVAILABLE);
      throw error;
    }
  };
}

/** Answers 404, with no session at all. */
export const notFound: Handler = () => Promise.resolve(json(NOT_FOUND));

/**
 * The exports of a Route Handler file: the given methods, and 404 for the
 * others (HEAD is GET's, as Next.js answers it).
 */
export function methods(
  served: { GET?: Handler; POST?: Handler },
): Record<"GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS", Handler> {
  return {
    GET: served.GET ?? notFound,
    POST: served.POST ?? notFound,
    PUT: notFound,
    PATCH: notFound,
    DELETE: notFound,
    OPTIONS: notFound,
  };
}

/**
 * What `POST /login` and `POST /logout` read of their request. The origin
 * the request was sent to is its `Host` with the scheme `next start` puts
 * in `X-Forwarded-Proto`: `request.url` has the host `next start` was told
 * to bind, which need not be the one the browser used.
 */
export function demoPost(request: Request): DemoPost {
  const { headers } = request;
  const proto = headers.get("X-Forwarded-Proto")?.split(",")[0].trim();
  return {
    origin: headers.get("Origin"),
    targetOrigin: `${proto || "http"}://${headers.get("Host")}`,
    contentType: request.headers.get("Content-Type") ?? "",
    body: async () => new Uint8Array(await request.arrayBuffer()),
  };
}

function json({ status, body }: DemoAnswer): Response {
  return Response.json(body, { status });
}
