import type { APIRoute } from "astro";
import { login, NOT_FOUND } from "../../../demo/routes.ts";
import { json, post } from "../json.ts";

/** `POST /login`; any other method is 404, as in every demo. */
export const ALL: APIRoute = async ({ request, url, locals }) =>
  json(
    request.method === "POST"
      ? await login(locals.session, post(request, url))
      : NOT_FOUND,
  );
