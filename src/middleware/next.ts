/**
 * Sessions for [Next.js](https://nextjs.org) apps on the App Router: the
 * session read from `cookies()` of `next/headers` and its cookie set through
 * `cookies().set()`, with Next's rule about where cookies may be set made
 * explicit.
 *
 * Next lets only Server Functions (Server Actions) and Route Handlers set
 * cookies; Server Components may only read them. So there are two ways to
 * get the session:
 *
 * - `getSession()`, in Server Functions and Route Handlers: the session,
 *   whose `commit()` also sets its cookie through `cookies().set()`, with the
 *   same name and attributes as the manager's `Set-Cookie`. Commit before
 *   the function returns (or calls `redirect()`); nothing commits for you.
 * - `readSession()`, in Server Components (and anywhere else): the session
 *   to read. Changing or committing it throws a `TypeError` that names the
 *   rule, instead of writing to the store a change whose cookie could never
 *   be sent.
 *
 * Both load the session once per request and give the same session to every
 * caller in that request.
 *
 * @example lib/session.ts, the session of the whole app
 * ```ts ignore
 * import { cookies, headers } from "next/headers";
 * import { createSessionManager } from "@sesame/session";
 * import { createNextSessions } from "@sesame/session/next";
 *
 * export const sessions = createSessionManager<{ user: string }>();
 * export const { getSession, readSession } = createNextSessions(sessions, {
 *   cookies,
 *   headers,
 * });
 * ```
 *
 * @example A Server Action that logs in, and a page that reads the session
 * ```tsx ignore
 * // app/actions.ts
 * "use server";
 * import { redirect } from "next/navigation";
 * import { getSession } from "@/lib/session";
 *
 * export async function logIn(form: FormData) {
 *   const session = await getSession();
 *   session.regenerate();
 *   session.set("user", String(form.get("user")));
 *   await session.commit(); // before redirect(), which throws
 *   redirect("/");
 * }
 *
 * // app/page.tsx
 * import { readSession } from "@/lib/session";
 *
 * export default async function Page() {
 *   const session = await readSession();
 *   return <p>{session.get("user") ?? "anonymous"}</p>;
 * }
 * ```
 *
 * Route Handlers get a `Request` and return a `Response`, so
 * `SessionManager.handler()` serves them as well, without `cookies()`. In
 * `proxy.ts` (`middleware.ts` before Next.js 16), use
 * `SessionManager.load(request)` and append the `Set-Cookie` of `commit()`
 * to the `NextResponse`. This module does not import Next.js: it works on
 * the shapes of `cookies()` and `headers()`.
 *
 * @module
 */
import { describeValue } from "../_options.ts";
import type { SessionManager } from "../manager.ts";
import type { Session, SessionData } from "../session.ts";
import { cookieRequest, parseSetCookie } from "./_next_cookie.ts";

/**
 * What the adapter uses of the cookie store that `cookies()` of
 * `next/headers` gives (its `ReadonlyRequestCookies` is one).
 */
export interface NextCookieStore {
  /** The request's cookies (and those set earlier in the same request). */
  getAll(): { name: string; value: string }[];
  /**
   * Sets a response cookie; Next throws outside Server Functions and Route
   * Handlers.
   */
  set(name: string, value: string, options: NextCookieOptions): unknown;
}

/** The attributes the adapter passes to `cookies().set()`. */
export interface NextCookieOptions {
  /** Seconds until the cookie expires; absent for a browser-session cookie. */
  maxAge?: number;
  /** The `Domain` attribute, when the cookie has one. */
  domain?: string;
  /** The `Path` attribute. */
  path: string;
  /** Whether scripts are kept from the cookie. */
  httpOnly: boolean;
  /** Whether the cookie travels over https only. */
  secure: boolean;
  /** The `SameSite` attribute. */
  sameSite: "lax" | "strict" | "none";
  /** Whether the cookie is partitioned (CHIPS). */
  partitioned: boolean;
}

/**
 * What the adapter uses of the headers that `headers()` of `next/headers`
 * gives: the header that tells whether the request came over https.
 */
export interface NextHeaders {
  /** Reads a request header. */
  get(name: string): string | null;
}

/**
 * Options of {@linkcode createNextSessions}: `cookies` and `headers` of
 * `next/headers`, passed as they are.
 *
 * @example Behind a proxy that says https its own way
 * ```ts ignore
 * import { cookies, headers } from "next/headers";
 * import type { NextSessionsOptions } from "@sesame/session/next";
 *
 * const options: NextSessionsOptions = {
 *   cookies,
 *   headers,
 *   https: (headers) => headers.get("x-forwarded-ssl") === "on",
 * };
 * ```
 */
export interface NextSessionsOptions {
  /** `cookies` of `next/headers`: the request's cookies, and where to set them. */
  cookies: () => Promise<NextCookieStore>;
  /** `headers` of `next/headers`: the request's headers. */
  headers: () => Promise<NextHeaders>;
  /**
   * Whether a request came over https, which picks the cookie's name
   * (`__Host-`) and `Secure` when the cookie's `secure` is `"auto"`. The
   * default reads the first value of `X-Forwarded-Proto`, which `next start`
   * fills in from the connection when the request has none: behind a proxy
   * that terminates TLS, make sure the proxy sets it (or set the cookie's
   * `secure: true`).
   *
   * @default {(headers) => first value of X-Forwarded-Proto === "https"}
   */
  https?: (headers: NextHeaders) => boolean;
}

/**
 * A session to read, as {@linkcode NextSessions.readSession} gives it:
 * the reading half of `Session`.
 *
 * @typeParam Data The shape of the session's values.
 * @typeParam Flash The shape of its flash values.
 *
 * @example Show who is signed in
 * ```ts
 * import type { ReadonlySession } from "@sesame/session/next";
 *
 * function greeting(session: ReadonlySession<{ user: string }>): string {
 *   return `Hello, ${session.get("user") ?? "stranger"}`;
 * }
 * ```
 */
export type ReadonlySession<Data = SessionData, Flash = SessionData> = Pick<
  Session<Data, Flash>,
  "isNew" | "destroyed" | "stale" | "subject" | "get" | "has"
>;

/**
 * The sessions of a Next.js app, as {@linkcode createNextSessions} makes
 * them.
 *
 * @typeParam Data The shape of the session's values.
 * @typeParam Flash The shape of its flash values.
 *
 * @example A Route Handler that counts
 * ```ts ignore
 * // app/count/route.ts
 * import { getSession } from "@/lib/session";
 *
 * export async function GET() {
 *   const session = await getSession();
 *   session.update("count", (count = 0) => count + 1);
 *   await session.commit();
 *   return Response.json({ count: session.get("count") });
 * }
 * ```
 */
export interface NextSessions<Data = SessionData, Flash = SessionData> {
  /**
   * The request's session, for Server Functions and Route Handlers: its
   * `commit()` writes to the store and sets the cookie through
   * `cookies().set()`. Call `commit()` before returning, and before
   * `redirect()`, which throws; a function that throws before it commits
   * nothing. Every call in one request gives the same session.
   *
   * Not for Server Components: there `commit()` throws a `TypeError` naming
   * the rule whenever it has to set the cookie (a new session,
   * `regenerate()`, `destroy()`, an expiry that moves forward), but only
   * after the store was written, since Next gives no way to tell beforehand.
   * Use `readSession()` there: it refuses every change before anything is
   * written.
   *
   * @returns The session.
   * @throws {SessionStoreError} When the store fails.
   */
  getSession(): Promise<Session<Data, Flash>>;
  /**
   * The request's session, to read, for Server Components: Next.js lets
   * them read cookies but not set them. Its changing methods, where called
   * all the same (from JavaScript, or through a cast), throw a `TypeError`
   * naming the rule. Reading writes nothing: a page view neither creates a
   * session nor extends its idle timeout. Every call in one request gives
   * the same session (until a Server Function of the request sets the
   * cookie).
   *
   * @returns The session, to read.
   * @throws {SessionStoreError} When the store fails.
   */
  readSession(): Promise<ReadonlySession<Data, Flash>>;
}

const ACTION = "Cannot create Next.js sessions";

/** The methods of a session that change it. */
const CHANGING = [
  "set",
  "delete",
  "update",
  "flash",
  "takeFlash",
  "regenerate",
  "destroy",
  "setSubject",
  "commit",
] as const;

/**
 * Makes the sessions of a Next.js app from a session manager and `cookies`
 * and `headers` of `next/headers`: create them once, in a module of the
 * app, and export `getSession` and `readSession`.
 *
 * The session cookie is read from `cookies()`, so a Server Component that
 * renders after a Server Function in the same request sees the session that
 * function committed. Next's cookie parser keeps one of two cookies of the
 * same name, so sesame's rule that a duplicated session cookie counts as
 * absent does not apply here: keep the `__Host-` name of https requests,
 * which no other site or subdomain can set.
 *
 * @typeParam Data The shape of the session's values, from the manager.
 * @typeParam Flash The shape of its flash values, from the manager.
 * @param sessions The session manager.
 * @param options `cookies` and `headers` of `next/headers`, and how to tell
 * https requests.
 * @returns `getSession()` and `readSession()`.
 * @throws {TypeError} When `cookies`, `headers` or `https` is not a function.
 *
 * @example lib/session.ts
 * ```ts ignore
 * import { cookies, headers } from "next/headers";
 * import { createSessionManager } from "@sesame/session";
 * import { RedisStore } from "@sesame/session/redis";
 * import { createNextSessions } from "@sesame/session/next";
 *
 * export const sessions = createSessionManager<{ user: string }>({
 *   store: new RedisStore({ client }),
 * });
 * export const { getSession, readSession } = createNextSessions(sessions, {
 *   cookies,
 *   headers,
 * });
 * ```
 */
export function createNextSessions<Data = SessionData, Flash = SessionData>(
  sessions: SessionManager<Data, Flash>,
  options: NextSessionsOptions,
): NextSessions<Data, Flash> {
  const cookies = requireFunction("cookies", options?.cookies);
  const headers = requireFunction("headers", options?.headers);
  const https = requireFunction("https", options?.https ?? forwardedHttps);
  // One load per request: Next gives the same cookie store to every call of
  // cookies() in a request (a new one once a Server Function set a cookie).
  const writable = new WeakMap<object, Promise<Session<Data, Flash>>>();
  const readable = new WeakMap<object, Promise<Session<Data, Flash>>>();

  const open = async (
    loaded: WeakMap<object, Promise<Session<Data, Flash>>>,
    prepare: (session: Session<Data, Flash>, store: NextCookieStore) => void,
  ): Promise<Session<Data, Flash>> => {
    const store = await cookies();
    let session = loaded.get(store);
    if (session === undefined) {
      session = headers().then(async (requestHeaders) => {
        const request = cookieRequest(store.getAll(), https(requestHeaders));
        const opened = await sessions.load(request);
        prepare(opened, store);
        return opened;
      });
      loaded.set(store, session);
    }
    return await session;
  };

  return {
    getSession: () => open(writable, setsCookie),
    readSession: () => open(readable, readOnly),
  };
}

/** Returns an option that must be a function, or throws naming it. */
function requireFunction<T>(name: keyof NextSessionsOptions, value: T): T {
  if (typeof value === "function") return value;
  const hint = name === "https" ? "" : ` (${name} of "next/headers")`;
  throw new TypeError(
    `${ACTION}: ${name} must be a function${hint}, received ${
      describeValue(value)
    }`,
  );
}

/** The default of `https`: the first value of `X-Forwarded-Proto`. */
function forwardedHttps(headers: NextHeaders): boolean {
  const proto = headers.get("x-forwarded-proto");
  return proto !== null && proto.split(",")[0].trim() === "https";
}

/** Makes `commit()` of a session also set its cookie through the store. */
function setsCookie<Data, Flash>(
  session: Session<Data, Flash>,
  store: NextCookieStore,
): void {
  const commit = session.commit.bind(session);
  Object.defineProperty(session, "commit", {
    configurable: true,
    value: async (): Promise<string | undefined> => {
      const setCookie = await commit();
      if (setCookie === undefined) return undefined;
      const { name, value, attributes } = parseSetCookie(setCookie);
      const cookie: NextCookieOptions = { ...attributes };
      if (cookie.maxAge === undefined) delete cookie.maxAge;
      if (cookie.domain === undefined) delete cookie.domain;
      try {
        store.set(name, value, cookie);
      } catch (cause) {
        throw new TypeError(
          "Cannot commit session: Next.js refused to set the session cookie, which it allows only in Server Functions (Server Actions) and Route Handlers; in Server Components, read the session with readSession() and change it in a Server Function",
          { cause },
        );
      }
      return setCookie;
    },
  });
}

/** Makes every changing method of a session throw, naming Next's rule. */
function readOnly<Data, Flash>(session: Session<Data, Flash>): void {
  for (const method of CHANGING) {
    Object.defineProperty(session, method, {
      configurable: true,
      value: () => {
        throw new TypeError(
          `Cannot ${method}() a session from readSession(): Next.js lets only Server Functions (Server Actions) and Route Handlers set cookies, so change the session there, with getSession()`,
        );
      },
    });
  }
}
