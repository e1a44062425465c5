/// <reference types="@types/bun" />
/**
 * sesame on `Bun.serve`: `bun examples/bun/main.ts`.
 *
 * @module
 */
import { createSessionManager } from "../../mod.ts";

const sessions = createSessionManager<{ visits: number }>();

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 8000),
  fetch: sessions.handler((_request, session) => {
    const visits = (session.get("visits") ?? 0) + 1;
    session.set("visits", visits);
    return Response.json({ visits });
  }),
});

console.log(`listening on http://127.0.0.1:${server.port}/`);
