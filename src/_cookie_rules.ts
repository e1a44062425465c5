// The rules a session cookie's name and attributes must follow (RFC 6265,
// RFC 6265bis), applied once by `describeCookie` when the cookie is created,
// and the constants its `serialize()` checks on every call.
//
// Each check returns the problem it found (the error class and the message
// after the context, e.g. `path must be a string, received 1`) or
// `undefined`; `describeCookie` runs them in a fixed order and names the
// cookie in the message of the first problem. Nothing here is exported from
// the package.

import { describeValue } from "./_options.ts";
import type { SessionCookieOptions } from "./cookie.ts";

// RFC 7230 section 3.2.6: token = 1*tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * RFC 6265 section 4.1.1: *cookie-octet (printable ASCII except SP, DQUOTE,
 * comma, semicolon and backslash).
 */
export const COOKIE_OCTETS = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
// RFC 6265 section 4.1.1: path-value is any CHAR except CTLs or ";". Limited
// to ASCII because `Headers` rejects what is not a byte string.
const PATH = /^\/[\x20-\x3A\x3C-\x7E]*$/;
// Lowercased hostname labels separated by single dots.
const HOSTNAME = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/;

const TOKEN_EXPECTED =
  "an RFC 7230 token (letters, digits and !#$%&'*+-.^_`|~)";
/** What a cookie value must be, for error messages. */
export const OCTETS_EXPECTED =
  'RFC 6265 cookie-octets (printable ASCII except space, \'"\', ",", ";" and "\\")';
const PATH_EXPECTED =
  'start with "/" and contain only printable ASCII other than ";"';
const DOMAIN_EXPECTED =
  "a hostname (letters, digits, hyphens and dots, without a port)";

/**
 * RFC 6265bis section 5.6: user agents ignore cookies whose name and value
 * exceed 4096 bytes together.
 */
export const MAX_NAME_VALUE_BYTES = 4096;
// RFC 6265bis section 5.6: user agents ignore attribute values over 1024 bytes.
const MAX_ATTRIBUTE_BYTES = 1024;
/** RFC 6265bis section 4.1.2.2: browsers cap Max-Age at 400 days. */
export const MAX_AGE_LIMIT_SECONDS = 400 * 24 * 60 * 60;
const LONGEST_PREFIX = "__Secure-".length;
// Room for the longest prefix and a one-byte value.
const MAX_NAME_LENGTH = MAX_NAME_VALUE_BYTES - LONGEST_PREFIX - 1;

/** The class and message of an error to throw, prefixed by its caller. */
export type Problem = [TypeErrorConstructor | RangeErrorConstructor, string];

/** A session cookie's options once validated, with their defaults applied. */
export interface CookieDescription {
  /** The name without a prefix: the name of the variant without `Secure`. */
  readonly name: string;
  /** The prefix of the `Secure` variant's name, possibly none. */
  readonly securedPrefix: "" | "__Host-" | "__Secure-";
  readonly path: string;
  /** Normalized: no leading dot, lowercase. */
  readonly domain: string | undefined;
  readonly sameSite: "lax" | "strict" | "none";
  readonly secure: boolean | "auto";
  readonly httpOnly: boolean;
  readonly partitioned: boolean;
  readonly persistent: boolean;
}

/**
 * Validates the options, in a fixed order, and applies their defaults.
 * @throws {TypeError} For the first option that breaks a rule.
 * @throws {RangeError} If the name, path or domain is too long.
 */
export function describeCookie(
  options: SessionCookieOptions,
): CookieDescription {
  if (
    typeof options !== "object" || options === null || Array.isArray(options)
  ) {
    throw creationError(undefined, [
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

  const nameProblem = checkName(name);
  if (nameProblem !== undefined) throw creationError(undefined, nameProblem);
  const prefixProblem = checkUnprefixedName(name) ?? checkPrefix(prefix);
  if (prefixProblem !== undefined) throw creationError(name, prefixProblem);
  // From here on, errors name the cookie as the browser will see it.
  const fixedPrefix = prefix === "__Host-" || prefix === "__Secure-"
    ? prefix
    : undefined;
  const fullName = (fixedPrefix ?? "") + name;

  const pathProblem = checkPath(path);
  if (pathProblem !== undefined) throw creationError(fullName, pathProblem);
  const domain = rawDomain === undefined
    ? undefined
    : normalizeDomain(rawDomain);
  if (typeof domain === "object") throw creationError(fullName, domain);
  const problem = checkSameSite(sameSite) ?? checkSecure(secure) ??
    checkBoolean("httpOnly", httpOnly) ??
    checkBoolean("partitioned", partitioned) ??
    checkBoolean("persistent", persistent) ??
    checkSecureAttributes(secure, sameSite, partitioned) ??
    (fixedPrefix === undefined
      ? undefined
      : checkPrefixRules(fixedPrefix, secure, path, domain, rawDomain));
  if (problem !== undefined) throw creationError(fullName, problem);

  const securedPrefix = prefix === "none"
    ? ""
    : prefix === "auto"
    ? (path === "/" && domain === undefined ? "__Host-" : "__Secure-")
    : prefix;
  return Object.freeze({
    name,
    securedPrefix,
    path,
    domain,
    sameSite,
    secure,
    httpOnly,
    partitioned,
    persistent,
  });
}

/** The error `createSessionCookie` throws, naming the cookie once it can. */
function creationError(
  name: string | undefined,
  [ErrorClass, message]: Problem,
): Error {
  const cookie = name === undefined ? "" : ` "${name}"`;
  return new ErrorClass(`Cannot create session cookie${cookie}: ${message}`);
}

/** Checks that a cookie name is a string, an RFC 7230 token and short enough. */
function checkName(name: unknown): Problem | undefined {
  if (typeof name !== "string") {
    return [
      TypeError,
      `name must be a string, received ${describeValue(name)}`,
    ];
  }
  if (name.length > MAX_NAME_LENGTH) {
    return [
      RangeError,
      `name must be at most ${MAX_NAME_LENGTH} characters, received ${name.length} characters`,
    ];
  }
  if (!TOKEN.test(name)) {
    return [
      TypeError,
      `name must be ${TOKEN_EXPECTED}, received ${describeValue(name)}`,
    ];
  }
  return undefined;
}

/**
 * Checks that a name does not start with `__Host-` or `__Secure-`, compared
 * case-insensitively as browsers do: the prefix option adds those.
 */
function checkUnprefixedName(name: string): Problem | undefined {
  const start = name.slice(0, LONGEST_PREFIX).toLowerCase();
  const prefix = start.startsWith("__host-")
    ? "__Host-"
    : start.startsWith("__secure-")
    ? "__Secure-"
    : undefined;
  if (prefix === undefined) return undefined;
  return [
    TypeError,
    `name must not start with "${prefix}" (set the prefix option instead), received ${
      describeValue(name)
    }`,
  ];
}

/** Checks the value of the `prefix` option. */
function checkPrefix(prefix: unknown): Problem | undefined {
  if (
    prefix === "auto" || prefix === "__Host-" || prefix === "__Secure-" ||
    prefix === "none"
  ) {
    return undefined;
  }
  return [
    TypeError,
    `prefix must be "auto", "__Host-", "__Secure-" or "none", received ${
      describeValue(prefix)
    }`,
  ];
}

/** Checks a `Path` value. */
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
 * Checks and normalizes a `Domain` value (one leading dot dropped,
 * lowercased).
 * @returns The domain, or the problem.
 */
function normalizeDomain(domain: unknown): string | Problem {
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

/** Checks a `SameSite` value. */
function checkSameSite(sameSite: unknown): Problem | undefined {
  if (sameSite === "lax" || sameSite === "strict" || sameSite === "none") {
    return undefined;
  }
  return [
    TypeError,
    `sameSite must be "lax", "strict" or "none", received ${
      describeValue(sameSite)
    }`,
  ];
}

/** Checks the value of the `secure` option. */
function checkSecure(secure: unknown): Problem | undefined {
  if (secure === true || secure === false || secure === "auto") {
    return undefined;
  }
  return [
    TypeError,
    `secure must be true, false or "auto", received ${describeValue(secure)}`,
  ];
}

/** Checks that the option named `option` is a boolean. */
function checkBoolean(
  option: string,
  value: unknown,
): Problem | undefined {
  if (typeof value === "boolean") return undefined;
  return [
    TypeError,
    `${option} must be a boolean, received ${describeValue(value)}`,
  ];
}

/**
 * Checks the attributes that browsers reject without `Secure`:
 * `SameSite=None` and `Partitioned`.
 */
function checkSecureAttributes(
  secure: unknown,
  sameSite: unknown,
  partitioned: unknown,
): Problem | undefined {
  if (secure === true) return undefined;
  if (sameSite === "none") {
    return [
      TypeError,
      `secure must be true when sameSite is "none" (browsers reject SameSite=None without Secure), received ${
        describeValue(secure)
      }`,
    ];
  }
  if (partitioned === true) {
    return [
      TypeError,
      `secure must be true when partitioned is true (browsers reject Partitioned without Secure), received ${
        describeValue(secure)
      }`,
    ];
  }
  return undefined;
}

/**
 * Checks the rules a cookie name prefix imposes (RFC 6265bis section 4.1.3):
 * `Secure` for both, and for `__Host-` also `Path=/` and no `Domain`.
 * @param domain The normalized domain, whose presence counts.
 * @param rawDomain The domain as given, for the message.
 */
function checkPrefixRules(
  prefix: "__Host-" | "__Secure-",
  secure: unknown,
  path: string,
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
