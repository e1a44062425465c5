// POST /login: a new id for the session, and the user in it.
import { login } from "../../../demo/routes.ts";
import { demoPost, methods, withSession } from "../../lib/route.ts";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = methods({
  POST: withSession((session, request) => login(session, demoPost(request))),
});
