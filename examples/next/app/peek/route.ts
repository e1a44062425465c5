// GET /peek: the session's values; creates no session.
import { peek } from "../../../demo/routes.ts";
import { methods, withSession } from "../../lib/route.ts";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = methods({
  GET: withSession(peek),
});
