// Private module: writing a record under a brand-new id, for a new session
// and for a regenerated one. Such an id is known to nobody else, so a store
// that does not take the write is broken or disagrees about the time: the
// request fails, and no cookie ever names the id.

import { expiryFor, lifetimeOf } from "./_lifetime.ts";
import type { BoundRecord, SessionRecord } from "./_record.ts";
import type { StoreAccess } from "./_store_access.ts";
import { indexRecord } from "./_subject_index.ts";
import { SessionStoreError } from "./errors.ts";

/**
 * Writes a record under a new id. A record that was written but whose index
 * entry then failed is deleted again.
 *
 * @param rotated Whether the record is a regenerated session's.
 */
export async function createRecord(
  access: StoreAccess,
  id: string,
  record: SessionRecord,
  rotated: boolean,
): Promise<BoundRecord> {
  const now = record.createdAt;
  const key = access.keyOf(id);
  const lifetime = lifetimeOf(access.config, record.lifetime);
  const expiresAt = expiryFor(lifetime, record.createdAt, now);
  const secret = access.secretFor(id);
  // No wait at all in clear.
  const value = secret === undefined
    ? access.serialize(record, key)
    : await access.encode(record, key, secret);
  // Only a record with a subject has an index entry: no await otherwise.
  if (record.subject !== undefined) await indexRecord(access, record, key);
  const result = await access.call(
    "set",
    () =>
      access.store.set(
        key,
        value,
        access.writeOptions(record, expiresAt, null, rotated),
      ),
  );
  if (!result.ok) {
    throw new SessionStoreError("set", {
      cause: new Error(
        result.expired === true
          ? "The store did not write a new record: by its clock, the record has already expired"
          : "The store reported a record under a brand-new id",
      ),
    });
  }
  if (record.subject !== undefined) {
    try {
      // Again, after the write: see indexRecord().
      await indexRecord(access, record, key);
    } catch (error) {
      await access.discard(key);
      throw error;
    }
  }
  const bound: BoundRecord = {
    key,
    version: result.version,
    expiresAt,
    createdAt: record.createdAt,
    value,
  };
  if (secret !== undefined) bound.secret = secret;
  return bound;
}

/**
 * Rewrites a regenerated session's record that this request created, with
 * values taken over from a concurrent request. `undefined` when the store
 * did not take it: the record was revoked meanwhile (`revokeSessions()` can
 * list it once it is written), or expired by the store's clock.
 */
export async function overwriteRecord(
  access: StoreAccess,
  written: BoundRecord,
  record: SessionRecord,
): Promise<BoundRecord | undefined> {
  const now = record.createdAt;
  const lifetime = lifetimeOf(access.config, record.lifetime);
  const expiresAt = expiryFor(lifetime, record.createdAt, now);
  const value = written.secret === undefined
    ? access.serialize(record, written.key)
    : await access.encode(record, written.key, written.secret);
  if (record.subject !== undefined) {
    await indexRecord(access, record, written.key);
  }
  const result = await access.call(
    "set",
    () =>
      access.store.set(
        written.key,
        value,
        // The version this request wrote: only a revocation changes it.
        access.writeOptions(record, expiresAt, written.version, true),
      ),
  );
  if (!result.ok) return undefined;
  // Again, after the write: see indexRecord().
  if (record.subject !== undefined) {
    await indexRecord(access, record, written.key);
  }
  return {
    ...written,
    version: result.version,
    expiresAt,
    value,
  };
}
