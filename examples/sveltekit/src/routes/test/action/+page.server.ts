// A form action that logs in and redirects: redirect() throws, SvelteKit
// answers 303, and the hook commits the session onto that answer.
import { fail, redirect } from "@sveltejs/kit";
import { requireTests } from "../../../lib/server/tests.ts";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = () => requireTests();

export const actions: Actions = {
  default: async ({ locals, request }) => {
    requireTests();
    const user = String((await request.formData()).get("user") ?? "").trim();
    if (user === "" || user.length > 100) return fail(400, { user });
    locals.session.regenerate();
    locals.session.set("user", user);
    redirect(303, "/");
  },
};
