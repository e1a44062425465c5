/**
 * The demo's decisions, the same on every server it runs on: what each route
 * does with the session and answers, what `POST /login` accepts, and which
 * posts count as same-origin. `app.ts` serves them on a fetch-style handler,
 * `node.ts` on `node:http`, `express.ts` on Express and `fastify.ts` on
 * Fastify; each only maps its requests and responses onto these functions.
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
 * Not for: reading requests or writing responses; that is each server's part.
 *
 * @module
 */
import type { Session } from "../../mod.ts";
import { renderPage } from "./page.ts";

/** The session values of the demo. */
export interface DemoData {
  count: number;
  user: string;
}

/** The session of one request of the demo. */
export type DemoSession = Session<DemoData>;

/** An answer of the demo: a status and a body to send as JSON. */
export interface DemoAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** What `POST /login` and `POST /logout` read of their request. */
export interface DemoPost {
  /** The `Origin` header, or `null` without one. */
  origin: string | null;
  /** The origin of the URL the request was sent to. */
  targetOrigin: string;
  /** The `Content-Type` header, or `""` without one. */
  contentType: string;
  /** Reads the whole body. */
  body(): Promise<Uint8Array>;
}

/** The longest user name the demo accepts. */
export const MAX_USER_LENGTH = 100;

/** The `Content-Type` of the page. */
export const HTML_TYPE = "text/html; charset=utf-8";

/** The answer to a route the demo does not have. */
export const NOT_FOUND: DemoAnswer = error(404, "not found");

/** The answer when the session store fails (a `SessionStoreError`). */
export const STORE_UNAVAILABLE: DemoAnswer = error(
  503,
  "session store unavailable",
);

const CROSS_ORIGIN = error(403, "cross-origin request");
const BAD_USER = error(
  400,
  `form field "user" must be 1 to ${MAX_USER_LENGTH} characters`,
);

/** `GET /count`: adds 1 to the session's count and answers the new count. */
export async function count(session: DemoSession): Promise<DemoAnswer> {
  // A read-modify-write that concurrent requests cannot lose; commit first so
  // that the answer is the committed count.
  session.update("count", (current = 0) => current + 1);
  await session.commit();
  return { status: 200, body: { count: session.get("count") } };
}

/** `GET /peek`: the session's values, without creating a session. */
export function peek(session: DemoSession): DemoAnswer {
  return {
    status: 200,
    body: {
      count: session.get("count") ?? null,
      user: session.get("user") ?? null,
    },
  };
}

/**
 * `POST /login`: a same-origin post with a `user` of 1 to
 * {@linkcode MAX_USER_LENGTH} characters (trimmed) moves the session to a new
 * id and sets `user`.
 */
export async function login(
  session: DemoSession,
  post: DemoPost,
): Promise<DemoAnswer> {
  if (!isSameOrigin(post)) return CROSS_ORIGIN;
  const user = await readUser(post);
  if (user === undefined) return BAD_USER;
  session.regenerate();
  session.set("user", user);
  return { status: 200, body: { user } };
}

/** `POST /logout`: a same-origin post destroys the session. */
export function logout(session: DemoSession, post: DemoPost): DemoAnswer {
  if (!isSameOrigin(post)) return CROSS_ORIGIN;
  session.destroy();
  return { status: 200, body: { user: null } };
}

/** `GET /`: the page, as HTML of {@linkcode HTML_TYPE}. */
export function home(session: DemoSession): string {
  return renderPage({
    count: session.get("count") ?? null,
    user: session.get("user") ?? null,
  });
}

function error(status: number, message: string): DemoAnswer {
  return { status, body: { error: message } };
}

/** Refuses form posts from other sites (a browser sends their Origin). */
function isSameOrigin(post: DemoPost): boolean {
  return post.origin === null || post.origin === post.targetOrigin;
}

/**
 * The trimmed `user` form field, or undefined when missing or too long. The
 * body is `multipart/form-data` when it says so, and URL-encoded otherwise,
 * whatever its `Content-Type`.
 */
async function readUser(post: DemoPost): Promise<string | undefined> {
  let user: unknown;
  try {
    const body = await post.body();
    user = post.contentType.startsWith("multipart/form-data")
      ? (await new Response(body as BodyInit, {
        headers: { "Content-Type": post.contentType },
      }).formData()).get("user")
      : new URLSearchParams(new TextDecoder().decode(body)).get("user");
  } catch {
    return undefined;
  }
  if (typeof user !== "string") return undefined;
  const trimmed = user.trim();
  return trimmed.length > 0 && trimmed.length <= MAX_USER_LENGTH
    ? trimmed
    : undefined;
}
