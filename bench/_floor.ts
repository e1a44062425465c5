// Private module of the benchmark: the floor, the cost of the few operations
// that any server-side session layer must do per request, on this runtime.
//
// The floor of a returning cycle (the sum that sesame's returning cycle is
// compared with) is `lookup + json + set-cookie`:
//
// - `lookup`: `Map.get()` of a 43-character id, sliced afresh from a
//   `Cookie` header as a server gets it (so its hash is not cached), in a map
//   of 100 000 sessions;
// - `json`: `JSON.parse()` of a stored record
//   (`{"createdAt":…,"data":{"visits":…}}`, one of 1024 sessions in turn, as
//   sesame's returning cycle reads them), one increment, and
//   `JSON.stringify()` of it;
// - `set-cookie`: building `sid=<id>; Max-Age=1800; Path=/; HttpOnly;
//   SameSite=Lax`.
//
// The floor with an id's cost adds what the benchmark's targets list besides:
// 32 random bytes (`random` or `random-pool`, whichever is cheaper here) and
// one SHA-256 of an id (`sha256` or `subtle-digest`, the same). A returning
// cycle needs neither when the store is in the process, so the floor of a
// returning cycle alone is the stricter of the two.
//
// The other rows are context: reading the `Cookie` header of a `Request`, one
// `await` of a settled promise, and building a `Request`.
import { do_not_optimize } from "mitata";
import { sha256Base64url } from "../src/_sha256.ts";
import { createSessionId } from "../src/session_id.ts";

/** One floor operation. */
export interface FloorOperation {
  id: string;
  name: string;
  /** Whether it is part of the returning cycle's floor. */
  inFloor: boolean;
  /** Which cost of an id it measures, one way or another. */
  idCost?: "random" | "hash";
  run(): unknown;
}

/** The floor operations, with their data made once. */
export function floorOperations(): FloorOperation[] {
  const ids = Array.from({ length: 1024 }, () => createSessionId());
  const headers = ids.map((id) => `sid=${id}`);
  const sessions = new Map<string, string>();
  for (const id of ids) sessions.set(id, "{}");
  while (sessions.size < 100_000) sessions.set(createSessionId(), "{}");
  const records = ids.map((_, n) =>
    JSON.stringify({ createdAt: Date.now() - n, data: { visits: n } })
  );
  const pool = new Uint8Array(32 * 64);
  let pooled = pool.length;
  const encoder = new TextEncoder();
  const request = new Request("http://localhost/", {
    headers: { cookie: headers[0] },
  });
  const settled = Promise.resolve(1);
  let i = 0;
  return [
    {
      id: "lookup",
      name: "Map.get() of an id sliced from a Cookie header (100k entries)",
      inFloor: true,
      run: () => do_not_optimize(sessions.get(headers[i++ & 1023].slice(4))),
    },
    {
      id: "json",
      name: "JSON.parse() + increment + JSON.stringify() of the record",
      inFloor: true,
      run() {
        const parsed = JSON.parse(records[i++ & 1023]);
        parsed.data.visits++;
        do_not_optimize(JSON.stringify(parsed));
      },
    },
    {
      id: "set-cookie",
      name: "building the Set-Cookie string",
      inFloor: true,
      run() {
        const maxAge = Math.ceil((1_800_000 - (i++ & 1023)) / 1000);
        do_not_optimize(
          `sid=${
            ids[i & 1023]
          }; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Lax`,
        );
      },
    },
    {
      id: "random",
      name: "crypto.getRandomValues() of 32 bytes",
      inFloor: false,
      idCost: "random",
      run: () => do_not_optimize(crypto.getRandomValues(new Uint8Array(32))),
    },
    {
      id: "random-pool",
      name: "32 random bytes from a pool, crypto.getRandomValues() per 2 KiB",
      inFloor: false,
      idCost: "random",
      run() {
        if (pooled === pool.length) {
          crypto.getRandomValues(pool);
          pooled = 0;
        }
        do_not_optimize(pool.subarray(pooled, pooled += 32));
      },
    },
    {
      id: "sha256",
      name: "SHA-256 of a 43-char id, sesame's sha256Base64url()",
      inFloor: false,
      idCost: "hash",
      run: () => do_not_optimize(sha256Base64url(ids[i++ & 1023])),
    },
    {
      id: "subtle-digest",
      name: "SHA-256 of a 43-char id, await crypto.subtle.digest()",
      inFloor: false,
      idCost: "hash",
      run: async () =>
        do_not_optimize(
          await crypto.subtle.digest(
            "SHA-256",
            encoder.encode(ids[i++ & 1023]),
          ),
        ),
    },
    {
      id: "cookie-header",
      name: 'request.headers.get("cookie")',
      inFloor: false,
      run: () => do_not_optimize(request.headers.get("cookie")),
    },
    {
      id: "await",
      name: "await of a settled promise (in an async function)",
      inFloor: false,
      run: async () => do_not_optimize(await settled),
    },
    {
      id: "new-request",
      name: "new Request(url, { headers: { cookie } })",
      inFloor: false,
      run: () =>
        do_not_optimize(
          new Request("http://localhost/", {
            headers: { cookie: headers[i++ & 1023] },
          }),
        ),
    },
  ];
}
