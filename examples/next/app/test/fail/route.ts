// GET /test/fail: changes the session, then fails before committing: Next.js
// answers 500, and neither the store nor the cookie changes.
import { getSession } from "../../../lib/session.ts";
import { notFound } from "../../../lib/route.ts";
import { testsEnabled } from "../../../lib/tests.ts";

export async function GET(request: Request): Promise<Response> {
  if (!testsEnabled()) return notFound(request);
  const session = await getSession();
  session.set("count", 1000);
  session.regenerate();
  throw new Error("the route failed");
}
