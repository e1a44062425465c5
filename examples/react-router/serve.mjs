// Serves the production build of the demo (or, with SESAME_RR_APP=fixture,
// of the test fixture) on node:http with @react-router/node, on 127.0.0.1
// and PORT, and says where it listens as every demo does. (The demo's
// routes are all resource routes: no static assets to serve.)
import { createServer } from "node:http";
import { createRequestListener } from "@react-router/node";

const dir = process.env.SESAME_RR_APP === "fixture" ? "build-fixture" : "build";
const build = await import(`./${dir}/server/index.js`);
const server = createServer(
  createRequestListener({ build, mode: "production" }),
);
server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const { port } = server.address();
  console.log(`sesame demo listening on http://127.0.0.1:${port}/`);
});
