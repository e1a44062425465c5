/**
 * The demo on Node's own `node:http`: `npm run demo:node`. The session comes
 * from `nodeSession` of `@sesame/session/node`, straight from the request's
 * `Cookie` header, and is committed just before the response's headers go
 * out; no `Request` or `Response` is built.
 *
 * @module
 */
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createSessionManager, SessionStoreError } from "../../mod.ts";
import { nodeSession } from "../../src/middleware/node.ts";
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
const loadSession = nodeSession(
  createSessionManager<DemoData>(config.sessions),
);

const server = createServer(async (req, res) => {
  const url = requestTarget(req);
  if (!(url instanceof URL)) return refuse(res, url);
  try {
    // A commit that fails as the headers go out sends nothing of the route's
    // answer: fail() answers instead.
    const session = await loadSession(req, res, (error) => fail(res, error));
    await route(req, res, url, session);
  } catch (error) {
    fail(res, error);
  }
});
refuseConnect(server);
server.listen(config.port, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  console.log(`sesame demo listening on http://127.0.0.1:${port}/`);
});

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  session: DemoSession,
): Promise<void> {
  switch (`${req.method} ${url.pathname}`) {
    case "GET /count":
      return sendJson(res, await count(session));
    case "GET /peek":
      return sendJson(res, peek(session));
    case "POST /login":
      return sendJson(res, await login(session, demoPost(req, url)));
    case "POST /logout":
      return sendJson(res, logout(session, demoPost(req, url)));
    case "GET /":
      return sendHtml(res, home(session));
    default:
      return sendJson(res, NOT_FOUND);
  }
}

/** A failing store answers 503; anything else 500, without details. */
function fail(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
  } else if (error instanceof SessionStoreError) {
    sendJson(res, STORE_UNAVAILABLE);
  } else {
    refuse(res, { status: 500, text: "Internal Server Error" });
  }
}
