// POST /logout: ends the session.
import { demoPost, demoRoute, notFound } from "../../lib/server/answer.ts";
import { logout } from "../../../../demo/routes.ts";

export const POST = demoRoute((event) =>
  logout(event.locals.session, demoPost(event))
);
export const fallback = notFound;
