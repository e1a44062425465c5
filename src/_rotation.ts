// Private module: moving a session to a new id (`regenerate()`). The new
// record is written first; then the old one is replaced by the `ROTATED`
// marker, on condition that it is still the version the values came from.
// Until the marker is written the old session stays as it was, so a failure
// leaves the request in the session it had.

import { publicHandle, reportConflict } from "./_events.ts";
import type { SessionHandle } from "./_handle.ts";
import { cookieUntil, lifetimeOf } from "./_lifetime.ts";
import { createRecord, overwriteRecord } from "./_new_record.ts";
import { rebase, type Rebased, recordOf } from "./_changes.ts";
import { type BoundRecord, ROTATED, serializeRotated } from "./_record.ts";
import { backoff, type StoreAccess } from "./_store_access.ts";
import { SessionConflictError } from "./errors.ts";

/**
 * Moves a session to the handle's new id. When a concurrent request changed
 * the old record first, its values are taken over and the new record written
 * again; when one destroyed or regenerated it, the regeneration is dropped
 * and the handle becomes stale.
 */
export async function rotate(
  access: StoreAccess,
  handle: SessionHandle,
  old: Readonly<BoundRecord>,
): Promise<void> {
  const { store, config } = access;
  const events = config.events;
  const started = events === undefined ? 0 : performance.now();
  let rebased: Rebased | undefined = { base: old, record: recordOf(handle, 0) };
  if (!store.compareAndSet) rebased = await reread(access, handle, old);
  if (rebased === undefined) return handle.markStale();
  let written: BoundRecord | undefined;
  try {
    for (let attempt = 1;; attempt++) {
      const now = config.now();
      // regenerate() starts a new lifetime: the new id is a new credential.
      const record = { ...rebased.record, createdAt: now };
      if (written === undefined) {
        written = await createRecord(access, handle.id, record, true);
      } else {
        const rewritten = await overwriteRecord(access, written, record);
        if (rewritten === undefined) return await drop(access, handle, written);
        written = rewritten;
      }
      const version = rebased.base.version;
      const retired = await access.call(
        "set",
        () =>
          store.set(old.key, serializeRotated(now), {
            expiresAt: now + config.rotationGraceMs,
            ...access.ifVersion(version),
          }),
      );
      // A marker that had expired by the store's clock when it landed deleted
      // the old record instead (its precondition held): the id is retired.
      if (retired.ok || retired.expired === true) {
        const lifetime = lifetimeOf(config, record.lifetime);
        const setCookie = cookieUntil(lifetime, handle, written.expiresAt, now);
        handle.markSaved(written, record, setCookie);
        events?.emit({
          type: "regenerated",
          at: now,
          handle: publicHandle(written.key),
          previousHandle: publicHandle(old.key),
          subject: record.subject,
          createdAt: now,
          expiresAt: written.expiresAt,
        });
        return;
      }
      const gaveUp = attempt >= config.maxAttempts;
      if (events !== undefined) {
        const { subject } = record;
        reportConflict(events, old.key, subject, attempt, gaveUp, started, now);
      }
      if (gaveUp) throw new SessionConflictError(attempt);
      await backoff(attempt);
      rebased = await reread(access, handle, old);
      if (rebased === undefined) return await drop(access, handle, written);
    }
  } catch (error) {
    if (written !== undefined) await access.discard(written.key);
    // The new id may still name a record (a clean-up that failed, a write
    // that timed out and lands later). It was never sent: a retry takes
    // another one.
    handle.forgetId();
    throw error;
  }
}

/**
 * Gives the regeneration up: the session was destroyed, regenerated or
 * revoked meanwhile. The new record goes, and the handle is stale.
 */
async function drop(
  access: StoreAccess,
  handle: SessionHandle,
  written: BoundRecord,
): Promise<void> {
  await access.discard(written.key);
  handle.markStale();
}

/**
 * The handle's changes on the latest record of `bound`; `undefined` when it
 * was destroyed or regenerated meanwhile.
 */
export async function reread(
  access: StoreAccess,
  handle: SessionHandle,
  bound: Readonly<BoundRecord>,
): Promise<Rebased | undefined> {
  const key = bound.key;
  const latest = await access.read(key, false, { secret: bound.secret });
  if (latest === undefined || latest === ROTATED) return undefined;
  return rebase(handle, key, latest);
}
