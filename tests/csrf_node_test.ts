// The CSRF middlewares of src/middleware/node.ts in real Express 5 and
// Fastify 5 apps over real HTTP on 127.0.0.1, on both of the manager's
// paths: the origin check before the session, the token check after it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import express from "express";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { createSessionManager } from "../src/manager.ts";
import type { Session } from "../src/session.ts";
import type { SessionStore } from "../src/store.ts";
import {
  createCsrfProtection,
  type CsrfProtectionOptions,
} from "../src/csrf.ts";
import {
  csrfMiddleware,
  csrfTokenMiddleware,
  fastifyCsrf,
  fastifyCsrfToken,
  fastifySession,
  sessionMiddleware,
} from "../src/middleware/node.ts";
import { RecordingStore } from "./_stores.ts";
import {
  type Client,
  listen,
  type Listening,
  STORE_PATHS,
  withServer,
} from "./_node_server.ts";

type Data = { note: string; seen: boolean };

/** What the routes saw, to tell whether a refused request reached one. */
interface Served {
  handled: string[];
}

/** The session on a request, as the session middleware put it there. */
const sessionOf = (request: object) =>
  (request as { session: Session<Data> }).session;

/** The page: a form with the session's token. */
const page = (token: string) =>
  `<form method="post" action="/note"><input type="hidden" name="_csrf" value="${token}"></form>`;

/**
 * An Express app: the origin check, the sessions, a change made before the
 * token check (a refused request must not save it), a body parser, the
 * token check, and the routes.
 */
function expressApp(
  store: SessionStore,
  options: CsrfProtectionOptions,
  served: Served,
): Promise<Listening> {
  const csrf = createCsrfProtection(options);
  const app = express();
  app.set("env", "test");
  app.use(csrfMiddleware(csrf));
  app.use(sessionMiddleware(createSessionManager<Data>({ store })));
  app.use((req, _res, next) => {
    if (req.method !== "GET") sessionOf(req).set("seen", true);
    next();
  });
  app.use(express.urlencoded({ extended: false }));
  app.use(express.json());
  app.use(csrfTokenMiddleware(csrf));
  app.get("/", (req, res) => {
    res.type("html").send(page(csrf.token(sessionOf(req))));
  });
  app.get("/note", (req, res) => {
    const session = sessionOf(req);
    res.json({
      note: session.get("note") ?? null,
      seen: session.get("seen") ?? false,
    });
  });
  app.post("/note", (req, res) => {
    served.handled.push("/note");
    sessionOf(req).set("note", String(req.body.note));
    res.redirect(303, "/note");
  });
  app.post("/throw", async (req) => {
    // Express 5 passes the rejection to its error handler: a 403 by `status`.
    await csrf.requireToken(
      { method: "POST", headers: {}, body: {} },
      sessionOf(req),
    );
  });
  return listen(app);
}

/** A Fastify app, with the same layers as the Express one. */
async function fastifyApp(
  store: SessionStore,
  options: CsrfProtectionOptions,
  served: Served,
): Promise<Listening> {
  const csrf = createCsrfProtection(options);
  const app: FastifyInstance = Fastify();
  // What @fastify/formbody does, without the dependency.
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string" },
    (_request, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  await app.register(fastifyCsrf(csrf));
  await app.register(
    fastifySession(createSessionManager<Data>({ store })),
  );
  app.addHook("preHandler", (request, _reply, done) => {
    if (request.method !== "GET") sessionOf(request).set("seen", true);
    done();
  });
  app.addHook("preHandler", fastifyCsrfToken(csrf));
  app.get("/", (request, reply) => {
    reply.type("text/html").send(page(csrf.token(sessionOf(request))));
  });
  app.get("/note", (request) => {
    const session = sessionOf(request);
    return {
      note: session.get("note") ?? null,
      seen: session.get("seen") ?? false,
    };
  });
  app.post("/note", (request: FastifyRequest, reply) => {
    served.handled.push("/note");
    const body = request.body as Record<string, string>;
    sessionOf(request).set("note", String(body.note));
    reply.redirect("/note", 303);
  });
  app.post("/throw", async (request) => {
    // Fastify's error handler answers a thrown CsrfError by its statusCode.
    await csrf.requireToken(
      { method: "POST", headers: {}, body: {} },
      sessionOf(request),
    );
  });
  const origin = await app.listen({ port: 0, host: "127.0.0.1" });
  return { origin, close: () => app.close() };
}

const FRAMEWORKS = [
  { framework: "Express", start: expressApp },
  { framework: "Fastify", start: fastifyApp },
];

/** The page's token, and its session cookie into the client's jar. */
async function pageToken(client: Client): Promise<string> {
  const response = await client.send("/");
  assert.equal(response.status, 200);
  const token = (await response.text()).match(/value="([\w-]{43})"/)?.[1];
  assert.ok(token, "the page has a token");
  return token;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields);

for (const { framework, start } of FRAMEWORKS) {
  for (const { name, store } of STORE_PATHS) {
    describe(`${framework} CSRF middlewares (${name})`, () => {
      const serve = (options: CsrfProtectionOptions = {}, served = {
        handled: [] as string[],
      }, recording?: SessionStore) =>
        start(recording ?? store(), options, served);

      test("a form posts with its token, and the session is saved", async () => {
        await withServer(serve(), async (client) => {
          const token = await pageToken(client);
          const response = await client.send("/note", {
            method: "POST",
            body: form({ _csrf: token, note: "hello" }),
          });
          assert.equal(response.status, 303);
          assert.deepEqual(await client.json("/note"), {
            note: "hello",
            seen: true,
          });
        });
      });

      test("a script sends the token in the header", async () => {
        await withServer(serve(), async (client) => {
          const token = await pageToken(client);
          const response = await client.send("/note", {
            method: "POST",
            headers: { "X-CSRF-Token": token },
            body: form({ note: "by header" }),
          });
          assert.equal(response.status, 303);
        });
      });

      test("a post without the token, or with a wrong one, gets a 403 and commits nothing", async () => {
        const served = { handled: [] as string[] };
        await withServer(serve({}, served), async (client) => {
          const token = await pageToken(client);
          for (const submitted of [undefined, "A".repeat(43), token + "x"]) {
            const fields: Record<string, string> = { note: "forged" };
            if (submitted !== undefined) fields._csrf = submitted;
            const response = await client.send("/note", {
              method: "POST",
              body: form(fields),
            });
            assert.equal(response.status, 403);
            assert.equal(await response.text(), "Forbidden");
            assert.equal(response.headers.get("set-cookie"), null);
          }
          assert.deepEqual(served.handled, []);
          assert.deepEqual(await client.json("/note"), {
            note: null,
            seen: false,
          });
        });
      });

      test("another site's post is refused before the session is loaded", async () => {
        const recording = new RecordingStore();
        const served = { handled: [] as string[] };
        await withServer(serve({}, served, recording), async (client) => {
          const token = await pageToken(client);
          recording.calls.length = 0;
          const forged: Record<string, string>[] = [
            { "Sec-Fetch-Site": "cross-site", Origin: "https://evil.test" },
            { "Sec-Fetch-Site": "same-site", Origin: "https://blog.test" },
            { Origin: "https://evil.test" },
            { Origin: "null" },
          ];
          for (const headers of forged) {
            const response = await client.send("/note", {
              method: "POST",
              headers,
              body: form({ _csrf: token, note: "forged" }),
            });
            assert.equal(response.status, 403, JSON.stringify(headers));
            assert.equal(response.headers.get("set-cookie"), null);
          }
          assert.deepEqual(recording.calls, []);
          assert.deepEqual(served.handled, []);
        });
      });

      test("a same-origin post passes the check by Sec-Fetch-Site, or by an Origin of its Host", async () => {
        await withServer(serve(), async (client) => {
          const token = await pageToken(client);
          for (
            const headers of [
              { "Sec-Fetch-Site": "same-origin", Origin: client.origin },
              { Origin: client.origin },
            ] as Record<string, string>[]
          ) {
            const response = await client.send("/note", {
              method: "POST",
              headers,
              body: form({ _csrf: token, note: "same origin" }),
            });
            assert.equal(response.status, 303, JSON.stringify(headers));
          }
        });
      });

      test("a trusted origin's post passes", async () => {
        const options = { trustedOrigins: ["https://www.test"] };
        await withServer(serve(options), async (client) => {
          const token = await pageToken(client);
          const response = await client.send("/note", {
            method: "POST",
            headers: {
              "Sec-Fetch-Site": "same-site",
              Origin: "https://www.test",
            },
            body: form({ _csrf: token, note: "www" }),
          });
          assert.equal(response.status, 303);
        });
      });

      test("with tokenPolicy fallback, only a post without either header needs the token", async () => {
        await withServer(
          serve({ tokenPolicy: "fallback" }),
          async (client) => {
            await pageToken(client);
            const modern = await client.send("/note", {
              method: "POST",
              headers: { "Sec-Fetch-Site": "same-origin" },
              body: form({ note: "modern" }),
            });
            assert.equal(modern.status, 303);
            const neither = await client.send("/note", {
              method: "POST",
              body: form({ note: "neither" }),
            });
            assert.equal(neither.status, 403);
          },
        );
      });

      test("requireToken() in a route answers 403 through the error handler, with no commit", async () => {
        await withServer(serve(), async (client) => {
          const token = await pageToken(client);
          const response = await client.send("/throw", {
            method: "POST",
            headers: { "X-CSRF-Token": token },
          });
          assert.equal(response.status, 403);
          assert.equal(response.headers.get("set-cookie"), null);
          assert.deepEqual(await client.json("/note"), {
            note: null,
            seen: false,
          });
        });
      });
    });
  }
}

describe("Node CSRF middlewares, set up wrongly", () => {
  const notProtection = {} as ReturnType<typeof createCsrfProtection>;

  test("each factory refuses what is not a CSRF protection", () => {
    const factories: [string, () => unknown][] = [
      ["CSRF middleware", () => csrfMiddleware(notProtection)],
      ["CSRF token middleware", () => csrfTokenMiddleware(notProtection)],
      ["CSRF plugin", () => fastifyCsrf(notProtection)],
      ["CSRF token hook", () => fastifyCsrfToken(notProtection)],
    ];
    for (const [name, create] of factories) {
      assert.throws(create, {
        name: "TypeError",
        message:
          `Cannot create ${name}: protection must be a CSRF protection from createCsrfProtection(), received an object`,
      });
    }
  });

  test("the token middlewares refuse an empty property name", () => {
    assert.throws(
      () => csrfTokenMiddleware(createCsrfProtection(), { property: "" }),
      {
        name: "TypeError",
        message:
          'Cannot create CSRF token middleware: property must be a non-empty string, received ""',
      },
    );
    assert.throws(
      () => fastifyCsrfToken(createCsrfProtection(), { property: "" }),
      {
        name: "TypeError",
        message:
          'Cannot create CSRF token hook: property must be a non-empty string, received ""',
      },
    );
  });

  test("the Express token middleware without a session before it passes an error on", async () => {
    const app = express();
    app.set("env", "test");
    app.use(csrfTokenMiddleware(createCsrfProtection()));
    app.post("/", (_req, res) => void res.send("ok"));
    let caught: unknown;
    app.use(
      (
        error: unknown,
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        caught = error;
        res.status(500).end();
      },
    );
    await withServer(listen(app), async (client) => {
      const response = await client.send("/", { method: "POST" });
      assert.equal(response.status, 500);
    });
    assert.ok(caught instanceof TypeError);
    assert.match(caught.message, /load the session .* before it/);
  });
});
