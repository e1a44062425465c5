// Private module of the Node adapters: a `SessionRequest` over Node's
// incoming message, and the commit that runs just before a response's
// headers go out, whatever sends them.

import { SessionHandle } from "../_handle.ts";
import type { Session, SessionRequest } from "../session.ts";
import type { NodeRequest, NodeResponse } from "./node.ts";

/** The scheme of a request, as a `SessionRequest` needs it. */
const HTTPS_URL = "https://localhost/";
const HTTP_URL = "http://localhost/";

/**
 * A `SessionRequest` over Node's incoming message: one small object, no
 * `Request`, no copy of the headers.
 */
export class IncomingSession implements SessionRequest {
  readonly url: string;
  readonly headers: { get(name: string): string | null };

  constructor(req: NodeRequest, https: boolean) {
    this.url = https ? HTTPS_URL : HTTP_URL;
    // Node joins repeated Cookie headers with "; " already.
    this.headers = {
      get: (name) => name === "cookie" ? req.headers.cookie ?? null : null,
    };
  }
}

/** A response that may also send its headers at once, as for events. */
type FlushableResponse = NodeResponse & { flushHeaders?: () => void };

/**
 * Commits `session` when the response's headers are about to go out: at
 * its first `writeHead()`, `write()`, `end()` or `flushHeaders()`, whichever
 * comes first. When the commit answers at once (the memory store), the call
 * goes on at once; otherwise it, and any later ones, wait for the commit and
 * run in order after it, and what one of them throws goes to `onError`, as
 * it would have gone to the route. A status of 500 or more commits nothing.
 */
export function commitBeforeHeaders<Data, Flash>(
  res: FlushableResponse,
  session: Session<Data, Flash>,
  onError: (error: unknown) => void,
): void {
  const originals = {
    writeHead: res.writeHead,
    write: res.write,
    end: res.end,
    flushHeaders: res.flushHeaders,
  };
  type Method = keyof typeof originals;
  let queue: [Method, unknown[]][] | undefined;
  const restore = () => {
    res.writeHead = originals.writeHead;
    res.write = originals.write;
    res.end = originals.end;
    if (originals.flushHeaders !== undefined) {
      res.flushHeaders = originals.flushHeaders;
    }
  };
  const call = (method: Method, args: unknown[]) =>
    (originals[method] as (...args: unknown[]) => unknown).apply(res, args);
  // What a held-back call answers: a write is taken, as Node says of a
  // write that it buffers.
  const heldBack = (method: Method) =>
    method === "write" ? true : method === "flushHeaders" ? undefined : res;
  const intercept = (method: Method) => (...args: unknown[]) => {
    if (queue !== undefined) {
      queue.push([method, args]);
      return heldBack(method);
    }
    const status = method === "writeHead" && typeof args[0] === "number"
      ? args[0]
      : res.statusCode;
    if (res.headersSent || status >= 500) {
      restore();
      return call(method, args);
    }
    let committing: Promise<string | undefined> | string | undefined;
    try {
      committing = SessionHandle.commitNow(session);
    } catch (error) {
      restore();
      onError(error);
      return method === "write" ? false : heldBack(method);
    }
    if (typeof committing !== "object") {
      restore();
      if (committing !== undefined) addSetCookie(res, method, args, committing);
      return call(method, args);
    }
    queue = [[method, args]];
    committing.then(
      (setCookie) => {
        const calls = queue!;
        restore();
        try {
          if (setCookie !== undefined) {
            addSetCookie(res, calls[0][0], calls[0][1], setCookie);
          }
          for (const [queued, queuedArgs] of calls) call(queued, queuedArgs);
        } catch (error) {
          // The route's call would have thrown it (an invalid header): it
          // must not become an unhandled rejection, which ends the process.
          onError(error);
        }
      },
      (error) => {
        restore();
        onError(error);
      },
    );
    return heldBack(method);
  };
  res.writeHead = intercept("writeHead");
  res.write = intercept("write") as NodeResponse["write"];
  res.end = intercept("end");
  if (originals.flushHeaders !== undefined) {
    res.flushHeaders = intercept("flushHeaders") as () => void;
  }
}

/**
 * Adds a `Set-Cookie` to the response, keeping those it has: in the
 * `writeHead()` call's own headers when it carries `Set-Cookie` there
 * (they replace the response's), else on the response. The caller's headers
 * are copied, never changed: a route may pass the same object every time.
 */
export function addSetCookie(
  res: NodeResponse,
  method: string,
  args: unknown[],
  setCookie: string,
): void {
  const index = method === "writeHead"
    ? args.findIndex((arg) => typeof arg === "object" && arg !== null)
    : -1;
  const headers = args[index];
  if (Array.isArray(headers)) {
    // Raw headers: [name, value, name, value, …] or [[name, value], …].
    args[index] = Array.isArray(headers[0])
      ? [...headers, ["Set-Cookie", setCookie]]
      : [...headers, "Set-Cookie", setCookie];
    return;
  }
  if (index !== -1) {
    const record = headers as Record<string, unknown>;
    const name = Object.keys(record).find((key) =>
      key.toLowerCase() === "set-cookie"
    );
    if (name !== undefined) {
      const value = record[name];
      args[index] = {
        ...record,
        [name]: Array.isArray(value)
          ? [...value, setCookie]
          : [String(value), setCookie],
      };
      return;
    }
  }
  const existing = res.getHeader("set-cookie");
  res.setHeader(
    "set-cookie",
    existing === undefined
      ? setCookie
      : Array.isArray(existing)
      ? [...existing, setCookie]
      : [String(existing), setCookie],
  );
}
