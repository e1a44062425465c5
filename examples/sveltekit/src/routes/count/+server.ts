// GET /count: adds 1 to the session's count and answers it.
import { demoRoute, notFound } from "../../lib/server/answer.ts";
import { count } from "../../../../demo/routes.ts";

export const GET = demoRoute(({ locals }) => count(locals.session));
export const fallback = notFound;
