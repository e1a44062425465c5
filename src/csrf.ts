/**
 * Protection against cross-site request forgery (CSRF) for apps whose
 * sessions ride on sesame's cookie: a check of where each state-changing
 * request comes from, by the `Sec-Fetch-Site` and `Origin` headers, and a
 * token bound to the session for the requests that carry neither header.
 *
 * ## The threat, and what `SameSite=Lax` already does
 *
 * A browser sends the session cookie with every request to the app, also
 * when another site's page makes it: a hidden form posted by `evil.example`
 * acts as the signed-in user. sesame's cookie is `SameSite=Lax` by default,
 * so browsers that enforce it already leave the cookie off unsafe requests
 * (POST, PUT, DELETE, …) that another *site* starts. That does not cover:
 *
 * - **Same-site, cross-origin requests.** `SameSite` looks at the
 *   registrable domain, not the origin: a page on `blog.example.com`, or on
 *   a forgotten subdomain someone took over, is "same site" as
 *   `app.example.com`, and its forms post with the cookie.
 * - **`SameSite=None` cookies**, which a cross-site embed needs (the
 *   `partitioned` option keeps the cookie to one top-level site but still
 *   sends it with that site's requests): every cross-site request carries
 *   them.
 * - **GET requests with side effects**: Lax sends the cookie with every
 *   top-level navigation, so a link or a redirect to `GET /delete?id=1`
 *   carries it. No check here can help: keep GET, HEAD and OPTIONS free of
 *   side effects.
 * - **Browsers that do not enforce `SameSite`** (old or embedded ones).
 *
 * ## The request check (primary)
 *
 * {@linkcode CsrfProtection.check} lets safe methods (GET, HEAD, OPTIONS)
 * through and, for every other method (TRACE included: no browser can send
 * it, so checking it costs nothing), refuses:
 *
 * - `Sec-Fetch-Site: cross-site` or `same-site`, unless `Origin` is one of
 *   the `trustedOrigins`: same-site is refused too because a sibling
 *   subdomain is exactly what `SameSite=Lax` lets through;
 * - without `Sec-Fetch-Site`: an `Origin` whose host is not the request's
 *   own and that is not trusted, including `Origin: null` (sandboxed frames,
 *   `data:` URLs, privacy-sensitive redirects).
 *
 * `Sec-Fetch-Site` and `Origin` are forbidden request headers: a page's
 * script cannot set or change them, so when a browser sends them they tell
 * the truth about the page that made the request. `Sec-Fetch-Site` is
 * trusted first, because it compares real origins, scheme included, which a
 * server behind a proxy cannot always reconstruct; every current browser
 * sends it (since 2023). `Origin` is the fallback for older ones; only its
 * host is compared with the request's (its `Host`), as a proxy that ends TLS
 * hides the scheme: use HSTS so that no page of yours is served over plain
 * http. `Sec-Fetch-Site: same-origin` and `none` (the user typed the URL or
 * used a bookmark) pass. Behind a proxy that rewrites `Host`, add the app's
 * public origin to `trustedOrigins` so that old browsers' `Origin` matches.
 *
 * When a request carries **neither header**, it passes the check: it comes
 * from something that is not a browser (curl, a server, a mobile app, which
 * cannot be made to forge a victim's request), or from a browser too old to
 * send `Origin` (Firefox before 70 omitted it on same-origin POSTs). Those
 * requests are what the token is for. The check never loads or touches the
 * session: a refused request costs no store call.
 *
 * ## The token (fallback)
 *
 * {@linkcode CsrfProtection.token} gives a session's token, for a hidden
 * form field (`_csrf`) or a request header (`x-csrf-token`);
 * {@linkcode CsrfProtection.requireToken} refuses an unsafe request that
 * does not carry it, where the app asks for it. The token is an HMAC-SHA-256
 * keyed with the session id over a fixed label: no secret to configure and
 * nothing stored, unguessable without the id (which never leaves the
 * cookie), different from everything the store holds, and replaced whenever
 * the id is (`regenerate()` at login, `destroy()` at logout), so a token
 * seen before a login is worthless after it. It is compared in constant
 * time. A token for a brand-new session is only valid once that session is
 * saved, so `token()` makes sure a new session is saved with the response.
 *
 * Cross-site scripting defeats every CSRF defence (a script on your origin
 * can read the token and send same-origin requests): this is no substitute
 * for escaping output and a Content Security Policy.
 *
 * @example A form, with the check in front of the sessions and the token behind
 * ```ts
 * import { createSessionManager } from "@sesame/session";
 * import { createCsrfProtection } from "@sesame/session/csrf";
 *
 * const sessions = createSessionManager<{ note: string }>();
 * const csrf = createCsrfProtection();
 *
 * const app = csrf.handler(sessions.handler(async (request, session) => {
 *   if (request.method === "POST") {
 *     await csrf.requireToken(request, session); // 403 without it
 *     const form = await request.formData();
 *     session.set("note", String(form.get("note")));
 *     return new Response(null, { status: 303, headers: { Location: "/" } });
 *   }
 *   return new Response(
 *     `<form method="post">
 *       <input type="hidden" name="${csrf.tokenField}" value="${csrf.token(session)}">
 *       <input name="note"> <button>Save</button>
 *     </form>`,
 *     { headers: { "Content-Type": "text/html; charset=utf-8" } },
 *   );
 * }));
 *
 * // Another site's form post is refused before the session is loaded.
 * const forged = await app(
 *   new Request("http://localhost/", {
 *     method: "POST",
 *     headers: { "Sec-Fetch-Site": "cross-site", Origin: "https://evil.example" },
 *   }),
 * );
 * forged.status; // 403
 * ```
 *
 * It is not a CORS implementation (it never answers preflights or sets
 * `Access-Control-*` headers) and not a protection for GET requests with
 * side effects. Hono, Express and Fastify apps use the middlewares of
 * `@sesame/session/hono` and `@sesame/session/node`, built on this module.
 *
 * @see {@link https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html | OWASP CSRF Prevention Cheat Sheet}
 * @see {@link https://thecopenhagenbook.com/csrf | The Copenhagen Book: CSRF}
 *
 * @module
 */

import { refuseCommit } from "./_csrf_refused.ts";
import { csrfTokenMatches, csrfTokenOf } from "./_csrf_token.ts";
import { describeValue } from "./_options.ts";
import type { Session } from "./session.ts";

/**
 * What the check reads of a request that is not a standard `Request`:
 * Node's `IncomingMessage`, Express's `req` and Fastify's `request` are ones.
 *
 * @example A request of Node's `node:http`
 * ```ts
 * import type { CsrfRequestLike } from "@sesame/session/csrf";
 *
 * const request: CsrfRequestLike = {
 *   method: "POST",
 *   headers: { host: "app.example.com", origin: "https://app.example.com" },
 * };
 * ```
 */
export interface CsrfRequestLike {
  /**
   * The request method, such as `"POST"`; a request without one is checked
   * as an unsafe one.
   */
  readonly method?: string | undefined;
  /**
   * The request headers, with lower-case names as Node parses them, or a
   * `Headers` object. `Host` (or HTTP/2's `:authority`) is the request's own
   * host.
   */
  readonly headers:
    | { get(name: string): string | null }
    | Readonly<Record<string, string | string[] | undefined>>;
  /**
   * The parsed body, where the token's form field is looked for: what a body
   * parser put on Express's `req.body` or Fastify's `request.body` (an
   * object, `URLSearchParams` or `FormData`). A Node request has none unless
   * a body parser ran first.
   */
  readonly body?: unknown;
}

/** Why the check let a request through. */
export type CsrfAllowedReason =
  /** GET, HEAD or OPTIONS: they must have no side effects. */
  | "safe method"
  /** `Sec-Fetch-Site: same-origin`, or an `Origin` of the request's own host. */
  | "same origin"
  /** `Sec-Fetch-Site: none`: the user typed the URL or used a bookmark. */
  | "user initiated"
  /** A same-site or cross-site request from one of the `trustedOrigins`. */
  | "trusted origin"
  /** Neither `Sec-Fetch-Site` nor `Origin`: not a browser, or an old one. */
  | "no origin headers";

/** Why the check refused a request. */
export type CsrfRefusedReason =
  /** `Sec-Fetch-Site: cross-site`, from an origin not trusted. */
  | "cross-site"
  /** `Sec-Fetch-Site: same-site` (a sibling subdomain), not trusted. */
  | "same-site"
  /** `Sec-Fetch-Site` with a value that the Fetch Metadata spec does not define. */
  | "unknown Sec-Fetch-Site"
  /** No `Sec-Fetch-Site`, and an `Origin` of another host, not trusted. */
  | "cross-origin"
  /** No `Sec-Fetch-Site`, and `Origin: null` (an opaque origin). */
  | "null origin"
  /** {@linkcode CsrfProtection.requireToken}: no valid token. */
  | "invalid token";

/**
 * The check's answer for one request, with the reason: log the refusals
 * (and, while rolling out, the `"no origin headers"` passes) to see what
 * is refused before enforcing.
 *
 * @example Log what would be refused
 * ```ts
 * import { createCsrfProtection } from "@sesame/session/csrf";
 *
 * const csrf = createCsrfProtection();
 * const verdict = csrf.check(new Request("http://localhost/", { method: "POST" }));
 * if (!verdict.allowed) console.warn("CSRF check:", verdict.reason);
 * ```
 */
export type CsrfVerdict =
  | { readonly allowed: true; readonly reason: CsrfAllowedReason }
  | {
    readonly allowed: false;
    readonly reason: Exclude<CsrfRefusedReason, "invalid token">;
  };

/**
 * Options of {@linkcode createCsrfProtection}.
 *
 * @example An app that takes form posts from its own marketing site
 * ```ts
 * import type { CsrfProtectionOptions } from "@sesame/session/csrf";
 *
 * const options: CsrfProtectionOptions = {
 *   trustedOrigins: ["https://www.example.com"],
 *   tokenPolicy: "fallback",
 * };
 * ```
 */
export interface CsrfProtectionOptions {
  /**
   * Other origins whose pages may send unsafe requests to the app, such as a
   * sibling subdomain you control: `"https://www.example.com"` (scheme, host
   * and port when not the default; no path, no wildcard). Requests from the
   * app's own origin always pass and need no entry.
   *
   * @default {[]}
   */
  trustedOrigins?: readonly string[];
  /**
   * The form field that carries the token in urlencoded and multipart
   * forms.
   *
   * @default {"_csrf"}
   */
  tokenField?: string;
  /**
   * The request header that carries the token, for `fetch()` calls.
   *
   * @default {"x-csrf-token"}
   */
  tokenHeader?: string;
  /**
   * Which unsafe requests {@linkcode CsrfProtection.requireToken} (and the
   * token middlewares) ask a token of: `"always"` every one, as the
   * synchronizer token pattern does; `"fallback"` only those that the
   * request check could not vouch for, because they carried neither
   * `Sec-Fetch-Site` nor `Origin` (old browsers, non-browser clients), so
   * that scripts of current browsers need not send it.
   *
   * @default {"always"}
   */
  tokenPolicy?: "always" | "fallback";
}

/**
 * CSRF protection, as made by {@linkcode createCsrfProtection}: the request
 * check, and the session's token.
 *
 * @example Check a request by hand
 * ```ts
 * import { createCsrfProtection } from "@sesame/session/csrf";
 *
 * const csrf = createCsrfProtection();
 * const verdict = csrf.check(
 *   new Request("https://app.example.com/transfer", {
 *     method: "POST",
 *     headers: { "Sec-Fetch-Site": "same-site", Origin: "https://blog.example.com" },
 *   }),
 * );
 * verdict; // { allowed: false, reason: "same-site" }
 * ```
 */
export interface CsrfProtection {
  /** The form field that carries the token. */
  readonly tokenField: string;
  /** The request header that carries the token, lower-cased. */
  readonly tokenHeader: string;
  /**
   * Checks where a request comes from, by `Sec-Fetch-Site` and `Origin`
   * (see the module's documentation for the rules). Synchronous, and it
   * never touches the session.
   *
   * @param request A standard `Request`, or Node's, Express's or Fastify's.
   * @returns Whether the request may go on, and why.
   */
  check(request: Request | CsrfRequestLike): CsrfVerdict;
  /**
   * Wraps a fetch handler (such as `SessionManager.handler()`'s result):
   * a request the check refuses gets a 403 before the handler runs, so no
   * session is loaded; a {@linkcode CsrfError} that the handler throws
   * (from {@linkcode requireToken}) becomes a 403 too, and since the
   * handler threw, `SessionManager.handler()` committed nothing.
   *
   * @param handler The handler to protect.
   * @returns A `(request) => Promise<Response>` for `Deno.serve`,
   * `Bun.serve`, a Worker's `fetch` and the like.
   * @throws {TypeError} When `handler` is not a function.
   */
  handler(
    handler: (request: Request) => Response | Promise<Response>,
  ): (request: Request) => Promise<Response>;
  /**
   * The session's CSRF token, for a hidden form field or for scripts to send
   * in the token header: 43 characters of base64url, the same for every
   * request of the session until its id changes.
   *
   * A new session is saved with the response (as an empty session, when
   * nothing else is set), since its token is only valid once it is: a page
   * with a form must commit its session, as `handler()` and the middlewares
   * do. Ask for the token after any `regenerate()` or `destroy()` of the
   * request, which change the id and so the token. A stale session (see
   * `Session.stale`) is never saved: its token is never valid.
   *
   * @param session The request's session.
   * @returns The token.
   */
  token<Data, Flash>(session: Session<Data, Flash>): string;
  /**
   * Whether a request carries the session's token, in the token header or
   * in the form field (compared in constant time). A standard `Request`'s
   * urlencoded or multipart body is read from a clone, so the app can still
   * read it; a Node request's field is read from `body`, which only a body
   * parser that ran first provides.
   *
   * @param request The request.
   * @param session The request's session.
   */
  verifyToken<Data, Flash>(
    request: Request | CsrfRequestLike,
    session: Session<Data, Flash>,
  ): Promise<boolean>;
  /**
   * Refuses an unsafe request without the session's token (every one, or
   * with `tokenPolicy: "fallback"` only those the check could not vouch
   * for) by throwing a {@linkcode CsrfError}; safe methods pass. The
   * refused session is marked so that sesame's Hono, Express and Fastify
   * adapters commit nothing for it; `SessionManager.handler()` commits
   * nothing because the handler threw.
   *
   * @param request The request.
   * @param session The request's session.
   * @throws {CsrfError} When the request needs a token and carries no valid one.
   */
  requireToken<Data, Flash>(
    request: Request | CsrfRequestLike,
    session: Session<Data, Flash>,
  ): Promise<void>;
}

/**
 * A request refused by a CSRF check, thrown by
 * {@linkcode CsrfProtection.requireToken}. It answers 403 in the default
 * error handling of Hono (`getResponse()`), Express (`status`) and Fastify
 * (`statusCode`); an app with its own error handler answers it with
 * `error.getResponse()`.
 *
 * @example Answer it in Hono's onError
 * ```ts
 * import { Hono } from "hono";
 * import { CsrfError } from "@sesame/session/csrf";
 *
 * const app = new Hono();
 * app.onError((error, c) =>
 *   error instanceof CsrfError ? error.getResponse() : c.text("Oops", 500)
 * );
 * ```
 */
export class CsrfError extends Error {
  /** Why the request was refused. */
  readonly reason: CsrfRefusedReason;
  /** The HTTP status to answer: 403. */
  readonly status = 403;
  /** The HTTP status to answer, as Fastify reads it: 403. */
  readonly statusCode = 403;

  /**
   * Creates the error.
   *
   * @param reason Why the request was refused.
   */
  constructor(reason: CsrfRefusedReason) {
    super(`Cross-site request refused: ${reason}`);
    this.name = "CsrfError";
    this.reason = reason;
  }

  /** A 403 response for the refused request. */
  getResponse(): Response {
    return forbidden();
  }
}

/** The answer to a refused request. */
function forbidden(): Response {
  return new Response("Forbidden", {
    status: 403,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
}

const ACTION = "Cannot create CSRF protection";

/** Verdicts are shared: a check allocates nothing. */
const ALLOWED: { [R in CsrfAllowedReason]: CsrfVerdict } = {
  "safe method": { allowed: true, reason: "safe method" },
  "same origin": { allowed: true, reason: "same origin" },
  "user initiated": { allowed: true, reason: "user initiated" },
  "trusted origin": { allowed: true, reason: "trusted origin" },
  "no origin headers": { allowed: true, reason: "no origin headers" },
};
const REFUSED: {
  [R in Exclude<CsrfRefusedReason, "invalid token">]: CsrfVerdict;
} = {
  "cross-site": { allowed: false, reason: "cross-site" },
  "same-site": { allowed: false, reason: "same-site" },
  "unknown Sec-Fetch-Site": {
    allowed: false,
    reason: "unknown Sec-Fetch-Site",
  },
  "cross-origin": { allowed: false, reason: "cross-origin" },
  "null origin": { allowed: false, reason: "null origin" },
};
for (const verdict of [...Object.values(ALLOWED), ...Object.values(REFUSED)]) {
  Object.freeze(verdict);
}

/** Whether a method is safe (RFC 9110, 9.2.1) and sent by browsers. */
function isSafe(method: string | undefined): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}

/** Reads one header of either kind of request; `undefined` when absent. */
function header(
  request: Request | CsrfRequestLike,
  name: string,
): string | undefined {
  const headers = request.headers;
  if (typeof headers.get === "function") {
    return (headers as { get(name: string): string | null }).get(name) ??
      undefined;
  }
  const value = (headers as Record<string, string | string[] | undefined>)[
    name
  ];
  // Only own string values: a plain object inherits "constructor" and the like.
  if (typeof value === "string") return value;
  return Array.isArray(value) ? value.join(", ") : undefined;
}

/**
 * Whether a request is a fetch `Request` (also one of another realm, or a
 * server's own lightweight kind): it has a URL and a body to clone.
 */
function isFetchRequest(
  request: Request | CsrfRequestLike,
): request is Request {
  return request instanceof Request ||
    (typeof (request as Request).url === "string" &&
      typeof (request as Request).clone === "function" &&
      typeof (request as Request).formData === "function");
}

/** The host the request was sent to: its URL's, or its `Host` header. */
function ownHost(request: Request | CsrfRequestLike): string | undefined {
  if (isFetchRequest(request)) {
    try {
      return new URL(request.url).host;
    } catch {
      return undefined;
    }
  }
  return header(request, "host") ?? header(request, ":authority");
}

/** The host of an `Origin` header, or `undefined` when it names none. */
function hostOf(origin: string): string | undefined {
  try {
    const host = new URL(origin).host;
    return host === "" ? undefined : host.toLowerCase();
  } catch {
    return undefined;
  }
}

/** A header's name in the form HTTP allows (RFC 9110, 5.1). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Reads the options, throwing for a mistake. */
function readOptions(options: unknown): {
  trusted: ReadonlySet<string>;
  tokenField: string;
  tokenHeader: string;
  tokenPolicy: "always" | "fallback";
} {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `${ACTION}: options must be an object, received ${
        describeValue(options)
      }`,
    );
  }
  const {
    trustedOrigins = [],
    tokenField = "_csrf",
    tokenHeader = "x-csrf-token",
    tokenPolicy = "always",
  } = options as CsrfProtectionOptions;
  if (!Array.isArray(trustedOrigins)) {
    throw new TypeError(
      `${ACTION}: trustedOrigins must be an array of origins, received ${
        describeValue(trustedOrigins)
      }`,
    );
  }
  const trusted = new Set<string>();
  for (const origin of trustedOrigins) {
    let parsed: string | undefined;
    try {
      parsed = new URL(origin).origin;
    } catch {
      parsed = undefined;
    }
    // URLs take "*" in a host: as a wildcard, it would match nothing.
    if (
      typeof origin !== "string" || parsed !== origin || origin === "null" ||
      origin.includes("*")
    ) {
      throw new TypeError(
        `${ACTION}: trustedOrigins must hold origins such as "https://example.com" (lower-case scheme and host, a port only when not the default, no path), received ${
          describeValue(origin)
        }`,
      );
    }
    trusted.add(origin);
  }
  if (typeof tokenField !== "string" || tokenField === "") {
    throw new TypeError(
      `${ACTION}: tokenField must be a non-empty string, received ${
        describeValue(tokenField)
      }`,
    );
  }
  if (typeof tokenHeader !== "string" || !HEADER_NAME.test(tokenHeader)) {
    throw new TypeError(
      `${ACTION}: tokenHeader must be a header name such as "x-csrf-token", received ${
        describeValue(tokenHeader)
      }`,
    );
  }
  if (tokenPolicy !== "always" && tokenPolicy !== "fallback") {
    throw new TypeError(
      `${ACTION}: tokenPolicy must be "always" or "fallback", received ${
        describeValue(tokenPolicy)
      }`,
    );
  }
  return {
    trusted,
    tokenField,
    tokenHeader: tokenHeader.toLowerCase(),
    tokenPolicy,
  };
}

/** Whether a content type is one of the two that forms post and carry the field. */
function isForm(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(";", 1)[0].trim().toLowerCase();
  return type === "application/x-www-form-urlencoded" ||
    type === "multipart/form-data";
}

/** A form field of a parsed body: a plain object, `URLSearchParams` or `FormData`. */
function fieldOf(body: unknown, field: string): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const value = typeof (body as { get?: unknown }).get === "function"
    ? (body as { get(name: string): unknown }).get(field)
    : Object.hasOwn(body, field)
    ? (body as Record<string, unknown>)[field]
    : undefined;
  return typeof value === "string" ? value : undefined;
}

/**
 * Creates CSRF protection: the request check by `Sec-Fetch-Site` and
 * `Origin`, and the session's token. Configure it once and use it on every
 * request.
 *
 * @param options Trusted origins, the token's field and header, and when
 * the token is required.
 * @returns The protection.
 * @throws {TypeError} When an option has the wrong type, or a trusted
 * origin is not an origin.
 *
 * @example A JSON API called by the app's own scripts
 * ```ts
 * import { createSessionManager } from "@sesame/session";
 * import { createCsrfProtection } from "@sesame/session/csrf";
 *
 * const sessions = createSessionManager<{ items: string[] }>();
 * const csrf = createCsrfProtection({ tokenPolicy: "fallback" });
 *
 * const app = csrf.handler(sessions.handler(async (request, session) => {
 *   if (request.method === "GET") {
 *     // The page's script sends it back as the x-csrf-token header.
 *     return Response.json({ token: csrf.token(session) });
 *   }
 *   await csrf.requireToken(request, session);
 *   const { item } = await request.json();
 *   session.update("items", (items = []) => [...items, String(item)]);
 *   return new Response(null, { status: 204 });
 * }));
 *
 * // A current browser's same-origin fetch needs no token with "fallback".
 * const response = await app(
 *   new Request("http://localhost/items", {
 *     method: "POST",
 *     headers: { "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json" },
 *     body: JSON.stringify({ item: "tea" }),
 *   }),
 * );
 * response.status; // 204
 * ```
 */
export function createCsrfProtection(
  options: CsrfProtectionOptions = {},
): CsrfProtection {
  return new Protection(readOptions(options));
}

class Protection implements CsrfProtection {
  readonly tokenField: string;
  readonly tokenHeader: string;
  readonly #trusted: ReadonlySet<string>;
  readonly #tokenPolicy: "always" | "fallback";

  constructor(
    options: ReturnType<typeof readOptions>,
  ) {
    this.tokenField = options.tokenField;
    this.tokenHeader = options.tokenHeader;
    this.#trusted = options.trusted;
    this.#tokenPolicy = options.tokenPolicy;
  }

  check(request: Request | CsrfRequestLike): CsrfVerdict {
    if (isSafe(request.method)) return ALLOWED["safe method"];
    const origin = header(request, "origin");
    const site = header(request, "sec-fetch-site");
    if (site !== undefined) {
      if (site === "same-origin") return ALLOWED["same origin"];
      if (site === "none") return ALLOWED["user initiated"];
      if (origin !== undefined && this.#trusted.has(origin)) {
        return ALLOWED["trusted origin"];
      }
      return site === "cross-site"
        ? REFUSED["cross-site"]
        : site === "same-site"
        ? REFUSED["same-site"]
        : REFUSED["unknown Sec-Fetch-Site"];
    }
    if (origin === undefined) return ALLOWED["no origin headers"];
    if (this.#trusted.has(origin)) return ALLOWED["trusted origin"];
    if (origin === "null") return REFUSED["null origin"];
    const host = hostOf(origin);
    if (host !== undefined && host === ownHost(request)?.toLowerCase()) {
      return ALLOWED["same origin"];
    }
    return REFUSED["cross-origin"];
  }

  handler(
    handler: (request: Request) => Response | Promise<Response>,
  ): (request: Request) => Promise<Response> {
    if (typeof handler !== "function") {
      throw new TypeError(
        `Cannot wrap handler: handler must be a function, received ${
          describeValue(handler)
        }`,
      );
    }
    return async (request) => {
      if (!this.check(request).allowed) return forbidden();
      try {
        return await handler(request);
      } catch (error) {
        if (error instanceof CsrfError) return error.getResponse();
        throw error;
      }
    };
  }

  token<Data, Flash>(session: Session<Data, Flash>): string {
    // A new session is only written when something changed: detaching it
    // from a subject it does not have is a change that changes nothing.
    if (session.isNew && session.subject === undefined) {
      session.setSubject(undefined);
    }
    return csrfTokenOf(session.id);
  }

  async verifyToken<Data, Flash>(
    request: Request | CsrfRequestLike,
    session: Session<Data, Flash>,
  ): Promise<boolean> {
    const submitted = await this.#submitted(request);
    return submitted !== undefined && csrfTokenMatches(session.id, submitted);
  }

  async requireToken<Data, Flash>(
    request: Request | CsrfRequestLike,
    session: Session<Data, Flash>,
  ): Promise<void> {
    if (isSafe(request.method)) return;
    if (this.#tokenPolicy === "fallback") {
      const verdict = this.check(request);
      if (verdict.allowed && verdict.reason !== "no origin headers") return;
    }
    if (await this.verifyToken(request, session)) return;
    refuseCommit(session);
    throw new CsrfError("invalid token");
  }

  /** The token a request carries, from the header or else the form field. */
  async #submitted(
    request: Request | CsrfRequestLike,
  ): Promise<string | undefined> {
    const fromHeader = header(request, this.tokenHeader);
    if (fromHeader !== undefined) return fromHeader;
    if (!isFetchRequest(request)) {
      return fieldOf(request.body, this.tokenField);
    }
    if (
      request.body === null || request.bodyUsed ||
      !isForm(header(request, "content-type"))
    ) {
      return undefined;
    }
    try {
      // A clone: the app reads the body it was sent.
      const form = await request.clone().formData();
      return fieldOf(form, this.tokenField);
    } catch {
      return undefined; // A malformed body carries no token.
    }
  }
}
