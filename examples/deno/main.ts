/**
 * sesame on `Deno.serve`: `deno run --allow-net examples/deno/main.ts`.
 *
 * @module
 */
import { createSessionManager } from "../../mod.ts";

const sessions = createSessionManager<{ visits: number }>();

Deno.serve(
  { hostname: "127.0.0.1", port: Number(Deno.env.get("PORT") ?? 8000) },
  sessions.handler((_request, session) => {
    const visits = (session.get("visits") ?? 0) + 1;
    session.set("visits", visits);
    return Response.json({ visits });
  }),
);
