import adapter from "@sveltejs/adapter-node";

/** @type {import("@sveltejs/kit").Config} */
export default {
  kit: {
    adapter: adapter({ out: "build" }),
    csrf: {
      // The demo's POST /login and /logout refuse cross-origin posts
      // themselves, with the JSON answer every demo gives
      // (examples/demo/routes.ts), and accept posts without an Origin
      // header; an app keeps SvelteKit's own check instead.
      trustedOrigins: ["*"],
    },
  },
};
