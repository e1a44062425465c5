// React Router 7 in framework mode (route middleware), on node:http: the
// end-to-end suite runs the demo's production build (see e2e_test.ts); this
// file runs tests/_framework_suite.ts against the build of
// examples/react-router/fixture/, with the real React Router.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BUILDS, prepareExample, startExample } from "./_example_build.ts";
import { frameworkSuite } from "./_framework_suite.ts";

const FIXTURE = {
  ...BUILDS["react-router"],
  output: "build-fixture/server/index.js",
  script: "build:fixture",
};

// It spawns servers and drives them from Node: it runs once, under Node's
// test runner, not again under Deno's and Bun's.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
  frameworkSuite("React Router", {
    start: async (env) => {
      await prepareExample(FIXTURE);
      return await startExample(
        "react-router",
        [process.execPath, "serve.mjs"],
        { SESAME_RR_APP: "fixture", ...env },
      );
    },
    more: (origin) => {
      test("a page route's loader changes are committed with its HTML", async () => {
        const first = await fetch(origin() + "/page");
        assert.equal(first.status, 200);
        assert.match(await first.text(), /<p id="count">1<\/p>/);
        const cookie = first.headers.getSetCookie()[0].split(";")[0];
        const second = await fetch(origin() + "/page", {
          headers: { Cookie: cookie },
        });
        assert.match(await second.text(), /<p id="count">2<\/p>/);
        // The client's navigation asks the loader for data: the same session.
        const data = await fetch(origin() + "/page.data", {
          headers: { Cookie: cookie },
        });
        assert.equal(data.status, 200);
        assert.match(await data.text(), /"count",3/);
      });
    },
  });
}
