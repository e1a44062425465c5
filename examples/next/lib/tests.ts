/**
 * Routes under /test/ that tests/next_test.ts drives (a Server Action that
 * redirects, a streaming response, a failing route, Next's own cookies, the
 * read-only rule). They exist only with SESAME_DEMO_TESTS=1; otherwise they
 * answer 404 like any path the demo does not have.
 *
 * @module
 */
export function testsEnabled(): boolean {
  return process.env.SESAME_DEMO_TESTS === "1";
}
