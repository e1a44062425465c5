// Private module of the benchmark: one request cycle of every session library
// it compares, written the way each library's documentation writes it, so
// that every library does the same work per cycle:
//
// - `increment`: load the session of the request, add 1 to `visits` (a new
//   session starts at 0), commit; the response carries what the library
//   sends (a `Set-Cookie` for a new session);
// - `read`: load, read `visits`, commit (a library that only reads should
//   write nothing and send no cookie);
// - `regenerate`: load, move the session to a new id, commit;
// - `destroy`: load, end the session, commit.
//
// Inputs (a `Request`, or Node's `req`/`res` pair for express-session) are
// made by `input()`, outside the timed code; the timed code is `run[action]`.
// Every library is checked once before it is timed (see `micro.ts`), so that
// a cycle that silently does nothing cannot look fast.
import { type SessionEnv, useSession, useSessionStorage } from "@hono/session";
import { createCookie } from "@remix-run/cookie";
import type { Session as RemixSession } from "@remix-run/session";
import { createMemorySessionStorage } from "@remix-run/session/memory-storage";
// @ts-types="./_connect_pg_simple.d.ts"
import connectPgSimple from "connect-pg-simple";
// @ts-types="./_express_session.d.ts"
import expressSession from "express-session";
import { Hono } from "hono";
import {
  MemoryStore as HonoSessionsMemoryStore,
  type Session as HonoSessionsSession,
  sessionMiddleware,
} from "hono-sessions";
import { getIronSession } from "iron-session";
import {
  createSessionManager,
  MemoryStore,
  type Session,
  type SessionManagerOptions,
} from "../mod.ts";
import { createSessionMiddleware } from "../src/middleware/hono.ts";
import { RedisStore } from "../src/stores/redis.ts";
import { SealedCookieStore } from "../src/stores/sealed_cookie.ts";
import type { CountingRedisClient } from "./_redis.ts";
import {
  type BenchPostgres,
  type BenchSqlite,
  PG_SIMPLE_TABLE,
  type RoundTripCounter,
} from "./_sql.ts";

/** What a request cycle does with the session. */
export type Action = "increment" | "read" | "regenerate" | "destroy";

/** The session values every library stores: one small counter. */
type Visits = { visits: number };

/** What a cycle produced, read outside the timed code. */
export interface Outcome {
  /** The `name=value` pair of the session cookie sent, if any. */
  cookie?: string;
  /** Whether the cookie sent deletes the session cookie. */
  cleared: boolean;
  /** `visits` as the handler saw it after its change. */
  visits?: number;
}

/**
 * The request cycles of a library, one per action (methods, so that a
 * library of any input type is a `Library`).
 */
export interface Runs<Input, Output> {
  increment?(input: Input): Promise<Output>;
  read?(input: Input): Promise<Output>;
  regenerate?(input: Input): Promise<Output>;
  destroy?(input: Input): Promise<Output>;
}

/** A session library under test, with its cycles. */
// deno-lint-ignore no-explicit-any
export interface Library<Input = any, Output = any> {
  /** A stable id, for `--filter` and the JSON results. */
  id: string;
  /** The name in the tables. */
  name: string;
  /**
   * Where the session lives: in the process, in Redis, PostgreSQL or SQLite,
   * or in the cookie.
   */
  storage: "memory" | "redis" | "postgres" | "sqlite" | "cookie" | "none";
  /** How a request reaches it. */
  via: "direct" | "Hono app" | "mock req/res";
  /** What makes the comparison uneven, for the tables. */
  note?: string;
  /** Builds the input of one request, carrying `cookie` (a `name=value` pair). */
  input(action: Action, cookie: string | undefined): Input;
  /** One request cycle per action; actions the library lacks are missing. */
  run: Runs<Input, Output>;
  /** What a cycle produced. */
  inspect(output: Output): Promise<Outcome>;
  /**
   * Starts over with an empty store. The timed "new" cycle calls it every
   * 100 000 sessions for stores without an entry limit, so that no store
   * grows beyond sesame's default `maxEntries` while it is timed.
   */
  renew?(): void;
  /**
   * Brings the store to the state of one in use before a cycle is timed
   * (PostgreSQL: the planner's statistics).
   */
  settle?(): Promise<void>;
  /**
   * What counts the round trips of the library's store (Redis commands, SQL
   * statements), for stores outside the process.
   */
  counter?: RoundTripCounter;
}

/** How many new sessions a store holds at most while it is timed. */
export const STORE_LIMIT = 100_000;

// Secrets of the stateless libraries and of signed cookies: fixed, so that
// every run does the same work.
const SECRET = "a-32-character-benchmark-secret!-0123456789abcdef";
const HEX_SECRET =
  "9c1185a5c5e9fc54612808977ee8f548b2258d31a3c5f1b0e1a9a2b5c0d1e2f3";

const URL_BASE = "http://localhost";

/** Parses a `Set-Cookie` value into what the next request sends. */
function outcomeOf(setCookie: string | undefined | null): Outcome {
  if (setCookie === undefined || setCookie === null || setCookie === "") {
    return { cleared: false };
  }
  const pair = setCookie.split(";", 1)[0].trim();
  const cleared = pair.endsWith("=") ||
    /;\s*max-age=0(?:;|$)/i.test(setCookie) ||
    /;\s*expires=Thu, 01 Jan 1970/i.test(setCookie);
  return cleared ? { cleared } : { cookie: pair, cleared };
}

/** One `Request` per action and cookie, made once and reused. */
function requestCache(pathFor: (action: Action) => string) {
  const cache = new Map<string, Request>();
  return (action: Action, cookie: string | undefined): Request => {
    const key = `${action} ${cookie}`;
    let request = cache.get(key);
    if (request === undefined) {
      request = new Request(URL_BASE + pathFor(action), {
        headers: cookie === undefined ? {} : { cookie },
      });
      // Inputs of the regenerate and destroy cycles carry a fresh cookie
      // each time: keep only the inputs reused by other cycles.
      if (action === "increment" || action === "read") {
        cache.set(key, request);
      }
    }
    return request;
  };
}

// --- sesame, called directly ------------------------------------------------

/**
 * sesame through its own API: `load()`, change, `commit()`; the output is the
 * `Set-Cookie` value.
 */
export function sesame(
  id: string,
  name: string,
  options: SessionManagerOptions,
  storage: Library["storage"],
  note?: string,
): Library<Request, string | undefined> {
  const sessions = createSessionManager<Visits>(options);
  let seen: number | undefined;
  return {
    id,
    name,
    storage,
    via: "direct",
    note,
    input: requestCache(() => "/"),
    run: {
      async increment(request) {
        const session = await sessions.load(request);
        const visits = (session.get("visits") ?? 0) + 1;
        session.set("visits", visits);
        seen = visits;
        return await session.commit();
      },
      async read(request) {
        const session = await sessions.load(request);
        seen = session.get("visits");
        return await session.commit();
      },
      async regenerate(request) {
        const session = await sessions.load(request);
        session.regenerate();
        seen = session.get("visits");
        return await session.commit();
      },
      async destroy(request) {
        const session = await sessions.load(request);
        session.destroy();
        seen = undefined;
        return await session.commit();
      },
    },
    inspect(setCookie) {
      return Promise.resolve({ ...outcomeOf(setCookie), visits: seen });
    },
  };
}

/** sesame with its default in-process store. */
export function sesameMemory(): Library<Request, string | undefined> {
  return sesame("sesame-memory", "sesame (MemoryStore)", {
    store: new MemoryStore(),
  }, "memory");
}

/** sesame with the Redis store, over a counting client. */
export function sesameRedis(
  client: CountingRedisClient,
  id = "sesame-redis",
  name = "sesame (RedisStore, EVAL)",
): Library<Request, string | undefined> {
  const library = sesame(id, name, {
    store: new RedisStore({ client }),
  }, "redis");
  library.counter = client;
  return library;
}

/** sesame with the PostgreSQL store, over a counting `pg` pool. */
export function sesamePostgres(
  postgres: BenchPostgres,
): Library<Request, string | undefined> {
  const library = sesame(
    "sesame-postgres",
    "sesame (PostgresStore, pg)",
    { store: postgres.store() },
    "postgres",
  );
  library.counter = postgres;
  library.settle = () => postgres.analyze();
  return library;
}

/** sesame with the SQLite store, over the runtime's driver on a WAL file. */
export function sesameSqlite(
  sqlite: BenchSqlite,
): Library<Request, string | undefined> {
  const library = sesame(
    "sesame-sqlite",
    "sesame (SqliteStore)",
    { store: sqlite.store() },
    "sqlite",
    `${sqlite.driver}, a file in WAL mode; 1 in 100 new sessions first sweeps expired rows`,
  );
  library.counter = sqlite;
  return library;
}

/** sesame with the session sealed in the cookie (AES-256-GCM). */
export function sesameSealed(): Library<Request, string | undefined> {
  return sesame("sesame-sealed", "sesame (SealedCookieStore)", {
    store: new SealedCookieStore({ secrets: [SECRET] }),
  }, "cookie");
}

// --- through a Hono app -----------------------------------------------------

const HONO_PATHS: Record<Action, string> = {
  increment: "/increment",
  read: "/read",
  regenerate: "/regenerate",
  destroy: "/destroy",
};

/** The body every Hono app answers with, with or without sessions. */
const BODY = "Hello, world";

/** The output of a Hono app, and what the handler saw. */
function honoLibrary(
  id: string,
  name: string,
  storage: Library["storage"],
  build: () => Hono,
  actions: Action[],
  seen: () => number | undefined,
  note?: string,
): Library<Request, Response> {
  let app = build();
  const run: Library<Request, Response>["run"] = {};
  for (const action of actions) {
    run[action] = async (request) => await app.fetch(request);
  }
  return {
    id,
    name,
    storage,
    via: "Hono app",
    note,
    input: requestCache((action) => HONO_PATHS[action]),
    run,
    async inspect(response) {
      if (response.status !== 200) {
        throw new Error(`${name} answered ${response.status}`);
      }
      await response.text();
      const cookies = response.headers.getSetCookie();
      const outcome = cookies.length === 0
        ? { cleared: false }
        : outcomeOf(cookies[cookies.length - 1]);
      return { ...outcome, visits: seen() };
    },
    renew() {
      app = build();
    },
  };
}

/** A Hono app without sessions: the baseline of the Hono rows. */
export function bareHono(): Library<Request, Response> {
  return honoLibrary(
    "hono-bare",
    "Hono, no sessions (baseline)",
    "none",
    () => {
      const app = new Hono();
      app.get("/increment", (c) => c.text(BODY));
      app.get("/read", (c) => c.text(BODY));
      return app;
    },
    ["increment", "read"],
    () => undefined,
  );
}

/** sesame through its Hono middleware (`@sesame/session/hono`). */
export function sesameHono(): Library<Request, Response> {
  let seen: number | undefined;
  return honoLibrary(
    "sesame-hono",
    "sesame (MemoryStore) in Hono",
    "memory",
    () => {
      const sessions = createSessionManager<Visits>({
        store: new MemoryStore(),
      });
      const app = new Hono<{ Variables: { session: Session<Visits> } }>();
      app.use(createSessionMiddleware(sessions));
      app.get("/increment", (c) => {
        const session = c.get("session");
        const visits = (session.get("visits") ?? 0) + 1;
        session.set("visits", visits);
        seen = visits;
        return c.text(BODY);
      });
      app.get("/read", (c) => {
        seen = c.get("session").get("visits");
        return c.text(BODY);
      });
      app.get("/regenerate", (c) => {
        const session = c.get("session");
        session.regenerate();
        seen = session.get("visits");
        return c.text(BODY);
      });
      app.get("/destroy", (c) => {
        c.get("session").destroy();
        seen = undefined;
        return c.text(BODY);
      });
      return app as unknown as Hono;
    },
    ["increment", "read", "regenerate", "destroy"],
    () => seen,
  );
}

/**
 * hono-sessions with its MemoryStore, configured as its README recommends:
 * `encryptionKey` set, so the session id in the cookie is sealed with
 * iron-webcrypto; or, with `sealed` false, the bare id in the cookie.
 */
export function honoSessions(sealed: boolean): Library<Request, Response> {
  let seen: number | undefined;
  return honoLibrary(
    sealed ? "hono-sessions" : "hono-sessions-plain",
    sealed
      ? "hono-sessions (MemoryStore, sealed id)"
      : "hono-sessions (MemoryStore, plain id)",
    "memory",
    () => {
      const app = new Hono<{
        Variables: {
          session: HonoSessionsSession<Visits>;
          session_key_rotation: boolean;
        };
      }>();
      app.use(sessionMiddleware({
        store: new HonoSessionsMemoryStore(),
        encryptionKey: sealed ? SECRET : undefined,
        expireAfterSeconds: 1800,
        cookieOptions: { sameSite: "Lax", path: "/", httpOnly: true },
      }));
      app.get("/increment", (c) => {
        const session = c.get("session");
        const visits = (session.get("visits") ?? 0) + 1;
        session.set("visits", visits);
        seen = visits;
        return c.text(BODY);
      });
      app.get("/read", (c) => {
        seen = c.get("session").get("visits") ?? undefined;
        return c.text(BODY);
      });
      app.get("/regenerate", (c) => {
        c.set("session_key_rotation", true);
        seen = c.get("session").get("visits") ?? undefined;
        return c.text(BODY);
      });
      app.get("/destroy", (c) => {
        c.get("session").deleteSession();
        seen = undefined;
        return c.text(BODY);
      });
      return app as unknown as Hono;
    },
    ["increment", "read", "regenerate", "destroy"],
    () => seen,
    sealed
      ? "writes the store and re-seals the id into Set-Cookie on every request"
      : "writes the store and sends Set-Cookie on every request",
  );
}

/**
 * @hono/session with a `Map` as its session storage: the cookie is a JWE
 * (A256GCM, via jose) that carries the session id.
 */
export function honoSession(): Library<Request, Response> {
  let seen: number | undefined;
  return honoLibrary(
    "hono-session",
    "@hono/session (Map storage, JWE id)",
    "memory",
    () => {
      const records = new Map<string, Visits>();
      const app = new Hono<SessionEnv<Visits>>();
      app.use(
        useSessionStorage({
          get: (sid: string) => records.get(sid) ?? null,
          set: (sid: string, value: Visits) => void records.set(sid, value),
          delete: (sid: string) => void records.delete(sid),
        }),
        useSession<Visits>({
          secret: HEX_SECRET,
          duration: { absolute: 43_200, inactivity: 1800 },
        }),
      );
      app.get("/increment", async (c) => {
        const session = c.var.session;
        await session.update((previous: Visits | null) => {
          seen = (previous?.visits ?? 0) + 1;
          return { visits: seen };
        });
        return c.text(BODY);
      });
      app.get("/read", async (c) => {
        seen = (await c.var.session.get())?.visits;
        return c.text(BODY);
      });
      app.get("/destroy", async (c) => {
        await c.var.session.get();
        c.var.session.delete();
        seen = undefined;
        return c.text(BODY);
      });
      return app as unknown as Hono;
    },
    ["increment", "read", "destroy"],
    () => seen,
    "no regenerate(); decrypts the JWE cookie on every request",
  );
}

// --- Remix ------------------------------------------------------------------

/** Reads one cookie from a `Cookie` header, as cookie libraries do. */
function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get("cookie");
  if (header === null) return null;
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index !== -1 && part.slice(0, index).trim() === name) {
      return decodeURIComponent(part.slice(index + 1).trim());
    }
  }
  return null;
}

/** How the Remix cycle reads and writes its cookie. */
interface RemixCookie {
  parse(request: Request): Promise<string | null> | string | null;
  serialize(value: string): Promise<string> | string;
  clear(): Promise<string> | string;
}

/**
 * `@remix-run/cookie` as its README and `@remix-run/session`'s ask for it:
 * signed with a secret (HMAC-SHA-256 through `crypto.subtle`, verified on
 * every parse, made on every serialize).
 */
function signedRemixCookie(): RemixCookie {
  const cookie = createCookie("sid", {
    secrets: [SECRET],
    httpOnly: true,
    sameSite: "Lax",
    maxAge: 1800,
    path: "/",
  });
  return {
    parse: (request) => cookie.parse(request.headers.get("cookie")),
    serialize: (value) => cookie.serialize(value),
    clear: () => cookie.serialize("", { maxAge: 0 }),
  };
}

/** A minimal unsigned codec: what the storage costs without its cookie. */
const UNSIGNED_REMIX_COOKIE: RemixCookie = {
  parse: (request) => readCookie(request, "sid"),
  serialize: (value) =>
    `sid=${
      encodeURIComponent(value)
    }; Max-Age=1800; Path=/; HttpOnly; SameSite=Lax`,
  clear: () => "sid=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
};

/**
 * @remix-run/session with its memory storage. The storage takes and returns
 * the cookie's value only; the cookie is either `@remix-run/cookie` signed
 * with a secret, as the storage's README requires ("a session storage
 * object must always be initialized with a signed session cookie"), or, to
 * show the storage's own cost, a minimal unsigned codec.
 */
export function remix(signed: boolean): Library<Request, string | undefined> {
  let storage = createMemorySessionStorage();
  let seen: number | undefined;
  const cookie = signed ? signedRemixCookie() : UNSIGNED_REMIX_COOKIE;
  const load = async (request: Request) =>
    storage.read(await cookie.parse(request));
  const save = async (session: RemixSession) => {
    const value = await storage.save(session);
    if (value === null) return undefined;
    return await (value === "" ? cookie.clear() : cookie.serialize(value));
  };
  return {
    id: signed ? "remix-signed" : "remix",
    name: signed
      ? "@remix-run/session (memory storage, signed cookie)"
      : "@remix-run/session (memory storage, unsigned cookie)",
    storage: "memory",
    via: "direct",
    note: signed
      ? "64-bit ids, signed with HMAC-SHA-256 by @remix-run/cookie; stores live objects, no JSON, no expiry"
      : "64-bit ids in an unsigned cookie, which the storage's README rules out; stores live objects, no JSON, no expiry",
    input: requestCache(() => "/"),
    run: {
      async increment(request) {
        const session = await load(request);
        const visits = (session.get("visits") as number | undefined ?? 0) + 1;
        session.set("visits", visits);
        seen = visits;
        return await save(session);
      },
      async read(request) {
        const session = await load(request);
        seen = session.get("visits") as number | undefined;
        return await save(session);
      },
      async regenerate(request) {
        const session = await load(request);
        session.regenerateId(true);
        seen = session.get("visits") as number | undefined;
        return await save(session);
      },
      async destroy(request) {
        const session = await load(request);
        session.destroy();
        seen = undefined;
        return await save(session);
      },
    },
    inspect(setCookie) {
      return Promise.resolve({ ...outcomeOf(setCookie), visits: seen });
    },
    renew() {
      storage = createMemorySessionStorage();
    },
  };
}

// --- iron-session -----------------------------------------------------------

/**
 * iron-session: the whole session sealed in the cookie (iron-webcrypto:
 * AES-256-CBC and HMAC-SHA-256, keys derived per seal), on a `Request` and a
 * response whose `headers.append()` takes the `Set-Cookie`.
 */
export function ironSession(): Library<Request, string | undefined> {
  let seen: number | undefined;
  let setCookie: string | undefined;
  const response = {
    headers: {
      append(_name: string, value: string) {
        setCookie = value;
      },
    },
  } as unknown as Response;
  const options = {
    password: SECRET,
    cookieName: "sid",
    ttl: 1800,
    cookieOptions: { secure: false },
  };
  const load = (request: Request) => {
    setCookie = undefined;
    return getIronSession<Partial<Visits>>(request, response, options);
  };
  return {
    id: "iron-session",
    name: "iron-session (sealed cookie)",
    storage: "cookie",
    via: "direct",
    note: "no regenerate(): the session has no id",
    input: requestCache(() => "/"),
    run: {
      async increment(request) {
        const session = await load(request);
        session.visits = (session.visits ?? 0) + 1;
        seen = session.visits;
        await session.save();
        return setCookie;
      },
      async read(request) {
        const session = await load(request);
        seen = session.visits;
        return setCookie;
      },
      async destroy(request) {
        const session = await load(request);
        session.destroy();
        seen = undefined;
        return setCookie;
      },
    },
    inspect(output) {
      return Promise.resolve({ ...outcomeOf(output), visits: seen });
    },
  };
}

// --- express-session --------------------------------------------------------

/** The `res` that express-session needs: headers, `writeHead()`, `end()`. */
class MockResponse {
  statusCode = 200;
  // express-session checks `_header` and calls `_implicitHeader()`, the
  // internals of Node's ServerResponse.
  _header: string | null = null;
  #headers = new Map<string, unknown>();
  #done: () => void = () => {};

  /** Resolves when the response ends. */
  finished(): Promise<void> {
    return new Promise((resolve) => this.#done = resolve);
  }

  getHeader(name: string): unknown {
    return this.#headers.get(name.toLowerCase());
  }

  setHeader(name: string, value: unknown): this {
    this.#headers.set(name.toLowerCase(), value);
    return this;
  }

  writeHead(statusCode: number): this {
    this.statusCode = statusCode;
    this._header = "sent";
    return this;
  }

  _implicitHeader(): void {
    this.writeHead(this.statusCode);
  }

  write(_chunk: unknown): boolean {
    return true;
  }

  end(_chunk?: unknown): this {
    if (this._header === null) this._implicitHeader();
    this.#done();
    return this;
  }
}

/** The `req` that express-session reads. */
interface MockRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  connection: { encrypted: boolean };
  session?: Record<string, unknown> & {
    visits?: number;
    regenerate(callback: (error?: unknown) => void): void;
    destroy(callback: (error?: unknown) => void): void;
  };
}

interface ExpressPair {
  req: MockRequest;
  res: MockResponse;
}

/**
 * express-session with its MemoryStore, called as a connect middleware with
 * mock `req`/`res` objects (the HTTP part runs it on a real node:http
 * server). Its store answers through `setImmediate`, by design.
 */
export function express(): Library<ExpressPair, MockResponse> {
  return expressLibrary(() => new expressSession.MemoryStore(), {
    id: "express-session",
    name: "express-session (MemoryStore)",
    storage: "memory",
    note:
      "store callbacks go through setImmediate; cookie signed with HMAC-SHA-256",
  });
}

/**
 * express-session with connect-pg-simple on PostgreSQL, through the same
 * counting `pg` pool as sesame's PostgresStore, on a table of
 * connect-pg-simple's own `table.sql`. Its pruning timer is off
 * (`pruneSessionInterval: false`): sesame prunes inline instead.
 */
export function expressPgSimple(
  postgres: BenchPostgres,
): Library<ExpressPair, MockResponse> {
  const PgStore = connectPgSimple(expressSession);
  const library = expressLibrary(
    () =>
      new PgStore({
        pool: postgres.pool,
        tableName: PG_SIMPLE_TABLE,
        pruneSessionInterval: false,
      }),
    {
      id: "express-pg-simple",
      name: "express-session (connect-pg-simple, pg)",
      storage: "postgres",
      note: "cookie signed with HMAC-SHA-256; no pruning timer",
    },
  );
  library.counter = postgres;
  library.settle = () => postgres.analyze();
  // Its table has no entry limit to stay under: keep filling it.
  delete library.renew;
  return library;
}

/** express-session over the store that `makeStore` makes. */
function expressLibrary(
  makeStore: () => unknown,
  info: Pick<Library, "id" | "name" | "storage" | "note">,
): Library<ExpressPair, MockResponse> {
  let seen: number | undefined;
  let middleware = create();
  function create() {
    return expressSession({
      secret: SECRET,
      name: "sid",
      resave: false,
      saveUninitialized: false,
      store: makeStore(),
      cookie: { maxAge: 1_800_000, sameSite: "lax", httpOnly: true },
    });
  }
  const cycle = (
    pair: ExpressPair,
    handle: (pair: ExpressPair, end: () => void) => void,
  ): Promise<MockResponse> => {
    const finished = pair.res.finished();
    middleware(pair.req, pair.res, (error?: unknown) => {
      if (error) throw error;
      handle(pair, () => pair.res.end(BODY));
    });
    return finished.then(() => pair.res);
  };
  return {
    ...info,
    via: "mock req/res",
    input(_action, cookie) {
      const headers: Record<string, string> = {};
      if (cookie !== undefined) headers.cookie = cookie;
      return {
        req: {
          method: "GET",
          url: "/",
          headers,
          connection: { encrypted: false },
        },
        res: new MockResponse(),
      };
    },
    run: {
      increment: (pair) =>
        cycle(pair, ({ req }, end) => {
          const session = req.session!;
          session.visits = (session.visits ?? 0) + 1;
          seen = session.visits;
          end();
        }),
      read: (pair) =>
        cycle(pair, ({ req }, end) => {
          seen = req.session!.visits;
          end();
        }),
      regenerate: (pair) =>
        cycle(pair, ({ req }, end) => {
          const visits = req.session!.visits;
          req.session!.regenerate((error) => {
            if (error) throw error;
            req.session!.visits = visits;
            seen = visits;
            end();
          });
        }),
      destroy: (pair) =>
        cycle(pair, ({ req }, end) => {
          req.session!.destroy((error) => {
            if (error) throw error;
            seen = undefined;
            end();
          });
        }),
    },
    inspect(res) {
      const header = res.getHeader("set-cookie") as string[] | undefined;
      return Promise.resolve({
        ...outcomeOf(header?.[header.length - 1]),
        visits: seen,
      });
    },
    renew() {
      middleware = create();
    },
  };
}
