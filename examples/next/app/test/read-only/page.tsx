// GET /test/read-only: a Server Component that breaks Next's rule on
// purpose and shows the errors it gets: changing the session of
// readSession(), and committing a change through getSession(), where Next
// cannot set cookies.
import { notFound } from "next/navigation";
import { connection } from "next/server";
import type { Session } from "../../../../../mod.ts";
import { getSession, readSession } from "../../../lib/session.ts";
import { testsEnabled } from "../../../lib/tests.ts";
import type { DemoData } from "../../../../demo/routes.ts";

async function attempt(change: () => unknown): Promise<string> {
  try {
    await change();
    return "no error";
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

export default async function ReadOnlyPage() {
  await connection(); // per request: the switch is read at run time
  if (!testsEnabled()) notFound();
  const read = await readSession();
  const setError = await attempt(() =>
    (read as Session<DemoData>).set("count", 1)
  );
  const commitError = await attempt(async () => {
    const session = await getSession();
    session.set("user", "page");
    await session.commit();
  });
  return (
    <>
      <p id="set">{setError}</p>
      <p id="commit">{commitError}</p>
      <p id="count">{String(read.get("count") ?? null)}</p>
    </>
  );
}
