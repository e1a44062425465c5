/**
 * What the demo's routes share: answers of `../../demo/routes.ts` as JSON,
 * and what a post gives its routes.
 *
 * @module
 */
import type { DemoAnswer, DemoPost } from "../../demo/routes.ts";

/** An answer of the demo, as `Response.json(body, { status })`. */
export function json({ status, body }: DemoAnswer): Response {
  return Response.json(body, { status });
}

/** What `POST /login` and `POST /logout` read of a request. */
export function post(request: Request): DemoPost {
  return {
    origin: request.headers.get("Origin"),
    targetOrigin: new URL(request.url).origin,
    contentType: request.headers.get("Content-Type") ?? "",
    body: async () => new Uint8Array(await request.arrayBuffer()),
  };
}
