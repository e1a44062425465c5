// A form whose action is a Server Action: it works without JavaScript too
// (a plain form post, answered with a 303 to /).
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { testsEnabled } from "../../../lib/tests.ts";
import { logIn } from "./actions.ts";

export default async function ActionPage() {
  await connection(); // per request: the switch is read at run time
  if (!testsEnabled()) notFound();
  return (
    <form id="action-login" action={logIn}>
      <input name="user" required />
      <button type="submit">Log in</button>
    </form>
  );
}
