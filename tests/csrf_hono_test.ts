// The CSRF middlewares of src/middleware/hono.ts in a real Hono app over real
// HTTP on 127.0.0.1 (node:http through @hono/node-server, on Deno, Bun and
// Node alike): what a Hono user relies on, on both of the manager's paths;
// and, on Node, in headless Chromium, whose own headers the check reads.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import type { Page } from "playwright-core";
import { Hono } from "hono";
import { getRequestListener } from "@hono/node-server";
import { createSessionManager } from "../src/manager.ts";
import type { Session } from "../src/session.ts";
import type { SessionStore } from "../src/store.ts";
import {
  createCsrfProtection,
  CsrfError,
  type CsrfProtectionOptions,
} from "../src/csrf.ts";
import {
  createCsrfMiddleware,
  createCsrfTokenMiddleware,
  createSessionMiddleware,
} from "../src/middleware/hono.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { RecordingStore } from "./_stores.ts";
import {
  type Client,
  listen,
  type Listening,
  STORE_PATHS,
  withServer,
} from "./_node_server.ts";
import {
  CHROMIUM_PATH,
  hasChromium,
  launchBrowser,
  type LaunchedBrowser,
} from "./_browser.ts";

type Data = { note: string; seen: boolean };
type Env = { Variables: { session: Session<Data> } };

/** The store of an app, to see what a request cost it. */
interface Served {
  store: RecordingStore | undefined;
  handled: string[];
}

/**
 * A Hono app: the origin check first, then the sessions, a middleware that
 * changes the session before the token check, the token check, and routes.
 */
function createApp(
  store: () => SessionStore,
  options: CsrfProtectionOptions = {},
  served: Served = { store: undefined, handled: [] },
): Hono<Env> {
  const csrf = createCsrfProtection(options);
  const app = new Hono<Env>();
  app.use(createCsrfMiddleware(csrf));
  app.use(
    createSessionMiddleware(createSessionManager<Data>({ store: store() })),
  );
  // A change made before the check: a refused request must not save it.
  app.use(async (c, next) => {
    if (c.req.method !== "GET") c.get("session").set("seen", true);
    await next();
  });
  // A validator-like middleware on /parsed reads the body through Hono first.
  app.use("/parsed", async (c, next) => {
    await c.req.parseBody();
    await next();
  });
  app.use(createCsrfTokenMiddleware(csrf));
  app.get("/", (c) =>
    c.html(
      `<form method="post" action="/note"><input type="hidden" name="${csrf.tokenField}" value="${
        csrf.token(c.get("session"))
      }"><input name="note"></form>`,
    ));
  app.get("/note", (c) =>
    c.json({
      note: c.get("session").get("note") ?? null,
      seen: c.get("session").get("seen") ?? false,
    }));
  for (const path of ["/note", "/parsed"]) {
    app.post(path, async (c) => {
      served.handled.push(path);
      const body = await c.req.parseBody();
      c.get("session").set("note", String(body.note));
      return c.redirect("/note", 303);
    });
  }
  app.post("/api", async (c) => {
    served.handled.push("/api");
    const { note } = await c.req.json();
    c.get("session").set("note", note);
    return c.json({ note });
  });
  app.post("/throw", async (c) => {
    await csrf.requireToken(c.req.raw, c.get("session"));
    return c.text("unreachable");
  });
  return app;
}

/** Serves a Hono app with node:http on 127.0.0.1. */
const serve = (app: Hono<Env>) => listen(getRequestListener(app.fetch));

/** The page's token, and its session cookie into the client's jar. */
async function pageToken(client: Client): Promise<string> {
  const page = await client.send("/");
  assert.equal(page.status, 200);
  const token = (await page.text()).match(/value="([\w-]{43})"/)?.[1];
  assert.ok(token, "the page has a token");
  return token;
}

for (const { name, store } of STORE_PATHS) {
  describe(`Hono CSRF middlewares (${name})`, () => {
    test("a form posts with its token, urlencoded and multipart", async () => {
      await withServer(serve(createApp(store)), async (client) => {
        const token = await pageToken(client);
        const urlencoded = await client.send("/note", {
          method: "POST",
          body: new URLSearchParams({ _csrf: token, note: "urlencoded" }),
        });
        assert.equal(urlencoded.status, 303);
        assert.deepEqual(await client.json("/note"), {
          note: "urlencoded",
          seen: true,
        });
        const form = new FormData();
        form.set("_csrf", token);
        form.set("note", "multipart");
        const multipart = await client.send("/note", {
          method: "POST",
          body: form,
        });
        assert.equal(multipart.status, 303);
        assert.deepEqual(await client.json("/note"), {
          note: "multipart",
          seen: true,
        });
      });
    });

    test("finds the field when a middleware before read the body through Hono", async () => {
      await withServer(serve(createApp(store)), async (client) => {
        const token = await pageToken(client);
        const response = await client.send("/parsed", {
          method: "POST",
          body: new URLSearchParams({ _csrf: token, note: "parsed" }),
        });
        assert.equal(response.status, 303);
        assert.equal(
          ((await client.json("/note")) as { note: string }).note,
          "parsed",
        );
      });
    });

    test("a script sends the token in the header", async () => {
      await withServer(serve(createApp(store)), async (client) => {
        const token = await pageToken(client);
        const response = await client.send("/api", {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            "X-CSRF-Token": token,
            "Sec-Fetch-Site": "same-origin",
          },
          body: JSON.stringify({ note: "api" }),
        });
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), { note: "api" });
      });
    });

    test("a post without the token, or with a wrong one, gets a 403 and commits nothing", async () => {
      const served: Served = { store: undefined, handled: [] };
      await withServer(
        serve(createApp(store, {}, served)),
        async (client) => {
          const token = await pageToken(client);
          for (const submitted of [undefined, "A".repeat(43), token + "x"]) {
            const form = new URLSearchParams({ note: "forged" });
            if (submitted !== undefined) form.set("_csrf", submitted);
            const response = await client.send("/note", {
              method: "POST",
              body: form,
            });
            assert.equal(response.status, 403);
            assert.equal(await response.text(), "Forbidden");
            assert.equal(response.headers.get("set-cookie"), null);
          }
          assert.deepEqual(served.handled, []);
          // "seen" was set before the check, and not saved.
          assert.deepEqual(await client.json("/note"), {
            note: null,
            seen: false,
          });
        },
      );
    });

    test("another site's post is refused before the session is loaded", async () => {
      const recording = new RecordingStore();
      const served: Served = { store: recording, handled: [] };
      await withServer(
        serve(createApp(() => recording, {}, served)),
        async (client) => {
          const token = await pageToken(client);
          recording.calls.length = 0;
          for (
            const headers of [
              { "Sec-Fetch-Site": "cross-site", Origin: "https://evil.test" },
              { "Sec-Fetch-Site": "same-site", Origin: "https://blog.test" },
              { Origin: "https://evil.test" },
              { Origin: "null" },
            ] as Record<string, string>[]
          ) {
            const response = await client.send("/note", {
              method: "POST",
              headers,
              body: new URLSearchParams({ _csrf: token, note: "forged" }),
            });
            assert.equal(response.status, 403, JSON.stringify(headers));
            assert.equal(response.headers.get("set-cookie"), null);
          }
          assert.deepEqual(recording.calls, []);
          assert.deepEqual(served.handled, []);
        },
      );
    });

    test("a same-origin post of an old browser passes the check by its Origin", async () => {
      await withServer(serve(createApp(store)), async (client) => {
        const token = await pageToken(client);
        const response = await client.send("/note", {
          method: "POST",
          headers: { Origin: client.origin },
          body: new URLSearchParams({ _csrf: token, note: "old" }),
        });
        assert.equal(response.status, 303);
      });
    });

    test("a trusted origin's post passes", async () => {
      const app = createApp(store, { trustedOrigins: ["https://www.test"] });
      await withServer(serve(app), async (client) => {
        const token = await pageToken(client);
        const response = await client.send("/note", {
          method: "POST",
          headers: {
            "Sec-Fetch-Site": "same-site",
            Origin: "https://www.test",
          },
          body: new URLSearchParams({ _csrf: token, note: "www" }),
        });
        assert.equal(response.status, 303);
      });
    });

    test("with tokenPolicy fallback, a current browser's fetch needs no token", async () => {
      const app = createApp(store, { tokenPolicy: "fallback" });
      await withServer(serve(app), async (client) => {
        await pageToken(client);
        const init = (headers: Record<string, string>) => ({
          method: "POST",
          headers: { "Content-Type": "application/json", ...headers },
          body: JSON.stringify({ note: "api" }),
        });
        const modern = await client.send(
          "/api",
          init({ "Sec-Fetch-Site": "same-origin" }),
        );
        assert.equal(modern.status, 200);
        const neither = await client.send("/api", init({}));
        assert.equal(neither.status, 403);
      });
    });

    test("requireToken() in a route answers 403 through Hono's error handler, with no commit", async () => {
      await withServer(serve(createApp(store)), async (client) => {
        await pageToken(client);
        // The token middleware passes with the header; the route asks again
        // of the body, which has none.
        const response = await client.send("/throw", {
          method: "POST",
          headers: { "X-CSRF-Token": "A".repeat(43) },
        });
        assert.equal(response.status, 403);
        assert.equal(response.headers.get("set-cookie"), null);
      });
    });
  });
}

describe("Hono CSRF middlewares, set up wrongly", () => {
  test("createCsrfMiddleware() refuses what is not a CSRF protection", () => {
    assert.throws(
      () => createCsrfMiddleware({} as ReturnType<typeof createCsrfProtection>),
      {
        name: "TypeError",
        message:
          "Cannot create CSRF middleware: protection must be a CSRF protection from createCsrfProtection(), received an object",
      },
    );
  });

  test("createCsrfTokenMiddleware() refuses an empty variable name", () => {
    assert.throws(
      () => createCsrfTokenMiddleware(createCsrfProtection(), { variable: "" }),
      {
        name: "TypeError",
        message:
          'Cannot create CSRF token middleware: variable must be a non-empty string, received ""',
      },
    );
  });

  test("the token middleware without a session before it fails the request", async () => {
    const app = new Hono();
    let caught: unknown;
    app.onError((error, c) => {
      caught = error;
      return c.text("error", 500);
    });
    app.use(createCsrfTokenMiddleware(createCsrfProtection()));
    app.post("/", (c) => c.text("ok"));
    const response = await app.request("http://localhost/", {
      method: "POST",
    });
    assert.equal(response.status, 500);
    assert.ok(caught instanceof TypeError);
    assert.match(caught.message, /mount createSessionMiddleware\(\) before it/);
    assert.ok(!(caught instanceof CsrfError));
  });
});

// --- in a real browser ---------------------------------------------------
//
// Chromium sends the headers the check reads, and decides what SameSite=Lax
// lets through: a page on 127.0.0.1 at another port is same-site (ports do
// not count) but cross-origin, so its forms post *with* the cookie, which
// is the gap the check closes; a page on localhost is cross-site. The
// forged forms even carry the victim's valid token, so that only the
// origin check can refuse them. playwright-core drives Chromium from Node
// only: on Deno and Bun this part registers nothing.

if (!("Deno" in globalThis) && !("Bun" in globalThis)) registerBrowserTests();

/** What the app saw of a POST, before any check ran. */
interface SeenPost {
  site: string | undefined;
  origin: string | undefined;
  cookie: boolean;
}

function registerBrowserTests(): void {
  if (!hasChromium()) {
    const reason = `${CHROMIUM_PATH} is missing (apt-get install -y chromium)`;
    if (process.env.CI === "true") {
      test("Chromium is installed for the CSRF browser tests", () => {
        assert.fail(`CI must run the browser tests, but ${reason}`);
      });
      return;
    }
    console.warn(`\n!!! SKIPPING the CSRF browser tests: ${reason} !!!\n`);
    test("CSRF in Chromium", { skip: reason }, () => {});
    return;
  }

  describe("Hono CSRF middlewares in Chromium", { timeout: 120_000 }, () => {
    const seen: SeenPost[] = [];
    let app: Listening | undefined;
    let attacker: Listening | undefined;
    let launched: LaunchedBrowser | undefined;
    let page: Page;
    let token = "";

    before(async () => {
      const hono = createApp(() => new MemoryStore());
      const outer = new Hono();
      outer.use(async (c, next) => {
        if (c.req.method === "POST") {
          seen.push({
            site: c.req.header("sec-fetch-site"),
            origin: c.req.header("origin"),
            cookie: c.req.header("cookie") !== undefined,
          });
        }
        await next();
      });
      outer.route("/", hono);
      const started = await Promise.allSettled([
        listen(getRequestListener(outer.fetch)),
        // The attacker's page: a form that posts itself to the app at once.
        listen((req, res) => {
          const url = new URL(req.url ?? "/", "http://attacker.test");
          const target = url.searchParams.get("target") ?? "";
          const stolen = url.searchParams.get("token") ?? "";
          res.setHeader("content-type", "text/html; charset=utf-8");
          res.end(
            `<!doctype html><form method="post" action="${target}/note">
              <input type="hidden" name="_csrf" value="${stolen}">
              <input type="hidden" name="note" value="forged">
            </form><script>document.forms[0].submit()</script>`,
          );
        }),
        launchBrowser(),
      ]);
      if (started[0].status === "fulfilled") app = started[0].value;
      if (started[1].status === "fulfilled") attacker = started[1].value;
      if (started[2].status === "fulfilled") launched = started[2].value;
      for (const result of started) {
        if (result.status === "rejected") throw result.reason;
      }
      page = await launched!.context.newPage();
    }, { timeout: 60_000 });

    after(async () => {
      await Promise.allSettled([
        launched?.close(),
        app?.close(),
        attacker?.close(),
      ]);
    }, { timeout: 30_000 });

    /** Loads a page that posts to the app, and the app's answer to the post. */
    async function postFrom(url: string): Promise<number> {
      const [response] = await Promise.all([
        page.waitForResponse((response) =>
          response.url() === `${app!.origin}/note` &&
          response.request().method() === "POST"
        ),
        page.goto(url),
      ]);
      return response.status();
    }

    async function storedNote(): Promise<unknown> {
      const response = await page.goto(`${app!.origin}/note`);
      return await response!.json();
    }

    test("the app's own form posts with its token: Sec-Fetch-Site is same-origin", async () => {
      await page.goto(`${app!.origin}/`);
      token = await page.locator("input[name=_csrf]").getAttribute("value") ??
        "";
      assert.match(token, /^[\w-]{43}$/);
      await page.locator("input[name=note]").fill("mine");
      const [response] = await Promise.all([
        page.waitForResponse((response) =>
          response.request().method() === "POST"
        ),
        page.locator("input[name=note]").press("Enter"),
      ]);
      assert.equal(response.status(), 303);
      assert.deepEqual(seen.at(-1), {
        site: "same-origin",
        origin: app!.origin,
        cookie: true,
      });
      assert.deepEqual(await storedNote(), { note: "mine", seen: true });
    });

    test("a same-site page's form carries the cookie past SameSite=Lax, and is refused", async () => {
      const sameSite = attacker!.origin; // 127.0.0.1, another port
      const status = await postFrom(
        `${sameSite}/?target=${encodeURIComponent(app!.origin)}&token=${token}`,
      );
      assert.equal(status, 403);
      assert.deepEqual(seen.at(-1), {
        site: "same-site",
        origin: sameSite,
        cookie: true,
      });
      assert.deepEqual(await storedNote(), { note: "mine", seen: true });
    });

    test("a cross-site page's form is refused, and Lax kept the cookie off it too", async () => {
      const crossSite = attacker!.origin.replace("127.0.0.1", "localhost");
      const status = await postFrom(
        `${crossSite}/?target=${
          encodeURIComponent(app!.origin)
        }&token=${token}`,
      );
      assert.equal(status, 403);
      assert.deepEqual(seen.at(-1), {
        site: "cross-site",
        origin: crossSite,
        cookie: false,
      });
      assert.deepEqual(await storedNote(), { note: "mine", seen: true });
    });
  });
}
