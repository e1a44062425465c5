// POST /login: a new id for the session, and the user in it.
import { demoPost, demoRoute, notFound } from "../../lib/server/answer.ts";
import { login } from "../../../../demo/routes.ts";

export const POST = demoRoute((event) =>
  login(event.locals.session, demoPost(event))
);
export const fallback = notFound;
