/**
 * Builds the npm package of `@sesame/session` from the same sources as the
 * JSR package.
 *
 * deno.json is the one description of the package: its `name`, `version`,
 * `license` and `exports` become the npm package.json, and every entry of
 * `exports` is compiled, with the modules it imports, by the TypeScript
 * compiler into ESM `.js` files and `.d.ts` files that keep the doc comments.
 * Sources import each other with `.ts` extensions; the compiler rewrites them
 * to `.js` in the JavaScript (`rewriteRelativeImportExtensions`) and this
 * script does the same in the declarations, so that TypeScript versions
 * before 5 read them too.
 *
 * The build fails, rather than ship a package that differs from the JSR one,
 * when a type check fails, when an entry point imports a file that deno.json
 * does not publish (a test helper, an example), or when a module imports
 * anything but the package's own modules and `node:` built-ins (the package
 * has no dependencies). Tests, examples and benchmarks are never part of it.
 *
 * ```sh
 * node --import tsx scripts/build_npm.ts              # into dist/
 * node --import tsx scripts/build_npm.ts --out-dir /tmp/pkg
 * deno run --allow-read --allow-write --allow-run --allow-env scripts/build_npm.ts
 * bun scripts/build_npm.ts
 * ```
 *
 * Then `npm pack` or `npm publish` in the output directory.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** What npm shows that deno.json has no field for. */
const NPM_METADATA = {
  description:
    "Web-standard HTTP sessions for Deno, Bun, Node and Cloudflare Workers: " +
    "one Request in, one Set-Cookie out, no runtime dependencies.",
  keywords: [
    "session",
    "sessions",
    "cookie",
    "http",
    "web-standards",
    "request",
    "response",
    "deno",
    "bun",
    "node",
    "cloudflare-workers",
  ],
};

/** The oldest Node the package supports: its global `crypto`, `Request`. */
const NODE_ENGINE = ">=20";

/**
 * The compiler options. Under `nodenext` the sources are ES modules because
 * the repository's package.json says `"type": "module"`. The ECMAScript
 * library is the one Node 20 (the oldest runtime in `engines`) implements,
 * so a newer built-in used by the library fails the build instead of a
 * user's Node 20 at run time. `node` types are for the `./testing` entry,
 * which runs on `node:test`.
 */
const COMPILER_OPTIONS = [
  "--ignoreConfig",
  "--module",
  "nodenext",
  "--moduleResolution",
  "nodenext",
  "--target",
  "es2023",
  "--lib",
  "es2023,dom",
  "--types",
  "node",
  "--strict",
  "--skipLibCheck",
  "--declaration",
  "--rewriteRelativeImportExtensions",
  "--noEmitOnError",
  "--newLine",
  "lf",
];

interface DenoConfig {
  name?: unknown;
  version?: unknown;
  license?: unknown;
  exports?: unknown;
  publish?: { include?: unknown; exclude?: unknown };
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function main(): void {
  const { values: flags } = parseArgs({
    args: process.argv.slice(2),
    options: { "out-dir": { type: "string" } },
  });
  const outDir = resolve(flags["out-dir"] ?? join(root, "dist"));

  const started = performance.now();
  const config = readDenoConfig();
  const entries = exportEntries(config.exports);

  if (outDir === root || root.startsWith(outDir + sep)) {
    fail(`Cannot build into "${outDir}": it holds the sources`);
  }
  if (
    existsSync(outDir) && readdirSync(outDir).length > 0 &&
    !isEarlierBuild(outDir, config.name)
  ) {
    fail(
      `Cannot build into "${outDir}": it is neither empty nor an earlier build of ${config.name}`,
    );
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  compile(entries.map(([, source]) => join(root, source)), outDir);
  const emitted = listFiles(outDir);
  checkPublished(emitted, config.publish);
  for (const file of emitted) {
    if (file.endsWith(".d.ts")) {
      keepModuleDoc(
        join(root, file.replace(/\.d\.ts$/, ".ts")),
        join(outDir, file),
      );
      rewriteDeclarationSpecifiers(join(outDir, file));
    }
  }
  for (const file of emitted) checkSpecifiers(outDir, file);
  for (const [, source] of entries) {
    for (const output of [jsPath(source), dtsPath(source)]) {
      if (!emitted.includes(output)) {
        fail(`Cannot build the npm package: "${output}" was not emitted`);
      }
    }
  }

  copyFileSync(join(root, "README.md"), join(outDir, "README.md"));
  copyFileSync(join(root, "LICENSE"), join(outDir, "LICENSE"));
  const packageJson = createPackageJson(config, entries, emitted);
  writeFileSync(
    join(outDir, "package.json"),
    JSON.stringify(packageJson, null, 2) + "\n",
  );

  const bytes = emitted.reduce(
    (sum, file) => sum + statSync(join(outDir, file)).size,
    0,
  );
  const shown = relative(process.cwd(), outDir);
  console.log(
    `Built ${packageJson.name}@${packageJson.version} in ${
      shown === "" ? "." : shown.startsWith("..") ? outDir : shown
    }: ${entries.length} entry points, ${emitted.length} files, ${
      (bytes / 1024).toFixed(1)
    } KiB, ${Math.round(performance.now() - started)} ms`,
  );
}

/** Whether `dir` holds a package.json of `name` (and may be replaced). */
function isEarlierBuild(dir: string, name: string): boolean {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name ===
      name;
  } catch {
    return false;
  }
}

function readDenoConfig(): DenoConfig & {
  name: string;
  version: string;
  license: string;
} {
  const config: DenoConfig = JSON.parse(
    readFileSync(join(root, "deno.json"), "utf8"),
  );
  for (const field of ["name", "version", "license"] as const) {
    if (typeof config[field] !== "string" || config[field] === "") {
      fail(
        `Cannot build the npm package: deno.json needs a "${field}" string, received ${
          JSON.stringify(config[field])
        }`,
      );
    }
  }
  return config as DenoConfig & {
    name: string;
    version: string;
    license: string;
  };
}

/** The `[subpath, source]` pairs of deno.json's `exports`, in its order. */
function exportEntries(exports: unknown): [string, string][] {
  const map = typeof exports === "string" ? { ".": exports } : exports;
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    fail(
      `Cannot build the npm package: deno.json "exports" must be a string or an object, received ${
        JSON.stringify(exports)
      }`,
    );
  }
  const entries = Object.entries(map);
  if (entries.length === 0) {
    fail('Cannot build the npm package: deno.json "exports" is empty');
  }
  for (const [subpath, source] of entries) {
    if (
      typeof source !== "string" || !/^\.\/.+\.ts$/.test(source) ||
      source.includes("..") || !existsSync(join(root, source))
    ) {
      fail(
        `Cannot build the npm package: export "${subpath}" must name an existing "./<path>.ts" file in the package, received ${
          JSON.stringify(source)
        }`,
      );
    }
  }
  return entries as [string, string][];
}

function compile(sources: string[], outDir: string): void {
  const require = createRequire(import.meta.url);
  const tsc = join(
    dirname(require.resolve("typescript/package.json")),
    "bin",
    "tsc",
  );
  // tsc is a Node script; under Deno or Bun, run it with the node on PATH.
  const node = "Deno" in globalThis || "Bun" in globalThis
    ? "node"
    : process.execPath;
  const result = spawnSync(node, [
    tsc,
    ...COMPILER_OPTIONS,
    "--rootDir",
    root,
    "--outDir",
    outDir,
    ...sources,
  ], { cwd: root, stdio: "inherit" });
  if (result.error) {
    fail(`Cannot run the TypeScript compiler: ${result.error.message}`);
  }
  if (result.status !== 0) {
    fail(`The TypeScript compiler failed with exit code ${result.status}`);
  }
}

/** Every file under `dir`, relative and with `/` separators, sorted. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((path) => statSync(join(dir, path)).isFile())
    .map((path) => path.split(sep).join("/"))
    .sort();
}

/**
 * Refuses to build a file whose source JSR would not publish, so the two
 * packages are made of the same modules.
 */
function checkPublished(emitted: string[], publish: DenoConfig["publish"]) {
  const include = stringList(publish?.include);
  const exclude = stringList(publish?.exclude);
  const matches = (path: string, pattern: string) => {
    const clean = pattern.replace(/^\.\//, "").replace(/\/$/, "");
    return path === clean || path.startsWith(clean + "/");
  };
  for (const file of emitted) {
    const source = file.replace(/\.d\.ts$|\.js$/, ".ts");
    if (
      (include.length > 0 && !include.some((p) => matches(source, p))) ||
      exclude.some((p) => matches(source, p))
    ) {
      fail(
        `Cannot build the npm package: "${source}" is imported by an entry point but not published to JSR (see "publish" in deno.json)`,
      );
    }
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === "string")
    : [];
}

/**
 * Puts the `@module` doc of `source` back at the top of its declarations:
 * the compiler drops it when it is attached to an import that the
 * declarations do not need (one with no blank line after the doc).
 */
function keepModuleDoc(source: string, declarations: string): void {
  const doc = readFileSync(source, "utf8").match(/^\s*(\/\*\*[\s\S]*?\*\/)/)
    ?.[1];
  if (!doc || !/^\s*\*\s*@module\b/m.test(doc)) return;
  const text = readFileSync(declarations, "utf8");
  if (!text.includes(doc)) writeFileSync(declarations, `${doc}\n${text}`);
}

/** Relative specifiers ending in a TypeScript extension, in code. */
const TS_SPECIFIER =
  /(\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)(["'])(\.\.?\/[^"'\n]*?)\.([mc]?)tsx?\2/g;

/** Applies `rewrite` to the lines of `text` that are not comments. */
function mapCodeLines(text: string, rewrite: (line: string) => string) {
  let inComment = false;
  return text.split("\n").map((line) => {
    const trimmed = line.trimStart();
    if (inComment) {
      if (line.includes("*/")) inComment = false;
      return line;
    }
    if (trimmed.startsWith("/*")) {
      inComment = !line.includes("*/");
      return line;
    }
    return trimmed.startsWith("//") ? line : rewrite(line);
  }).join("\n");
}

/**
 * Turns `./x.ts` into `./x.js` in a declaration file, as the compiler did in
 * the JavaScript: `./x.js` resolves to `./x.d.ts` for every TypeScript
 * version and module resolution. Doc comments stay as written.
 */
function rewriteDeclarationSpecifiers(file: string): void {
  const text = readFileSync(file, "utf8");
  const rewritten = mapCodeLines(
    text,
    (line) =>
      line.replace(
        TS_SPECIFIER,
        (_, before, quote, path, m) =>
          `${before}${quote}${path}.${m}js${quote}`,
      ),
  );
  if (rewritten !== text) writeFileSync(file, rewritten);
}

/** Every module specifier, in code. */
const SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)(["'])([^"'\n]+)\1/g;

/**
 * Refuses a module that still imports a `.ts` file, or imports anything but
 * its own modules and Node built-ins (the package has no dependencies).
 */
function checkSpecifiers(outDir: string, file: string): void {
  mapCodeLines(readFileSync(join(outDir, file), "utf8"), (line) => {
    for (const [, , specifier] of line.matchAll(SPECIFIER)) {
      const relativeTs = /^\.\.?\//.test(specifier) &&
        /\.[mc]?tsx?$/.test(specifier);
      const foreign = !/^\.\.?\//.test(specifier) &&
        !specifier.startsWith("node:");
      if (relativeTs || foreign) {
        fail(
          `Cannot build the npm package: "${file}" imports "${specifier}"${
            foreign
              ? ", but the package has no dependencies"
              : ", a TypeScript file"
          }`,
        );
      }
    }
    return line;
  });
}

function jsPath(source: string): string {
  return source.replace(/^\.\//, "").replace(/\.ts$/, ".js");
}

function dtsPath(source: string): string {
  return source.replace(/^\.\//, "").replace(/\.ts$/, ".d.ts");
}

function createPackageJson(
  config: ReturnType<typeof readDenoConfig>,
  entries: [string, string][],
  emitted: string[],
) {
  const exports: Record<string, { types: string; default: string }> = {};
  for (const [subpath, source] of entries) {
    exports[subpath] = {
      types: `./${dtsPath(source)}`,
      default: `./${jsPath(source)}`,
    };
  }
  // The top-level files and directories of the build; npm adds package.json,
  // README.md and LICENSE by itself.
  const files = [
    ...new Set(emitted.map((file) => {
      const slash = file.indexOf("/");
      return slash === -1 ? file : file.slice(0, slash + 1);
    })),
  ].sort();
  const main = exports["."];
  return {
    name: config.name,
    version: config.version,
    description: NPM_METADATA.description,
    keywords: NPM_METADATA.keywords,
    license: config.license,
    type: "module",
    sideEffects: false,
    // For tools that predate "exports".
    ...(main ? { main: main.default, types: main.types } : {}),
    exports,
    files,
    engines: { node: NODE_ENGINE },
    publishConfig: { access: "public" },
  };
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

main();
