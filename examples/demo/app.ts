/**
 * The demo application: one portable `(request) => Promise<Response>` handler
 * that every runtime's entry file serves.
 *
 * Routes:
 * - `GET /count` increments `count` and answers `{"count": n}`;
 * - `GET /peek` answers `{"count": n|null, "user": string|null}` and never
 *   creates a session;
 * - `POST /login` with form field `user` regenerates the id, sets `user` and
 *   answers `{"user": "NAME"}`;
 * - `POST /logout` destroys the session and answers `{"user": null}`;
 * - `GET /` is a page for people;
 * - anything else is 404. A failing store answers 503.
 *
 * @module
 */
import {
  createSessionManager,
  type SessionManagerOptions,
  SessionStoreError,
} from "../../mod.ts";
import { renderPage } from "./page.ts";

/** The session values of the demo. */
export interface DemoData {
  count: number;
  user: string;
}

/** The longest user name the demo accepts. */
const MAX_USER_LENGTH = 100;

/**
 * Creates the demo's request handler.
 *
 * @param options Session manager options (store, timeouts).
 */
export function createDemoApp(
  options: SessionManagerOptions = {},
): (request: Request) => Promise<Response> {
  const sessions = createSessionManager<DemoData>(options);

  const routes = sessions.handler(async (request, session) => {
    const { pathname } = new URL(request.url);
    const route = `${request.method} ${pathname}`;
    switch (route) {
      case "GET /count": {
        // A read-modify-write that concurrent requests cannot lose; commit
        // first so that the answer is the committed count.
        session.update("count", (count = 0) => count + 1);
        await session.commit();
        return Response.json({ count: session.get("count") });
      }
      case "GET /peek":
        return Response.json({
          count: session.get("count") ?? null,
          user: session.get("user") ?? null,
        });
      case "POST /login": {
        if (!isSameOrigin(request)) return error(403, "cross-origin request");
        const user = await readUser(request);
        if (user === undefined) {
          return error(
            400,
            `form field "user" must be 1 to ${MAX_USER_LENGTH} characters`,
          );
        }
        session.regenerate();
        session.set("user", user);
        return Response.json({ user });
      }
      case "POST /logout":
        if (!isSameOrigin(request)) return error(403, "cross-origin request");
        session.destroy();
        return Response.json({ user: null });
      case "GET /":
        return new Response(
          renderPage({
            count: session.get("count") ?? null,
            user: session.get("user") ?? null,
          }),
          { headers: { "Content-Type": "text/html; charset=utf-8" } },
        );
      default:
        return error(404, "not found");
    }
  });

  return async (request) => {
    try {
      return await routes(request);
    } catch (cause) {
      if (cause instanceof SessionStoreError) {
        return error(503, "session store unavailable");
      }
      throw cause;
    }
  };
}

function error(status: number, message: string): Response {
  return Response.json({ error: message }, { status });
}

/** Refuses form posts from other sites (a browser sends their Origin). */
function isSameOrigin(request: Request): boolean {
  const origin = request.headers.get("Origin");
  return origin === null || origin === new URL(request.url).origin;
}

/** The trimmed `user` form field, or undefined when missing or too long. */
async function readUser(request: Request): Promise<string | undefined> {
  let user: unknown;
  try {
    const type = request.headers.get("Content-Type") ?? "";
    user = type.startsWith("multipart/form-data")
      ? (await request.formData()).get("user")
      : new URLSearchParams(await request.text()).get("user");
  } catch {
    return undefined;
  }
  if (typeof user !== "string") return undefined;
  const trimmed = user.trim();
  return trimmed.length > 0 && trimmed.length <= MAX_USER_LENGTH
    ? trimmed
    : undefined;
}
