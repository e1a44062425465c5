import type { APIRoute } from "astro";
import { home, HTML_TYPE, NOT_FOUND } from "../../../demo/routes.ts";
import { json } from "../json.ts";

/**
 * `GET /`: the demo's page, the same HTML as every demo serves (an `.astro`
 * page would read `Astro.locals.session` the same way).
 */
export const ALL: APIRoute = ({ request, locals }) =>
  request.method === "GET"
    ? new Response(home(locals.session), {
      headers: { "Content-Type": HTML_TYPE },
    })
    : json(NOT_FOUND);
