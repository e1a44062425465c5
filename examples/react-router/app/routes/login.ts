import { login, NOT_FOUND } from "../../../demo/routes.ts";
import { json, post } from "../json.ts";
import { session } from "../session.server.ts";
import type { Route } from "./+types/login";

/** `POST /login`; other methods are 404, as in every demo. */
export async function action({ request, context }: Route.ActionArgs) {
  return json(
    request.method === "POST"
      ? await login(context.get(session), post(request))
      : NOT_FOUND,
  );
}

/** `GET /login` is 404, as in every demo. */
export function loader() {
  return json(NOT_FOUND);
}
