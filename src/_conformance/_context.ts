// Private module: what the parts of the conformance suite share. The context
// built once per `testSessionStore()` call (fresh stores, the store's clock),
// the session scenarios' manager over the store (`withSessions`) with their
// `start` and `login` steps, and `SetGate`, which holds back or fails a
// store's next write.
import assert from "node:assert/strict";
import {
  createSessionManager,
  type SessionManagerOptions,
} from "../manager.ts";
import type { SessionStore } from "../store.ts";
import type { SessionStoreTestOptions } from "../testing.ts";

/** The values the session scenarios keep. */
export type ScenarioData = {
  count: number;
  user: string;
  cart: string[];
  theme: string;
};

/** A manager of {@linkcode ScenarioData} sessions. */
export type ScenarioSessions = ReturnType<
  typeof createSessionManager<ScenarioData>
>;

/** Loads the session of a request carrying `cookie` (or no cookie). */
export type Load = (cookie?: string) => ReturnType<ScenarioSessions["load"]>;

/** What a session scenario gets to work with. */
export interface SessionTools {
  /** The store the manager uses (wrapped, when the scenario asked). */
  store: SessionStore;
  /** The manager over the store. */
  sessions: ScenarioSessions;
  /** The `name=value` of a `Set-Cookie`; fails when no cookie was sent. */
  cookieOf: (setCookie: string | undefined) => string;
  /** Loads the session of a request to the app. */
  load: Load;
}

/** Puts a store behind a wrapper that a test controls. */
export type Wrap = (store: SessionStore) => SessionStore;

/** Manager options of one scenario, and a wrapper for its store. */
export type ScenarioOptions = SessionManagerOptions & { wrap?: Wrap };

/** The store under test and its clock, as every part of the suite uses them. */
export interface ConformanceContext {
  /** Runs `run` with a fresh store, and disposes of the store afterwards. */
  withStore(run: (store: SessionStore) => Promise<void>): Promise<void>;
  /** The store's clock, in milliseconds since the Unix epoch. */
  now(): number;
  /** The store's time `seconds` from now, in milliseconds. */
  later(seconds: number): number;
  /** Lets `seconds` pass for the store. */
  advanceSeconds(seconds: number): Promise<void>;
  /** The most bytes of UTF-8 a value may take, when the store has a limit. */
  maxValueBytes: number | undefined;
  /**
   * Runs a session scenario over a fresh store: a manager on the store's
   * clock with a rotation grace period of one second, unless `scenario`
   * says otherwise.
   */
  withSessions(
    run: (tools: SessionTools) => Promise<void>,
    scenario?: ScenarioOptions,
  ): Promise<void>;
}

/** The address of the app the session scenarios send requests to. */
const URL = "http://app.test/";

/** Builds the context of one store's suite from its test options. */
export function createConformanceContext(
  options: SessionStoreTestOptions,
): ConformanceContext {
  async function withStore(run: (store: SessionStore) => Promise<void>) {
    const store = await options.create();
    try {
      await run(store);
    } finally {
      await options.dispose?.(store);
    }
  }

  async function withSessions(
    run: (tools: SessionTools) => Promise<void>,
    scenario: ScenarioOptions = {},
  ) {
    await withStore(async (tested) => {
      const { wrap, ...rest } = scenario;
      const store = wrap === undefined ? tested : wrap(tested);
      const sessions = createSessionManager<ScenarioData>({
        store,
        now: () => options.now(),
        rotationGraceSeconds: 1,
        ...rest,
      });
      const cookieOf = (setCookie: string | undefined) => {
        assert.ok(setCookie, "a cookie was sent");
        return setCookie.split(";")[0];
      };
      const load = (cookie?: string) =>
        sessions.load(
          new Request(URL, { headers: cookie ? { Cookie: cookie } : {} }),
        );
      await run({ store, sessions, cookieOf, load });
    });
  }

  return {
    withStore,
    now: () => options.now(),
    later: (seconds) => options.now() + seconds * 1000,
    advanceSeconds: (seconds) => options.advanceSeconds(seconds),
    maxValueBytes: options.maxValueBytes,
    withSessions,
  };
}

/** Starts a session holding `count: 0` and returns its cookie. */
export async function start(load: Load): Promise<string> {
  const session = await load();
  session.set("count", 0);
  return (await session.commit())!.split(";")[0];
}

/** Logs a new device in as `subject` and returns its cookie. */
export async function login(
  load: Load,
  subject: string,
  label: string,
): Promise<string> {
  const session = await load();
  session.regenerate();
  session.setSubject(subject, { label });
  session.set("user", subject);
  return (await session.commit())!.split(";")[0];
}

/**
 * Holds back or fails the next `set()` of the stores it wraps, so that a
 * test can act between a commit's first store call and its record write.
 */
export class SetGate {
  #next: "pause" | "fail" | undefined;
  #reached: () => void = () => {};
  #release: () => void = () => {};
  /** Settles once the held-back `set()` has been called. */
  paused: Promise<void> = Promise.resolve();

  /** Holds back the next `set()` until {@linkcode SetGate.resume}. */
  pauseNext(): void {
    this.#next = "pause";
    this.paused = new Promise((resolve) => this.#reached = resolve);
  }

  /** Makes the next `set()` reject, as a store that is down would. */
  failNext(): void {
    this.#next = "fail";
  }

  /** Lets the held-back `set()` go on. */
  resume(): void {
    this.#release();
  }

  /** The store behind this gate. */
  wrap(store: SessionStore): SessionStore {
    return {
      compareAndSet: store.compareAndSet,
      inProcess: store.inProcess,
      subjects: store.subjects,
      get: (key) => store.get(key),
      delete: (key) => store.delete(key),
      touch: store.touch && ((...args) => store.touch!(...args)),
      set: async (key, value, options) => {
        const next = this.#next;
        this.#next = undefined;
        if (next === "fail") throw new Error("the store is down");
        if (next === "pause") {
          const released = new Promise<void>((resolve) =>
            this.#release = resolve
          );
          this.#reached();
          await released;
        }
        return await store.set(key, value, options);
      },
    };
  }
}
