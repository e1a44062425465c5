/**
 * sesame on Node's own HTTP server: `node --import tsx examples/node/main.ts`.
 * `nodeSession` reads the session from the request's `Cookie` header and
 * commits it just before the response's headers go out; no `Request` or
 * `Response` is built.
 *
 * @module
 */
import { createServer, type ServerResponse } from "node:http";
import process from "node:process";
import { createSessionManager, SessionStoreError } from "../../mod.ts";
import { nodeSession } from "../../src/middleware/node.ts";

const sessions = createSessionManager<{ visits: number }>();
const loadSession = nodeSession(sessions);

const server = createServer(async (req, res) => {
  try {
    // A store that fails when the session is saved, as the headers go out,
    // sends nothing of the answer below: fail() answers instead.
    const session = await loadSession(req, res, (error) => fail(res, error));
    const visits = (session.get("visits") ?? 0) + 1;
    session.set("visits", visits);
    res.writeHead(200, { "Content-Type": "application/json" })
      .end(JSON.stringify({ visits }));
  } catch (error) {
    fail(res, error);
  }
});

server.listen(Number(process.env.PORT ?? 8000), "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${port}/`);
});

function fail(res: ServerResponse, error: unknown): void {
  res.writeHead(error instanceof SessionStoreError ? 503 : 500).end();
}
