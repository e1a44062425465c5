// The session's type reaches every load, action and endpoint through
// App.Locals: `locals.session` is a Session<DemoData>, without casts.
import type { DemoSession } from "../../demo/routes.ts";

declare global {
  namespace App {
    interface Locals {
      session: DemoSession;
    }
  }
}

export {};
