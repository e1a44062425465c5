// POST /test/login-redirect: logs in and answers with a redirect, whose
// headers are immutable: the session cookie rides on it all the same.
import { getSession } from "../../../lib/session.ts";
import { notFound } from "../../../lib/route.ts";
import { testsEnabled } from "../../../lib/tests.ts";

export async function POST(request: Request): Promise<Response> {
  if (!testsEnabled()) return notFound(request);
  const session = await getSession();
  session.regenerate();
  session.set("user", "redirected");
  await session.commit();
  return Response.redirect(new URL("/peek", request.url), 303);
}
