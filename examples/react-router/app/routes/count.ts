import { count, NOT_FOUND } from "../../../demo/routes.ts";
import { json } from "../json.ts";
import { session } from "../session.server.ts";
import type { Route } from "./+types/count";

/** `GET /count`. */
export async function loader({ context }: Route.LoaderArgs) {
  return json(await count(context.get(session)));
}

/** Any other method is 404, as in every demo. */
export function action() {
  return json(NOT_FOUND);
}
