// Routes under /test/ that tests/sveltekit_test.ts drives (a form action
// that redirects, a streaming response, a failing route, SvelteKit's own
// cookies, a response with immutable headers). They exist only with
// SESAME_DEMO_TESTS=1; otherwise they answer 404 like any path the demo
// does not have.
import { error } from "@sveltejs/kit";
import { NOT_FOUND } from "../../../../demo/routes.ts";
import { answer } from "./answer.ts";

export function testsEnabled(): boolean {
  return process.env.SESAME_DEMO_TESTS === "1";
}

/** The 404 of the demo, for a test route that is switched off. */
export function notFoundAnswer(): Response {
  return answer(NOT_FOUND);
}

/** Ends a page's load with a 404 when the test routes are switched off. */
export function requireTests(): void {
  if (!testsEnabled()) error(404, "not found");
}
