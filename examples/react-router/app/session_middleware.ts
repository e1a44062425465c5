/**
 * The whole integration of sesame with React Router's framework mode: a
 * route middleware (on the root route, so that every loader and action
 * runs inside it) that loads the request's session into a typed router
 * context, lets the routes answer, then commits the session and adds its
 * `Set-Cookie` to the response. The demo's `root.tsx` and the test
 * fixture's use it.
 *
 * @module
 */
import type { MiddlewareFunction, RouterContext } from "react-router";
import type { Session, SessionManager } from "../../../mod.ts";

/**
 * A middleware for `sessions` that puts each request's session in
 * `context` (read it with `context.get(sessionContext)`). A loader or action
 * that throws an error, or an answer of 500 or more, commits nothing; the
 * store's errors (`SessionStoreError`) go to `onStoreError`'s answer.
 */
export function sessionMiddleware<Data>(
  sessions: SessionManager<Data>,
  sessionContext: RouterContext<Session<Data>>,
  onStoreError: (error: unknown) => Response | undefined,
): MiddlewareFunction<Response> {
  const answer = (error: unknown) => {
    const response = onStoreError(error);
    if (response === undefined) throw error;
    return response;
  };
  return async ({ request, context }, next) => {
    let session: Session<Data>;
    try {
      session = await sessions.load(request);
    } catch (error) {
      return answer(error);
    }
    context.set(sessionContext, session);
    // React Router answers a loader's or action's error with a 500.
    const response = await next();
    if (response.status >= 500) return response;
    let setCookie;
    try {
      setCookie = await session.commit();
    } catch (error) {
      return answer(error);
    }
    if (setCookie === undefined) return response;
    try {
      response.headers.append("Set-Cookie", setCookie);
      return response;
    } catch {
      // Immutable headers (`Response.redirect()`, a `fetch()` result).
      const copy = new Response(response.body, response);
      copy.headers.append("Set-Cookie", setCookie);
      return copy;
    }
  };
}
