/**
 * What hashing a session id costs, per request.
 *
 * Compares `crypto.subtle.digest` (awaited one at a time, and 32 in flight)
 * with the synchronous SHA-256 in `src/_sha256.ts`, and times id creation and
 * validation. No dependencies; run it with any of:
 *
 * ```sh
 * deno run bench/hash.ts
 * bun bench/hash.ts
 * node --import tsx bench/hash.ts
 * ```
 *
 * @module
 */

import { encodeBase64urlNoPadding } from "../src/_base64url.ts";
import { sha256Base64url } from "../src/_sha256.ts";
import { createSessionId, isSessionId } from "../src/session_id.ts";

/** Batches timed per case; the table shows the median batch. */
const BATCHES = 15;

/** Distinct ids, so that no engine can reuse the result of a previous call. */
const ids: string[] = [];
for (let i = 0; i < 256; i++) ids.push(createSessionId());

const encoder = new TextEncoder();
/** Keeps results alive, so that no call is optimized away. */
let sink = 0;

interface Case {
  name: string;
  /** Operations per batch. */
  ops: number;
  /** Runs `ops` operations. */
  run(ops: number): void | Promise<void>;
}

const cases: Case[] = [
  {
    name: "crypto.subtle.digest, awaited one at a time",
    ops: 5_000,
    async run(ops) {
      for (let i = 0; i < ops; i++) {
        const digest = await crypto.subtle.digest(
          "SHA-256",
          encoder.encode(ids[i & 255]),
        );
        sink += encodeBase64urlNoPadding(new Uint8Array(digest)).length;
      }
    },
  },
  {
    name: "crypto.subtle.digest, 32 in flight (per op)",
    ops: 8_192,
    async run(ops) {
      for (let i = 0; i < ops; i += 32) {
        const pending: Promise<ArrayBuffer>[] = [];
        for (let j = 0; j < 32; j++) {
          pending.push(
            crypto.subtle.digest("SHA-256", encoder.encode(ids[(i + j) & 255])),
          );
        }
        for (const digest of await Promise.all(pending)) {
          sink += encodeBase64urlNoPadding(new Uint8Array(digest)).length;
        }
      }
    },
  },
  {
    name: "sha256Base64url (sync)",
    ops: 50_000,
    run(ops) {
      for (let i = 0; i < ops; i++) {
        sink += sha256Base64url(ids[i & 255]).charCodeAt(0);
      }
    },
  },
  {
    name: "createSessionId",
    ops: 50_000,
    run(ops) {
      for (let i = 0; i < ops; i++) sink += createSessionId().charCodeAt(0);
    },
  },
  {
    name: "isSessionId (valid id)",
    ops: 500_000,
    run(ops) {
      for (let i = 0; i < ops; i++) sink += isSessionId(ids[i & 255]) ? 1 : 0;
    },
  },
];

async function measure(test: Case): Promise<number> {
  // Warm-up: long enough for every engine to reach its optimizing tier.
  const warmUpEnd = performance.now() + 300;
  while (performance.now() < warmUpEnd) {
    await test.run(Math.ceil(test.ops / 10));
  }
  const nsPerOp: number[] = [];
  for (let batch = 0; batch < BATCHES; batch++) {
    const start = performance.now();
    await test.run(test.ops);
    nsPerOp.push((performance.now() - start) * 1e6 / test.ops);
  }
  nsPerOp.sort((a, b) => a - b);
  return nsPerOp[Math.floor(BATCHES / 2)];
}

function runtimeName(): string {
  const { Deno, Bun, process } = globalThis as {
    Deno?: { version: { deno: string } };
    Bun?: { version: string };
    process?: { version: string };
  };
  if (Deno) return `Deno ${Deno.version.deno}`;
  if (Bun) return `Bun ${Bun.version}`;
  if (process) return `Node.js ${process.version}`;
  return "unknown runtime";
}

const rows: [string, string, string][] = [];
for (const test of cases) {
  const ns = await measure(test);
  rows.push([
    test.name,
    ns.toFixed(ns < 100 ? 1 : 0),
    Math.round(1e9 / ns).toLocaleString("en-US"),
  ]);
}

const header: [string, string, string] = ["operation", "ns/op", "ops/s"];
const widths = header.map((title, column) =>
  Math.max(title.length, ...rows.map((row) => row[column].length))
);
const line = (row: string[]) =>
  `| ${row[0].padEnd(widths[0])} | ${row[1].padStart(widths[1])} | ${
    row[2].padStart(widths[2])
  } |`;
console.log(
  `${runtimeName()}: one 43-character id per op, median of ${BATCHES} batches`,
);
console.log(line(header));
console.log(`|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`);
for (const row of rows) console.log(line(row));
if (sink === 0) console.log("(unreachable)");
