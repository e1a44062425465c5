// Real HTTP on 127.0.0.1 for the Node adapters' tests: a node:http server on
// a free port that closes with the test, and a client that carries cookies
// from response to request as a browser does for one origin.
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import type { SessionStore } from "../src/store.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { CookieJar } from "./_cookie_jar.ts";
import { WrappedStore } from "./_stores.ts";

/** How long one request may take before the test fails. */
const REQUEST_TIMEOUT_MS = 5_000;

/** A server listening on 127.0.0.1. */
export interface Listening {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Stops the server and ends its connections. */
  close(): Promise<void>;
}

/** Serves `listener` with node:http on a free port of 127.0.0.1. */
export async function listen(listener: RequestListener): Promise<Listening> {
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => error ? reject(error) : resolve());
        // Keep-alive connections of the client would hold close() open.
        server.closeAllConnections();
      }),
  };
}

/** A browser for one origin: fetch with a cookie jar, no redirects followed. */
export class Client {
  readonly jar = new CookieJar();
  constructor(readonly origin: string) {}

  /** Sends a request with the jar's cookies and keeps those it sets. */
  async send(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(
      this.jar.request(this.origin + path, {
        redirect: "manual",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        ...init,
      }),
    );
    this.jar.storeFrom(response);
    return response;
  }

  /** Sends a request and reads its JSON body. */
  async json(path: string, init?: RequestInit): Promise<unknown> {
    const response = await this.send(path, init);
    return await response.json();
  }

  /** Sends the same request `count` times at once, with the same cookies. */
  parallel(
    count: number,
    path: string,
    init?: RequestInit,
  ): Promise<Response[]> {
    return Promise.all(
      Array.from({ length: count }, async () => {
        const response = await fetch(
          this.jar.request(this.origin + path, {
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            ...init,
          }),
        );
        await response.body?.cancel();
        return response;
      }),
    );
  }
}

/**
 * Runs `run` with a client of a server, and closes the server after it,
 * whether `run` passes or fails.
 */
export async function withServer(
  server: Listening | Promise<Listening>,
  run: (client: Client) => Promise<void>,
): Promise<void> {
  const listening = await server;
  try {
    await run(new Client(listening.origin));
  } finally {
    await listening.close();
  }
}

/** The `Set-Cookie` values of a response, in order. */
export function setCookies(response: Response): string[] {
  return response.headers.getSetCookie();
}

/** The names of the cookies a response sets, in order. */
export function cookieNames(response: Response): string[] {
  return setCookies(response).map((line) => line.slice(0, line.indexOf("=")));
}

/** The session cookie `sid` as sesame sends it over http. */
export const SESSION_COOKIE =
  /^sid=[\w-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/;

/** The session cookie as sesame sends it over https. */
export const SECURE_SESSION_COOKIE =
  /^__Host-sid=[\w-]{43}; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/;

/**
 * The manager's two paths, which every behaviour test runs: MemoryStore
 * answers at once, so the adapters commit within the call that sends the
 * headers; any other store answers later, so they hold the calls back.
 */
export const STORE_PATHS: { name: string; store: () => SessionStore }[] = [
  { name: "MemoryStore, synchronous path", store: () => new MemoryStore() },
  { name: "WrappedStore, asynchronous path", store: () => new WrappedStore() },
];

/** How a faulty store fails: the connection is refused. */
export const REFUSED = { reject: new Error("connection refused") };

/** A macrotask later: lets a streaming route's chunks go out one by one. */
export const tick = (): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, 1));
