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
const METHODS: readonly Method[] = [
  "writeHead",
  "write",
  "end",
  "flushHeaders",
];
type Calls = Pick<FlushableResponse, Method>;

/**
 * Commits `session` when the response's headers are about to go out: at
 * its first `writeHead()`, `write()`, `end()` or `flushHeaders()`, whichever
 * comes first. When the commit answers at once (the memory store), the call
 * goes on at once; otherwise it, and any later ones, wait for the commit and
 * run in order after it, and what one of them throws goes to `onError`, as
 * it would have gone to the route. A status of 500 or more commits nothing,
 * nor does a request that a CSRF token check refused.
 */
export function commitBeforeHeaders<Data, Flash>(
  res: FlushableResponse,
  session: Session<Data, Flash>,
  onError: (error: unknown) => void,
): void {
  new Gate(res, session as Session, onError);
}

/**
 * The gate of each response whose prototype is a gated one (see
 * {@linkcode gatedPrototype}). A `WeakMap`, not a property: a response keeps
 * the shape Node's own code is optimised for.
 */
const gates = new WeakMap<object, Gate>();

/** The gated prototype made for each response prototype, once. */
const gatedPrototypes = new WeakMap<object, object>();

/**
 * A prototype between a response and its own prototype `proto`, whose four
 * methods stand in for `proto`'s: with a gate on the response they go to
 * it, without one (after the gate opened, when a later middleware kept a
 * reference to them) they are `proto`'s own. A response under a gate only
 * changes its prototype for a while, as Express itself does to every
 * response; its own properties stay as they are.
 */
function gatedPrototype(proto: object): object {
  let gated = gatedPrototypes.get(proto);
  if (gated !== undefined) return gated;
  const own = proto as Calls;
  const methods: PropertyDescriptorMap = {};
  for (const method of METHODS) {
    const original = own[method] as
      | ((this: object, ...args: unknown[]) => unknown)
      | undefined;
    if (original === undefined) continue;
    methods[method] = {
      value: function (this: object, ...args: unknown[]): unknown {
        const gate = gates.get(this);
        return gate === undefined
          ? original.apply(this, args)
          : gate.intercept(method, args);
      },
      writable: true,
      configurable: true,
    };
  }
  gated = Object.create(proto, methods) as object;
  gatedPrototypes.set(proto, gated);
  return gated;
}

/** Whether a response has one of the four methods as its own property. */
function patched(res: FlushableResponse): boolean {
  return Object.hasOwn(res, "writeHead") || Object.hasOwn(res, "write") ||
    Object.hasOwn(res, "end") || Object.hasOwn(res, "flushHeaders");
}

/**
 * The state of one response between the route and its headers.
 *
 * Usually the gate swaps the response's prototype for a gated one, which
 * leaves the response's own properties alone. When something already put
 * its own methods on the response (another middleware wrapping `end()`, a
 * second session manager's gate), the gate wraps those instead, with
 * functions of its own that, once it has opened, pass every call on.
 */
class Gate {
  readonly res: FlushableResponse;
  readonly session: Session;
  readonly onError: (error: unknown) => void;
  /** The methods the gate stands in for. */
  readonly originals: Calls;
  /** The response's prototype before the gate, when the gate swapped it. */
  readonly prototype: object | undefined;
  /** Calls held back while the commit runs; `undefined` before it. */
  queue: [Method, unknown[]][] | undefined;
  /** Whether the gate has opened: its stand-ins now pass calls on. */
  opened = false;
  /** The gate's own methods on the response, when it did not swap the prototype. */
  standIns: Partial<Calls> | undefined;

  constructor(
    res: FlushableResponse,
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
    const prototype = Object.getPrototypeOf(res);
    if (prototype !== null && !gates.has(res) && !patched(res)) {
      this.prototype = prototype;
      gates.set(res, this);
      Object.setPrototypeOf(res, gatedPrototype(prototype));
      return;
    }
    this.prototype = undefined;
    const standIns: Record<string, unknown> = {};
    for (const method of METHODS) {
      if (this.originals[method] === undefined) continue;
      standIns[method] = (res as unknown as Record<Method, unknown>)[method] = (
        ...args: unknown[]
      ) => this.opened ? this.call(method, args) : this.intercept(method, args);
    }
    this.standIns = standIns as Partial<Calls>;
  }

  /** Takes the gate off the response: its own methods answer from now on. */
  open(): void {
    this.opened = true;
    const { res, prototype } = this;
    if (prototype !== undefined) {
      gates.delete(res);
      Object.setPrototypeOf(res, prototype);
      return;
    }
    // Put back what was there, unless a later middleware wrapped the
    // stand-ins (its wrappers call them, and they now pass calls on).
    for (const method of METHODS) {
      const standIn = this.standIns![method];
      if (standIn !== undefined && res[method] === standIn) {
        (res as unknown as Record<Method, unknown>)[method] =
          this.originals[method];
      }
    }
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
