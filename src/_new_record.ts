// Private module: writing a record under a brand-new id, for a new session
// and for a regenerated one. Such an id is known to nobody else, so a store
// that does not take the write is broken or disagrees about the time: the
// request fails, and no cookie ever names the id.

import { expiryFor } from "./_lifetime.ts";
import type { BoundRecord, SessionRecord } from "./_record.ts";
import type { StoreAccess } from "./_store_access.ts";
import { indexRecord, reindexRecord } from "./_subject_index.ts";
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
  const expiresAt = expiryFor(access.config, record.createdAt, now);
  const value = access.serialize(record, key);
  await indexRecord(access, record, key);
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
    throw refused(
      "The store did not write a record under a brand-new id: it reported one there already, or its clock says the record has expired",
    );
  }
  if (record.subject !== undefined) {
    try {
      await reindexRecord(access, record, key, undefined);
    } catch (error) {
      await access.discard(key);
      throw error;
    }
  }
  return {
    key,
    version: result.version,
    expiresAt,
    createdAt: record.createdAt,
    subject: record.subject,
    value,
  };
}

/**
 * Rewrites a regenerated session's record that this request created and
 * nobody else knows yet, with values taken over from a concurrent request.
 */
export async function overwriteRecord(
  access: StoreAccess,
  written: BoundRecord,
  record: SessionRecord,
): Promise<BoundRecord> {
  const now = record.createdAt;
  const expiresAt = expiryFor(access.config, record.createdAt, now);
  const value = access.serialize(record, written.key);
  await indexRecord(access, record, written.key);
  const result = await access.call(
    "set",
    () =>
      access.store.set(
        written.key,
        value,
        // The version this request wrote: nobody else knows the key.
        access.writeOptions(record, expiresAt, written.version, true),
      ),
  );
  if (!result.ok) {
    throw refused(
      "The store did not write a regenerated session's record: its clock says the record has expired",
    );
  }
  if (record.subject !== undefined || written.subject !== undefined) {
    await reindexRecord(access, record, written.key, written.subject);
  }
  return {
    ...written,
    version: result.version,
    expiresAt,
    subject: record.subject,
    value,
  };
}

/** The error of a write under a new id that the store did not take. */
function refused(message: string): SessionStoreError {
  return new SessionStoreError("set", { cause: new Error(message) });
}
