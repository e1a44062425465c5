// The demo (app/) and, with SESAME_RR_APP=fixture, the app of
// tests/react_router_test.ts (fixture/): framework mode with server
// rendering and route middleware, served by serve.mjs.
import type { Config } from "@react-router/dev/config";

const fixture = process.env.SESAME_RR_APP === "fixture";

export default {
  appDirectory: fixture ? "fixture" : "app",
  buildDirectory: fixture ? "build-fixture" : "build",
  ssr: true,
  // React Router 8's behaviour, ahead of it: route middleware, and loaders
  // and middleware get the request as it came (`/count.data` included).
  future: {
    v8_middleware: true,
    v8_passThroughRequests: true,
    v8_splitRouteModules: true,
    v8_trailingSlashAwareDataRequests: true,
    v8_viteEnvironmentApi: true,
  },
} satisfies Config;
