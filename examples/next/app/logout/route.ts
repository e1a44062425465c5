// POST /logout: ends the session.
import { logout } from "../../../demo/routes.ts";
import { demoPost, methods, withSession } from "../../lib/route.ts";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = methods({
  POST: withSession((session, request) => logout(session, demoPost(request))),
});
