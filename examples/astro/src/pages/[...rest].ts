import type { APIRoute } from "astro";
import { NOT_FOUND } from "../../../demo/routes.ts";
import { json } from "../json.ts";

/** Any other path: 404, as in every demo. */
export const ALL: APIRoute = () => json(NOT_FOUND);
