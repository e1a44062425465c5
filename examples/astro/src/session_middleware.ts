/**
 * The whole integration of sesame with Astro: a middleware that loads the
 * request's session into `context.locals.session` (typed in `env.d.ts`),
 * lets the page or endpoint answer, then commits the session and adds its
 * `Set-Cookie` to the response. `middleware.ts` of the demo and of the
 * test fixture use it.
 *
 * @module
 */
import type { MiddlewareHandler } from "astro";
import type { Session, SessionManager } from "../../../mod.ts";

/** The session data of the app, as its `App.Locals` declares it. */
type LocalData = App.Locals["session"] extends Session<infer Data> ? Data
  : never;

/**
 * A middleware for `sessions`: a page or endpoint that throws, or answers
 * 500 or more, commits nothing; the store's errors (`SessionStoreError`)
 * go to `onStoreError`'s answer.
 */
export function sessionMiddleware(
  sessions: SessionManager<LocalData>,
  onStoreError: (error: unknown) => Response | undefined,
): MiddlewareHandler {
  return async (context, next) => {
    let session: Session<LocalData>;
    try {
      session = await sessions.load(context.request);
    } catch (error) {
      const answer = onStoreError(error);
      if (answer === undefined) throw error;
      return answer;
    }
    context.locals.session = session;
    // A page or endpoint that throws rejects here: nothing is committed.
    const response = await next();
    if (response.status >= 500) return response;
    let setCookie;
    try {
      setCookie = await session.commit();
    } catch (error) {
      const answer = onStoreError(error);
      if (answer === undefined) throw error;
      return answer;
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
