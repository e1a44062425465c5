// Private module of the Next.js adapter: the session cookie between sesame's
// own strings and Next's cookie store. Next reads the request's cookies into a
// map and writes response cookies from a name, a value and options, so the
// `Set-Cookie` that a commit produces is taken apart here, and the request's
// cookies are put back into a `Cookie` header for the manager to read.

import type { SessionRequest } from "../session.ts";

/** A cookie as Next's cookie store lists it. */
export interface CookieEntry {
  /** The cookie's name. */
  name: string;
  /** Its value, decoded by Next with `decodeURIComponent`. */
  value: string;
}

/** The attributes of the session cookie, as Next's `cookies().set()` takes them. */
export interface CookieAttributes {
  maxAge?: number;
  domain?: string;
  path: string;
  httpOnly: boolean;
  secure: boolean;
  sameSite: "lax" | "strict" | "none";
  partitioned: boolean;
}

/** A `Set-Cookie` of sesame's, taken apart. */
export interface CookieParts {
  name: string;
  value: string;
  attributes: CookieAttributes;
}

/**
 * Takes apart a `Set-Cookie` value that `src/cookie.ts` wrote: `name=value`,
 * then `Max-Age` (absent for a browser-session cookie), `Domain`, `Path`,
 * `HttpOnly`, `Secure`, `SameSite` and `Partitioned`, separated by `"; "`.
 * None of its parts can hold `"; "` (cookie.ts validates names, paths and
 * domains, and values are cookie-octets).
 */
export function parseSetCookie(setCookie: string): CookieParts {
  const [pair, ...attributes] = setCookie.split("; ");
  const equals = pair.indexOf("=");
  const parts: CookieParts = {
    name: pair.slice(0, equals),
    value: pair.slice(equals + 1),
    attributes: {
      path: "/",
      httpOnly: false,
      secure: false,
      sameSite: "lax",
      partitioned: false,
    },
  };
  const target = parts.attributes;
  for (const attribute of attributes) {
    const at = attribute.indexOf("=");
    const key = (at === -1 ? attribute : attribute.slice(0, at)).toLowerCase();
    const value = at === -1 ? "" : attribute.slice(at + 1);
    switch (key) {
      case "max-age":
        target.maxAge = Number(value);
        break;
      case "domain":
        target.domain = value;
        break;
      case "path":
        target.path = value;
        break;
      case "httponly":
        target.httpOnly = true;
        break;
      case "secure":
        target.secure = true;
        break;
      case "samesite":
        target.sameSite = value.toLowerCase() as CookieAttributes["sameSite"];
        break;
      case "partitioned":
        target.partitioned = true;
        break;
    }
  }
  return parts;
}

const HTTPS_URL = "https://localhost/";
const HTTP_URL = "http://localhost/";

/**
 * A `SessionRequest` over the cookies Next gives: a `Cookie` header made of
 * them, and the scheme. Values are encoded again as Next's own `toString()`
 * does (sesame's values are base64url, which encoding leaves as it is), so
 * that no decoded `;` in another cookie can make up a pair.
 */
export function cookieRequest(
  cookies: readonly CookieEntry[],
  https: boolean,
): SessionRequest {
  let header: string | null = null;
  for (const { name, value } of cookies) {
    const pair = `${name}=${encodeURIComponent(value)}`;
    header = header === null ? pair : `${header}; ${pair}`;
  }
  return {
    url: https ? HTTPS_URL : HTTP_URL,
    headers: { get: (name) => name === "cookie" ? header : null },
  };
}
