import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import {
  CHROMIUM_PATH,
  hasChromium,
  launchBrowser,
  type LaunchedBrowser,
} from "./_browser.ts";
import { type DemoServer, startDemo } from "./_demo_server.ts";
import { BUILDS, prepareExample } from "./_example_build.ts";

/** The demo's idle timeout, so that the cookie's expiry can be checked. */
const SESSION_TTL_SECONDS = 600;
/**
 * The demos the browser drives: the portable handler, Express, Fastify, and
 * the framework demos, built for production before the first one starts.
 */
const DEMOS: [runtime: string, server: string][] = [
  ["deno", "Deno.serve"],
  ["express", "Express"],
  ["fastify", "Fastify"],
  ["next", "Next.js"],
  ["sveltekit", "SvelteKit"],
];

/** Where the test saves a picture of the page (gitignored). */
function screenshotPath(runtime: string): string {
  const name = runtime === "deno"
    ? "browser-demo.png"
    : `browser-demo-${runtime}.png`;
  return fileURLToPath(new URL(`../test-results/${name}`, import.meta.url));
}

const ID = /^[A-Za-z0-9_-]{43}$/;
/** Markup in the name checks that the page escapes it. */
const USER = "Ada <b>Lovelace</b>";

// playwright-core drives Chromium from Node only: on Deno and Bun this file registers nothing.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) registerTests();

function registerTests(): void {
  if (!hasChromium()) {
    const reason = `${CHROMIUM_PATH} is missing (apt-get install -y chromium)`;
    if (process.env.CI === "true") {
      test("Chromium is installed for the browser tests", () => {
        assert.fail(`CI must run the browser tests, but ${reason}`);
      });
      return;
    }
    console.warn(
      `\n!!! SKIPPING the browser tests of the demo: ${reason} !!!\n`,
    );
    test("demo in Chromium", { skip: reason }, () => {});
    return;
  }

  // A framework demo may need installing and building first: once, here,
  // with time for it, rather than within a suite's start-up timeout.
  before(async () => {
    for (const [runtime] of DEMOS) {
      if (runtime in BUILDS) {
        await prepareExample(BUILDS[runtime as keyof typeof BUILDS]);
      }
    }
  }, { timeout: 900_000 });
  for (const [runtime, server] of DEMOS) describeDemo(runtime, server);
}

function describeDemo(runtime: string, name: string): void {
  describe(`demo on ${name} in Chromium`, { timeout: 120_000 }, () => {
    let server: DemoServer | undefined;
    let launched: LaunchedBrowser | undefined;
    let page: Page;
    const origin = () => server!.origin;
    const pageErrors: string[] = [];

    before(async () => {
      // Start both at once; keep whichever started so that after() stops it.
      const [demo, browser] = await Promise.allSettled([
        startDemo(runtime, { SESSION_TTL: String(SESSION_TTL_SECONDS) }),
        launchBrowser(),
      ]);
      if (demo.status === "fulfilled") server = demo.value;
      if (browser.status === "fulfilled") launched = browser.value;
      if (demo.status === "rejected") throw demo.reason;
      if (browser.status === "rejected") throw browser.reason;
      page = await launched!.context.newPage();
      page.on("pageerror", (error) => pageErrors.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error") {
          pageErrors.push(`${message.text()} (${message.location().url})`);
        }
      });
    }, { timeout: 60_000 });

    after(async () => {
      await Promise.allSettled([launched?.close(), server?.stop()]);
    }, { timeout: 30_000 });

    /** Waits until `#count` shows `count`. */
    async function waitForCount(count: number): Promise<void> {
      await page.locator("#count", { hasText: new RegExp(`^${count}$`) })
        .waitFor();
    }

    /** Every cookie in the browser's store, for any site. */
    async function storedCookies() {
      return await launched!.context.cookies();
    }

    let anonymousId = "";

    test("GET / shows a count of 0 and the login form, without a cookie", async () => {
      await page.goto(origin() + "/");
      assert.equal(await page.title(), "sesame demo");
      assert.equal(await page.locator("#count").textContent(), "0");
      assert.ok(await page.locator("form#login input[name=user]").isVisible());
      assert.equal(await page.locator("#user").count(), 0);
      assert.deepEqual(await storedCookies(), []);
    });

    test("+1 counts in the session, and a reload shows the stored count", async () => {
      for (let count = 1; count <= 3; count++) {
        await page.click("#increment");
        await waitForCount(count);
      }
      const cookies = await storedCookies();
      assert.equal(cookies.length, 1);
      assert.match(cookies[0].value, ID);
      anonymousId = cookies[0].value;

      await page.reload();
      assert.equal(await page.locator("#count").textContent(), "3");
      assert.equal((await storedCookies())[0]?.value, anonymousId);
    });

    test("logging in through the form shows the user and keeps the count", async () => {
      await page.fill("input[name=user]", USER);
      const loginStart = Date.now() / 1000;
      await page.click("form#login button[type=submit]");
      // The page posts with fetch, then reloads: wait for the new page.
      await page.locator("#user").waitFor();
      const loginEnd = Date.now() / 1000;

      assert.equal(await page.locator("#user").textContent(), USER);
      assert.equal(await page.locator("#user b").count(), 0, "name is escaped");
      assert.match(
        (await page.locator("p", { has: page.locator("#user") }).innerText())
          .trim(),
        /^Logged in as Ada <b>Lovelace<\/b>$/,
      );
      assert.equal(await page.locator("#count").textContent(), "3");
      assert.equal(await page.locator("form#login").count(), 0);
      assert.ok(await page.locator("form#logout button").isVisible());

      // The browser's own cookie store, after a real Set-Cookie.
      const cookies = await storedCookies();
      assert.equal(cookies.length, 1, "exactly one cookie");
      const [cookie] = cookies;
      assert.equal(cookie.name, "sid");
      assert.match(cookie.value, ID);
      assert.notEqual(cookie.value, anonymousId, "login regenerates the id");
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, "Lax");
      assert.equal(cookie.path, "/");
      assert.equal(cookie.domain, "127.0.0.1");
      assert.equal(cookie.secure, false);
      // Max-Age is the idle timeout, counted from the login (or the reload).
      assert.ok(
        cookie.expires >= loginStart + SESSION_TTL_SECONDS - 1 &&
          cookie.expires <= loginEnd + SESSION_TTL_SECONDS + 1,
        `expires ${cookie.expires} is ${SESSION_TTL_SECONDS} s after the ` +
          `login (${loginStart} to ${loginEnd})`,
      );
      // HttpOnly: page scripts cannot read the session id.
      assert.equal(await page.evaluate("document.cookie"), "");

      const screenshot = screenshotPath(runtime);
      await mkdir(dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
    });

    test("logging out shows the login form again and removes the cookie", async () => {
      await page.click("form#logout button[type=submit]");
      await page.locator("form#login").waitFor();
      assert.equal(await page.locator("#user").count(), 0);
      assert.equal(await page.locator("#count").textContent(), "0");
      assert.deepEqual(await storedCookies(), []);
    });

    test("the page reports no script or network errors", () => {
      assert.deepEqual(pageErrors, []);
    });
  });
}
