// Registers the model-based properties of tests/model_test.ts for one store
// backend, so that each store's own test file can run the same properties
// against its real engine (see tests/model_test.ts for what they check).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import { createSessionManager } from "../src/manager.ts";
import { FakeClock } from "./_fake_clock.ts";
import {
  type Backend,
  commandsArbitrary,
  type Data,
  type Flash,
  Gate,
  KeyNames,
  managerOptions,
  parseSetCookie,
  PROMISE_WEIGHTS,
  PROMISES,
  requestWith,
  runModel,
  TOUCH_SECONDS,
} from "./_model.ts";

export const SEED = Number(process.env.SESAME_MODEL_SEED ?? 0x5e55);
const SCALE = Number(process.env.SESAME_MODEL_RUNS ?? 1);
/**
 * A property stops after this long: shrinking a failure then reports the
 * smallest case so far, and a property that had not run all its runs fails
 * (`markInterruptAsFailure`), rather than passing on fewer runs than it
 * claims.
 */
const TIME_BUDGET_MS = 300_000;

/**
 * A failure to replay, pasted as fast-check prints it: the seed and path
 * line, and for the model the `replayPath` that ends the counterexample, as
 * in SESAME_MODEL_REPLAY='{ seed: 24150, path: "3:5:9" } replayPath="AB:q"'.
 * Only the property of that seed runs that case.
 */
const REPLAY_TEXT = process.env.SESAME_MODEL_REPLAY ?? "";
const REPLAY = {
  seed: /seed:\s*(-?\d+)/.exec(REPLAY_TEXT)?.[1],
  path: /path:\s*"([^"]*)"/.exec(REPLAY_TEXT)?.[1],
  commands: /replayPath="([^"]*)"/.exec(REPLAY_TEXT)?.[1],
};

/** Whether the property of `seed` replays a failure. */
function replays(seed: number): boolean {
  return REPLAY.seed !== undefined && Number(REPLAY.seed) === seed;
}

/** fast-check's options: `runs` scaled by SESAME_MODEL_RUNS. */
export function options<T>(runs: number, seed: number): fc.Parameters<T> {
  const replay = replays(seed) ? { path: REPLAY.path, endOnFailure: true } : {};
  return {
    seed,
    numRuns: Math.max(1, Math.round(runs * SCALE)),
    includeErrorInReport: true,
    interruptAfterTimeLimit: TIME_BUDGET_MS,
    markInterruptAsFailure: true,
    ...replay,
  };
}

/**
 * The model over `backend`: one property per promise (each run checks them
 * all but fails only on its own, and on any unexpected error), or one for
 * all of them. `seeds` sets this backend's seeds apart from the others'.
 */
export function registerModel(
  backend: Backend,
  perPromise: boolean,
  seeds: number,
): void {
  const groups = perPromise
    ? Object.keys(PROMISES).map((number) => [Number(number)])
    : [Object.keys(PROMISES).map(Number)];
  for (const checked of groups) {
    const name = checked.length === 1
      ? PROMISES[checked[0]]
      : "promises 1 to 5 (no lost update, no resurrection, no old id after a rotation, every session listed, a stale handle sends nothing)";
    const verb = checked.length === 1 ? "holds" : "hold";
    // Each property has a seed of its own: it explores its own sequences,
    // and a replay names it.
    const seed = SEED + seeds + checked[0];
    // No practical limit, as Node's and Deno's default: without one, Bun
    // stops a test after 5 s, and it ignores the timeout of an enclosing
    // describe(). Not Infinity, which Deno takes as about 1 ms.
    test(`${backend.name}: ${name} ${verb} at every generated interleaving`, {
      timeout: 2 ** 31 - 1,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          commandsArbitrary(
            checked.length === 1 ? PROMISE_WEIGHTS[checked[0]] : {},
            replays(seed) ? REPLAY.commands : undefined,
          ),
          (steps) => runModel(backend, checked, steps),
        ),
        options(backend.runs, seed),
      );
    });
  }
}

/**
 * The scenario of promise 3 spelled out: request B loads the session, the
 * clock moves past the touch interval, request A regenerates the session and
 * commits, then B commits with nothing but the touch to do.
 */
export function registerTouchAfterRotation(backend: Backend): void {
  test(`${backend.name}: a touch that lands after a rotation sends no cookie, ends stale, and the new id keeps working`, async () => {
    const clock = new FakeClock(backend.start?.() ?? Date.UTC(2026, 0, 1));
    // A gate that no operation runs in lets every call through.
    const store = await backend.create(clock, new Gate(), new KeyNames());
    const sessions = createSessionManager<Data, Flash>(
      managerOptions(store, clock),
    );
    const first = await sessions.load(requestWith(undefined));
    first.set("a", 1);
    const oldId = parseSetCookie((await first.commit())!).value;

    const b = await sessions.load(requestWith(oldId));
    assert.equal(b.isNew, false);
    clock.advanceSeconds(TOUCH_SECONDS + 1);
    const a = await sessions.load(requestWith(oldId));
    a.regenerate();
    const newId = parseSetCookie((await a.commit())!).value;
    assert.notEqual(newId, oldId);

    const touched = await b.commit();
    assert.equal(touched, undefined, "the late touch sent a cookie");
    assert.equal(b.stale, true, "the late touch left its handle fresh");

    const next = await sessions.load(requestWith(newId));
    assert.equal(next.isNew, false, "the new id no longer loads");
    assert.equal(next.get("a"), 1);
    const old = await sessions.load(requestWith(oldId));
    assert.equal(old.isNew, true, "the old id loads again");
  });
}
