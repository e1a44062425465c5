// GET /peek: the session's values; creates no session.
import { demoRoute, notFound } from "../../lib/server/answer.ts";
import { peek } from "../../../../demo/routes.ts";

export const GET = demoRoute(({ locals }) => peek(locals.session));
export const fallback = notFound;
