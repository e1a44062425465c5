// The demo imports the library and the shared demo code from outside this
// folder (../../src, ../demo): the repository's root is the project's root
// for the bundler and for tracing.
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const root = fileURLToPath(new URL("../..", import.meta.url));

const config: NextConfig = {
  turbopack: { root },
  outputFileTracingRoot: root,
  poweredByHeader: false,
};

export default config;
