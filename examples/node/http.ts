/**
 * A small conversion between `node:http` and the web-standard `Request` and
 * `Response`, so that a `(request) => Promise<Response>` handler (such as
 * `sessions.handler(...)`) serves on Node's own HTTP server.
 *
 * Copy it into your project, or use a maintained adapter such as
 * `@hono/node-server`.
 *
 * @module
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { type Duplex, Readable } from "node:stream";

/**
 * Methods the Fetch standard forbids in a `Request`, whose constructor throws
 * on them. They get 501 Not Implemented, which says that the server supports
 * the method for no resource (RFC 9110 section 15.6.2), rather than 405
 * Method Not Allowed, which must list in `Allow` what the resource supports
 * (section 15.5.6): only the application knows that.
 */
export const FORBIDDEN_METHODS: ReadonlySet<string> = new Set([
  "CONNECT",
  "TRACE",
  "TRACK",
]);

/** A Host header: a host name or IP literal, then an optional port. */
const HOST = /^(?:\[[\dA-Fa-f:.]+\]|[\w\-.~!$&'()*+,;=%]+)(?::\d*)?$/;

/**
 * The request's URL: the origin-form target (`/path?query`) under the Host
 * header, or the absolute-form target (`http://host/path`), which servers
 * must accept (RFC 9112 section 3.2.2). `undefined` for the asterisk-form of
 * `OPTIONS *`, which no URL expresses, and for an invalid Host header, which
 * could otherwise move the path into the host (`Host: evil/x`).
 */
export function requestUrl(incoming: IncomingMessage): URL | undefined {
  const target = incoming.url ?? "/";
  // An HTTP/1.0 request may come without Host; Node refuses it for HTTP/1.1.
  const host = incoming.headers.host ?? "127.0.0.1";
  try {
    // Concatenated, not resolved: a target "//evil/x" is a path, not a host.
    if (target.startsWith("/")) {
      return HOST.test(host) ? new URL(`http://${host}${target}`) : undefined;
    }
    const url = new URL(target);
    // A Request also refuses a URL with credentials.
    const valid = (url.protocol === "http:" || url.protocol === "https:") &&
      url.username === "" && url.password === "";
    return valid ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds a `Request` from Node's incoming message, or the response to send
 * instead when the message cannot become one: 501 for a method that a
 * `Request` refuses, 400 for a target or Host header that gives no URL.
 */
export function toRequest(incoming: IncomingMessage): Request | Response {
  const method = incoming.method ?? "GET";
  if (FORBIDDEN_METHODS.has(method.toUpperCase())) {
    return new Response("Not Implemented", { status: 501 });
  }
  const url = requestUrl(incoming);
  if (url === undefined) return new Response("Bad Request", { status: 400 });
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    // Node joins repeated Cookie headers with "; " already.
    if (Array.isArray(value)) {
      for (const item of value) headers.append(name, item);
    } else if (value !== undefined) headers.set(name, value);
  }
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(url, {
    method,
    headers,
    body: hasBody
      ? Readable.toWeb(incoming) as unknown as ReadableStream
      : undefined,
    // Required by Node's fetch for a streamed request body.
    duplex: "half",
  } as RequestInit);
}

/** Writes a `Response` to Node's server response, every Set-Cookie intact. */
export async function writeResponse(
  response: Response,
  outgoing: ServerResponse,
): Promise<void> {
  outgoing.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") outgoing.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) outgoing.setHeader("Set-Cookie", cookies);
  if (response.body === null) {
    outgoing.end();
    return;
  }
  for await (const chunk of response.body) outgoing.write(chunk);
  outgoing.end();
}

/**
 * Answers `CONNECT` requests with 501 Not Implemented: Node hands them over
 * as a bare socket, and closes it without an answer when nothing listens
 * for them.
 */
export function refuseConnect(server: Server): void {
  server.on("connect", (_incoming, socket: Duplex) => {
    socket.on("error", () => socket.destroy());
    socket.end(
      "HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
  });
}

/**
 * Serves a fetch-style handler on `node:http`. A handler that throws answers
 * 500 without details; a request that cannot become a `Request` gets the
 * answer of {@linkcode toRequest}, and `CONNECT` gets 501.
 */
export function serve(
  handler: (request: Request) => Promise<Response>,
  options: {
    hostname: string;
    port: number;
    onListen?: (port: number) => void;
  },
): Server {
  const server = createServer(async (incoming, outgoing) => {
    let response: Response;
    try {
      const request = toRequest(incoming);
      response = request instanceof Response ? request : await handler(request);
    } catch {
      response = new Response("Internal Server Error", { status: 500 });
    }
    await writeResponse(response, outgoing);
  });
  refuseConnect(server);
  server.listen(options.port, options.hostname, () => {
    const address = server.address();
    const port = typeof address === "object" && address
      ? address.port
      : options.port;
    options.onListen?.(port);
  });
  return server;
}
