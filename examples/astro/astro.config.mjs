// The demo (src/) and, with SESAME_ASTRO_APP=fixture, the app of
// tests/astro_test.ts (fixture/): on-demand rendering on @astrojs/node in
// standalone mode, started by serve.mjs.
import node from "@astrojs/node";
import { defineConfig } from "astro/config";

const fixture = process.env.SESAME_ASTRO_APP === "fixture";

export default defineConfig({
  srcDir: fixture ? "./fixture" : "./src",
  outDir: fixture ? "./dist-fixture" : "./dist",
  output: "server",
  adapter: node({ mode: "standalone" }),
  // The middleware answers /count/ with 404, as every demo does.
  trailingSlash: "ignore",
  // The demo's routes refuse cross-origin posts themselves, and accept posts
  // without an Origin header (curl), which Astro's check would refuse.
  // Astro reads the Host header only for the domains listed here, and
  // takes "localhost" otherwise: the demo's same-origin check compares the
  // request's Origin with its URL.
  security: {
    checkOrigin: false,
    allowedDomains: [{ protocol: "http", hostname: "127.0.0.1" }],
  },
  telemetry: false,
  devToolbar: { enabled: false },
  vite: {
    // The library and the shared demo live outside this folder.
    server: { fs: { allow: ["../.."] } },
  },
});
