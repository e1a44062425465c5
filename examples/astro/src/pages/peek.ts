import type { APIRoute } from "astro";
import { NOT_FOUND, peek } from "../../../demo/routes.ts";
import { json } from "../json.ts";

/** `GET /peek`; any other method is 404, as in every demo. */
export const ALL: APIRoute = ({ request, locals }) =>
  json(request.method === "GET" ? peek(locals.session) : NOT_FOUND);
