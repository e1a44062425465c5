// Serves the production build (adapter-node's handler) on 127.0.0.1 and
// prints "listening on http://127.0.0.1:<port>/", as every demo does;
// PORT=0 (the tests) takes a free port. adapter-node takes requests to be
// https unless ORIGIN (or PROTOCOL_HEADER) says otherwise, which would name
// the cookie __Host-sid and mark it Secure: ORIGIN is set to this plain
// http address unless given.
import { createServer } from "node:http";
import process from "node:process";

const HOST = "127.0.0.1";
const server = createServer();
server.listen(Number(process.env.PORT || 8000), HOST, async () => {
  const { port } = server.address();
  process.env.ORIGIN ||= `http://${HOST}:${port}`;
  const { handler } = await import("./build/handler.js");
  server.on("request", handler);
  console.log(`sesame demo on SvelteKit listening on http://${HOST}:${port}/`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
