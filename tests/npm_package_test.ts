/**
 * The npm package, end to end: built by `scripts/build_npm.ts`, packed with
 * `npm pack`, installed from its tarball (offline) into a scratch project
 * outside the repository, then imported by a plain ESM script under Node and
 * Bun and type-checked by `tsc` as a TypeScript consumer would.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const tsc = () =>
  join(
    dirname(createRequire(import.meta.url).resolve("typescript/package.json")),
    "bin",
    "tsc",
  );

const denoConfig: {
  name: string;
  version: string;
  license: string;
  exports: Record<string, string>;
} = JSON.parse(await readFile(join(root, "deno.json"), "utf8"));
const packageName = denoConfig.name;
/** `[subpath, source]` of every JSR entry point, e.g. `["./testing", "./src/testing.ts"]`. */
const entries = Object.entries(denoConfig.exports);
const specifier = (subpath: string) =>
  subpath === "." ? packageName : packageName + subpath.slice(1);

type Env = Record<string, string | undefined>;

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

interface SmokeResult {
  runtime: string;
  exports: Record<string, string[]>;
  setCookies: Record<string, string>;
}

/** Runs a program to completion, or rejects with everything it printed. */
function run(
  command: string,
  args: string[],
  options: { cwd: string; timeoutSeconds: number; env?: Env },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutSeconds * 1000,
      killSignal: "SIGKILL",
      maxBuffer: 64 * 1024 * 1024,
    }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new Error(
            `${command} ${args.join(" ")} failed in ${options.cwd} (${
              error.killed ? "timed out" : `exit code ${error.code}`
            }):\n${stdout}\n${stderr}`,
            { cause: error },
          ),
        );
      } else {
        resolve(stdout);
      }
    });
  });
}

/** npm's environment: none of a surrounding `npm run`'s settings, no cache of the user's. */
function npmEnv(cache: string): Env {
  const env: Env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(name)) env[name] = value;
  }
  return {
    ...env,
    npm_config_cache: cache,
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    npm_config_loglevel: "error",
  };
}

/**
 * The consumer script: imports every entry point by its package specifier,
 * runs a session over two requests with each store it can build, and prints
 * the exported names and the `Set-Cookie` values as JSON.
 */
function smokeScript(): string {
  const imports = entries.map(([subpath], i) =>
    `import * as entry${i} from ${JSON.stringify(specifier(subpath))};`
  ).join("\n");
  const modules = entries.map(([subpath], i) =>
    `  ${JSON.stringify(subpath)}: entry${i},`
  ).join("\n");
  return `${imports}
import assert from "node:assert/strict";

const modules = {
${modules}
};
const { createSessionManager, MemoryStore } = modules["."];
const url = "https://app.example/";

/** Two requests: the first sets a value and gets a cookie, the second reads it back. */
async function roundTrip(store) {
  const sessions = createSessionManager({ store });
  const first = await sessions.load(new Request(url));
  assert.equal(first.isNew, true);
  first.set("user", "ada");
  const setCookie = await first.commit();
  assert.equal(typeof setCookie, "string");
  assert.match(setCookie, /^__Host-sid=[^;]+/);
  for (const attribute of ["Path=/", "HttpOnly", "Secure", "SameSite=Lax"]) {
    assert.ok(setCookie.split("; ").includes(attribute), setCookie);
  }
  const cookie = setCookie.split(";")[0];
  const second = await sessions.load(new Request(url, { headers: { cookie } }));
  assert.equal(second.isNew, false);
  assert.equal(second.id, first.id);
  assert.equal(second.get("user"), "ada");
  return setCookie;
}

const setCookies = { memory: await roundTrip(new MemoryStore()) };

const sealed = modules["./sealed-cookie"];
if (sealed) {
  setCookies.sealedCookie = await roundTrip(
    new sealed.SealedCookieStore({ secrets: ["a secret of at least 32 characters!!"] }),
  );
}

const cloudflare = modules["./cloudflare-kv"];
if (cloudflare) {
  const entries = new Map();
  const namespace = {
    getWithMetadata(key) {
      const entry = entries.get(key);
      return Promise.resolve(entry ?? { value: null, metadata: null });
    },
    put(key, value, options = {}) {
      entries.set(key, { value, metadata: options.metadata ?? null });
      return Promise.resolve();
    },
    delete(key) {
      entries.delete(key);
      return Promise.resolve();
    },
  };
  setCookies.cloudflareKv = await roundTrip(new cloudflare.CloudflareKvStore({ namespace }));
}

// The README's handler, over two requests.
const app = createSessionManager().handler((_request, session) => {
  const visits = (session.get("visits") ?? 0) + 1;
  session.set("visits", visits);
  return Response.json({ visits });
});
const firstResponse = await app(new Request(url));
assert.deepEqual(await firstResponse.json(), { visits: 1 });
const cookie = firstResponse.headers.get("set-cookie").split(";")[0];
const secondResponse = await app(new Request(url, { headers: { cookie } }));
assert.deepEqual(await secondResponse.json(), { visits: 2 });

console.log(JSON.stringify({
  runtime: typeof Bun === "undefined" ? "node " + process.version : "bun " + Bun.version,
  exports: Object.fromEntries(
    Object.entries(modules).map(([subpath, module]) => [subpath, Object.keys(module).sort()]),
  ),
  setCookies,
}));
`;
}

/** A TypeScript consumer of the package, as its README uses it. */
const CONSUMER = `import {
  createSessionManager,
  MemoryStore,
  type Session,
  SessionStoreError,
  type SessionStore,
} from "${packageName}";
import { SealedCookieStore } from "${packageName}/sealed-cookie";
import {
  type SessionStoreTestOptions,
  testSessionStore,
} from "${packageName}/testing";

interface Data {
  user: string;
  visits: number;
}

const sessions = createSessionManager<Data>({
  store: new MemoryStore({ maxEntries: 1000 }),
  idleTimeoutSeconds: 600,
});

export const app: (request: Request) => Promise<Response> = sessions.handler(
  (_request, session: Session<Data>) => {
    const visits: number = (session.get("visits") ?? 0) + 1;
    session.set("visits", visits);
    // @ts-expect-error: visits is a number
    session.set("visits", "many");
    // @ts-expect-error: theme is not in Data
    session.get("theme");
    return Response.json({ visits });
  },
);

export async function handle(request: Request): Promise<Response> {
  const session = await sessions.load(request);
  const user: string | undefined = session.get("user");
  const response = Response.json({ user: user ?? null });
  try {
    const setCookie: string | undefined = await session.commit();
    if (setCookie) response.headers.append("Set-Cookie", setCookie);
  } catch (error) {
    if (error instanceof SessionStoreError) return new Response(null, { status: 503 });
    throw error;
  }
  return response;
}

export const sealed = createSessionManager<Data>({
  store: new SealedCookieStore({ secrets: ["a secret of at least 32 characters!!"] }),
});

export const store: SessionStore = new MemoryStore();

export const conformance: SessionStoreTestOptions = {
  create: () => new MemoryStore(),
  now: () => Date.now(),
  advanceSeconds: () => Promise.resolve(),
};
export const suite: typeof testSessionStore = testSessionStore;
`;

/** An exported name of a JSR entry point, with its doc comments. */
interface JsrSymbol {
  name: string;
  docs: string[];
}

let jsrApiResult: Promise<Map<string, JsrSymbol[]>> | undefined;

/**
 * The API of every JSR entry point, by subpath, as `deno doc` (the JSR
 * documentation) lists it: every exported name, types included.
 */
function jsrApi(): Promise<Map<string, JsrSymbol[]>> {
  return jsrApiResult ??= run(bin("deno"), [
    "doc",
    "--json",
    ...entries.map(([, source]) => source),
  ], { cwd: root, timeoutSeconds: 60 }).then((stdout) => {
    const { nodes } = JSON.parse(stdout) as {
      nodes: Record<string, {
        symbols?: {
          name: string;
          declarations: {
            declarationKind: string;
            jsDoc?: { doc?: string };
          }[];
        }[];
      }>;
    };
    return new Map(entries.map(([subpath, source]) => {
      const node = nodes[pathToFileURL(join(root, source)).href];
      assert.ok(node, `deno doc did not document ${source}`);
      const symbols = (node.symbols ?? []).flatMap(({ name, declarations }) =>
        declarations.some((d) => d.declarationKind === "export")
          ? [{
            name,
            docs: declarations.flatMap((d) =>
              d.jsDoc?.doc ? [d.jsDoc.doc] : []
            ),
          }]
          : []
      );
      assert.ok(symbols.length > 0, `deno doc found no exports in ${source}`);
      return [subpath, symbols];
    }));
  });
}

/**
 * A module that imports every name of every JSR entry point, types included,
 * from the npm package.
 */
function apiTypeCheckModule(
  api: Map<string, JsrSymbol[]>,
  subpaths = entries.map(([subpath]) => subpath),
): string {
  return entries.map(([subpath], i) => {
    if (!subpaths.includes(subpath)) return "";
    const list = api.get(subpath)!.map(({ name }) =>
      `${name} as entry${i}_${name}`
    );
    return `import type { ${list.join(", ")} } from ${
      JSON.stringify(specifier(subpath))
    };\n`;
  }).join("") + "export {};\n";
}

/**
 * Type-checks `file` in the scratch project as a strict consumer would: on
 * Node (its default libraries and Node's types), or on another runtime (the
 * ESNext and DOM libraries and no Node types: a Worker, a browser bundle).
 */
function typeCheck(
  project: string,
  file: string,
  as: "node" | "web" = "node",
): Promise<string> {
  return run(process.execPath, [
    tsc(),
    "--ignoreConfig",
    "--noEmit",
    "--strict",
    "--module",
    "nodenext",
    "--moduleResolution",
    "nodenext",
    "--target",
    "es2022",
    ...(as === "node"
      ? ["--types", "node", "--typeRoots", join(root, "node_modules", "@types")]
      : ["--lib", "esnext,dom", "--typeRoots", join(project, "no-types")]),
    file,
  ], { cwd: project, timeoutSeconds: 120 });
}

// Node only: it spawns node, npm, bun and tsc itself, so Deno and Bun skip it.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
  describe("npm package", () => {
    let work: string;
    let packageDir: string;
    let project: string;
    let pack: PackResult;
    let smokeRuns: Record<string, Promise<SmokeResult>>;

    before(async () => {
      work = await mkdtemp(join(tmpdir(), "sesame-npm-"));
      packageDir = join(work, "package");
      project = join(work, "project");
      const env = npmEnv(join(work, "npm-cache"));
      await run(process.execPath, [
        "--import",
        "tsx",
        join(root, "scripts", "build_npm.ts"),
        "--out-dir",
        packageDir,
      ], { cwd: root, timeoutSeconds: 120 });
      [pack] = JSON.parse(
        await run("npm", ["pack", "--json", "--pack-destination", work], {
          cwd: packageDir,
          timeoutSeconds: 120,
          env,
        }),
      );
      await mkdir(project);
      await writeFile(
        join(project, "package.json"),
        JSON.stringify({
          name: "sesame-npm-consumer",
          version: "1.0.0",
          private: true,
          type: "module",
        }),
      );
      await run("npm", [
        "install",
        "--offline",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        join(work, pack.filename),
      ], { cwd: project, timeoutSeconds: 180, env });
      await writeFile(join(project, "smoke.mjs"), smokeScript());
      const smoke = (runtime: string) =>
        run(runtime, ["smoke.mjs"], { cwd: project, timeoutSeconds: 60 })
          .then((stdout) => JSON.parse(stdout) as SmokeResult);
      smokeRuns = { node: smoke(process.execPath), bun: smoke(bin("bun")) };
      // Rejections are reported by the tests that await them.
      for (const result of Object.values(smokeRuns)) result.catch(() => {});
    }, { timeout: 600_000 });

    after(async () => {
      if (work) await rm(work, { recursive: true, force: true });
    });

    test("its package.json mirrors deno.json and has no dependencies", async () => {
      const manifest = JSON.parse(
        await readFile(join(packageDir, "package.json"), "utf8"),
      );
      const config = denoConfig;
      assert.equal(manifest.name, config.name);
      assert.equal(manifest.version, config.version);
      assert.equal(manifest.license, config.license);
      assert.equal(manifest.type, "module");
      assert.equal(manifest.sideEffects, false);
      assert.equal(manifest.engines.node, ">=20");
      assert.equal(typeof manifest.description, "string");
      assert.deepEqual(
        Object.keys(manifest.exports),
        Object.keys(config.exports),
      );
      for (const [subpath, source] of entries) {
        const base = source.replace(/\.ts$/, "");
        assert.deepEqual(manifest.exports[subpath], {
          types: `${base}.d.ts`,
          default: `${base}.js`,
        });
      }
      for (
        const field of [
          "dependencies",
          "peerDependencies",
          "optionalDependencies",
          "bundleDependencies",
          "scripts",
        ]
      ) {
        assert.equal(manifest[field], undefined, field);
      }
    });

    test("its tarball holds the compiled modules, README and LICENSE, and no tests or TypeScript sources", (t) => {
      const files = pack.files.map((file) => file.path).sort();
      t.diagnostic(
        `${pack.filename}: ${pack.size} bytes, ${pack.unpackedSize} unpacked, ${files.length} files`,
      );
      for (const name of ["package.json", "README.md", "LICENSE"]) {
        assert.ok(files.includes(name), name);
      }
      for (const [, source] of entries) {
        const base = source.slice(2).replace(/\.ts$/, "");
        assert.ok(files.includes(`${base}.js`), `${base}.js`);
        assert.ok(files.includes(`${base}.d.ts`), `${base}.d.ts`);
      }
      assert.deepEqual(
        files.filter((file) =>
          !["package.json", "README.md", "LICENSE"].includes(file) &&
          !/\.(js|d\.ts)$/.test(file)
        ),
        [],
      );
      assert.deepEqual(
        files.filter((file) =>
          /(^|\/)(tests?|examples?|bench|scripts)\/|_test\./.test(file)
        ),
        [],
      );
    });

    test("its declarations keep the doc comments", async () => {
      const declarations = await Promise.all(
        pack.files.map((file) => file.path).filter((path) =>
          path.endsWith(".d.ts")
        ).map((path) => readFile(join(packageDir, path), "utf8")),
      );
      for (const [subpath, source] of entries) {
        const [moduleDoc] = (await readFile(join(root, source), "utf8"))
          .match(/^\/\*\*[\s\S]*?\*\//) ?? [];
        assert.match(moduleDoc ?? "", /@module/, `${source} has a module doc`);
        const entry = await readFile(
          join(packageDir, source.replace(/\.ts$/, ".d.ts")),
          "utf8",
        );
        assert.ok(
          entry.startsWith(moduleDoc + "\n"),
          `module doc of ${source}`,
        );
        for (const { name, docs } of (await jsrApi()).get(subpath)!) {
          assert.ok(docs.length > 0, `${name} in ${source} has a doc`);
          for (const doc of docs) {
            const firstLine = doc.trim().split("\n")[0];
            assert.ok(
              declarations.some((text) => text.includes(`* ${firstLine}`)),
              `the doc of ${name} in ${source}: ${firstLine}`,
            );
          }
        }
      }
    });

    test("Node imports every entry point and keeps a session over two requests", async () => {
      const result = await smokeRuns.node;
      assert.match(result.runtime, /^node /);
      assert.deepEqual(
        Object.keys(result.exports),
        entries.map(([subpath]) => subpath),
      );
      assert.match(result.setCookies.memory, /^__Host-sid=/);
    });

    test("Bun imports every entry point and keeps a session over two requests", async () => {
      const result = await smokeRuns.bun;
      assert.match(result.runtime, /^bun /);
      assert.deepEqual(
        Object.keys(result.exports),
        entries.map(([subpath]) => subpath),
      );
      assert.match(result.setCookies.memory, /^__Host-sid=/);
    });

    test("tsc type-checks a strict TypeScript consumer against its declarations", async () => {
      await writeFile(join(project, "consumer.ts"), CONSUMER);
      await typeCheck(project, "consumer.ts");
    });

    test("The JSR package and the npm package expose the same API", async () => {
      for (const [subpath, source] of entries) {
        const jsr = Object.keys(
          await import(pathToFileURL(join(root, source)).href),
        ).sort();
        for (const runtime of ["node", "bun"]) {
          const npm = (await smokeRuns[runtime]).exports[subpath];
          assert.deepEqual(npm, jsr, `${runtime}: ${specifier(subpath)}`);
        }
      }
      // The types too: every name JSR documents is exported by the .d.ts.
      await writeFile(
        join(project, "api.ts"),
        apiTypeCheckModule(await jsrApi()),
      );
      await typeCheck(project, "api.ts");
    });

    test("its declarations need no Node types, except those of ./testing", async () => {
      const portable = entries.map(([subpath]) => subpath).filter((subpath) =>
        subpath !== "./testing"
      );
      await writeFile(
        join(project, "web.ts"),
        apiTypeCheckModule(await jsrApi(), portable),
      );
      await typeCheck(project, "web.ts", "web");
    });
  });
}
