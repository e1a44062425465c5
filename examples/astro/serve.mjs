// Starts the production build of the demo (or, with SESAME_ASTRO_APP=fixture,
// of the test fixture) on @astrojs/node's standalone server, on HOST
// (127.0.0.1) and PORT, and says where it listens as every demo does.
process.env.ASTRO_NODE_AUTOSTART = "disabled";
process.env.ASTRO_NODE_LOGGING = "disabled";
process.env.HOST ??= "127.0.0.1";
const dist = process.env.SESAME_ASTRO_APP === "fixture"
  ? "./dist-fixture"
  : "./dist";
const { startServer } = await import(`${dist}/server/entry.mjs`);
const { server } = startServer();
const http = server.server;
if (!http.listening) {
  await new Promise((resolve) => http.once("listening", resolve));
}
const { address, port } = http.address();
console.log(`sesame demo listening on http://${address}:${port}/`);
