/**
 * What the demos on Node's HTTP server share (`node.ts` on `node:http`,
 * `express.ts`, `fastify.ts`): their configuration, the requests they refuse
 * before any session, as the Node demo always has, and what a post gives the
 * routes of `routes.ts`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import process from "node:process";
import type { Duplex } from "node:stream";
import { type DemoConfig, readDemoConfig } from "./config.ts";
import { connectIoredis, connectIoredisCluster } from "./ioredis.ts";
import { openBetterSqlite3 } from "./better_sqlite3.ts";
import { connectPg } from "./pg.ts";
import { type DemoAnswer, type DemoPost, HTML_TYPE } from "./routes.ts";

/**
 * Reads the demo's configuration from the environment, with the stores Node
 * can open (memory, Redis or a Redis Cluster through ioredis, PostgreSQL
 * through a `pg` pool, SQLite through better-sqlite3, the sealed cookie
 * store); on a mistake, says what is wrong and exits.
 */
export async function readNodeDemoConfig(): Promise<DemoConfig> {
  try {
    return await readDemoConfig((name) => process.env[name], {
      name: "Node",
      redis: connectIoredis,
      redisCluster: connectIoredisCluster,
      postgres: connectPg,
      sqlite: openBetterSqlite3,
    });
  } catch (error) {
    console.error(`Cannot start the demo: ${(error as Error).message}`);
    process.exit(1);
  }
}

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

/** An answer in plain text, to a request the demo refuses or cannot serve. */
export interface Refusal {
  status: number;
  text: string;
}

/**
 * Sends an answer of `routes.ts` as `Response.json(body, { status })` does,
 * through the response's own `writeHead()` and `end()`. (Express's
 * `res.json()` would add `; charset=utf-8` to the type, and answer 304 to a
 * `GET` with `If-None-Match: *`.)
 */
export function sendJson(res: ServerResponse, answer: DemoAnswer): void {
  res.writeHead(answer.status, { "Content-Type": "application/json" })
    .end(JSON.stringify(answer.body));
}

/** Sends the page of `routes.ts`. */
export function sendHtml(res: ServerResponse, html: string): void {
  res.writeHead(200, { "Content-Type": HTML_TYPE }).end(html);
}

/** Sends a refusal, as `new Response(text, { status })` is sent. */
export function refuse(res: ServerResponse, { status, text }: Refusal): void {
  res.writeHead(status, { "Content-Type": "text/plain;charset=UTF-8" })
    .end(text);
}

/**
 * The URL a request was sent to, or the demo's refusal: 501 for a method
 * that no route implements and no `Request` may carry (`TRACE`), 400 for a
 * target and `Host` that give no URL (`OPTIONS *`, `Host: evil/x`), so that
 * every demo on Node agrees.
 * (`CONNECT` never reaches a request handler: see `refuseConnect`.)
 */
export function requestTarget(req: IncomingMessage): URL | Refusal {
  if (FORBIDDEN_METHODS.has((req.method ?? "GET").toUpperCase())) {
    return { status: 501, text: "Not Implemented" };
  }
  return requestUrl(req) ?? { status: 400, text: "Bad Request" };
}

/**
 * What `POST /login` and `POST /logout` read of a request.
 *
 * @param req The request.
 * @param url Its URL, from {@linkcode requestTarget}.
 * @param body Reads its body; by default, from the request's stream.
 */
export function demoPost(
  req: IncomingMessage,
  url: URL,
  body: () => Promise<Uint8Array> = () => readBody(req),
): DemoPost {
  return {
    origin: req.headers.origin ?? null,
    targetOrigin: url.origin,
    contentType: req.headers["content-type"] ?? "",
    body,
  };
}

/** The whole body of a request, as it came (no size limit, no decoding). */
async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}
