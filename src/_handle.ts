// Private module: the implementation behind the public `Session` interface.
// A handle records what its request read and changed, and owns that state:
// backends read it through getters and move it on through named transitions
// (`markSaved()`, `markExtended()`, `markStale()`, …), never by assignment.
// It does no I/O: `commit()` hands the handle to the save function its
// backend gave it.

import {
  type BoundRecord,
  getOwn,
  isSeconds,
  lifetimeChoice,
  NO_OWNER,
  type Owner,
  ownerOf,
  type SessionRecord,
  setOwn,
} from "./_record.ts";

import type {
  Session,
  SessionData,
  SessionLifetime,
  SessionRequest,
  SubjectOptions,
} from "./session.ts";
import { createSessionId } from "./session_id.ts";

/** Marks a deleted key in a change set. */
export const DELETED: unique symbol = Symbol("deleted");

/** What a request's cookie led to, when it led to no stored session. */
export type Arrival =
  /** The request carried no session cookie. */
  | "no cookie"
  /** The cookie named no live session (unknown, expired, malformed). */
  | "unknown cookie"
  /** The cookie named a session that was just regenerated away. */
  | "rotated cookie";

/** A stored session that a request's cookie named. */
export interface Loaded {
  id: string;
  record: BoundRecord;
  data: SessionData;
  flash: SessionData;
  owner: Owner;
  /** The lifetime the record chose, if any. */
  lifetime?: SessionLifetime;
}

/**
 * Writes a handle's changes: supplied by its backend. Answers `undefined`
 * when it finished at once, else a promise.
 */
export type SaveHandle = (handle: SessionHandle) => Promise<void> | undefined;

/** A read-modify-write change: re-applied to the latest value on conflict. */
export class Update {
  /** @param apply Computes the new value from the current one. */
  constructor(readonly apply: (current: unknown) => unknown) {}
}

/**
 * The implementation behind {@linkcode Session}. Only backends see this
 * class; users see the `Session` interface.
 */
export class SessionHandle<Data = SessionData, Flash = SessionData>
  implements Session<Data, Flash> {
  /** Whether the request carried a session cookie at all. */
  readonly hadCookie: boolean;
  #request: SessionRequest;
  #save: SaveHandle;
  #id: string | undefined;
  #bound: BoundRecord | undefined;
  #regeneratedFrom: BoundRecord | undefined;
  #destroyedKey: string | undefined;
  #destroyedSubject: string | undefined;
  #data: SessionData;
  #incomingFlash: SessionData;
  // Made at the first change (most requests change nothing), so a map that
  // exists is never empty.
  #changes: Map<string, unknown> | undefined;
  #flashChanges: Map<string, unknown> | undefined;
  // Flash values taken by this request, for keepFlash(); made at the first.
  #takenFlash: Map<string, unknown> | undefined;
  #stale: boolean;
  #owner: Owner;
  #ownerChanged = false;
  #lifetime: SessionLifetime | undefined;
  #lifetimeChanged = false;
  #setCookie: string | undefined;
  #destroyed = false;
  #isNew: boolean;
  #pending: Promise<unknown> | undefined;

  /**
   * @param request The request the handle belongs to.
   * @param save Writes the handle's changes; supplied by the backend.
   * @param loaded The stored session, or what the cookie led to instead.
   */
  constructor(
    request: SessionRequest,
    save: SaveHandle,
    loaded: Loaded | Arrival = "no cookie",
  ) {
    this.#request = request;
    this.#save = save;
    if (typeof loaded === "string") {
      this.hadCookie = loaded !== "no cookie";
      this.#stale = loaded === "rotated cookie";
      this.#isNew = true;
      this.#data = {};
      this.#incomingFlash = {};
      this.#owner = NO_OWNER;
    } else {
      this.hadCookie = true;
      this.#stale = false;
      this.#isNew = false;
      this.#id = loaded.id;
      this.#bound = loaded.record;
      this.#data = loaded.data;
      this.#incomingFlash = loaded.flash;
      this.#owner = loaded.owner;
      this.#lifetime = loaded.lifetime;
    }
  }

  /**
   * Commits a session: its `Set-Cookie` (or `undefined`) at once when the
   * commit finished at once (a store in this process), else a promise of
   * it. For adapters that must not wait when nothing has to wait.
   */
  static commitNow<Data, Flash>(
    session: Session<Data, Flash>,
  ): Promise<string | undefined> | string | undefined {
    if (!(session instanceof SessionHandle)) return session.commit();
    const committing = session.startCommit();
    return committing === undefined
      ? session.#setCookie
      : committing.then(() => session.#setCookie);
  }

  /** The store key of the session a handle is bound to, if it is one. */
  static keyOf(session: unknown): string | undefined {
    return session instanceof SessionHandle ? session.#bound?.key : undefined;
  }

  // --- what the backends read ----------------------------------------------

  /** The request the handle belongs to (its scheme picks the cookie name). */
  get request(): SessionRequest {
    return this.#request;
  }

  /** The stored record this handle reads from and writes to, if any. */
  get bound(): Readonly<BoundRecord> | undefined {
    return this.#bound;
  }

  /** The stored record that `regenerate()` moves to a new id at commit. */
  get regeneratedFrom(): Readonly<BoundRecord> | undefined {
    return this.#regeneratedFrom;
  }

  /** The key of a record that `destroy()` deletes at commit. */
  get destroyedKey(): string | undefined {
    return this.#destroyedKey;
  }

  /** The subject of the session that `destroy()` ended, for its event. */
  get destroyedSubject(): string | undefined {
    return this.#destroyedSubject;
  }

  /** The values as this request sees them, changes applied. */
  get data(): SessionData {
    return this.#data;
  }

  /** Flash values from earlier requests not yet taken. */
  get incomingFlash(): SessionData {
    return this.#incomingFlash;
  }

  /**
   * Keys changed since the last commit: a value, `DELETED`, or an `Update`
   * to re-apply to the latest stored value.
   */
  get changes(): ReadonlyMap<string, unknown> | undefined {
    return this.#changes;
  }

  /** Flash keys set (value) or taken (`DELETED`) since the last commit. */
  get flashChanges(): ReadonlyMap<string, unknown> | undefined {
    return this.#flashChanges;
  }

  /** The subject and label, as stored or as set by this request. */
  get owner(): Owner {
    return this.#owner;
  }

  /** Whether `setSubject()` changed the owner since the last commit. */
  get ownerChanged(): boolean {
    return this.#ownerChanged;
  }

  /** The lifetime chosen by `setLifetime()` or stored; `undefined`: the manager's. */
  get lifetime(): SessionLifetime | undefined {
    return this.#lifetime;
  }

  /** Whether `setLifetime()` was called since the last commit. */
  get lifetimeChanged(): boolean {
    return this.#lifetimeChanged;
  }

  /** The `Set-Cookie` value owed for the request so far. */
  get setCookie(): string | undefined {
    return this.#setCookie;
  }

  /** Whether there is anything to write. */
  get dirty(): boolean {
    return this.#regeneratedFrom !== undefined || this.#changes !== undefined ||
      this.#flashChanges !== undefined || this.#ownerChanged ||
      this.#lifetimeChanged;
  }

  // --- transitions, made by the backends -------------------------------------

  /**
   * The handle's changes are stored as `record` under `written`: bind the
   * handle to it, and owe `setCookie` when given. Flash values set by this
   * request are for later requests only.
   */
  markSaved(
    written: BoundRecord,
    record: SessionRecord,
    setCookie?: string,
  ): void {
    this.#forgetOwnFlash(record);
    this.#bound = written;
    this.#settle(record, setCookie);
  }

  /**
   * `markSaved()` for a rewrite of the bound record itself: updated in
   * place, as nothing else refers to it.
   */
  markRewritten(
    version: string | number | undefined,
    expiresAt: number,
    value: string,
    record: SessionRecord,
    setCookie?: string,
  ): void {
    this.#forgetOwnFlash(record);
    const bound = this.#bound!;
    bound.version = version;
    bound.expiresAt = expiresAt;
    bound.value = value;
    this.#settle(record, setCookie);
  }

  /** The bound record's expiry moved, by a touch or a rewrite as it was. */
  markExtended(
    expiresAt: number,
    setCookie: string,
    version: string | number | undefined = this.#bound!.version,
  ): void {
    const bound = this.#bound!;
    bound.expiresAt = expiresAt;
    bound.version = version;
    this.#setCookie = setCookie;
  }

  /**
   * The session was destroyed or regenerated while this request held it:
   * its changes are dropped and no cookie is sent, so a dead id never comes
   * back.
   */
  markStale(): void {
    this.#stale = true;
    this.#setCookie = undefined;
    this.#bound = undefined;
    this.#regeneratedFrom = undefined;
    this.#changes = undefined;
    this.#flashChanges = undefined;
  }

  /** The record that `destroy()` ended is deleted from the store. */
  markDeleted(): void {
    this.#destroyedKey = undefined;
  }

  /** The browser is to forget the cookie, with this `Set-Cookie`. */
  markCleared(setCookie: string): void {
    this.#setCookie = setCookie;
  }

  /**
   * The id may name a record that was not meant to be (a write that failed
   * or timed out): it was never sent, and a retry takes another one.
   */
  forgetId(): void {
    this.#id = undefined;
  }

  #forgetOwnFlash(record: SessionRecord): void {
    if (this.#flashChanges === undefined) return;
    for (const [key, value] of this.#flashChanges) {
      if (value !== DELETED) delete record.flash[key];
    }
  }

  #settle(record: SessionRecord, setCookie: string | undefined): void {
    this.#regeneratedFrom = undefined;
    this.#data = record.data;
    this.#incomingFlash = record.flash;
    this.#owner = ownerOf(record);
    this.#ownerChanged = false;
    this.#lifetime = record.lifetime;
    this.#lifetimeChanged = false;
    this.#changes = undefined;
    this.#flashChanges = undefined;
    if (setCookie !== undefined) this.#setCookie = setCookie;
  }

  // --- the Session interface ------------------------------------------------

  get id(): string {
    return this.#id ??= createSessionId();
  }

  get isNew(): boolean {
    return this.#isNew;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  get stale(): boolean {
    return this.#stale;
  }

  get subject(): string | undefined {
    return this.#owner.subject;
  }

  setSubject(subject: string | undefined, options: SubjectOptions = {}): void {
    if (
      subject !== undefined && (typeof subject !== "string" || subject === "")
    ) {
      throw new TypeError(
        `Cannot set session subject: subject must be a non-empty string or undefined, received ${typeof subject}`,
      );
    }
    const label = options?.label;
    if (
      label !== undefined && (typeof label !== "string" || label.length > 200)
    ) {
      throw new TypeError(
        "Cannot set session subject: label must be a string of at most 200 characters",
      );
    }
    this.#owner = subject === undefined
      ? NO_OWNER
      : label === undefined
      ? { subject }
      : { subject, label };
    this.#ownerChanged = true;
  }

  setLifetime(lifetime: SessionLifetime): void {
    if (typeof lifetime !== "object" || lifetime === null) {
      throw new TypeError(
        `Cannot set session lifetime: lifetime must be an object, received ${
          lifetime === null ? "null" : typeof lifetime
        }`,
      );
    }
    for (
      const name of ["idleTimeoutSeconds", "absoluteTimeoutSeconds"] as const
    ) {
      const value = lifetime[name];
      if (value !== undefined && !isSeconds(value)) {
        throw new TypeError(
          `Cannot set session lifetime: ${name} must be a whole number of seconds above 0, received ${
            typeof value === "number" ? value : typeof value
          }`,
        );
      }
    }
    const persistent = lifetime.persistent;
    if (persistent !== undefined && typeof persistent !== "boolean") {
      throw new TypeError(
        `Cannot set session lifetime: persistent must be a boolean, received ${typeof persistent}`,
      );
    }
    // A copy of the fields given: the caller's object is never kept.
    const choice = lifetimeChoice(lifetime);
    for (const _ in choice) {
      this.#lifetime = choice;
      this.#lifetimeChanged = true;
      return;
    }
    // Nothing chosen: the manager's lifetime.
    this.#lifetime = undefined;
    this.#lifetimeChanged = true;
  }

  get<K extends keyof Data & string>(key: K): Data[K] | undefined {
    return getOwn(this.#data, key) as Data[K] | undefined;
  }

  has(key: keyof Data & string): boolean {
    return Object.hasOwn(this.#data, key);
  }

  set<K extends keyof Data & string>(key: K, value: Data[K] | undefined): void {
    if (value === undefined) return this.delete(key);
    checkValue(key, value);
    setOwn(this.#data, key, value);
    (this.#changes ??= new Map()).set(key, value);
  }

  delete(key: keyof Data & string): void {
    delete this.#data[key];
    (this.#changes ??= new Map()).set(key, DELETED);
  }

  update<K extends keyof Data & string>(
    key: K,
    apply: (current: Data[K] | undefined) => Data[K] | undefined,
  ): Data[K] | undefined {
    if (typeof apply !== "function") {
      throw new TypeError(
        `Cannot update session value "${key}": apply must be a function, received ${typeof apply}`,
      );
    }
    const run = apply as (current: unknown) => unknown;
    const pending = this.#changes?.get(key);
    const value = applyUpdate(key, run, this.get(key));
    // Only now: an update that throws records nothing.
    const changes = this.#changes ??= new Map();
    if (pending instanceof Update) {
      // Two updates of one key compose, so both are re-applied on conflict.
      const first = pending.apply;
      changes.set(
        key,
        new Update((current) => applyUpdate(key, run, first(current))),
      );
    } else if (changes.has(key)) {
      // After set() or delete() the value no longer depends on the store.
      changes.set(key, value === undefined ? DELETED : value);
    } else {
      changes.set(
        key,
        new Update((current) => applyUpdate(key, run, current)),
      );
    }
    if (value === undefined) delete this.#data[key];
    else setOwn(this.#data, key, value);
    return value as Data[K] | undefined;
  }

  flash<K extends keyof Flash & string>(key: K, value: Flash[K]): void {
    checkValue(key, value);
    (this.#flashChanges ??= new Map()).set(key, value);
  }

  takeFlash<K extends keyof Flash & string>(key: K): Flash[K] | undefined {
    if (!Object.hasOwn(this.#incomingFlash, key)) return undefined;
    const value = this.#incomingFlash[key] as Flash[K];
    this.#take(key, value);
    return value;
  }

  peekFlash<K extends keyof Flash & string>(key: K): Flash[K] | undefined {
    return getOwn(this.#incomingFlash, key) as Flash[K] | undefined;
  }

  takeAllFlash(): Partial<Flash> {
    const all: SessionData = {};
    for (const key in this.#incomingFlash) {
      const value = this.#incomingFlash[key];
      setOwn(all, key, value);
      this.#take(key, value);
    }
    return all as Partial<Flash>;
  }

  keepFlash(key?: keyof Flash & string): void {
    const taken = this.#takenFlash;
    if (taken === undefined) return;
    if (key === undefined) {
      for (const [name, value] of taken) this.#keep(name, value);
      taken.clear();
    } else if (taken.has(key)) {
      this.#keep(key, taken.get(key));
      taken.delete(key);
    }
  }

  /** Takes a flash value: gone from this request's view, and from the store at commit. */
  #take(key: string, value: unknown): void {
    delete this.#incomingFlash[key];
    (this.#takenFlash ??= new Map()).set(key, value);
    const flashChanges = this.#flashChanges ??= new Map();
    if (!flashChanges.has(key)) flashChanges.set(key, DELETED);
  }

  /**
   * Gives a taken flash value back for a later request. Before a commit,
   * the removal is simply dropped (nothing to write when nothing else
   * changed); after one, the value is flashed again. A value that this
   * request flashed under the same key stays the one for later requests.
   */
  #keep(key: string, value: unknown): void {
    const flashChanges = this.#flashChanges;
    const change = flashChanges?.get(key);
    if (change === DELETED) {
      flashChanges!.delete(key);
      if (flashChanges!.size === 0) this.#flashChanges = undefined;
      setOwn(this.#incomingFlash, key, value);
    } else if (change === undefined) {
      (this.#flashChanges ??= new Map()).set(key, value);
    }
  }

  regenerate(): void {
    if (this.#bound !== undefined) this.#regeneratedFrom = this.#bound;
    this.#bound = undefined;
    this.#id = undefined;
  }

  destroy(): void {
    const ended = this.#bound ?? this.#regeneratedFrom;
    if (ended !== undefined) {
      this.#destroyedKey = ended.key;
      this.#destroyedSubject = this.#owner.subject;
    }
    this.#bound = undefined;
    this.#regeneratedFrom = undefined;
    this.#id = undefined;
    this.#data = {};
    this.#incomingFlash = {};
    this.#owner = NO_OWNER;
    this.#ownerChanged = false;
    this.#lifetime = undefined;
    this.#lifetimeChanged = false;
    this.#changes = undefined;
    this.#flashChanges = undefined;
    this.#takenFlash = undefined;
    this.#destroyed = true;
    this.#isNew = true;
  }

  commit(): Promise<string | undefined> {
    let committing: Promise<void> | undefined;
    try {
      committing = this.startCommit();
    } catch (error) {
      return Promise.reject(error);
    }
    return committing === undefined
      ? Promise.resolve(this.#setCookie)
      : committing.then(() => this.#setCookie);
  }

  /**
   * Starts a commit: `undefined` when it finished at once (a store in this
   * process), else its promise. Commits of one handle run one after
   * another; `setCookie` holds the cookie owed once it is done.
   */
  startCommit(): Promise<void> | undefined {
    const previous = this.#pending;
    const save = this.#save;
    const self = this as SessionHandle;
    const run = previous === undefined
      ? save(self)
      : previous.then(() => save(self));
    if (run === undefined) return undefined;
    const done: Promise<unknown> = run.then(
      () => {
        if (this.#pending === done) this.#pending = undefined;
      },
      () => {
        if (this.#pending === done) this.#pending = undefined;
      },
    );
    this.#pending = done;
    return run;
  }
}

/** Refuses a value that JSON cannot carry. */
function checkValue(key: string, value: unknown): void {
  const type = typeof value;
  if (type === "function" || type === "symbol" || type === "bigint") {
    throw new TypeError(
      `Cannot set session value "${key}": values must be JSON-compatible, received a ${type}`,
    );
  }
}

/** Runs an update function and checks what it returns. */
function applyUpdate(
  key: string,
  apply: (current: unknown) => unknown,
  current: unknown,
): unknown {
  const value = apply(current);
  if (value !== undefined) checkValue(key, value);
  return value;
}
