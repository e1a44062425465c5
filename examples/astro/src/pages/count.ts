import type { APIRoute } from "astro";
import { count, NOT_FOUND } from "../../../demo/routes.ts";
import { json } from "../json.ts";

/** `GET /count`; any other method is 404, as in every demo. */
export const ALL: APIRoute = async ({ request, locals }) =>
  json(request.method === "GET" ? await count(locals.session) : NOT_FOUND);
