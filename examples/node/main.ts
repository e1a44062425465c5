/**
 * sesame on Node's own HTTP server: `node --import tsx examples/node/main.ts`.
 *
 * @module
 */
import { createSessionManager } from "../../mod.ts";
import { serve } from "./http.ts";

const sessions = createSessionManager<{ visits: number }>();

const app = sessions.handler((_request, session) => {
  const visits = (session.get("visits") ?? 0) + 1;
  session.set("visits", visits);
  return Response.json({ visits });
});

serve(app, {
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 8000),
  onListen: (port) => console.log(`listening on http://127.0.0.1:${port}/`),
});
