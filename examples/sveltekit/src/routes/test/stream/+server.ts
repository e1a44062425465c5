// GET /test/stream: counts, then streams its answer in parts. The hook
// commits when SvelteKit hands back the response, before the body streams.
import { notFoundAnswer, testsEnabled } from "../../../lib/server/tests.ts";
import type { RequestHandler } from "./$types";

export const GET: RequestHandler = ({ locals }) => {
  if (!testsEnabled()) return notFoundAnswer();
  const count = locals.session.update("count", (n = 0) => n + 1);
  const encoder = new TextEncoder();
  const parts = ["count ", String(count), " streamed"];
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const part = parts.shift();
      if (part === undefined) return controller.close();
      await new Promise((resolve) => setTimeout(resolve, 10));
      controller.enqueue(encoder.encode(part));
    },
  });
  return new Response(body, { headers: { "Content-Type": "text/plain" } });
};
