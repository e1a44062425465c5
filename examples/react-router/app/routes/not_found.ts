import { NOT_FOUND } from "../../../demo/routes.ts";
import { json } from "../json.ts";

/** Any other path: 404, as in every demo. */
export function loader() {
  return json(NOT_FOUND);
}

/** Any other path: 404, as in every demo. */
export function action() {
  return json(NOT_FOUND);
}
