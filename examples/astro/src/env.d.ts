/// <reference types="astro/client" />
// The session on `context.locals` (`Astro.locals` in pages), typed.
declare namespace App {
  interface Locals {
    session: import("../../../mod.ts").Session<
      import("../../demo/routes.ts").DemoData
    >;
  }
}
