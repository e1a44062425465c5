import { home, HTML_TYPE, NOT_FOUND } from "../../../demo/routes.ts";
import { json } from "../json.ts";
import { session } from "../session.server.ts";
import type { Route } from "./+types/home";

/**
 * `GET /`: the demo's page, the same HTML as every demo serves (a page
 * route's loader would read `context.get(session)` the same way).
 */
export function loader({ context }: Route.LoaderArgs) {
  return new Response(home(context.get(session)), {
    headers: { "Content-Type": HTML_TYPE },
  });
}

/** Any other method is 404, as in every demo. */
export function action() {
  return json(NOT_FOUND);
}
