// Astro (on-demand rendering, @astrojs/node standalone): the end-to-end
// suite runs the demo's production build (see e2e_test.ts); this file runs
// tests/_framework_suite.ts against the build of examples/astro/fixture/,
// with the real Astro.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BUILDS, prepareExample, startExample } from "./_example_build.ts";
import { frameworkSuite } from "./_framework_suite.ts";

const FIXTURE = {
  ...BUILDS.astro,
  output: "dist-fixture/server/entry.mjs",
  script: "build:fixture",
};

// It spawns servers and drives them from Node: it runs once, under Node's
// test runner, not again under Deno's and Bun's.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
  frameworkSuite("Astro", {
    start: async (env) => {
      await prepareExample(FIXTURE);
      return await startExample("astro", [process.execPath, "serve.mjs"], {
        SESAME_ASTRO_APP: "fixture",
        ...env,
      });
    },
    more: (origin) => {
      test("what an .astro page's frontmatter changes is committed", async () => {
        const first = await fetch(origin() + "/page");
        assert.equal(first.status, 200);
        assert.match(await first.text(), /<p id="count">1<\/p>/);
        const cookie = first.headers.getSetCookie()[0].split(";")[0];
        const second = await fetch(origin() + "/page", {
          headers: { Cookie: cookie },
        });
        assert.match(await second.text(), /<p id="count">2<\/p>/);
      });
    },
  });
}
