// Private module: the strategy behind a manager. A backend opens the session
// of a request and saves its handle; the manager chooses one at construction
// and knows nothing of how it keeps sessions. A store that keeps sessions in
// its own way (the sealed cookie store) provides its backend under `BACKEND`;
// every other store gets the store-backed one.

import type { SessionHandle } from "./_handle.ts";
import type { SubjectSessions } from "./_subject_index.ts";
import type { ManagerConfig } from "./manager_options.ts";
import type { SessionRequest } from "./session.ts";

/** Opens and saves sessions for one manager. */
export interface SessionBackend {
  /**
   * The session of a request: the handle at once when nothing has to wait
   * (no cookie, an invalid one, a store in this process), else a promise.
   * Its handle's `commit()` saves through this backend.
   */
  open<Data, Flash>(
    request: SessionRequest,
  ): SessionHandle<Data, Flash> | Promise<SessionHandle<Data, Flash>>;
  /** The user-session index, when the backend keeps one. */
  readonly subjects: SubjectSessions | undefined;
}

/** The key under which a store provides a backend of its own. */
export const BACKEND: unique symbol = Symbol("sesame.backend");

/** A store that provides a backend of its own. */
export interface BackendSource {
  /** Makes the backend for a manager with this configuration. */
  [BACKEND](config: ManagerConfig): SessionBackend;
}

/** Whether a store provides a backend of its own. */
export function providesBackend(store: unknown): store is BackendSource {
  return typeof (store as Partial<BackendSource> | null | undefined)
    ?.[BACKEND] === "function";
}
