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
import { Readable } from "node:stream";

/** Builds a `Request` from Node's incoming message. */
export function toRequest(incoming: IncomingMessage): Request {
  const host = incoming.headers.host ?? "127.0.0.1";
  const url = new URL(incoming.url ?? "/", `http://${host}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    // Node joins repeated Cookie headers with "; " already.
    if (Array.isArray(value)) {
      for (const item of value) headers.append(name, item);
    } else if (value !== undefined) headers.set(name, value);
  }
  const method = incoming.method ?? "GET";
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
 * Serves a fetch-style handler on `node:http`. A handler that throws answers
 * 500 without details.
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
      response = await handler(toRequest(incoming));
    } catch {
      response = new Response("Internal Server Error", { status: 500 });
    }
    await writeResponse(response, outgoing);
  });
  server.listen(options.port, options.hostname, () => {
    const address = server.address();
    const port = typeof address === "object" && address
      ? address.port
      : options.port;
    options.onListen?.(port);
  });
  return server;
}
