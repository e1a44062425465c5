// Private module of the Node adapters: a `SessionRequest` over Node's
// incoming message, and the commit that runs just before a response's
// headers go out, whatever sends them.

import { commitRefused } from "../_csrf_refused.ts";
import { SessionHandle } from "../_handle.ts";
import type { Session, SessionRequest } from "../session.ts";
import type { NodeRequest, NodeResponse } from "./node.ts";

/** The scheme of a request, as a `SessionRequest` needs it. */
const HTTPS_URL = "https://localhost/";
const HTTP_URL = "http://localhost/";

/**
 * A `SessionRequest` over Node's incoming message: one small object, no
 * `Request`, no copy of the headers. It is its own `headers`.
 */
export class IncomingSession implements SessionRequest {
  readonly url: string;
  #req: NodeRequest;

  constructor(req: NodeRequest, https: boolean) {
    this.url = https ? HTTPS_URL : HTTP_URL;
    this.#req = req;
  }

  get headers(): this {
    return this;
  }

  /** Node joins repeated Cookie headers with "; " already. */
  get(name: string): string | null {
    return name === "cookie" ? this.#req.headers.cookie ?? null : null;
  }
}

/** A response that may also send its headers at once, as for events. */
type FlushableResponse = NodeResponse & { flushHeaders?: () => void };

/** The response methods that send the headers, or wait for the commit. */
type Method = "writeHead" | "write" | "end" | "flushHeaders";
type Calls = Pick<FlushableResponse, Method>;

/**
 * Where a response keeps its gate: the newest one while a gate is closed,
 * and after the last has opened, that one (open, it passes calls on).
 */
const GATE: unique symbol = Symbol("sesame.gate");
type Gated = FlushableResponse & { [GATE]?: Gate };

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
  new Gate(res, session as Session, onError);
}

/**
 * The state of one response between the route and its headers. Its
 * stand-ins (shared functions, so that a request costs this one object)
 * replace the response's four methods and find the gate on the response.
 *
 * A stand-in may be called after its gate opened: a later middleware kept
 * it to wrap it (as compression wraps `write()`), or a second session
 * manager's gate stood in front of it. The gate then stays on the response
 * (or gives way to the gate behind it, still closed) and passes calls on;
 * and opening puts back only the methods that are still its stand-ins, not
 * a later middleware's wrappers.
 *
 * (Swapping the response's prototype instead, which leaves its own
 * properties alone, measured at half the throughput of plain `node:http`;
 * closures of each gate cost more than these shared functions.)
 */
class Gate {
  readonly res: Gated;
  readonly session: Session;
  readonly onError: (error: unknown) => void;
  /** The methods the gate stands in for. */
  readonly originals: Calls;
  /** Calls held back while the commit runs; `undefined` before it. */
  queue: [Method, unknown[]][] | undefined;
  /** Whether the gate has opened: its stand-ins now pass calls on. */
  opened = false;
  /** The closed gate of another session on the same response, behind this one. */
  readonly previous: Gate | undefined;

  constructor(
    res: Gated,
    session: Session,
    onError: (error: unknown) => void,
  ) {
    this.res = res;
    this.session = session;
    this.onError = onError;
    this.originals = {
      writeHead: res.writeHead,
      write: res.write,
      end: res.end,
      flushHeaders: res.flushHeaders,
    };
    const previous = res[GATE];
    this.previous = previous?.opened === false ? previous : undefined;
    res[GATE] = this;
    res.writeHead = gatedWriteHead;
    res.write = gatedWrite;
    res.end = gatedEnd;
    if (res.flushHeaders !== undefined) res.flushHeaders = gatedFlushHeaders;
  }

  /** Opens the gate: the response's own methods answer from now on. */
  open(): void {
    this.opened = true;
    const res = this.res;
    if (this.previous !== undefined) {
      // The gate behind takes the calls of stand-ins kept by others.
      res[GATE] = this.previous;
      return;
    }
    // Put back what was there, unless a later middleware wrapped the
    // stand-ins (its wrappers call them, and this gate passes calls on).
    const { originals } = this;
    if (res.writeHead === gatedWriteHead) res.writeHead = originals.writeHead;
    if (res.write === gatedWrite) res.write = originals.write;
    if (res.end === gatedEnd) res.end = originals.end;
    if (res.flushHeaders === gatedFlushHeaders) {
      res.flushHeaders = originals.flushHeaders;
    }
  }

  /** A call of a stand-in: held at the gate, or passed on once it opened. */
  pass(method: Method, args: unknown[]): unknown {
    return this.opened ? this.call(method, args) : this.intercept(method, args);
  }

  call(method: Method, args: unknown[]): unknown {
    return (this.originals[method] as (...args: unknown[]) => unknown)
      .apply(this.res, args);
  }

  /** What a held-back call answers: a write is taken, as Node says of a write it buffers. */
  heldBack(method: Method): unknown {
    return method === "write"
      ? true
      : method === "flushHeaders"
      ? undefined
      : this.res;
  }

  intercept(method: Method, args: unknown[]): unknown {
    const res = this.res;
    if (this.queue !== undefined) {
      this.queue.push([method, args]);
      return this.heldBack(method);
    }
    const status = method === "writeHead" && typeof args[0] === "number"
      ? args[0]
      : res.statusCode;
    // A request that a CSRF token check refused commits nothing either.
    if (res.headersSent || status >= 500 || commitRefused(this.session)) {
      this.open();
      return this.call(method, args);
    }
    let committing: Promise<string | undefined> | string | undefined;
    try {
      committing = SessionHandle.commitNow(this.session);
    } catch (error) {
      this.open();
      this.onError(error);
      return method === "write" ? false : this.heldBack(method);
    }
    if (typeof committing !== "object") {
      this.open();
      if (committing !== undefined) addSetCookie(res, method, args, committing);
      return this.call(method, args);
    }
    this.queue = [[method, args]];
    committing.then(
      (setCookie) => this.replay(setCookie),
      (error) => {
        this.open();
        this.onError(error);
      },
    );
    return this.heldBack(method);
  }

  /** Runs the held-back calls once the commit is done. */
  replay(setCookie: string | undefined): void {
    const calls = this.queue!;
    this.open();
    try {
      if (setCookie !== undefined) {
        addSetCookie(this.res, calls[0][0], calls[0][1], setCookie);
      }
      for (const [method, args] of calls) this.call(method, args);
    } catch (error) {
      // The route's call would have thrown it (an invalid header): it must
      // not become an unhandled rejection, which ends the process.
      this.onError(error);
    }
  }
}

function gatedWriteHead(this: Gated, ...args: unknown[]): unknown {
  return this[GATE]!.pass("writeHead", args);
}

function gatedWrite(this: Gated, ...args: unknown[]): boolean {
  return this[GATE]!.pass("write", args) as boolean;
}

function gatedEnd(this: Gated, ...args: unknown[]): unknown {
  return this[GATE]!.pass("end", args);
}

function gatedFlushHeaders(this: Gated): void {
  this[GATE]!.pass("flushHeaders", []);
}

/**
 * Adds a `Set-Cookie` to the response, keeping those it has: in the
 * `writeHead()` call's own headers when it carries `Set-Cookie` there
 * (they replace the response's), else on the response. The caller's headers
 * are copied, never changed: a route may pass the same object every time.
 */
function addSetCookie(
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
