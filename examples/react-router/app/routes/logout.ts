import { logout, NOT_FOUND } from "../../../demo/routes.ts";
import { json, post } from "../json.ts";
import { session } from "../session.server.ts";
import type { Route } from "./+types/logout";

/** `POST /logout`; other methods are 404, as in every demo. */
export function action({ request, context }: Route.ActionArgs) {
  return json(
    request.method === "POST"
      ? logout(context.get(session), post(request))
      : NOT_FOUND,
  );
}

/** `GET /logout` is 404, as in every demo. */
export function loader() {
  return json(NOT_FOUND);
}
