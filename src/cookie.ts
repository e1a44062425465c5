/**
 * The session cookie: its name, its attributes and how it travels in the
 * `Cookie` and `Set-Cookie` headers, following RFC 6265 and
 * {@link https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis | RFC 6265bis}.
 *
 * {@linkcode createSessionCookie} validates the options once and precomputes
 * every header string, so that reading and writing the cookie per request is
 * one scan of the `Cookie` header and a few string concatenations. The rules
 * the options must follow live in `_cookie_rules.ts`, the tolerant scanner of
 * the `Cookie` header in `_cookie_header.ts`.
 *
 * This module knows nothing about session ids, stores or expiry: the session
 * manager decides what the value is and how long it lives.
 *
 * @example Writing and reading the session cookie
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSessionCookie } from "./cookie.ts";
 *
 * const cookie = createSessionCookie();
 * const request = new Request("https://example.com/");
 * assert.equal(
 *   cookie.serialize(request, "abc", 3600),
 *   "__Host-sid=abc; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax",
 * );
 *
 * const next = new Request("https://example.com/", {
 *   headers: { cookie: "__Host-sid=abc" },
 * });
 * assert.equal(cookie.read(next), "abc");
 * ```
 *
 * @module
 */

import type { SessionRequest } from "./session.ts";
import { describeValue } from "./_options.ts";
import { findValue, pairEnd, trimmedSlice } from "./_cookie_header.ts";
import {
  COOKIE_OCTETS,
  type CookieDescription,
  describeCookie,
  MAX_AGE_LIMIT_SECONDS,
  MAX_NAME_VALUE_BYTES,
  OCTETS_EXPECTED,
  type Problem,
} from "./_cookie_rules.ts";

/** Options for the session cookie; every default is the safest choice that works. */
export interface SessionCookieOptions {
  /**
   * The cookie's name, without any prefix: an RFC 7230 token (letters, digits
   * and ``!#$%&'*+-.^_`|~``).
   *
   * A generic name such as the default tells an observer nothing about the
   * framework behind the site
   * ({@link https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html#session-id-name-fingerprinting | OWASP}).
   * The name must not start with `__Host-` or `__Secure-` (in any case): the
   * {@linkcode SessionCookieOptions.prefix | prefix} option adds those and
   * enforces their rules.
   *
   * @default {"sid"}
   */
  name?: string;
  /**
   * The `Path` attribute: the URL path under which the browser sends the
   * cookie. It must start with `/` and hold only printable ASCII other than
   * `;`, at most 1024 characters.
   *
   * The path is not a security boundary: any page of the same origin can read
   * or send cookies of any path
   * ({@link https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-8.5 | RFC 6265bis section 8.5}).
   * A path other than `/` rules out the `__Host-` prefix.
   *
   * @default {"/"}
   */
  path?: string;
  /**
   * The `Domain` attribute: a hostname (letters, digits, hyphens and dots, no
   * port, at most 1024 characters). A single leading dot is dropped and the
   * name is lowercased.
   *
   * Unset, the cookie is host-only: the browser sends it back to the exact
   * host that set it and to no subdomain, which is the safest choice. Setting
   * a domain shares the session with every subdomain (and rules out the
   * `__Host-` prefix); browsers reject a domain that does not cover the
   * request's host or that is a public suffix such as `co.uk`
   * ({@link https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-4.1.2.3 | RFC 6265bis section 4.1.2.3}).
   *
   * @default {undefined}
   */
  domain?: string;
  /**
   * The `SameSite` attribute: whether the browser sends the cookie with
   * cross-site requests.
   *
   * `"lax"` withholds it from cross-site subrequests and form posts, a strong
   * defence against cross-site request forgery, yet keeps the user signed in
   * when they follow a link from another site. `"strict"` also withholds it
   * from those top-level navigations. `"none"` sends it everywhere and
   * requires {@linkcode SessionCookieOptions.secure | secure}: `true`
   * ({@link https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-8.8 | RFC 6265bis section 8.8}).
   *
   * @default {"lax"}
   */
  sameSite?: "lax" | "strict" | "none";
  /**
   * When to set the `Secure` attribute, which keeps the cookie off plain-HTTP
   * connections.
   *
   * `"auto"` sets it when the request URL is `https:`, so the same
   * configuration works for local development over HTTP. Behind a proxy that
   * terminates TLS the application sees `http:` URLs: use `true` there, which
   * always sets it (and therefore always uses the prefixed name). `false`
   * never sets it, a loosening that lets the session id travel in clear text:
   * use it only when HTTPS is impossible.
   *
   * @default {"auto"}
   */
  secure?: boolean | "auto";
  /**
   * Whether to set the `HttpOnly` attribute, which hides the cookie from
   * scripts (`document.cookie`) so that a cross-site scripting bug cannot
   * steal the session id. `false` is a loosening: no script ever needs the
   * session id
   * ({@link https://owasp.org/www-community/HttpOnly | OWASP}).
   *
   * @default {true}
   */
  httpOnly?: boolean;
  /**
   * The cookie name prefix that makes the browser enforce the cookie's
   * attributes
   * ({@link https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-4.1.3 | RFC 6265bis section 4.1.3}).
   *
   * A `__Host-` cookie can only be set with `Secure`, `Path=/` and no
   * `Domain`, so neither a plain-HTTP response nor a sibling subdomain can
   * overwrite or shadow it (session fixation). A `__Secure-` cookie can only
   * be set with `Secure`.
   *
   * - `"auto"`: when the cookie is `Secure`, `__Host-` if the path is `/` and
   *   no domain is set, else `__Secure-`; no prefix when it is not `Secure`.
   * - `"__Host-"`: always; requires `secure: true`, `path: "/"` and no domain.
   * - `"__Secure-"`: always; requires `secure: true`.
   * - `"none"`: never, a loosening that gives up the browser's protection.
   *
   * @default {"auto"}
   */
  prefix?: "auto" | "__Host-" | "__Secure-" | "none";
  /**
   * Whether to set the `Partitioned` attribute (CHIPS): the browser keeps a
   * separate cookie for each top-level site that embeds this one. Useful only
   * for sessions inside third-party iframes, usually with `sameSite: "none"`;
   * requires `secure: true`
   * ({@link https://developer.mozilla.org/en-US/docs/Web/Privacy/Guides/Privacy_sandbox/Partitioned_cookies | MDN}).
   *
   * @default {false}
   */
  partitioned?: boolean;
  /**
   * Whether the cookie outlives the browser session.
   *
   * `true` gives the cookie a `Max-Age` that follows the session's server-side
   * lifetime. `false` makes it a browser-session cookie (no `Max-Age`), which
   * the browser drops when it closes (though browsers that restore sessions
   * may keep it); the server-side lifetime still applies. Deleting the cookie
   * always sends `Max-Age=0`.
   *
   * @default {true}
   */
  persistent?: boolean;
}

/** A validated session cookie configuration, built once and used per request. */
export interface SessionCookie {
  /**
   * Reads the session cookie's value from the request's `Cookie` header.
   *
   * The name depends on the request's scheme when `secure` is `"auto"`: the
   * prefixed name on `https:` requests, the plain one on `http:` requests. An
   * unprefixed cookie is never read where the prefixed name applies, since
   * anyone able to set cookies for the domain could have planted it.
   *
   * The value is returned raw. A cookie that is present more than once is
   * ambiguous (a sibling subdomain or an old path may have planted the other
   * one), so it counts as absent.
   *
   * @param request The incoming request.
   * @returns The value, or `undefined` when the cookie is absent, empty or
   * present more than once. Never throws, whatever the `Cookie` header holds.
   */
  read(request: SessionRequest): string | undefined;
  /**
   * Builds the `Set-Cookie` value that stores `value` in the browser, with
   * the name and attributes for the request's scheme.
   *
   * @param request The request being answered.
   * @param value The cookie's value: non-empty RFC 6265 cookie-octets.
   * @param maxAgeSeconds The cookie's lifetime, rounded up to a whole number
   * of seconds between 1 and 400 days (the longest that browsers keep a
   * cookie, RFC 6265bis section 4.1.2.2). Ignored when `persistent` is
   * `false`.
   * @returns The `Set-Cookie` header value.
   * @throws {TypeError} If `value` is empty or holds a character outside
   * cookie-octets, or `maxAgeSeconds` is not a number.
   * @throws {RangeError} If `maxAgeSeconds` is `NaN`, or the name and value
   * together exceed 4096 bytes.
   */
  serialize(
    request: SessionRequest,
    value: string,
    maxAgeSeconds: number,
  ): string;
  /**
   * Builds the `Set-Cookie` value that deletes the cookie at once: an empty
   * value with `Max-Age=0`, and the same name, `Path`, `Domain` and other
   * attributes as {@linkcode SessionCookie.serialize | serialize}, so that
   * the browser matches and replaces the stored cookie.
   *
   * @param request The request being answered.
   * @returns The `Set-Cookie` header value.
   */
  serializeDeletion(request: SessionRequest): string;
  /**
   * The cookie's name for the request's scheme, prefix included.
   *
   * @param request The request being answered.
   * @returns The name.
   */
  nameFor(request: SessionRequest): string;
}

/**
 * Validates the options and returns the session cookie, with every header
 * string for both schemes computed up front.
 *
 * The defaults are the safest that work: a host-only, `HttpOnly`,
 * `SameSite=Lax` cookie at `/`, `Secure` and named `__Host-sid` on HTTPS
 * requests, plain `sid` on HTTP requests (local development). Every option
 * that weakens this is called a loosening in its doc.
 *
 * @param options The cookie's name and attributes; the object is not
 * modified.
 * @returns The session cookie.
 * @throws {TypeError} If an option has the wrong type or value, or options
 * contradict each other (`sameSite: "none"` or `partitioned: true` without
 * `secure: true`; a prefix whose rules the other options break; a name that
 * starts with a prefix itself).
 * @throws {RangeError} If the name, path or domain is too long.
 *
 * @example A cookie shared with subdomains
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSessionCookie } from "./cookie.ts";
 *
 * const cookie = createSessionCookie({
 *   domain: "example.com",
 *   secure: true,
 * });
 * const request = new Request("http://app.example.com/");
 * assert.equal(
 *   cookie.serialize(request, "abc", 60),
 *   "__Secure-sid=abc; Max-Age=60; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax",
 * );
 * assert.equal(
 *   cookie.serializeDeletion(request),
 *   "__Secure-sid=; Max-Age=0; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax",
 * );
 * ```
 *
 * @example Invalid combinations throw at once
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSessionCookie } from "./cookie.ts";
 *
 * assert.throws(
 *   () => createSessionCookie({ prefix: "__Host-", secure: true, domain: "example.com" }),
 *   TypeError,
 * );
 * ```
 */
export function createSessionCookie(
  options: SessionCookieOptions = {},
): SessionCookie {
  const description = describeCookie(options);
  // The two shapes the cookie can take: without Secure (plain HTTP requests
  // when secure is "auto", every request when it is false) and with it.
  const plain = buildVariant(description, false);
  const secured = buildVariant(description, true);
  const pick = description.secure === "auto"
    ? (request: SessionRequest) =>
      request.url.startsWith("https:") ? secured : plain
    : description.secure
    ? () => secured
    : () => plain;
  return bindCookie(pick, description.persistent);
}

/** The strings of one of the two shapes a session cookie takes, computed once. */
interface Variant {
  /** The name on the wire, prefix included. */
  name: string;
  /** `name=`, which the value follows. */
  head: string;
  /** The longest value that keeps the name and value within 4096 bytes. */
  maxValueLength: number;
  /** The attributes after `Max-Age`, each starting with "; ". */
  attributes: string;
  /** The whole `Set-Cookie` value that deletes the cookie. */
  deletion: string;
}

/** Computes the strings of the variant with `Secure` or without it. */
function buildVariant(
  description: CookieDescription,
  isSecure: boolean,
): Variant {
  const name = isSecure
    ? description.securedPrefix + description.name
    : description.name;
  const attributes = formatAttributes(description, isSecure);
  return {
    name,
    head: `${name}=`,
    maxValueLength: MAX_NAME_VALUE_BYTES - name.length,
    // serialize() puts "; Max-Age=N" between the value and these.
    attributes,
    deletion: `${name}=; Max-Age=0${attributes}`,
  };
}

const SAME_SITE = { lax: "Lax", strict: "Strict", none: "None" } as const;

/**
 * Formats the attributes that follow `Max-Age`, in the fixed order
 * `Domain`, `Path`, `HttpOnly`, `Secure`, `SameSite`, `Partitioned`.
 *
 * No `Expires`: every current browser honours `Max-Age`, which does not
 * depend on the client's clock.
 */
function formatAttributes(
  { domain, path, httpOnly, sameSite, partitioned }: CookieDescription,
  secure: boolean,
): string {
  let attributes = "";
  if (domain !== undefined) attributes += `; Domain=${domain}`;
  attributes += `; Path=${path}`;
  if (httpOnly) attributes += "; HttpOnly";
  if (secure) attributes += "; Secure";
  attributes += `; SameSite=${SAME_SITE[sameSite]}`;
  if (partitioned) attributes += "; Partitioned";
  return attributes;
}

/**
 * The per-request half of the session cookie: `pick` chooses the variant
 * for a request's scheme. Nothing here allocates but the strings returned.
 */
function bindCookie(
  pick: (request: SessionRequest) => Variant,
  persistent: boolean,
): SessionCookie {
  return Object.freeze({
    read(request: SessionRequest): string | undefined {
      const header = request.headers.get("cookie");
      if (header === null) return undefined;
      const { name } = pick(request);
      const start = findValue(header, name, 0);
      if (start === -1) return undefined;
      const end = pairEnd(header, start);
      if (findValue(header, name, end + 1) !== -1) return undefined;
      const value = trimmedSlice(header, start, end);
      return value === "" ? undefined : value;
    },

    serialize(
      request: SessionRequest,
      value: string,
      maxAgeSeconds: number,
    ): string {
      const shape = pick(request);
      if (
        typeof value !== "string" || value === "" || !COOKIE_OCTETS.test(value)
      ) {
        throw serializeError(shape.name, [
          TypeError,
          `value must be non-empty ${OCTETS_EXPECTED}, received ${
            describeValue(value)
          }`,
        ]);
      }
      if (value.length > shape.maxValueLength) {
        throw serializeError(shape.name, [
          RangeError,
          `name and value must be at most ${MAX_NAME_VALUE_BYTES} bytes together, received ${
            shape.name.length + value.length
          } bytes`,
        ]);
      }
      if (!persistent) return shape.head + value + shape.attributes;
      if (typeof maxAgeSeconds !== "number") {
        throw serializeError(shape.name, [
          TypeError,
          `maxAgeSeconds must be a number, received ${
            describeValue(maxAgeSeconds)
          }`,
        ]);
      }
      let seconds = Math.ceil(maxAgeSeconds);
      if (!(seconds >= 1)) {
        if (Number.isNaN(seconds)) {
          throw serializeError(shape.name, [
            RangeError,
            "maxAgeSeconds must be a number of seconds, received NaN",
          ]);
        }
        seconds = 1;
      } else if (seconds > MAX_AGE_LIMIT_SECONDS) {
        seconds = MAX_AGE_LIMIT_SECONDS;
      }
      return `${shape.head}${value}; Max-Age=${seconds}${shape.attributes}`;
    },

    serializeDeletion(request: SessionRequest): string {
      return pick(request).deletion;
    },

    nameFor(request: SessionRequest): string {
      return pick(request).name;
    },
  });
}

/** The error a session cookie's `serialize` throws (a bug in its caller). */
function serializeError(name: string, [ErrorClass, message]: Problem): Error {
  return new ErrorClass(
    `Cannot serialize session cookie "${name}": ${message}`,
  );
}
