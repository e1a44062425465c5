// GET /: what the page shows of the session.
import type { PageServerLoad } from "./$types";

export const load: PageServerLoad = ({ locals }) => ({
  count: locals.session.get("count") ?? null,
  user: locals.session.get("user") ?? null,
});
