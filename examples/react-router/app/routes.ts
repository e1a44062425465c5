import { index, route, type RouteConfig } from "@react-router/dev/routes";

/**
 * The demo's routes, each a resource route (a loader and an action);
 * `/Count` is not `/count`, as in every demo.
 */
export default [
  index("routes/home.ts"),
  route("count", "routes/count.ts", { caseSensitive: true }),
  route("peek", "routes/peek.ts", { caseSensitive: true }),
  route("login", "routes/login.ts", { caseSensitive: true }),
  route("logout", "routes/logout.ts", { caseSensitive: true }),
  route("*", "routes/not_found.ts"),
] satisfies RouteConfig;
