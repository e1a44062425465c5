// GET /test/theme: a cookie of the app's own, set with cookies().set(),
// beside the session's.
import { cookies } from "next/headers";
import { getSession } from "../../../lib/session.ts";
import { notFound } from "../../../lib/route.ts";
import { testsEnabled } from "../../../lib/tests.ts";

export async function GET(request: Request): Promise<Response> {
  if (!testsEnabled()) return notFound(request);
  (await cookies()).set("theme", "dark", { path: "/", sameSite: "lax" });
  const session = await getSession();
  session.update("count", (n = 0) => n + 1);
  await session.commit();
  return Response.json({
    count: session.get("count"),
    theme: (await cookies()).get("theme")?.value ?? null,
  });
}
