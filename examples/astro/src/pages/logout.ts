import type { APIRoute } from "astro";
import { logout, NOT_FOUND } from "../../../demo/routes.ts";
import { json, post } from "../json.ts";

/** `POST /logout`; any other method is 404, as in every demo. */
export const ALL: APIRoute = ({ request, url, locals }) =>
  json(
    request.method === "POST"
      ? logout(locals.session, post(request, url))
      : NOT_FOUND,
  );
