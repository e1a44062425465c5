// Launches the system's Chromium (Debian's `chromium` package) through
// playwright-core for tests that drive a page in a real browser. Never
// downloads a browser. playwright-core runs on Node only: call
// launchBrowser() from tests that run on Node. Importing this module is safe
// on every runtime (playwright-core is loaded inside launchBrowser()).
import { existsSync } from "node:fs";
import type { Browser, BrowserContext } from "playwright-core";

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** How long Chromium may take to start. */
export const LAUNCH_TIMEOUT_MS = 30_000;

/** How long one page action (click, fill, wait, navigation) may take. */
export const ACTION_TIMEOUT_MS = 10_000;

/**
 * Flags for a headless Chromium on a machine without network access: no
 * sandbox (CI runs as root), no GPU, and none of the background requests to
 * Google's services (component updates, sync, QUIC probes).
 */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** A running browser with one fresh context. */
export interface LaunchedBrowser {
  browser: Browser;
  /** An empty context: no cookies, no storage, no cache. */
  context: BrowserContext;
  /** Closes the context and the browser; safe to call more than once. */
  close(): Promise<void>;
}

/** Whether Chromium is installed at {@linkcode CHROMIUM_PATH}. */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * Launches headless Chromium with a fresh, empty profile (playwright creates
 * a temporary user-data dir and deletes it on close) and opens one context
 * whose actions time out after {@linkcode ACTION_TIMEOUT_MS}.
 *
 * @throws {Error} If Chromium is not installed or does not start in time.
 */
export async function launchBrowser(): Promise<LaunchedBrowser> {
  if (!hasChromium()) {
    throw new Error(
      `Cannot launch Chromium: ${CHROMIUM_PATH} does not exist (apt-get install -y chromium)`,
    );
  }
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: LAUNCH_TIMEOUT_MS,
  });
  let context: BrowserContext;
  try {
    context = await browser.newContext();
  } catch (error) {
    await browser.close();
    throw error;
  }
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  let closing: Promise<void> | undefined;
  return {
    browser,
    context,
    close() {
      closing ??= context.close().finally(() => browser.close());
      return closing;
    },
  };
}
