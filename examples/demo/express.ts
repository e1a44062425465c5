/**
 * The demo on Express 5: `npm run demo:express`. `sessionMiddleware` of
 * `@sesame/session/node` puts the session on `req.session` and commits it
 * just before the response's headers go out, whatever sends them
 * (`res.json()`, `res.send()`); a store that fails reaches the error handler,
 * which answers 503. The routes and their answers are those of `routes.ts`.
 *
 * @module
 */
import express, {
  type NextFunction,
  type Request,
  type Response,
} from "express";
import { createSessionManager, SessionStoreError } from "../../mod.ts";
import { sessionMiddleware } from "../../src/middleware/node.ts";
import {
  demoPost,
  readNodeDemoConfig,
  refuse,
  refuseConnect,
  requestTarget,
  sendHtml,
  sendJson,
} from "./node_server.ts";
import {
  count,
  type DemoData,
  type DemoSession,
  home,
  login,
  logout,
  NOT_FOUND,
  peek,
  STORE_UNAVAILABLE,
} from "./routes.ts";

const config = await readNodeDemoConfig();
const sessions = createSessionManager<DemoData>(config.sessions);

const app = express();
// Answer as the demo does on every runtime: no ETag (nor the 304 it would
// bring), no X-Powered-By, and /count is not /Count nor /count/.
app.set("etag", false);
app.set("x-powered-by", false);
app.set("case sensitive routing", true);
app.set("strict routing", true);

// Requests the Node demos refuse before any session (TRACE, OPTIONS *, a bad
// Host); the others route on their URL's path, as the other demos do
// (`GET http://host/count`, `/./count`).
app.use((req, res, next) => {
  const url = requestTarget(req);
  if (!(url instanceof URL)) return refuse(res, url);
  res.locals.url = url;
  req.url = url.pathname + url.search;
  next();
});

app.use(sessionMiddleware(sessions));

// Express would answer HEAD with the GET route; the demo has no HEAD routes.
app.use((req, res, next) => {
  if (req.method === "HEAD") sendJson(res, NOT_FOUND);
  else next();
});

app.get("/count", async (req, res) => {
  sendJson(res, await count(sessionOf(req)));
});
app.get("/peek", (req, res) => {
  sendJson(res, peek(sessionOf(req)));
});
app.post("/login", async (req, res) => {
  sendJson(res, await login(sessionOf(req), demoPost(req, res.locals.url)));
});
app.post("/logout", (req, res) => {
  sendJson(res, logout(sessionOf(req), demoPost(req, res.locals.url)));
});
app.get("/", (req, res) => {
  sendHtml(res, home(sessionOf(req)));
});
app.use((_req, res) => {
  sendJson(res, NOT_FOUND);
});

app.use(
  (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (error instanceof SessionStoreError) sendJson(res, STORE_UNAVAILABLE);
    else next(error);
  },
);

const server = app.listen(config.port, "127.0.0.1", (error) => {
  if (error) throw error;
  const { port } = server.address() as { port: number };
  console.log(`sesame demo listening on http://127.0.0.1:${port}/`);
});
refuseConnect(server);

/** The session `sessionMiddleware` put on the request. */
function sessionOf(req: Request): DemoSession {
  return (req as Request & { session: DemoSession }).session;
}
