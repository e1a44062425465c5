// An in-process cookie jar: carries Set-Cookie values from one response into
// the Cookie header of the next request, as a browser does for one origin;
// and readers of the cookie one Set-Cookie value sets.
import assert from "node:assert/strict";

/**
 * The `name=value` pair a `Set-Cookie` value sets, as a browser sends it
 * back in `Cookie`. Fails the test when no cookie was sent.
 */
export function cookiePair(setCookie: string | undefined): string {
  assert.ok(setCookie, "a cookie was sent");
  return setCookie.split(";")[0];
}

/** The value a `Set-Cookie` value sets: the session id, or the sealed session. */
export function cookieValue(setCookie: string | undefined): string {
  const pair = cookiePair(setCookie);
  return pair.slice(pair.indexOf("=") + 1);
}

/** A cookie jar for one origin, honouring Max-Age=0 deletions. */
export class CookieJar {
  #cookies = new Map<string, string>();

  /** Stores the cookie one `Set-Cookie` value sets. */
  store(setCookie: string | undefined): void {
    if (!setCookie) return;
    const [pair, ...attributes] = setCookie.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
    if (expired) this.#cookies.delete(name);
    else this.#cookies.set(name, value);
  }

  /** Stores every Set-Cookie of a response. */
  storeFrom(response: Response): void {
    for (const line of response.headers.getSetCookie()) this.store(line);
  }

  /** The value of one cookie. */
  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** The Cookie header to send, or undefined with no cookies. */
  header(): string | undefined {
    if (this.#cookies.size === 0) return undefined;
    return [...this.#cookies].map(([n, v]) => `${n}=${v}`).join("; ");
  }

  /** A request carrying the jar's cookies. */
  request(url: string, init: RequestInit = {}): Request {
    const headers = new Headers(init.headers);
    const cookie = this.header();
    if (cookie !== undefined) headers.set("Cookie", cookie);
    return new Request(url, { ...init, headers });
  }
}

/**
 * The values of every pair named `name` in a Cookie header, parsed the plain
 * way: split on ";", cut at the first "=", trim spaces and tabs.
 */
export function referenceValues(header: string, name: string): string[] {
  const trim = (text: string) => text.replace(/^[ \t]+|[ \t]+$/g, "");
  return header.split(";").flatMap((pair) => {
    const equals = pair.indexOf("=");
    return equals !== -1 && trim(pair.slice(0, equals)) === name
      ? [trim(pair.slice(equals + 1))]
      : [];
  });
}
