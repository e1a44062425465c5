// Session stores for tests, all over a MemoryStore: wrappers that offer a
// chosen part of the store contract (in process or keyed by hashes, with or
// without compare-and-set, touch() and a subject index), record the calls
// made to them, or fail, hang and answer garbage on demand; and a MemoryStore
// itself that records its calls on the manager's synchronous path.
import { MemoryStore } from "../src/stores/memory.ts";
import { SYNC, type SyncStore } from "../src/_sync.ts";
import type {
  SessionStore,
  StoreEntry,
  StoreSetOptions,
  StoreSetResult,
  StoreTouchOptions,
  SubjectIndex,
} from "../src/store.ts";

/** A store call, as wrappers see it: `index` is any call to the subject index. */
export type StoreOperation = "get" | "set" | "delete" | "touch" | "index";

/** One call to a wrapper. */
export interface StoreCall {
  operation: StoreOperation;
  /** The record's key; `""` for listing or removing a subject's keys. */
  key: string;
  /** The precondition of a `set()` or `touch()`, as the manager gave it. */
  ifVersion?: string | null;
}

/** Which parts of the store contract a wrapper offers, and over what. */
export interface WrappedStoreOptions {
  /**
   * The clock of the MemoryStore made inside.
   *
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * The store to wrap, for a test that reads or writes it behind the
   * wrapper's back.
   *
   * @default {a new MemoryStore}
   */
  inner?: MemoryStore;
  /**
   * Whether records stay in this process: the manager then keys them by the
   * raw id, and does not time the calls. Otherwise keys are hashes, as for a
   * store whose records leave the process.
   *
   * @default {false}
   */
  inProcess?: boolean;
  /**
   * Whether writes are compare-and-set. Without, `set()` and `touch()` drop
   * their precondition (and `privileged`): the last write of a key wins.
   *
   * @default {true}
   */
  compareAndSet?: boolean;
  /**
   * Whether the store offers `touch()`. Without, the manager extends a
   * session by writing its stored text again.
   *
   * @default {true}
   */
  touch?: boolean;
  /**
   * Whether the store offers the inner store's subject index.
   *
   * @default {false}
   */
  subjects?: boolean;
}

/** A `SessionStore` that passes every call on to a MemoryStore. */
export class WrappedStore implements SessionStore {
  /** The wrapped store, to reach past the wrapper. */
  readonly inner: MemoryStore;
  readonly compareAndSet: boolean;
  readonly inProcess: boolean;
  readonly touch:
    | ((
      key: string,
      expiresAt: number,
      options?: StoreTouchOptions,
    ) => Promise<boolean>)
    | undefined;
  readonly subjects: SubjectIndex | undefined;

  constructor(options: WrappedStoreOptions = {}) {
    const inner = options.inner ?? new MemoryStore({ now: options.now });
    this.inner = inner;
    this.compareAndSet = options.compareAndSet ?? true;
    this.inProcess = options.inProcess ?? false;
    this.touch = options.touch === false
      ? undefined
      : (key, expiresAt, touchOptions) =>
        this.pass(
          { operation: "touch", key, ifVersion: touchOptions?.ifVersion },
          () =>
            inner.touch(
              key,
              expiresAt,
              this.compareAndSet ? touchOptions : undefined,
            ),
        );
    const index = inner.subjects;
    this.subjects = options.subjects === true
      ? {
        add: (subject, key, expiresAt) =>
          this.pass(
            { operation: "index", key },
            () => index.add(subject, key, expiresAt),
          ),
        list: (subject) =>
          this.pass({ operation: "index", key: "" }, () => index.list(subject)),
        remove: (subject, keys) =>
          this.pass(
            { operation: "index", key: "" },
            () => index.remove(subject, keys),
          ),
      }
      : undefined;
  }

  /** How many records the wrapped store holds. */
  get size(): number {
    return this.inner.size;
  }

  get(key: string): Promise<StoreEntry | undefined> {
    return this.pass({ operation: "get", key }, () => this.inner.get(key));
  }

  set(
    key: string,
    value: string,
    options: StoreSetOptions,
  ): Promise<StoreSetResult> {
    const passed = this.compareAndSet
      ? options
      : { expiresAt: options.expiresAt };
    return this.pass(
      { operation: "set", key, ifVersion: options.ifVersion },
      () => this.inner.set(key, value, passed),
    );
  }

  delete(key: string): Promise<void> {
    return this.pass(
      { operation: "delete", key },
      () => this.inner.delete(key),
    );
  }

  /** Every call goes through here: subclasses record or fail it. */
  protected pass<T>(_call: StoreCall, run: () => Promise<T>): Promise<T> {
    return run();
  }
}

/** The calls a recording store saw. */
export interface Recording {
  /** The operation of every call, in order. */
  calls: string[];
  /** The key of every call, in order. */
  keys: string[];
  /** How many of the calls went through MemoryStore's synchronous API. */
  readonly syncCalls: number;
  /** How many records the store holds. */
  readonly size: number;
}

/**
 * A wrapper that records the calls made to it: not a MemoryStore itself, so
 * the manager takes its asynchronous path.
 */
export class RecordingStore extends WrappedStore implements Recording {
  calls: string[] = [];
  keys: string[] = [];
  readonly syncCalls = 0;
  /** The value of every `set()`, in order. */
  setValues: string[] = [];

  override set(
    key: string,
    value: string,
    options: StoreSetOptions,
  ): Promise<StoreSetResult> {
    this.setValues.push(value);
    return super.set(key, value, options);
  }

  protected override pass<T>(
    call: StoreCall,
    run: () => Promise<T>,
  ): Promise<T> {
    this.calls.push(call.operation);
    this.keys.push(call.key);
    return run();
  }
}

/**
 * A MemoryStore itself, so the manager takes its synchronous path, that
 * records the calls made through either of its APIs. Own properties shadow
 * the methods and the synchronous API; the prototype the manager checks is
 * unchanged.
 */
export function recordingMemoryStore(
  now: () => number,
): MemoryStore & Recording {
  const store = Object.assign(new MemoryStore({ now }), {
    calls: [] as string[],
    keys: [] as string[],
    syncCalls: 0,
  });
  const record = <A extends unknown[], R>(
    call: string,
    run: (key: string, ...rest: A) => R,
    synchronous = false,
  ) =>
  (key: string, ...rest: A): R => {
    store.calls.push(call);
    store.keys.push(key);
    if (synchronous) store.syncCalls++;
    return run(key, ...rest);
  };
  const sync = store[SYNC]!;
  // A change of the synchronous API fails the type check here (satisfies).
  return Object.assign(store, {
    get: record("get", store.get.bind(store)),
    set: record("set", store.set.bind(store)),
    delete: record("delete", store.delete.bind(store)),
    touch: record("touch", store.touch.bind(store)),
    [SYNC]: {
      clock: sync.clock,
      get: record("get", sync.get, true),
      set: record("set", sync.set, true),
      touch: record("touch", sync.touch, true),
    } satisfies SyncStore,
  });
}

/** What a faulty store does with one call instead of passing it on. */
export type FaultOutcome =
  | { reject: unknown }
  | { hang: true }
  | { answer: unknown };

/**
 * Decides the outcome of a call, `undefined` to pass it on; `n` counts the
 * calls since the last `reset()`.
 */
export type Fault = (
  call: StoreCall & { n: number },
) => FaultOutcome | undefined;

/** Fails every call as `outcome` says. */
export const always = (outcome: FaultOutcome): Fault => () => outcome;

/** Fails the calls of `operations` as `outcome` says. */
export const only =
  (operations: StoreOperation[], outcome: FaultOutcome): Fault =>
  ({ operation }) => operations.includes(operation) ? outcome : undefined;

/** Passes the first `count` calls, then fails as `fault` says. */
export const afterCalls = (count: number, fault: Fault): Fault => (call) =>
  call.n < count ? undefined : fault(call);

/** Options of {@linkcode FaultyStore}. */
export interface FaultyStoreOptions extends WrappedStoreOptions {
  /**
   * The fault to start with.
   *
   * @default {undefined: every call passes}
   */
  fault?: Fault;
}

/**
 * A fault injector: a wrapper that rejects, hangs or answers garbage as its
 * `fault` says, which a test may change at any time.
 */
export class FaultyStore extends WrappedStore {
  fault: Fault | undefined;
  /** Every call, in order. */
  calls: StoreCall[] = [];
  /** Every key written through the wrapper. */
  written = new Set<string>();
  #n = 0;

  constructor(options: FaultyStoreOptions = {}) {
    super(options);
    this.fault = options.fault;
  }

  /** Restarts the call count that faults see. */
  reset(): void {
    this.#n = 0;
  }

  protected override pass<T>(
    call: StoreCall,
    run: () => Promise<T>,
  ): Promise<T> {
    this.calls.push({ operation: call.operation, key: call.key });
    const outcome = this.fault?.({ ...call, n: this.#n++ });
    if (outcome === undefined) {
      if (call.operation === "set") this.written.add(call.key);
      return run();
    }
    if ("reject" in outcome) return Promise.reject(outcome.reject);
    if ("hang" in outcome) return new Promise<T>(() => {});
    return Promise.resolve(outcome.answer as T);
  }
}
