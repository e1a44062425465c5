// Private module: a request's changes as records. What the handle changed is
// applied to the record it read (a new save), or re-applied to the latest
// stored record (a save that lost a race, or a store without compare-and-set).

import { DELETED, type SessionHandle, Update } from "./_handle.ts";
import {
  type BoundRecord,
  getOwn,
  NO_OWNER,
  ownerOf,
  type SessionRecord,
  setOwn,
} from "./_record.ts";
import { bind, type Found } from "./_store_access.ts";
import type { SessionData } from "./session.ts";

/** A record to write: the stored record it is based on, and its content. */
export interface Rebased {
  base: Readonly<BoundRecord>;
  record: SessionRecord;
}

/** The record of a handle as it stands, created at `createdAt`. */
export function recordOf(
  handle: SessionHandle,
  createdAt: number,
): SessionRecord {
  const owner = handle.owner;
  const flash = pendingFlash(handle);
  // A literal without a spread for the common case: it is the hot path.
  const record: SessionRecord = owner === NO_OWNER
    ? { createdAt, data: handle.data, flash }
    : { createdAt, data: handle.data, flash, ...owner };
  const lifetime = handle.lifetime;
  if (lifetime !== undefined) record.lifetime = lifetime;
  return record;
}

/** The handle's changes applied to the latest stored record. */
export function rebase(
  handle: SessionHandle,
  key: string,
  latest: Found,
): Rebased {
  const { record } = latest;
  const rebased: SessionRecord = {
    createdAt: record.createdAt,
    data: applyChanges(record.data, handle.changes),
    flash: applyChanges(record.flash, handle.flashChanges),
    ...(handle.ownerChanged ? handle.owner : ownerOf(record)),
  };
  const lifetime = handle.lifetimeChanged ? handle.lifetime : record.lifetime;
  if (lifetime !== undefined) rebased.lifetime = lifetime;
  return { base: bind(key, latest), record: rebased };
}

/** The flash values to store: those not taken, and those set, by the handle. */
function pendingFlash(handle: SessionHandle): SessionData {
  return handle.flashChanges === undefined
    ? handle.incomingFlash
    : applyChanges({ ...handle.incomingFlash }, handle.flashChanges);
}

/** Applies a change set, if any, to a record's values, in place. */
function applyChanges(
  target: SessionData,
  changes: ReadonlyMap<string, unknown> | undefined,
): SessionData {
  if (changes === undefined) return target;
  for (const [key, change] of changes) {
    const value = change instanceof Update
      ? change.apply(getOwn(target, key))
      : change;
    if (value === DELETED || value === undefined) delete target[key];
    else setOwn(target, key, value);
  }
  return target;
}
