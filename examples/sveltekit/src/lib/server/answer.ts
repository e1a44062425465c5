// The demo's answers as SvelteKit responses, and what its posts read.
import { json, type RequestEvent, type RequestHandler } from "@sveltejs/kit";
import { SessionStoreError } from "../../../../../mod.ts";
import {
  type DemoAnswer,
  type DemoPost,
  NOT_FOUND,
  STORE_UNAVAILABLE,
} from "../../../../demo/routes.ts";

/** An answer of examples/demo/routes.ts as a JSON response. */
export function answer({ status, body }: DemoAnswer): Response {
  return json(body, { status });
}

/**
 * An endpoint that answers with a function of examples/demo/routes.ts. A
 * store that fails inside it (`count()` commits) answers 503: SvelteKit
 * would make a 500 of what an endpoint throws, before the hook sees it.
 */
export function demoRoute(
  route: (event: RequestEvent) => DemoAnswer | Promise<DemoAnswer>,
): RequestHandler {
  return async (event) => {
    try {
      return answer(await route(event));
    } catch (error) {
      if (error instanceof SessionStoreError) return answer(STORE_UNAVAILABLE);
      throw error;
    }
  };
}

/** 404 for methods and paths the demo does not have. */
export const notFound: RequestHandler = () => answer(NOT_FOUND);

/** What `POST /login` and `POST /logout` read of their request. */
export function demoPost({ request, url }: RequestEvent): DemoPost {
  return {
    origin: request.headers.get("Origin"),
    targetOrigin: url.origin,
    contentType: request.headers.get("Content-Type") ?? "",
    body: async () => new Uint8Array(await request.arrayBuffer()),
  };
}
