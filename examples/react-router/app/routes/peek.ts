import { NOT_FOUND, peek } from "../../../demo/routes.ts";
import { json } from "../json.ts";
import { session } from "../session.server.ts";
import type { Route } from "./+types/peek";

/** `GET /peek`. */
export function loader({ context }: Route.LoaderArgs) {
  return json(peek(context.get(session)));
}

/** Any other method is 404, as in every demo. */
export function action() {
  return json(NOT_FOUND);
}
