// The harness of the model-based test (model_test.ts): a gate that holds
// every store call until the test releases it, stores wrapped in that gate,
// and a world of concurrent requests over one manager, checked after every
// step against a small reference model of which sessions are alive.
//
// Why fast-check's `fc.commands` and not `fc.scheduler()`: the manager waits
// a `Math.random()` moment (a real timer) before retrying a conflicting save,
// so the order in which store calls reach a scheduler depends on timing, and
// `fc.scheduler()` picks the next call by its position in that order: a
// failure would not replay. Here the gate first waits until every request in
// flight is parked at the gate (or done), orders the parked calls by
// (request, call number), and the `release(n)` command picks among them. The
// interleaving is thus part of the generated command list: it shrinks with
// it and replays exactly from fast-check's seed and path, on every backend.
import { AsyncLocalStorage } from "node:async_hooks";
import { setImmediate } from "node:timers";
import fc from "fast-check";
import { SessionConflictError, SessionTooLargeError } from "../src/errors.ts";
import { createSessionManager, type SessionManager } from "../src/manager.ts";
import type { Session } from "../src/session.ts";
import { hashSessionId } from "../src/session_id.ts";
import type { SessionStore, SubjectIndex } from "../src/store.ts";
import { DenoKvStore, type DenoKvStoreClient } from "../src/stores/deno_kv.ts";
import { MemoryStore } from "../src/stores/memory.ts";
import { RedisStore, type RedisStoreClient } from "../src/stores/redis.ts";
import { SYNC } from "../src/_sync.ts";
import { FakeClock } from "./_fake_clock.ts";

export const APP_URL = "http://app.test/";
/** Small timeouts: a clock advance of 11 s is due for a touch. */
export const TOUCH_SECONDS = 10;
/** Long enough that no session expires within a run (at most 60 × 31 s). */
export const IDLE_SECONDS = 3600;
export const ABSOLUTE_SECONDS = 7200;
/** Shorter than three advances, so rotated ids are forgotten within a run. */
export const GRACE_SECONDS = 30;
/** Small enough that `blob` makes any record too large, large enough for the rest. */
export const MAX_RECORD_BYTES = 512;
export const BIG = "x".repeat(600);
export const SUBJECTS = ["alice", "bob"] as const;
/** Cookie picks of a load: the last one is no cookie. */
const COOKIE_PICKS = 5;
/** How many requests (handles) can be open at once. */
export const SLOTS = 3;

export interface Data {
  a?: number;
  b?: number;
  count?: number;
  blob?: string;
}
export interface Flash {
  notice?: number;
}
export type AppSession = Session<Data, Flash>;

export function managerOptions(store: SessionStore, clock: FakeClock) {
  return {
    store,
    now: clock.now,
    encryptAtRest: ENCRYPTED.has(store),
    idleTimeoutSeconds: IDLE_SECONDS,
    absoluteTimeoutSeconds: ABSOLUTE_SECONDS,
    touchIntervalSeconds: TOUCH_SECONDS,
    rotationGraceSeconds: GRACE_SECONDS,
    maxRecordBytes: MAX_RECORD_BYTES,
    // The gate holds calls for as long as a run takes.
    storeTimeoutMs: 600_000,
  };
}

// ---------------------------------------------------------------------------
// Cookies

/** A `Set-Cookie` value taken apart. */
export interface ParsedCookie {
  name: string;
  value: string;
  maxAge: number | undefined;
  /** The attributes after the name and value, Max-Age included, as sent. */
  attributes: string[];
}

export function parseSetCookie(setCookie: string): ParsedCookie {
  const [pair, ...rest] = setCookie.split(";").map((part) => part.trim());
  const eq = pair.indexOf("=");
  const attributes = rest.filter((part) => part !== "");
  const maxAge = attributes.find((part) => /^max-age=/i.test(part));
  return {
    name: pair.slice(0, eq),
    value: pair.slice(eq + 1),
    maxAge: maxAge === undefined ? undefined : Number(maxAge.split("=")[1]),
    attributes,
  };
}

/** A request carrying `id` as the session cookie, or no cookie. */
export function requestWith(id: string | undefined): Request {
  return new Request(
    APP_URL,
    id === undefined ? {} : { headers: { Cookie: `sid=${id}` } },
  );
}

// ---------------------------------------------------------------------------
// The gate

/** An operation in flight: a load, a commit, a listing or a revocation. */
export interface OpState {
  readonly id: number;
  readonly label: string;
  /** Store calls it made through the gate. */
  calls: number;
  /** Its calls waiting at the gate. */
  parked: number;
  done: boolean;
  /** Whether another operation (other than a load) was in flight with it. */
  overlapped: boolean;
  /** Keys whose `delete()` it made. */
  deleted: string[];
}

interface Parked {
  op: OpState;
  seq: number;
  label: string;
  release(): void;
}

/**
 * The operation that a piece of code runs for. One for all gates: Node 20
 * visits every live AsyncLocalStorage at each promise it creates.
 */
const context = new AsyncLocalStorage<OpState>();

/**
 * Holds every store call made inside an operation until the test releases
 * it; the call then runs against the real store. Calls made outside any
 * operation (the checks' probes) go straight through.
 */
export class Gate {
  #mine = new WeakSet<OpState>();
  #parked: Parked[] = [];
  #running = 0;
  #open = false;
  /** Every key a released `delete()` named, whoever made it. */
  readonly deleted = new Set<string>();
  /** Where the gate reports the calls it lets through. */
  log: (line: string) => void = () => {};

  /** Runs `fn` as the operation `op`: its store calls are gated. */
  within<T>(op: OpState, fn: () => T): T {
    this.#mine.add(op);
    return context.run(op, fn);
  }

  call<T>(
    label: string,
    fn: () => Promise<T>,
    deletes?: string,
  ): Promise<T> {
    const op = context.getStore();
    if (op === undefined || this.#open || !this.#mine.has(op)) return fn();
    op.calls++;
    op.parked++;
    return new Promise<void>((resolve) => {
      this.#parked.push({
        op,
        seq: op.calls,
        label,
        release: () => {
          op.parked--;
          this.#running++;
          if (deletes !== undefined) {
            op.deleted.push(deletes);
            this.deleted.add(deletes);
          }
          resolve();
        },
      });
    }).then(fn).finally(() => this.#running--);
  }

  /**
   * Counts a call that is not gated (the memory store's synchronous path,
   * atomic by nature) for the operation that makes it.
   */
  count(label: string): void {
    const op = context.getStore();
    if (op === undefined || !this.#mine.has(op)) return;
    op.calls++;
    this.log(`  [${op.label}] ${label} (synchronous)`);
  }

  /** The parked calls, in a replayable order. */
  get parked(): readonly Parked[] {
    return this.#parked.sort((x, y) => x.op.id - y.op.id || x.seq - y.seq);
  }

  /** Releases the parked call at `index` of `parked`. */
  release(index: number): Parked {
    this.#parked.sort((x, y) => x.op.id - y.op.id || x.seq - y.seq);
    const [call] = this.#parked.splice(index, 1);
    call.release();
    return call;
  }

  /**
   * Waits until no released call is running and every operation in `ops` is
   * done or parked at the gate: the state from which a release replays.
   */
  async quiesce(ops: Iterable<OpState>): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      // A macrotask: every pending microtask has run, and I/O was polled.
      await new Promise((resolve) => setImmediate(resolve));
      if (
        this.#running === 0 && [...ops].every((op) => op.done || op.parked > 0)
      ) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error("The operations in flight did not settle in 30 s");
      }
    }
  }

  /** Lets every parked and future call through (to end a run). */
  openAll(): void {
    this.#open = true;
    for (const call of this.#parked.splice(0)) call.release();
  }
}

/** A short name for a record in a call's label: what a write writes. */
function describeWrite(value: string): string {
  try {
    const record = JSON.parse(value);
    if (typeof record.rotatedAt === "number") return "rotated marker";
    const parts = [`count=${record.data?.count ?? "-"}`];
    if (record.subject !== undefined) parts.push(`subject=${record.subject}`);
    if (record.data?.blob !== undefined) parts.push("blob");
    return parts.join(" ");
  } catch {
    return "?";
  }
}

/** Names keys in the order the test first sees them: #1, #2, … */
export class KeyNames {
  #names = new Map<string, string>();
  name(key: string): string {
    let name = this.#names.get(key);
    if (name === undefined) {
      this.#names.set(key, name = `#${this.#names.size + 1}`);
    }
    return name;
  }
}

function gatedIndex(
  index: SubjectIndex,
  gate: Gate,
  names: KeyNames,
): SubjectIndex {
  return {
    add: (subject, key, expiresAt) =>
      gate.call(
        `index.add ${subject} ${names.name(key)}`,
        () => index.add(subject, key, expiresAt),
      ),
    list: (subject) =>
      gate.call(`index.list ${subject}`, () => index.list(subject)),
    remove: (subject, keys) =>
      gate.call(
        `index.remove ${subject} ${keys.map((key) => names.name(key))}`,
        () => index.remove(subject, keys),
      ),
  };
}

function setLabel(
  key: string,
  value: string,
  ifVersion: string | null | undefined,
  names: KeyNames,
): string {
  const condition = ifVersion === undefined
    ? ""
    : ifVersion === null
    ? " if absent"
    : " if unchanged";
  return `set ${names.name(key)}${condition} (${describeWrite(value)})`;
}

/**
 * A plain object that forwards every member of `inner` (the optional
 * `touch` with all its arguments, `subjects`, `inProcess`, `compareAndSet`)
 * through the gate. The manager cannot see that `inner` is a MemoryStore, so
 * it takes its asynchronous path.
 */
export function gatedStore(
  inner: SessionStore,
  gate: Gate,
  names: KeyNames,
): SessionStore {
  const store: SessionStore = {
    compareAndSet: inner.compareAndSet,
    inProcess: inner.inProcess,
    get: (key) => gate.call(`get ${names.name(key)}`, () => inner.get(key)),
    set: (key, value, options) =>
      gate.call(
        setLabel(key, value, options.ifVersion, names),
        () => inner.set(key, value, options),
      ),
    delete: (key) =>
      gate.call(`delete ${names.name(key)}`, () => inner.delete(key), key),
    subjects: inner.subjects === undefined
      ? undefined
      : gatedIndex(inner.subjects, gate, names),
  };
  if (inner.touch !== undefined) {
    const touch = inner.touch;
    Object.assign(store, {
      touch: (...args: Parameters<typeof touch>) =>
        gate.call(
          `touch ${names.name(args[0])}`,
          () => touch.apply(inner, args),
        ),
    });
  }
  return store;
}

/**
 * Gates the asynchronous methods of a MemoryStore in place, as own
 * properties: its prototype stays MemoryStore's, so the manager still takes
 * its synchronous path, and only its asynchronous path goes through the
 * gate. Synchronous calls are atomic steps: they are counted and logged, not
 * held.
 */
export function gateInPlace(
  memory: MemoryStore,
  gate: Gate,
  names: KeyNames,
): MemoryStore {
  const proto = MemoryStore.prototype;
  Object.defineProperties(memory, {
    get: {
      value: (key: string) =>
        gate.call(`get ${names.name(key)}`, () => proto.get.call(memory, key)),
    },
    set: {
      value: (...args: Parameters<MemoryStore["set"]>) =>
        gate.call(
          setLabel(args[0], args[1], args[2].ifVersion, names),
          () => proto.set.apply(memory, args),
        ),
    },
    delete: {
      value: (key: string) =>
        gate.call(
          `delete ${names.name(key)}`,
          () => proto.delete.call(memory, key),
          key,
        ),
    },
    touch: {
      value: (...args: Parameters<MemoryStore["touch"]>) =>
        gate.call(
          `touch ${names.name(args[0])}`,
          () => proto.touch.apply(memory, args),
        ),
    },
    subjects: { value: gatedIndex(memory.subjects, gate, names) },
  });
  // The synchronous face stays synchronous (and keeps its clock, which the
  // manager compares with its own); its calls are only counted.
  const sync = memory[SYNC] as unknown as Record<string, unknown>;
  const counted: Record<string, unknown> = { ...sync };
  for (const [name, method] of Object.entries(sync)) {
    if (name === "clock" || typeof method !== "function") continue;
    counted[name] = (...args: unknown[]) => {
      const result = method.apply(sync, args);
      gate.count(
        `${name} ${names.name(String(args[0]))} -> ${
          result !== null && typeof result === "object"
            ? "found"
            : String(result)
        }`,
      );
      return result;
    };
  }
  Object.defineProperty(memory, SYNC, { value: counted });
  return memory;
}

// ---------------------------------------------------------------------------
// Backends

/** A store under test, fresh for each run. */
export interface Backend {
  name: string;
  /** Runs per property; real engines take fewer. */
  runs: number;
  /**
   * The fake clock's start. Engines that expire entries by their own clock
   * (Redis) need it at or after the real time: the fake clock only moves
   * forward from there, so nothing expires early.
   */
  start?: () => number;
  /** Makes an empty store over `clock`, gated. */
  create(clock: FakeClock, gate: Gate, names: KeyNames): Promise<SessionStore>;
}

export const memoryFastPath: Backend = {
  name: "MemoryStore (synchronous path)",
  runs: 600,
  create: (clock, gate, names) =>
    Promise.resolve(
      gateInPlace(new MemoryStore({ now: clock.now }), gate, names),
    ),
};

/** Stores whose managers encrypt at rest (`managerOptions()` asks). */
const ENCRYPTED = new WeakSet<SessionStore>();

export const memoryEncrypted: Backend = {
  name: "MemoryStore behind a delegating object, encrypted at rest",
  runs: 300,
  create: (clock, gate, names) => {
    const store = gatedStore(new MemoryStore({ now: clock.now }), gate, names);
    ENCRYPTED.add(store);
    return Promise.resolve(store);
  },
};

export const memoryWrapped: Backend = {
  name: "MemoryStore behind a delegating object (asynchronous path)",
  runs: 600,
  create: (clock, gate, names) =>
    Promise.resolve(
      gatedStore(new MemoryStore({ now: clock.now }), gate, names),
    ),
};

let prefixes = 0;
/** A key prefix that no other store of this process uses. */
export function freshPrefix(): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `sesame-model:${random}-${++prefixes}`;
}

/**
 * RedisStore over `client()`, a fresh prefix per run. Redis expires records by
 * its own clock, so the fake clock starts at the real time and only moves
 * forward: nothing expires in Redis before the manager thinks it has.
 */
export function redisBackend(client: () => RedisStoreClient): Backend {
  return {
    name: "RedisStore (real redis-server)",
    runs: 200,
    start: () => Date.now(),
    create: (_clock, gate, names) =>
      Promise.resolve(
        gatedStore(
          new RedisStore({ client: client(), prefix: `${freshPrefix()}:` }),
          gate,
          names,
        ),
      ),
  };
}

/** DenoKvStore over `kv()` (Deno only), a fresh prefix per run, on the fake clock. */
export function denoKvBackend(kv: () => DenoKvStoreClient): Backend {
  return {
    name: 'DenoKvStore (Deno.openKv(":memory:"))',
    runs: 200,
    start: () => Date.now(),
    create: (clock, gate, names) =>
      Promise.resolve(
        gatedStore(
          new DenoKvStore({
            kv: kv(),
            prefix: [freshPrefix()],
            now: clock.now,
          }),
          gate,
          names,
        ),
      ),
  };
}

// ---------------------------------------------------------------------------
// Commands

export type Subject = typeof SUBJECTS[number];

/**
 * An operation of the generated command lists. A `slot` picks among the
 * slots that can take the operation (open and not committing; for a load,
 * not committing), so that every generated command runs: the history of a
 * run shows the slot used. `revoke.except` names a slot as it is.
 */
export type Op =
  | { kind: "load"; slot: number; cookie: number }
  | { kind: "set"; slot: number; key: "a" | "b"; value: number }
  | { kind: "delete"; slot: number; key: "a" | "blob" }
  | { kind: "increment"; slot: number }
  | { kind: "setBig"; slot: number }
  | { kind: "flash"; slot: number; value: number }
  | { kind: "takeFlash"; slot: number }
  | { kind: "setSubject"; slot: number; subject: Subject | undefined }
  | { kind: "regenerate"; slot: number }
  | { kind: "destroy"; slot: number }
  | { kind: "commit"; slot: number }
  | { kind: "release"; pick: number }
  | { kind: "advance"; seconds: number }
  | { kind: "list"; subject: Subject }
  | { kind: "revoke"; subject: Subject; except: number | undefined }
  | { kind: "revokeOne"; subject: Subject; pick: number }
  | { kind: "settle"; picks: number[] };

export function describeOp(op: Op): string {
  const { kind, ...args } = op;
  const shown = Object.entries(args).map(([key, value]) =>
    `${key}: ${JSON.stringify(value) ?? "undefined"}`
  );
  return `${kind}(${shown.join(", ")})`;
}

const slot = fc.nat({ max: SLOTS - 1 });
const subject = fc.constantFrom(...SUBJECTS);

/**
 * An operation of kind `kind` with generated `fields`, `weight` times as
 * often as one of weight 1.
 */
export function weighted<T extends { kind: string }>(
  weight: number,
  kind: T["kind"],
  fields: Record<string, fc.Arbitrary<unknown>> = {},
): fc.WeightedArbitrary<T> {
  const arbitrary = fc.record({ kind: fc.constant(kind), ...fields });
  return { weight, arbitrary: arbitrary as unknown as fc.Arbitrary<T> };
}

/** How often each operation comes by default, relative to the others. */
export const DEFAULT_WEIGHTS: Record<Op["kind"], number> = {
  load: 8,
  set: 2,
  delete: 1,
  increment: 4,
  setBig: 1,
  flash: 1,
  takeFlash: 1,
  setSubject: 2,
  regenerate: 4,
  destroy: 1,
  commit: 10,
  release: 12,
  advance: 4,
  list: 1,
  revoke: 1,
  revokeOne: 1,
  settle: 2,
};

/**
 * The operations of requests and of the app, every kind of them, more often
 * those that `weights` names.
 */
export function opArbitrary(
  weights: Partial<Record<Op["kind"], number>> = {},
): fc.Arbitrary<Op> {
  const w = (kind: Op["kind"]) => weights[kind] ?? DEFAULT_WEIGHTS[kind];
  return fc.oneof(
    weighted<Op>(w("load"), "load", {
      slot,
      cookie: fc.nat({ max: COOKIE_PICKS - 1 }),
    }),
    weighted<Op>(w("set"), "set", {
      slot,
      key: fc.constantFrom("a", "b"),
      value: fc.nat({ max: 9 }),
    }),
    weighted<Op>(w("delete"), "delete", {
      slot,
      key: fc.constantFrom("a", "blob"),
    }),
    weighted<Op>(w("increment"), "increment", { slot }),
    weighted<Op>(w("setBig"), "setBig", { slot }),
    weighted<Op>(w("flash"), "flash", { slot, value: fc.nat({ max: 9 }) }),
    weighted<Op>(w("takeFlash"), "takeFlash", { slot }),
    weighted<Op>(w("setSubject"), "setSubject", {
      slot,
      subject: fc.option(subject, { nil: undefined, freq: 4 }),
    }),
    weighted<Op>(w("regenerate"), "regenerate", { slot }),
    weighted<Op>(w("destroy"), "destroy", { slot }),
    weighted<Op>(w("commit"), "commit", { slot }),
    weighted<Op>(w("release"), "release", { pick: fc.nat({ max: 7 }) }),
    weighted<Op>(w("advance"), "advance", {
      seconds: fc.constantFrom(TOUCH_SECONDS + 1, GRACE_SECONDS + 1),
    }),
    weighted<Op>(w("list"), "list", { subject }),
    weighted<Op>(w("revoke"), "revoke", {
      subject,
      except: fc.option(slot, { nil: undefined }),
    }),
    weighted<Op>(w("revokeOne"), "revokeOne", {
      subject,
      pick: fc.nat({ max: 3 }),
    }),
    weighted<Op>(w("settle"), "settle", {
      picks: fc.array(fc.nat({ max: 7 }), { maxLength: 6 }),
    }),
  );
}

/** What the commands' preconditions read. */
export interface ModelView {
  /** How many slots hold a request that is not committing. */
  available(): number;
  /** How many slots are empty or hold a request that is not committing. */
  idleSlots(): number;
  parkedCalls(): number;
  inFlight(): number;
}

export class Step implements fc.AsyncCommand<ModelView, World> {
  constructor(readonly op: Op) {}

  check(m: Readonly<ModelView>): boolean {
    switch (this.op.kind) {
      case "load":
        return m.idleSlots() > 0;
      case "release":
        return m.parkedCalls() > 0;
      case "settle":
        return m.inFlight() > 0;
      case "advance":
      case "list":
      case "revoke":
      case "revokeOne":
        return true;
      default:
        return m.available() > 0;
    }
  }

  run(_m: ModelView, world: World): Promise<void> {
    return world.apply(this.op);
  }

  toString(): string {
    return describeOp(this.op);
  }
}

/**
 * The weights each promise's property gives to the operations it concerns
 * (every other operation keeps its default weight, so that anything can
 * still happen): more regenerations and clock advances for promise 3, more
 * subjects, oversized values and listings for promise 4, and so on.
 */
export const PROMISE_WEIGHTS: Record<
  number,
  Partial<Record<Op["kind"], number>>
> = {
  1: { increment: 8, regenerate: 5, setBig: 2 },
  2: { destroy: 4, revoke: 3, revokeOne: 3, setSubject: 4 },
  3: {
    regenerate: 4,
    advance: 6,
    load: 10,
    increment: 1,
    set: 1,
    setSubject: 1,
    release: 8,
  },
  4: {
    setSubject: 8,
    setBig: 4,
    delete: 2,
    list: 2,
    revoke: 2,
    revokeOne: 2,
    regenerate: 1,
    increment: 1,
  },
  5: {},
};

/**
 * The generated command lists, with operations weighted by `weights`;
 * `replayPath` is the one a counterexample prints, to replay it.
 */
export function commandsArbitrary(
  weights: Partial<Record<Op["kind"], number>> = {},
  replayPath?: string,
): fc.Arbitrary<Iterable<fc.AsyncCommand<ModelView, World>>> {
  const step = opArbitrary(weights).map(
    (op) => new Step(op),
    (step) => (step as Step).op,
  );
  return fc.commands([step], { maxCommands: 60, size: "max", replayPath });
}

// ---------------------------------------------------------------------------
// The world and its reference model

/** A request in progress: its handle and what the model knows of it. */
interface Slot {
  request: string;
  session: AppSession;
  /** The id of the record the handle is bound to, as far as the model knows. */
  boundId: string | undefined;
  /** The lineage of that record: a session followed through its rotations. */
  lineage: number | undefined;
  /** Increments done since the last commit that resolved. */
  pendingIncrements: number;
  /** Whether destroy() or regenerate() was called since the last commit that resolved. */
  destroyPending: boolean;
  regeneratePending: boolean;
  /** Keys the handle's destroy commits deleted so far. */
  destroyedKeys: string[];
  /** The ids its commits returned cookies for, with the number of the first. */
  returned: Map<string, number>;
  committing: boolean;
}

/** A property violation: which promise, and what happened. */
export class Violation extends Error {
  override name = "Violation";
}

/** The promises the model checks, by number (see model_test.ts). */
export const PROMISES: Record<number, string> = {
  1: "promise 1 (no lost update)",
  2: "promise 2 (no resurrection)",
  3: "promise 3 (no old id sent after a rotation)",
  4: "promise 4 (every live session with a subject is listed)",
  5: "promise 5 (a stale handle sends nothing)",
};

/**
 * Concurrent requests over one manager and a gated store, the reference
 * model of what they should leave behind, and the checks that compare the
 * two. Commands drive it through `apply()`; `finish()` settles a run.
 */
export class World {
  readonly clock: FakeClock;
  readonly gate = new Gate();
  readonly names = new KeyNames();
  manager!: SessionManager<Data, Flash>;
  #inProcess = false;
  readonly slots: (Slot | undefined)[] = [];
  /** Every id a Set-Cookie carried, in order of first appearance. */
  readonly pool: string[] = [];
  readonly #ops = new Set<OpState>();
  #nextOp = 0;
  #requests = 0;
  readonly #log: string[] = [];
  readonly #violations: string[] = [];
  #afterQuiesce: (() => Promise<void>)[] = [];
  // The reference model.
  readonly #lineageOf = new Map<string, number>();
  readonly #latest = new Map<number, string>();
  readonly #expected = new Map<number, number>();
  #lineages = 0;
  /** Keys ended by a destroy commit or a revocation that resolved. */
  readonly #ended = new Set<string>();
  /** Counts resolved commits, to order them. */
  #resolved = 0;
  /**
   * Ids regenerated away: the clock when that commit started, and the number
   * of the commit among those resolved.
   */
  readonly #rotatedAway = new Map<string, { startedAt: number; at: number }>();

  readonly #checked: ReadonlySet<number>;

  /**
   * @param start The fake clock's start.
   * @param checked The promises (numbers of PROMISES) whose violation fails
   * the run.
   */
  constructor(start: number, checked: Iterable<number>) {
    this.clock = new FakeClock(start);
    this.#checked = new Set(checked);
  }

  async init(backend: Backend): Promise<void> {
    this.gate.log = (line) => this.log(line);
    const store = await backend.create(this.clock, this.gate, this.names);
    // Encrypted at rest, even an in-process store is keyed by hashes.
    this.#inProcess = store.inProcess === true && !ENCRYPTED.has(store);
    this.manager = createSessionManager<Data, Flash>(
      managerOptions(store, this.clock),
    );
  }

  readonly view: ModelView = {
    available: () => this.#slotsWhere(true).length,
    idleSlots: () => this.#slotsWhere(false).length,
    parkedCalls: () => this.gate.parked.length,
    inFlight: () => this.#ops.size,
  };

  /**
   * The slots a command may use: not committing, and (for changes and
   * commits) holding a request. A command's `slot` picks among them, so that
   * every generated command runs.
   */
  #slotsWhere(loaded: boolean): number[] {
    const slots: number[] = [];
    for (let i = 0; i < SLOTS; i++) {
      const slot = this.slots[i];
      if (slot?.committing || (loaded && slot === undefined)) continue;
      slots.push(i);
    }
    return slots;
  }

  /** The history of the run so far. */
  get history(): readonly string[] {
    return this.#log;
  }

  /** The store key of an id, as the manager derives it. */
  keyOf(id: string): string {
    return this.#inProcess ? id : hashSessionId(id);
  }

  nameOf(id: string | undefined): string {
    return id === undefined ? "none" : this.names.name(this.keyOf(id));
  }

  log(line: string): void {
    this.#log.push(line);
  }

  /**
   * Records a broken promise (a number, see PROMISES), or a failure of
   * another kind (a name) that always counts. A promise that this run does
   * not check is only logged.
   */
  violation(promise: number | string, message: string): void {
    const checked = typeof promise === "string" || this.#checked.has(promise);
    const line = `${
      typeof promise === "number" ? PROMISES[promise] : promise
    }: ${message}`;
    if (checked) this.#violations.push(line);
    this.log(`${checked ? "!!!" : "(not checked here)"} ${line}`);
  }

  /** Throws the first violation found, with the story of the run. */
  throwIfViolated(): void {
    if (this.#violations.length === 0) return;
    throw new Violation(
      `${this.#violations[0]}\n  history of the run:\n    ${
        this.#log.join("\n    ")
      }`,
    );
  }

  // -- Running operations ---------------------------------------------------

  #start<T>(
    label: string,
    tracked: boolean,
    run: () => Promise<T>,
    done: (outcome: { value?: T; error?: unknown }, op: OpState) => void,
  ): OpState {
    const op: OpState = {
      id: this.#nextOp++,
      label,
      calls: 0,
      parked: 0,
      done: false,
      overlapped: false,
      deleted: [],
    };
    if (tracked) {
      for (const other of this.#ops) {
        if (other.label.startsWith("load")) continue;
        other.overlapped = true;
        op.overlapped = true;
      }
    }
    this.#ops.add(op);
    let promise: Promise<T>;
    try {
      promise = this.gate.within(op, run);
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (value) => done({ value }, op),
      (error) => done({ error }, op),
    ).catch((error) => this.violation("harness", String(error)))
      .finally(() => {
        op.done = true;
        this.#ops.delete(op);
      });
    return op;
  }

  async quiesce(): Promise<void> {
    await this.gate.quiesce(this.#ops);
    while (this.#afterQuiesce.length > 0) {
      const checks = this.#afterQuiesce.splice(0);
      for (const check of checks) await check();
    }
  }

  async release(pick: number): Promise<void> {
    await this.quiesce();
    const parked = this.gate.parked;
    if (parked.length === 0) return;
    const call = this.gate.release(pick % parked.length);
    this.log(`  release [${call.op.label}] ${call.label}`);
    await this.quiesce();
  }

  /** Releases parked calls (picking by `picks`, then the first) until nothing is in flight. */
  async drain(picks: number[] = []): Promise<void> {
    for (let i = 0; this.#ops.size > 0; i++) {
      if (i > 5_000) throw new Error("The operations in flight never ended");
      await this.quiesce();
      if (this.#ops.size === 0) break;
      await this.release(picks.length === 0 ? 0 : picks[i % picks.length]);
    }
    await this.quiesce();
  }

  async apply(generated: Op): Promise<void> {
    const op = this.#resolve(generated);
    this.log(describeOp(op));
    switch (op.kind) {
      case "load":
        await this.#load(op.slot, op.cookie);
        break;
      case "set":
        this.slots[op.slot]!.session.set(op.key, op.value);
        break;
      case "delete":
        this.slots[op.slot]!.session.delete(op.key);
        break;
      case "increment": {
        const slot = this.slots[op.slot]!;
        slot.session.update("count", (n) => (n ?? 0) + 1);
        slot.pendingIncrements++;
        break;
      }
      case "setBig":
        this.slots[op.slot]!.session.set("blob", BIG);
        break;
      case "flash":
        this.slots[op.slot]!.session.flash("notice", op.value);
        break;
      case "takeFlash":
        this.log(
          `  took ${
            JSON.stringify(this.slots[op.slot]!.session.takeFlash("notice"))
          }`,
        );
        break;
      case "setSubject":
        this.slots[op.slot]!.session.setSubject(op.subject, {
          label: `device ${op.slot}`,
        });
        break;
      case "regenerate": {
        const slot = this.slots[op.slot]!;
        slot.session.regenerate();
        slot.regeneratePending = true;
        break;
      }
      case "destroy": {
        const slot = this.slots[op.slot]!;
        slot.session.destroy();
        slot.destroyPending = true;
        slot.boundId = undefined;
        slot.lineage = undefined;
        slot.pendingIncrements = 0;
        slot.regeneratePending = false;
        break;
      }
      case "commit":
        this.#commit(op.slot);
        break;
      case "release":
        await this.release(op.pick);
        break;
      case "advance":
        this.clock.advanceSeconds(op.seconds);
        break;
      case "list":
        this.#list(op.subject);
        break;
      case "revoke":
        this.#revoke(op.subject, op.except);
        break;
      case "revokeOne":
        this.#revokeOne(op.subject, op.pick);
        break;
      case "settle":
        await this.drain(op.picks);
        await this.checkSettled();
        break;
    }
    await this.quiesce();
    await this.checkEnded();
    this.throwIfViolated();
  }

  /** The operation with its `slot` resolved to a usable slot. */
  #resolve(op: Op): Op {
    if (!("slot" in op)) return op;
    const slots = this.#slotsWhere(op.kind !== "load");
    return { ...op, slot: slots[op.slot % slots.length] };
  }

  /**
   * Loads a request whose cookie is picked from the pool: 0 is the newest
   * id, 1 the one before…, and the highest pick (or an empty pool) is no
   * cookie.
   */
  async #load(index: number, pick: number): Promise<void> {
    const id = pick === COOKIE_PICKS - 1 || this.pool.length === 0
      ? undefined
      : this.pool[this.pool.length - 1 - (pick % this.pool.length)];
    const request = `r${++this.#requests}`;
    let loaded: AppSession | undefined;
    const op = this.#start(
      `load ${request}`,
      false,
      () => this.manager.load(requestWith(id)),
      ({ value, error }) => {
        if (error !== undefined) {
          this.violation("load", `load() threw ${describeError(error)}`);
        }
        loaded = value;
      },
    );
    // The load reads the store now: release only its own calls.
    while (!op.done) {
      await this.gate.quiesce([op]);
      const mine = this.gate.parked.findIndex((call) => call.op === op);
      if (mine !== -1) this.gate.release(mine);
    }
    await this.gate.quiesce([]);
    if (loaded === undefined) return;
    const live = !loaded.isNew;
    const lineage = live ? this.#lineageOf.get(id!) : undefined;
    this.slots[index] = {
      request,
      session: loaded,
      boundId: live ? id : undefined,
      lineage,
      pendingIncrements: 0,
      destroyPending: false,
      regeneratePending: false,
      destroyedKeys: [],
      returned: new Map(),
      committing: false,
    };
    this.log(
      `  ${request} in slot ${index} with cookie ${this.nameOf(id)}: ${
        describeSession(loaded)
      }`,
    );
  }

  #commit(index: number): void {
    const slot = this.slots[index]!;
    const clockAtStart = this.clock.now();
    const boundId = slot.boundId;
    const rotatedAt = boundId === undefined || slot.destroyPending
      ? undefined
      : this.#rotatedAway.get(boundId)?.startedAt;
    slot.committing = true;
    this.#start(
      `commit ${slot.request}`,
      true,
      () => slot.session.commit(),
      ({ value, error }, op) => {
        slot.committing = false;
        if (error !== undefined) {
          this.#commitFailed(slot, error, op);
        } else {
          this.#committed(slot, value, op, boundId, rotatedAt, clockAtStart);
        }
      },
    );
  }

  #commitFailed(slot: Slot, error: unknown, op: OpState): void {
    slot.destroyedKeys.push(...op.deleted);
    this.log(`  commit ${slot.request} threw ${describeError(error)}`);
    if (error instanceof SessionTooLargeError) {
      // As an application would, the request drops the value that did not
      // fit, so that its later commits can succeed.
      slot.session.delete("blob");
      this.log(`  ${slot.request} deletes the blob`);
    }
    if (
      !(error instanceof SessionTooLargeError) &&
      !(error instanceof SessionConflictError)
    ) {
      this.violation(
        "errors",
        `commit of ${slot.request} threw ${describeError(error)}`,
      );
    }
  }

  #committed(
    slot: Slot,
    setCookie: string | undefined,
    op: OpState,
    boundId: string | undefined,
    rotatedAt: number | undefined,
    clockAtStart: number,
  ): void {
    const session = slot.session;
    const cookie = setCookie === undefined
      ? undefined
      : parseSetCookie(setCookie);
    const sentId = cookie === undefined || cookie.value === ""
      ? undefined
      : cookie.value;
    const at = ++this.#resolved;
    if (sentId !== undefined && !this.pool.includes(sentId)) {
      this.pool.push(sentId);
    }
    const owedSince = sentId === undefined
      ? undefined
      : slot.returned.get(sentId);
    if (sentId !== undefined && owedSince === undefined) {
      slot.returned.set(sentId, at);
    }
    this.log(
      `  commit ${slot.request} resolved: ${
        cookie === undefined
          ? "no cookie"
          : sentId === undefined
          ? "deletion cookie"
          : `cookie ${this.nameOf(sentId)} Max-Age=${cookie.maxAge}`
      }; ${describeSession(session)}`,
    );
    // 5. A stale handle sends nothing.
    if (session.stale && setCookie !== undefined) {
      this.violation(
        5,
        `commit of ${slot.request} left it stale yet returned ${setCookie}`,
      );
    }
    // 3. No old id sent after a rotation. commit() returns "the cookie owed
    // for the request so far": a cookie that an earlier commit of the same
    // request returned before the rotation resolved was sent before it (its
    // response may still arrive last, which no server can prevent), so it
    // is not counted here; once stale, promise 5 forbids it too.
    const rotation = sentId === undefined
      ? undefined
      : this.#rotatedAway.get(sentId);
    if (
      rotation !== undefined &&
      !(owedSince !== undefined && owedSince < rotation.at)
    ) {
      this.violation(
        3,
        `commit of ${slot.request} sent a cookie for ${
          this.nameOf(sentId)
        }, which an earlier commit regenerated away`,
      );
    }
    // 3. A save that starts after its session was regenerated away (while
    // the old id is still remembered) and reaches the store ends stale.
    if (
      rotatedAt !== undefined && op.calls > 0 && !session.stale &&
      this.clock.now() < rotatedAt + GRACE_SECONDS * 1000
    ) {
      this.violation(
        3,
        `commit of ${slot.request} started after ${
          this.nameOf(boundId)
        } was regenerated away, made ${op.calls} store call(s), and did not end stale`,
      );
    }
    if (session.stale) {
      slot.pendingIncrements = 0;
      slot.boundId = undefined;
      slot.lineage = undefined;
      return;
    }
    if (slot.destroyPending) {
      for (const key of [...slot.destroyedKeys, ...op.deleted]) {
        this.#ended.add(key);
      }
      slot.destroyedKeys = [];
      slot.destroyPending = false;
    }
    if (cookie !== undefined && sentId === undefined) {
      slot.boundId = undefined;
      slot.lineage = undefined;
    } else if (sentId !== undefined && sentId !== slot.boundId) {
      if (slot.lineage === undefined) {
        slot.lineage = ++this.#lineages;
        this.#expected.set(slot.lineage, 0);
      } else if (slot.regeneratePending) {
        this.#rotatedAway.set(slot.boundId!, { startedAt: clockAtStart, at });
      } else {
        this.violation(
          "model",
          `commit of ${slot.request} sent a cookie for ${
            this.nameOf(sentId)
          } though bound to ${this.nameOf(slot.boundId)} and not regenerated`,
        );
      }
      this.#lineageOf.set(sentId, slot.lineage);
      this.#latest.set(slot.lineage, sentId);
      slot.boundId = sentId;
    }
    if (slot.pendingIncrements > 0) {
      if (slot.lineage === undefined) {
        this.violation(
          1,
          `commit of ${slot.request} resolved with ${slot.pendingIncrements} increment(s) but no session to hold them`,
        );
      } else {
        this.#expected.set(
          slot.lineage,
          this.#expected.get(slot.lineage)! + slot.pendingIncrements,
        );
      }
    }
    slot.pendingIncrements = 0;
    slot.regeneratePending = false;
  }

  #list(subject: Subject): void {
    this.#start(
      `list ${subject}`,
      true,
      () => this.manager.listSessions(subject),
      ({ value, error }) => {
        if (error !== undefined) {
          this.violation(
            "errors",
            `listSessions() threw ${describeError(error)}`,
          );
        } else {
          this.log(`  list ${subject} resolved: ${value!.length} session(s)`);
        }
      },
    );
  }

  #revoke(subject: Subject, except: number | undefined): void {
    const kept = except === undefined ? undefined : this.slots[except];
    const keptId = kept?.boundId;
    this.#start(
      `revoke ${subject}`,
      true,
      () =>
        this.manager.revokeSessions(
          subject,
          kept === undefined ? {} : { except: kept.session },
        ),
      ({ value, error }, op) => {
        if (error !== undefined) {
          this.violation(
            "errors",
            `revokeSessions() threw ${describeError(error)}`,
          );
          return;
        }
        for (const key of op.deleted) this.#ended.add(key);
        this.log(
          `  revoke ${subject} resolved: ${value} ended (${
            op.deleted.map((key) => this.names.name(key))
          })${op.overlapped ? "" : ", alone"}`,
        );
        // 4. Alone, it leaves no live session of the subject (but the kept one).
        if (!op.overlapped) {
          this.#afterQuiesce.push(() =>
            this.#checkRevoked(subject, keptId, "revokeSessions()")
          );
        }
      },
    );
  }

  #revokeOne(subject: Subject, pick: number): void {
    this.#start(
      `revokeOne ${subject}`,
      true,
      async () => {
        const listed = await this.manager.listSessions(subject);
        if (listed.length === 0) return false;
        return await this.manager.revokeSession(
          subject,
          listed[pick % listed.length].handle,
        );
      },
      ({ value, error }, op) => {
        if (error !== undefined) {
          this.violation(
            "errors",
            `revokeSession() threw ${describeError(error)}`,
          );
          return;
        }
        for (const key of op.deleted) this.#ended.add(key);
        this.log(`  revokeOne ${subject} resolved: ${value}`);
      },
    );
  }

  // -- Checks ---------------------------------------------------------------

  /** Loads `id` outside any operation (its store calls pass the gate). */
  async probe(id: string): Promise<AppSession> {
    return await this.manager.load(requestWith(id));
  }

  /** 2. No resurrection: an id ended by a resolved destroy or revocation never loads again. */
  async checkEnded(): Promise<void> {
    for (const id of this.pool) {
      if (!this.#ended.has(this.keyOf(id))) continue;
      const session = await this.probe(id);
      if (!session.isNew) {
        this.violation(
          2,
          `${this.nameOf(id)} was ended, yet loads as a live session: ${
            describeSession(session)
          }`,
        );
      }
    }
  }

  async #checkRevoked(
    subject: Subject,
    keptId: string | undefined,
    what: string,
  ): Promise<void> {
    for (const id of this.pool) {
      if (id === keptId) continue;
      const session = await this.probe(id);
      if (!session.isNew && session.subject === subject) {
        this.violation(
          4,
          `${what} of ${subject} ran alone and resolved, yet ${
            this.nameOf(id)
          } still loads as a live session of ${subject}`,
        );
      }
    }
  }

  /** The checks that need nothing in flight: 1, 2 and 4. */
  async checkSettled(): Promise<void> {
    const live = new Map<string, AppSession>();
    for (const id of this.pool) {
      const session = await this.probe(id);
      if (!session.isNew) live.set(id, session);
    }
    // 1. No lost update, and no session lost: every lineage whose latest id
    // nobody deleted is alive, with every resolved increment counted.
    for (const [lineage, id] of this.#latest) {
      if (this.gate.deleted.has(this.keyOf(id))) continue;
      const session = live.get(id);
      const expected = this.#expected.get(lineage)!;
      if (session === undefined) {
        this.violation(
          1,
          `${
            this.nameOf(id)
          }, the latest id of a session that nobody destroyed or revoked, no longer loads (${expected} increment(s) lost)`,
        );
      } else if ((session.get("count") ?? 0) !== expected) {
        this.violation(
          1,
          `${this.nameOf(id)} counts ${
            session.get("count") ?? 0
          }, but ${expected} increment(s) were committed to its session`,
        );
      }
    }
    // 4. Every live session with a subject is listed.
    for (const [id, session] of live) {
      const subject = session.subject;
      if (subject === undefined) continue;
      const listed = await this.manager.listSessions(subject, session);
      if (!listed.some((info) => info.current)) {
        this.violation(
          4,
          `${
            this.nameOf(id)
          } loads as a live session of ${subject}, but listSessions(${subject}) gives ${listed.length} session(s), not this one`,
        );
      }
    }
    await this.checkEnded();
    this.throwIfViolated();
  }

  /** Ends a run: everything in flight settles, then the final checks. */
  async finish(): Promise<void> {
    this.log("finish: drain everything in flight");
    await this.drain();
    await this.checkSettled();
    for (const subject of SUBJECTS) {
      const ended = await this.manager.revokeSessions(subject);
      this.log(`finish: revokeSessions(${subject}) ended ${ended}`);
      await this.#checkRevoked(
        subject,
        undefined,
        "the final revokeSessions()",
      );
    }
    this.throwIfViolated();
  }

  /** Lets everything through and waits for it, whatever happened. */
  async close(): Promise<void> {
    this.gate.openAll();
    const deadline = Date.now() + 10_000;
    while (this.#ops.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

export function describeSession(session: AppSession): string {
  const flags = [
    session.isNew ? "new" : "live",
    ...(session.stale ? ["stale"] : []),
    ...(session.destroyed ? ["destroyed"] : []),
  ];
  const data = JSON.stringify({
    a: session.get("a"),
    b: session.get("b"),
    count: session.get("count"),
    blob: session.get("blob") === undefined ? undefined : "big",
    subject: session.subject,
  });
  return `${flags.join(" ")} ${data}`;
}

export function describeError(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}

/**
 * Runs one generated command list on a fresh world over `backend`, then
 * settles everything and checks the promises.
 */
export async function runModel(
  backend: Backend,
  checked: Iterable<number>,
  steps: Iterable<fc.AsyncCommand<ModelView, World>>,
): Promise<void> {
  const world = new World(backend.start?.() ?? Date.UTC(2026, 0, 1), checked);
  await world.init(backend);
  try {
    await fc.asyncModelRun(
      () => Promise.resolve({ model: world.view, real: world }),
      steps,
    );
    await world.finish();
  } finally {
    await world.close();
  }
}
