/**
 * The base class of every error that sesame throws at run time.
 *
 * Configuration mistakes throw the built-in `TypeError` or `RangeError` when
 * the manager or a store is created; errors of this family are what a request
 * handler may want to catch: a store that failed, or a save that lost a race
 * it cannot win.
 *
 * @example Tell session errors from the rest
 * ```ts
 * import { SessionError } from "@sesame/session";
 *
 * function statusFor(error: unknown): number {
 *   return error instanceof SessionError ? 503 : 500;
 * }
 * ```
 */
export class SessionError extends Error {
  /**
   * Creates a session error.
   *
   * @param message What failed, without ids, keys or session data.
   * @param options The underlying `cause`, when there is one.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SessionError";
  }
}

/** The store operation that failed, as reported by {@linkcode SessionStoreError}. */
export type StoreOperation = "get" | "set" | "delete" | "touch" | "index";

/**
 * A store call threw, rejected or returned something unusable.
 *
 * The original error is kept as `cause`. When a save fails, no `Set-Cookie`
 * is produced for it, so the browser keeps the cookie it had and the store
 * keeps the record it had.
 *
 * @example Answer 503 while the store is down
 * ```ts
 * import { createSessionManager, SessionStoreError } from "@sesame/session";
 *
 * const sessions = createSessionManager();
 * const handler = sessions.handler((_request, session) =>
 *   Response.json({ count: session.get("count") ?? null })
 * );
 *
 * async function serve(request: Request): Promise<Response> {
 *   try {
 *     return await handler(request);
 *   } catch (error) {
 *     if (error instanceof SessionStoreError) {
 *       return new Response("Service unavailable", { status: 503 });
 *     }
 *     throw error;
 *   }
 * }
 *
 * await serve(new Request("http://localhost/"));
 * ```
 */
export class SessionStoreError extends SessionError {
  /** The store method that failed. */
  readonly operation: StoreOperation;

  /**
   * Creates a store error.
   *
   * @param operation The store method that failed.
   * @param options The error the store threw, as `cause`.
   */
  constructor(operation: StoreOperation, options?: ErrorOptions) {
    super(`Cannot ${operation} session record: the store failed`, options);
    this.name = "SessionStoreError";
    this.operation = operation;
  }
}

/**
 * A save kept losing compare-and-set races against concurrent requests of the
 * same session and gave up after its retries.
 *
 * Each retry re-reads the latest record and re-applies this request's
 * changes, so this error means sustained contention on one session, not a
 * single unlucky race. Nothing was written for the save that threw.
 *
 * @example Recognise contention
 * ```ts
 * import { SessionConflictError } from "@sesame/session";
 *
 * function isContention(error: unknown): boolean {
 *   return error instanceof SessionConflictError;
 * }
 * ```
 */
export class SessionConflictError extends SessionError {
  /** How many times the save was tried. */
  readonly attempts: number;

  /**
   * Creates a conflict error.
   *
   * @param attempts How many times the save was tried.
   */
  constructor(attempts: number) {
    super(
      `Cannot save session: the record kept changing under concurrent requests (${attempts} attempts)`,
    );
    this.name = "SessionConflictError";
    this.attempts = attempts;
  }
}

/**
 * A session grew past what its store can keep: nothing was written and no
 * cookie was sent, so the previous state stays as it was.
 *
 * The sealed cookie store raises it when the sealed session would not fit in
 * a 4096-byte cookie; a store with a size limit (Deno KV's 64 KiB per value)
 * raises it for a record over the limit.
 *
 * @example Tell the user the cart is full
 * ```ts
 * import { SessionTooLargeError } from "@sesame/session";
 *
 * function messageFor(error: unknown): string | undefined {
 *   return error instanceof SessionTooLargeError
 *     ? `The session is full (${error.bytes} of ${error.limit} bytes)`
 *     : undefined;
 * }
 * ```
 */
export class SessionTooLargeError extends SessionError {
  /** How many bytes the session would have taken. */
  readonly bytes: number;
  /** The most the store keeps. */
  readonly limit: number;

  /**
   * Creates a size error.
   *
   * @param what What would have grown too large, such as "the sealed cookie".
   * @param bytes How many bytes it would have taken.
   * @param limit The most the store keeps.
   */
  constructor(what: string, bytes: number, limit: number) {
    super(
      `Cannot save session: ${what} would take ${bytes} bytes, over the limit of ${limit} bytes`,
    );
    this.name = "SessionTooLargeError";
    this.bytes = bytes;
    this.limit = limit;
  }
}
