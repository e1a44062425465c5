// GET /test/theme: a cookie of the app's own, set with event.cookies,
// beside the session's.
import { json } from "@sveltejs/kit";
import { notFoundAnswer, testsEnabled } from "../../../lib/server/tests.ts";
import type { RequestHandler } from "./$types";

export const GET: RequestHandler = ({ cookies, locals }) => {
  if (!testsEnabled()) return notFoundAnswer();
  cookies.set("theme", "dark", { path: "/", httpOnly: false, secure: false });
  const count = locals.session.update("count", (n = 0) => n + 1);
  return json({ count });
};
