/**
 * The demo application: one portable `(request) => Promise<Response>` handler
 * that the entry files of Deno, Bun and Workers serve. The routes and what
 * they answer are in `routes.ts`, shared with the demos on `node:http`,
 * Express and Fastify.
 *
 * @module
 */
import {
  createSessionManager,
  type SessionManagerOptions,
  SessionStoreError,
} from "../../mod.ts";
import {
  count,
  type DemoAnswer,
  type DemoData,
  type DemoPost,
  home,
  HTML_TYPE,
  login,
  logout,
  NOT_FOUND,
  peek,
  STORE_UNAVAILABLE,
} from "./routes.ts";

export type { DemoData } from "./routes.ts";

/**
 * Creates the demo's request handler.
 *
 * @param options Session manager options (store, timeouts).
 */
export function createDemoApp(
  options: SessionManagerOptions = {},
): (request: Request) => Promise<Response> {
  const sessions = createSessionManager<DemoData>(options);

  const routes = sessions.handler(async (request, session) => {
    const url = new URL(request.url);
    switch (`${request.method} ${url.pathname}`) {
      case "GET /count":
        return json(await count(session));
      case "GET /peek":
        return json(peek(session));
      case "POST /login":
        return json(await login(session, post(request, url)));
      case "POST /logout":
        return json(logout(session, post(request, url)));
      case "GET /":
        return new Response(home(session), {
          headers: { "Content-Type": HTML_TYPE },
        });
      default:
        return json(NOT_FOUND);
    }
  });

  return async (request) => {
    try {
      return await routes(request);
    } catch (cause) {
      if (cause instanceof SessionStoreError) return json(STORE_UNAVAILABLE);
      throw cause;
    }
  };
}

function json({ status, body }: DemoAnswer): Response {
  return Response.json(body, { status });
}

function post(request: Request, url: URL): DemoPost {
  return {
    origin: request.headers.get("Origin"),
    targetOrigin: url.origin,
    contentType: request.headers.get("Content-Type") ?? "",
    body: async () => new Uint8Array(await request.arrayBuffer()),
  };
}
