import { Outlet } from "react-router";
import type { Route } from "./+types/root";
import { demoMiddleware } from "./session.server.ts";

/** Every request of the app goes through the session's middleware. */
export const middleware: Route.MiddlewareFunction[] = [demoMiddleware];

/** The demo's routes are all resource routes: this renders nothing of them. */
export default function App() {
  return <Outlet />;
}
