// What the Elysia plugin does to the response in the making: tell whether a
// route failed, and add the session's Set-Cookie to Elysia's cookie jar.
//
// Elysia serializes the cookies of its jar (`set.cookie`) into the
// `set-cookie` header when it makes the response, replacing any `set-cookie`
// the headers held. The session's cookie joins the jar, so that it goes out
// beside the route's cookies, unless the route set a `set-cookie` header
// and left the jar empty: then it joins that header.

/** A cookie of Elysia's jar, as Elysia serializes it (`cookie`'s options). */
export interface ElysiaCookie {
  value: string;
  maxAge?: number;
  domain?: string;
  path?: string;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: "lax" | "strict" | "none";
  partitioned?: boolean;
  /** Elysia passes the cookie's options to `serialize`: keep the value as is. */
  encode?: (value: string) => string;
}

/** Elysia's cookie jar: the cookies the response sets, by name. */
export type ElysiaCookieJar = Record<string, unknown>;

/** The response in the making, as `set` in Elysia's context. */
interface ElysiaSet {
  status?: number | string;
  headers: Record<string, unknown>;
  cookie?: ElysiaCookieJar;
}

/** The names Elysia accepts for the statuses of 500 and more. */
const SERVER_ERRORS = new Set([
  "Internal Server Error",
  "Not Implemented",
  "Bad Gateway",
  "Service Unavailable",
  "Gateway Timeout",
  "HTTP Version Not Supported",
  "Variant Also Negotiates",
  "Insufficient Storage",
  "Loop Detected",
  "Not Extended",
  "Network Authentication Required",
]);

function isServerError(status: unknown): boolean {
  return typeof status === "number"
    ? status >= 500
    : typeof status === "string" && SERVER_ERRORS.has(status);
}

/**
 * Whether the route answered with a status of 500 or more: through
 * `set.status`, a `Response`, or `status()` (an object with `code` and
 * `response`).
 */
export function failedStatus(
  context: { set: ElysiaSet; responseValue?: unknown; response?: unknown },
): boolean {
  if (isServerError(context.set.status)) return true;
  const value = "responseValue" in context
    ? context.responseValue
    : context.response;
  if (value instanceof Response) return value.status >= 500;
  if (typeof value === "object" && value !== null && "code" in value) {
    return "response" in value && isServerError(value.code);
  }
  return false;
}

const SAME_SITE = { Lax: "lax", Strict: "strict", None: "none" } as const;

/**
 * Reads a `Set-Cookie` value of the session cookie into the options of a
 * cookie of Elysia's jar. It reads only what `cookie.ts` writes: the name
 * and value, then `Max-Age`, `Domain`, `Path`, `HttpOnly`, `Secure`,
 * `SameSite` and `Partitioned`.
 */
export function jarCookie(setCookie: string): [string, ElysiaCookie] {
  const [pair, ...attributes] = setCookie.split("; ");
  const equals = pair.indexOf("=");
  const cookie: ElysiaCookie = {
    value: pair.slice(equals + 1),
    encode: (value) => value,
  };
  for (const attribute of attributes) {
    const [key, value = ""] = attribute.split("=", 2);
    switch (key) {
      case "Max-Age":
        cookie.maxAge = Number(value);
        break;
      case "Domain":
        cookie.domain = value;
        break;
      case "Path":
        cookie.path = value;
        break;
      case "HttpOnly":
        cookie.httpOnly = true;
        break;
      case "Secure":
        cookie.secure = true;
        break;
      case "SameSite":
        cookie.sameSite = SAME_SITE[value as keyof typeof SAME_SITE];
        break;
      case "Partitioned":
        cookie.partitioned = true;
        break;
    }
  }
  return [pair.slice(0, equals), cookie];
}

/**
 * Adds the session's `Set-Cookie` to the response in the making: to the
 * `set-cookie` header when the route set one there and no cookie in the jar
 * (which would replace it), else to the jar.
 */
export function putSetCookie(set: ElysiaSet, setCookie: string): void {
  const header = set.headers["set-cookie"];
  const jarInUse = set.cookie !== undefined &&
    Object.keys(set.cookie).length > 0;
  if (header !== undefined && !jarInUse) {
    set.headers["set-cookie"] = [
      ...(Array.isArray(header) ? header : [String(header)]),
      setCookie,
    ];
    return;
  }
  const [name, cookie] = jarCookie(setCookie);
  set.cookie ??= Object.create(null) as ElysiaCookieJar;
  set.cookie[name] = cookie;
}
