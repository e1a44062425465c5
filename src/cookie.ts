/**
 * The session cookie: its name, its attributes and how it travels in the
 * `Cookie` and `Set-Cookie` headers, following RFC 6265 and
 * {@link https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis | RFC 6265bis}.
 *
 * {@linkcode createSessionCookie} validates the options once and precomputes
 * every header string, so that reading and writing the cookie per request is
 * one scan of the `Cookie` header and a few string concatenations.
 * {@linkcode getCookieValues} and {@linkcode serializeCookie} are the tolerant
 * parser and the strict serializer underneath.
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

import { describeValue } from "./_options.ts";

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
  read(request: Request): string | undefined;
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
  serialize(request: Request, value: string, maxAgeSeconds: number): string;
  /**
   * Builds the `Set-Cookie` value that deletes the cookie at once: an empty
   * value with `Max-Age=0`, and the same name, `Path`, `Domain` and other
   * attributes as {@linkcode SessionCookie.serialize | serialize}, so that
   * the browser matches and replaces the stored cookie.
   *
   * @param request The request being answered.
   * @returns The `Set-Cookie` header value.
   */
  serializeDeletion(request: Request): string;
  /**
   * The cookie's name for the request's scheme, prefix included.
   *
   * @param request The request being answered.
   * @returns The name.
   */
  nameFor(request: Request): string;
}

/**
 * Attributes for {@linkcode serializeCookie}. Every property is optional;
 * unset attributes are left out of the header.
 */
export interface CookieAttributes {
  /** `Max-Age`: the lifetime in whole seconds; `0` deletes the cookie. */
  maxAge?: number;
  /** `Domain`: a hostname; a leading dot is dropped, the name lowercased. */
  domain?: string;
  /** `Path`: starts with `/`, printable ASCII other than `;`. */
  path?: string;
  /** `Secure`: send the cookie over HTTPS only. */
  secure?: boolean;
  /** `HttpOnly`: hide the cookie from scripts. */
  httpOnly?: boolean;
  /** `SameSite`: `"none"` requires `secure`. */
  sameSite?: "lax" | "strict" | "none";
  /** `Partitioned` (CHIPS): requires `secure`. */
  partitioned?: boolean;
}

// RFC 7230 section 3.2.6: token = 1*tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 6265 section 4.1.1: *cookie-octet (printable ASCII except SP, DQUOTE,
// comma, semicolon and backslash).
const COOKIE_OCTETS = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
// RFC 6265 section 4.1.1: path-value is any CHAR except CTLs or ";". Limited
// to ASCII because `Headers` rejects what is not a byte string.
const PATH = /^\/[\x20-\x3A\x3C-\x7E]*$/;
// Lowercased hostname labels separated by single dots.
const HOSTNAME = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/;

const TOKEN_EXPECTED =
  "an RFC 7230 token (letters, digits and !#$%&'*+-.^_`|~)";
const OCTETS_EXPECTED =
  'RFC 6265 cookie-octets (printable ASCII except space, \'"\', ",", ";" and "\\")';
const PATH_EXPECTED =
  'start with "/" and contain only printable ASCII other than ";"';
const DOMAIN_EXPECTED =
  "a hostname (letters, digits, hyphens and dots, without a port)";

// RFC 6265bis section 5.6: user agents ignore cookies whose name and value
// exceed 4096 bytes together, and attribute values longer than 1024 bytes.
const MAX_NAME_VALUE_BYTES = 4096;
const MAX_ATTRIBUTE_BYTES = 1024;
// RFC 6265bis section 4.1.2.2: browsers cap Max-Age at 400 days.
const MAX_AGE_LIMIT_SECONDS = 400 * 24 * 60 * 60;
const LONGEST_PREFIX = "__Secure-".length;
const MAX_NAME_LENGTH = MAX_NAME_VALUE_BYTES - LONGEST_PREFIX - 1;

const SAME_SITE = { lax: "Lax", strict: "Strict", none: "None" } as const;

/** Whether a name starts with a cookie prefix, compared as browsers do. */
function prefixOf(name: string): "__Host-" | "__Secure-" | undefined {
  const start = name.slice(0, LONGEST_PREFIX).toLowerCase();
  if (start.startsWith("__host-")) return "__Host-";
  if (start.startsWith("__secure-")) return "__Secure-";
  return undefined;
}

/** The class and message of an error to throw, prefixed by its caller. */
type Problem = [TypeErrorConstructor | RangeErrorConstructor, string];

/**
 * Checks the rules a cookie name prefix imposes (RFC 6265bis section 4.1.3):
 * `Secure` for both, and for `__Host-` also `Path=/` and no `Domain`.
 * @returns The problem, or `undefined` when the rules hold.
 */
function checkPrefixRules(
  prefix: "__Host-" | "__Secure-",
  secure: unknown,
  path: string | undefined,
  domain: string | undefined,
  rawDomain: unknown,
): Problem | undefined {
  if (secure !== true) {
    return [
      TypeError,
      `secure must be true for ${prefix} cookies, received ${
        describeValue(secure)
      }`,
    ];
  }
  if (prefix === "__Host-" && path !== "/") {
    return [
      TypeError,
      `path must be "/" for __Host- cookies, received ${describeValue(path)}`,
    ];
  }
  if (prefix === "__Host-" && domain !== undefined) {
    return [
      TypeError,
      `domain must be unset for __Host- cookies, received ${
        describeValue(rawDomain)
      }`,
    ];
  }
  return undefined;
}

/**
 * Validates a `Path` value.
 * @returns The problem, or `undefined` when valid.
 */
function checkPath(path: unknown): Problem | undefined {
  if (typeof path !== "string") {
    return [
      TypeError,
      `path must be a string, received ${describeValue(path)}`,
    ];
  }
  if (path.length > MAX_ATTRIBUTE_BYTES) {
    return [
      RangeError,
      `path must be at most ${MAX_ATTRIBUTE_BYTES} characters, received ${path.length} characters`,
    ];
  }
  if (!PATH.test(path)) {
    return [
      TypeError,
      `path must ${PATH_EXPECTED}, received ${describeValue(path)}`,
    ];
  }
  return undefined;
}

/**
 * Validates and normalizes a `Domain` value (leading dot dropped,
 * lowercased).
 * @returns The domain, or the problem.
 */
function checkDomain(domain: unknown): string | Problem {
  if (typeof domain !== "string") {
    return [
      TypeError,
      `domain must be a string or undefined, received ${describeValue(domain)}`,
    ];
  }
  if (domain.length > MAX_ATTRIBUTE_BYTES) {
    return [
      RangeError,
      `domain must be at most ${MAX_ATTRIBUTE_BYTES} characters, received ${domain.length} characters`,
    ];
  }
  const normalized = (domain.startsWith(".") ? domain.slice(1) : domain)
    .toLowerCase();
  if (!HOSTNAME.test(normalized)) {
    return [
      TypeError,
      `domain must be ${DOMAIN_EXPECTED}, received ${describeValue(domain)}`,
    ];
  }
  return normalized;
}

/** Validates a `SameSite` value. */
function checkSameSite(sameSite: unknown): string | undefined {
  if (sameSite === "lax" || sameSite === "strict" || sameSite === "none") {
    return undefined;
  }
  return `sameSite must be "lax", "strict" or "none", received ${
    describeValue(sameSite)
  }`;
}

/** The error a session cookie's `serialize` throws (a bug in its caller). */
function serializeError(name: string, [ErrorClass, message]: Problem): Error {
  return new ErrorClass(
    `Cannot serialize session cookie "${name}": ${message}`,
  );
}

/**
 * Formats the attributes that follow `Max-Age`, in the fixed order
 * `Domain`, `Path`, `HttpOnly`, `Secure`, `SameSite`, `Partitioned`.
 *
 * No `Expires`: every current browser honours `Max-Age`, which does not
 * depend on the client's clock.
 */
function formatAttributes(
  domain: string | undefined,
  path: string | undefined,
  httpOnly: boolean,
  secure: boolean,
  sameSite: "lax" | "strict" | "none" | undefined,
  partitioned: boolean,
): string {
  let attributes = "";
  if (domain !== undefined) attributes += `; Domain=${domain}`;
  if (path !== undefined) attributes += `; Path=${path}`;
  if (httpOnly) attributes += "; HttpOnly";
  if (secure) attributes += "; Secure";
  if (sameSite !== undefined) attributes += `; SameSite=${SAME_SITE[sameSite]}`;
  if (partitioned) attributes += "; Partitioned";
  return attributes;
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
  let context = "Cannot create session cookie";
  const error = ([ErrorClass, message]: Problem) =>
    new ErrorClass(`${context}: ${message}`);

  if (
    typeof options !== "object" || options === null || Array.isArray(options)
  ) {
    throw error([
      TypeError,
      `options must be an object, received ${describeValue(options)}`,
    ]);
  }
  const {
    name = "sid",
    path = "/",
    domain: rawDomain,
    sameSite = "lax",
    secure = "auto",
    httpOnly = true,
    prefix = "auto",
    partitioned = false,
    persistent = true,
  } = options;

  if (typeof name !== "string") {
    throw error([
      TypeError,
      `name must be a string, received ${describeValue(name)}`,
    ]);
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw error([
      RangeError,
      `name must be at most ${MAX_NAME_LENGTH} characters, received ${name.length} characters`,
    ]);
  }
  if (!TOKEN.test(name)) {
    throw error([
      TypeError,
      `name must be ${TOKEN_EXPECTED}, received ${describeValue(name)}`,
    ]);
  }
  context += ` "${name}"`;
  const namePrefix = prefixOf(name);
  if (namePrefix !== undefined) {
    throw error([
      TypeError,
      `name must not start with "${namePrefix}" (set the prefix option instead), received ${
        describeValue(name)
      }`,
    ]);
  }
  if (
    prefix !== "auto" && prefix !== "__Host-" && prefix !== "__Secure-" &&
    prefix !== "none"
  ) {
    throw error([
      TypeError,
      `prefix must be "auto", "__Host-", "__Secure-" or "none", received ${
        describeValue(prefix)
      }`,
    ]);
  }
  if (prefix === "__Host-" || prefix === "__Secure-") {
    context = `Cannot create session cookie "${prefix}${name}"`;
  }

  const pathError = checkPath(path);
  if (pathError !== undefined) throw error(pathError);
  let domain: string | undefined;
  if (rawDomain !== undefined) {
    const checked = checkDomain(rawDomain);
    if (typeof checked !== "string") throw error(checked);
    domain = checked;
  }
  const sameSiteError = checkSameSite(sameSite);
  if (sameSiteError !== undefined) throw error([TypeError, sameSiteError]);
  if (secure !== true && secure !== false && secure !== "auto") {
    throw error([
      TypeError,
      `secure must be true, false or "auto", received ${describeValue(secure)}`,
    ]);
  }
  for (
    const [option, value] of [
      ["httpOnly", httpOnly],
      ["partitioned", partitioned],
      ["persistent", persistent],
    ] as const
  ) {
    if (typeof value !== "boolean") {
      throw error([
        TypeError,
        `${option} must be a boolean, received ${describeValue(value)}`,
      ]);
    }
  }

  if (sameSite === "none" && secure !== true) {
    throw error([
      TypeError,
      `secure must be true when sameSite is "none" (browsers reject SameSite=None without Secure), received ${
        describeValue(secure)
      }`,
    ]);
  }
  if (partitioned && secure !== true) {
    throw error([
      TypeError,
      `secure must be true when partitioned is true (browsers reject Partitioned without Secure), received ${
        describeValue(secure)
      }`,
    ]);
  }
  if (prefix === "__Host-" || prefix === "__Secure-") {
    const problem = checkPrefixRules(prefix, secure, path, domain, rawDomain);
    if (problem !== undefined) throw error(problem);
  }

  // The two shapes the cookie can take: without Secure (plain HTTP requests
  // when secure is "auto", every request when it is false) and with it.
  const securedPrefix = prefix === "none"
    ? ""
    : prefix === "auto"
    ? (path === "/" && domain === undefined ? "__Host-" : "__Secure-")
    : prefix;
  const plain = variant(name, false);
  const secured = variant(securedPrefix + name, true);

  function variant(wireName: string, isSecure: boolean) {
    const attributes = formatAttributes(
      domain,
      path,
      httpOnly,
      isSecure,
      sameSite,
      partitioned,
    );
    return {
      name: wireName,
      head: `${wireName}=`,
      maxValueLength: MAX_NAME_VALUE_BYTES - wireName.length,
      // serialize() puts "; Max-Age=N" between the value and these.
      attributes,
      deletion: `${wireName}=; Max-Age=0${attributes}`,
    };
  }

  const pick = secure === "auto"
    ? (request: Request) => request.url.startsWith("https:") ? secured : plain
    : secure
    ? () => secured
    : () => plain;

  return Object.freeze({
    read(request: Request): string | undefined {
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

    serialize(request: Request, value: string, maxAgeSeconds: number): string {
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

    serializeDeletion(request: Request): string {
      return pick(request).deletion;
    },

    nameFor(request: Request): string {
      return pick(request).name;
    },
  });
}

// A tolerant, allocation-free scanner for the Cookie header. The header is
// `name=value` pairs separated by ";", each with optional spaces or tabs
// around the name and the value (RFC 6265bis section 5.6 parses names and
// values the same way). Pairs without "=" are ignored. Commas are not
// separators: splitting on them would let a cookie whose value an attacker
// controls ("a=x, __Host-sid=evil") smuggle in a forged session cookie.

/** Whether a UTF-16 code unit is a space or a horizontal tab (WSP). */
function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Finds the next pair named `name` at or after `from`.
 * @returns The index just after its "=", or -1.
 */
function findValue(header: string, name: string, from: number): number {
  const length = header.length;
  let index = from;
  while (index < length) {
    while (isWhitespace(header.charCodeAt(index))) index++;
    if (header.startsWith(name, index)) {
      let after = index + name.length;
      while (isWhitespace(header.charCodeAt(after))) after++;
      if (header.charCodeAt(after) === 0x3d /* = */) return after + 1;
    }
    const semicolon = header.indexOf(";", index);
    if (semicolon === -1) return -1;
    index = semicolon + 1;
  }
  return -1;
}

/** The index of the ";" that ends the pair containing `index`, or the header's length. */
function pairEnd(header: string, index: number): number {
  const semicolon = header.indexOf(";", index);
  return semicolon === -1 ? header.length : semicolon;
}

/** The header's characters between `start` and `end`, without surrounding WSP. */
function trimmedSlice(header: string, start: number, end: number): string {
  while (start < end && isWhitespace(header.charCodeAt(start))) start++;
  while (end > start && isWhitespace(header.charCodeAt(end - 1))) end--;
  return header.slice(start, end);
}

/** Whether `name` can be found by {@linkcode findValue} at all. */
function isSearchableName(name: unknown): name is string {
  return typeof name === "string" && name !== "" &&
    !isWhitespace(name.charCodeAt(0)) &&
    !isWhitespace(name.charCodeAt(name.length - 1)) &&
    !name.includes(";") && !name.includes("=");
}

/**
 * Returns every value of the cookie `name` in a `Cookie` header, in order.
 *
 * The parser is tolerant, as untrusted input demands: it never throws and
 * skips what it cannot read (pairs without `=`, empty pairs, junk, control
 * characters, any length). Names are compared exactly (case-sensitively);
 * spaces and tabs around names and values are ignored; values are returned
 * raw, without percent-decoding or removing quotes, and may contain `=`. It
 * runs in linear time and only allocates the values it returns.
 *
 * More than one value means the browser holds several cookies with that name
 * (different paths or domains), which it sends in an order the server cannot
 * rely on.
 *
 * @param header The `Cookie` header value, as returned by
 * `request.headers.get("cookie")`.
 * @param name The cookie name to look for; an empty name, or one with `;`,
 * `=` or surrounding whitespace, never matches.
 * @returns The values, possibly empty strings; an empty array when the cookie
 * is absent or the header is `null`.
 *
 * @example Reading a cookie that may be duplicated
 * ```ts
 * import assert from "node:assert/strict";
 * import { getCookieValues } from "./cookie.ts";
 *
 * const header = "theme=dark; sid=abc; token=a=b; sid=def";
 * assert.deepEqual(getCookieValues(header, "sid"), ["abc", "def"]);
 * assert.deepEqual(getCookieValues(header, "token"), ["a=b"]);
 * assert.deepEqual(getCookieValues(null, "sid"), []);
 * ```
 */
export function getCookieValues(header: string | null, name: string): string[] {
  const values: string[] = [];
  if (typeof header !== "string" || !isSearchableName(name)) return values;
  let start = findValue(header, name, 0);
  while (start !== -1) {
    const end = pairEnd(header, start);
    values.push(trimmedSlice(header, start, end));
    start = findValue(header, name, end + 1);
  }
  return values;
}

/**
 * Builds a `Set-Cookie` header value, refusing anything a browser would
 * reject or misread.
 *
 * The output has a fixed attribute order:
 * `name=value; Max-Age=N; Domain=D; Path=P; HttpOnly; Secure; SameSite=Lax; Partitioned`,
 * leaving out the attributes that are unset or `false`. `Expires` is never
 * written: every current browser honours `Max-Age`. Names starting with
 * `__Host-` or `__Secure-` (in any case) must follow the prefix rules of
 * {@link https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-4.1.3 | RFC 6265bis section 4.1.3}.
 *
 * @param name The cookie name: an RFC 7230 token.
 * @param value The cookie value: RFC 6265 cookie-octets (encode anything
 * else, for instance as base64url), possibly empty.
 * @param attributes The cookie's attributes.
 * @returns The `Set-Cookie` header value.
 * @throws {TypeError} If the name, the value or an attribute is invalid, or
 * the attributes break a rule browsers enforce (`SameSite=None` or
 * `Partitioned` without `Secure`, the prefix rules).
 * @throws {RangeError} If the name and value exceed 4096 bytes together, the
 * path or domain exceeds 1024 characters, or `maxAge` is not a whole number
 * of seconds.
 *
 * @example Setting and deleting a cookie
 * ```ts
 * import assert from "node:assert/strict";
 * import { serializeCookie } from "./cookie.ts";
 *
 * assert.equal(
 *   serializeCookie("theme", "dark", { maxAge: 86400, path: "/", sameSite: "lax" }),
 *   "theme=dark; Max-Age=86400; Path=/; SameSite=Lax",
 * );
 * assert.equal(
 *   serializeCookie("theme", "", { maxAge: 0, path: "/" }),
 *   "theme=; Max-Age=0; Path=/",
 * );
 * ```
 */
export function serializeCookie(
  name: string,
  value: string,
  attributes: CookieAttributes = {},
): string {
  let context = "Cannot serialize cookie";
  const error = ([ErrorClass, message]: Problem) =>
    new ErrorClass(`${context}: ${message}`);

  if (typeof name !== "string" || !TOKEN.test(name)) {
    throw error([
      TypeError,
      `name must be ${TOKEN_EXPECTED}, received ${describeValue(name)}`,
    ]);
  }
  context += ` "${name.length > 64 ? `${name.slice(0, 61)}...` : name}"`;
  if (typeof value !== "string" || !COOKIE_OCTETS.test(value)) {
    throw error([
      TypeError,
      `value must be ${OCTETS_EXPECTED}, received ${describeValue(value)}`,
    ]);
  }
  // Both are ASCII by now, so characters are bytes.
  if (name.length + value.length > MAX_NAME_VALUE_BYTES) {
    throw error([
      RangeError,
      `name and value must be at most ${MAX_NAME_VALUE_BYTES} bytes together, received ${
        name.length + value.length
      } bytes`,
    ]);
  }
  if (
    typeof attributes !== "object" || attributes === null ||
    Array.isArray(attributes)
  ) {
    throw error([
      TypeError,
      `attributes must be an object, received ${describeValue(attributes)}`,
    ]);
  }
  const {
    maxAge,
    domain: rawDomain,
    path,
    secure = false,
    httpOnly = false,
    sameSite,
    partitioned = false,
  } = attributes;

  if (maxAge !== undefined) {
    if (typeof maxAge !== "number") {
      throw error([
        TypeError,
        `maxAge must be a number, received ${describeValue(maxAge)}`,
      ]);
    }
    if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
      throw error([
        RangeError,
        `maxAge must be a whole number of seconds >= 0, received ${
          describeValue(maxAge)
        }`,
      ]);
    }
  }
  let domain: string | undefined;
  if (rawDomain !== undefined) {
    const checked = checkDomain(rawDomain);
    if (typeof checked !== "string") throw error(checked);
    domain = checked;
  }
  if (path !== undefined) {
    const pathError = checkPath(path);
    if (pathError !== undefined) throw error(pathError);
  }
  for (
    const [attribute, flag] of [
      ["secure", secure],
      ["httpOnly", httpOnly],
      ["partitioned", partitioned],
    ] as const
  ) {
    if (typeof flag !== "boolean") {
      throw error([
        TypeError,
        `${attribute} must be a boolean, received ${describeValue(flag)}`,
      ]);
    }
  }
  if (sameSite !== undefined) {
    const sameSiteError = checkSameSite(sameSite);
    if (sameSiteError !== undefined) throw error([TypeError, sameSiteError]);
  }

  if (sameSite === "none" && !secure) {
    throw error([
      TypeError,
      `secure must be true when sameSite is "none" (browsers reject SameSite=None without Secure), received ${
        describeValue(secure)
      }`,
    ]);
  }
  if (partitioned && !secure) {
    throw error([
      TypeError,
      `secure must be true when partitioned is true (browsers reject Partitioned without Secure), received ${
        describeValue(secure)
      }`,
    ]);
  }
  const namePrefix = prefixOf(name);
  if (namePrefix !== undefined) {
    const problem = checkPrefixRules(
      namePrefix,
      secure,
      path,
      domain,
      rawDomain,
    );
    if (problem !== undefined) throw error(problem);
  }

  const maxAgeAttribute = maxAge === undefined ? "" : `; Max-Age=${maxAge}`;
  return `${name}=${value}${maxAgeAttribute}${
    formatAttributes(domain, path, httpOnly, secure, sameSite, partitioned)
  }`;
}
