// GET /count: adds 1 to the session's count and answers it.
import { count } from "../../../demo/routes.ts";
import { methods, withSession } from "../../lib/route.ts";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = methods({
  GET: withSession(count),
});
