// POST /test/redirect: logs in and answers with Response.redirect(), whose
// headers are immutable: the hook copies the response to add the cookie.
import { notFoundAnswer, testsEnabled } from "../../../lib/server/tests.ts";
import type { RequestHandler } from "./$types";

export const POST: RequestHandler = ({ locals, url }) => {
  if (!testsEnabled()) return notFoundAnswer();
  locals.session.regenerate();
  locals.session.set("user", "redirected");
  return Response.redirect(new URL("/peek", url), 303);
};
