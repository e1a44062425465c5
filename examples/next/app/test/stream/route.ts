// GET /test/stream: counts, commits, then streams its answer in parts. The
// cookie is set before the body starts; nothing set in the stream is saved.
import { getSession } from "../../../lib/session.ts";
import { notFound } from "../../../lib/route.ts";
import { testsEnabled } from "../../../lib/tests.ts";

export async function GET(request: Request): Promise<Response> {
  if (!testsEnabled()) return notFound(request);
  const session = await getSession();
  const count = session.update("count", (n = 0) => n + 1);
  await session.commit();
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
}
