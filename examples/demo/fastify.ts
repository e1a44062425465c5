/**
 * The demo on Fastify 5: `npm run demo:fastify`. The `fastifySession` plugin
 * of `@sesame/session/node` puts the session on `request.session` and
 * commits it in `onSend`, so that its `Set-Cookie` joins the reply; a store
 * that fails reaches the error handler, which answers 503. The routes and
 * their answers are those of `routes.ts`.
 *
 * @module
 */
import type { IncomingMessage } from "node:http";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { createSessionManager, SessionStoreError } from "../../mod.ts";
import { fastifySession } from "../../src/middleware/node.ts";
import {
  demoPost,
  readNodeDemoConfig,
  type Refusal,
  refuseConnect,
  requestTarget,
} from "./node_server.ts";
import {
  count,
  type DemoAnswer,
  type DemoData,
  type DemoPost,
  type DemoSession,
  home,
  HTML_TYPE,
  login,
  logout,
  NOT_FOUND,
  peek,
  STORE_UNAVAILABLE,
} from "./routes.ts";

const config = await readNodeDemoConfig();
const sessions = createSessionManager<DemoData>(config.sessions);

/** Each request's URL, or the refusal the Node demos answer it with. */
const targets = new WeakMap<IncomingMessage, URL | Refusal>();

const app = Fastify({
  // The demo has no HEAD routes.
  exposeHeadRoutes: false,
  // Route on the URL's path as the other demos do: `GET http://host/count`
  // and `/./count` are /count, `/%63ount` is not (Fastify's router decodes
  // %-escapes: escape them once more). A request without a URL is refused in
  // onRequest below.
  rewriteUrl: (req) => {
    const url = requestTarget(req);
    targets.set(req, url);
    return url instanceof URL
      ? url.pathname.replaceAll("%", "%25") + url.search
      : "/";
  },
});

// Requests the Node demos refuse before any session: TRACE, OPTIONS *, a bad
// Host. Added before the session plugin, so that it runs first.
app.addHook("onRequest", (request, reply, done) => {
  const url = targetOf(request);
  if (url instanceof URL) return done();
  reply.code(url.status).type("text/plain;charset=UTF-8").send(url.text);
});
await app.register(fastifySession(sessions));

// Every body as it came, whatever its type: /login reads it as routes.ts says.
app.removeAllContentTypeParsers();
app.addContentTypeParser(
  "*",
  { parseAs: "buffer" },
  (_request, body, done) => done(null, body),
);

app.get("/count", async (request, reply) => {
  return send(reply, await count(sessionOf(request)));
});
app.get("/peek", (request, reply) => {
  return send(reply, peek(sessionOf(request)));
});
app.post("/login", async (request, reply) => {
  return send(reply, await login(sessionOf(request), post(request)));
});
app.post("/logout", (request, reply) => {
  return send(reply, logout(sessionOf(request), post(request)));
});
app.get("/", (request, reply) => {
  return reply.type(HTML_TYPE).send(home(sessionOf(request)));
});
app.setNotFoundHandler((_request, reply) => send(reply, NOT_FOUND));

app.setErrorHandler((error, _request, reply) => {
  if (error instanceof SessionStoreError) return send(reply, STORE_UNAVAILABLE);
  // Fastify's own answer (413 for a body over its limit of 1 MiB, say).
  throw error;
});

await app.listen({ host: "127.0.0.1", port: config.port });
refuseConnect(app.server);
const { port } = app.server.address() as { port: number };
console.log(`sesame demo listening on http://127.0.0.1:${port}/`);

/** The session the plugin put on the request. */
function sessionOf(request: FastifyRequest): DemoSession {
  return (request as FastifyRequest & { session: DemoSession }).session;
}

/** What rewriteUrl, which sees every request first, made of its target. */
function targetOf(request: FastifyRequest): URL | Refusal {
  return targets.get(request.raw)!;
}

/** What /login and /logout read of a request that onRequest let through. */
function post(request: FastifyRequest): DemoPost {
  const body = request.body instanceof Uint8Array
    ? request.body
    : new Uint8Array();
  return demoPost(
    request.raw,
    targetOf(request) as URL,
    () => Promise.resolve(body),
  );
}

/**
 * Sends an answer of `routes.ts` as `Response.json(body, { status })` does:
 * with its own serializer, Fastify leaves the type as it is, without adding
 * `; charset=utf-8`.
 */
function send(reply: FastifyReply, { status, body }: DemoAnswer) {
  return reply.code(status).type("application/json")
    .serializer(JSON.stringify).send(body);
}
