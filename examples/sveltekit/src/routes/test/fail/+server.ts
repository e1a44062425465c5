// GET /test/fail: changes the session, then throws: SvelteKit answers 500,
// and the hook commits nothing.
import { notFoundAnswer, testsEnabled } from "../../../lib/server/tests.ts";
import type { RequestHandler } from "./$types";

export const GET: RequestHandler = ({ locals }) => {
  if (!testsEnabled()) return notFoundAnswer();
  locals.session.set("count", 1000);
  locals.session.regenerate();
  throw new Error("the route failed");
};
