// Private module: never re-exported from an entry file.
//
// Sessions whose request a CSRF token check refused. The framework adapters
// (Hono, Express/Connect, Fastify) commit nothing for them: a forged request
// neither extends the session's idle timeout nor sends a cookie. The set is
// not looked at until a check has refused something, so apps that never
// refuse one pay nothing on their per-request path.

const refused = new WeakSet<object>();
let anyRefused = false;

/** Marks a session whose request was refused: its adapter commits nothing. */
export function refuseCommit(session: object): void {
  anyRefused = true;
  refused.add(session);
}

/** Whether a session's request was refused by a CSRF check. */
export function commitRefused(session: object): boolean {
  return anyRefused && refused.has(session);
}
