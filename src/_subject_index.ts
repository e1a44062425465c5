// Private module: the user-session index, as the manager keeps it in step
// with the records. The rules, which hold at every interleaving:
// - a writer adds the entry before it writes the record (a record is never
//   live without its entry) and again after (a listing in between may have
//   dropped it);
// - a listing drops an entry only when its record is gone, rotated or of
//   another subject, and reads the record again after dropping it: if it is
//   live by then, the entry goes back (a writer's record landed meanwhile);
// - a revocation drops the entries of the records it deleted;
// - nothing else removes an entry: a key whose subject changed stays under
//   the old subject until that subject's next listing drops it.

import { publicHandle } from "./_events.ts";
import { SessionHandle } from "./_handle.ts";
import { lifetimeOf } from "./_lifetime.ts";
import { ROTATED, type SessionRecord } from "./_record.ts";
import type { Found, StoreAccess } from "./_store_access.ts";
import { describeValue } from "./_options.ts";
import type { SessionInfo } from "./manager.ts";
import type { SubjectIndex } from "./store.ts";

/** A live session of a subject, with its key. */
type Listed = Found & { key: string };

/** The index of a store's records by subject, kept by one manager. */
export class SubjectSessions {
  #access: StoreAccess;
  #subjects: SubjectIndex;

  constructor(access: StoreAccess, subjects: SubjectIndex) {
    this.#access = access;
    this.#subjects = subjects;
  }

  /** Lists the live sessions of a subject, most recently used first. */
  async list(subject: string, current?: unknown): Promise<SessionInfo[]> {
    const found = await this.#sessionsOf(subject, "list sessions");
    const currentKey = SessionHandle.keyOf(current);
    const config = this.#access.config;
    return found
      .map(({ key, record, entry }) => {
        const { idleMs } = lifetimeOf(config, record.lifetime);
        const info: SessionInfo = {
          handle: publicHandle(key),
          createdAt: record.createdAt,
          lastSeenAt: Math.max(record.createdAt, entry.expiresAt - idleMs),
          expiresAt: entry.expiresAt,
          current: key === currentKey,
        };
        if (record.label !== undefined) info.label = record.label;
        return info;
      })
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  /** Ends every live session of a subject but `except`. */
  async revoke(subject: string, except?: unknown): Promise<number> {
    const found = await this.#sessionsOf(subject, "revoke sessions");
    const keep = SessionHandle.keyOf(except);
    const ended = found.map(({ key }) => key).filter((key) => key !== keep);
    return await this.#end(subject, ended, "all");
  }

  /** Ends the session of a subject that `handle` names. */
  async revokeOne(subject: string, handle: string): Promise<boolean> {
    const found = await this.#sessionsOf(subject, "revoke session");
    const match = found.find(({ key }) => publicHandle(key) === handle);
    return match !== undefined &&
      await this.#end(subject, [match.key], "one") === 1;
  }

  /** Deletes records of a subject and their index entries. */
  async #end(
    subject: string,
    keys: string[],
    reason: "one" | "all",
  ): Promise<number> {
    const access = this.#access;
    await Promise.all(
      keys.map((key) => access.call("delete", () => access.store.delete(key))),
    );
    if (keys.length > 0) {
      await access.call("index", () => this.#subjects.remove(subject, keys));
    }
    const events = access.config.events;
    if (events !== undefined) {
      const at = access.config.now();
      for (const key of keys) {
        events.emit({
          type: "revoked",
          at,
          handle: publicHandle(key),
          subject,
          reason,
        });
      }
    }
    return keys.length;
  }

  /**
   * The live sessions of a subject. Index entries whose record is gone,
   * moved or no longer the subject's are dropped from the index.
   */
  async #sessionsOf(subject: string, action: string): Promise<Listed[]> {
    if (typeof subject !== "string" || subject === "") {
      throw new TypeError(
        `Cannot ${action}: subject must be a non-empty string, received ${
          describeValue(subject)
        }`,
      );
    }
    const access = this.#access;
    const subjects = this.#subjects;
    const keys = await access.call("index", () => subjects.list(subject));
    const { live, dead } = await this.#read(subject, keys);
    if (dead.length === 0) return live;
    await access.call("index", () => subjects.remove(subject, dead));
    // A record written between the first read and the removal would now be
    // live without its entry: read once more, and put such entries back.
    const again = await this.#read(subject, dead);
    await Promise.all(
      again.live.map(({ key, record }) => indexRecord(access, record, key)),
    );
    return [...live, ...again.live];
  }

  /** Reads the records of `keys`: those live and the subject's, and the rest. */
  async #read(
    subject: string,
    keys: string[],
  ): Promise<{ live: Listed[]; dead: string[] }> {
    const records = await Promise.all(
      keys.map((key) => this.#access.read(key)),
    );
    const live: Listed[] = [];
    const dead: string[] = [];
    records.forEach((found, i) => {
      if (
        found !== undefined && found !== ROTATED &&
        found.record.subject === subject
      ) {
        live.push({ ...found, key: keys[i] });
      } else {
        dead.push(keys[i]);
      }
    });
    return { live, dead };
  }
}

/**
 * Adds a record to its subject's index. Writers call it before the record is
 * written (a record is never live without its entry) and again after (a
 * listing that ran in between found no record, or one of another subject,
 * and may have dropped the entry). A key stays under a subject it had before
 * until that subject's next listing finds the record no longer its own:
 * removing it at once could undo a concurrent change back.
 */
export async function indexRecord(
  access: StoreAccess,
  record: SessionRecord,
  key: string,
): Promise<void> {
  const subjects = access.store.subjects;
  if (record.subject === undefined || subjects === undefined) return;
  const subject = record.subject;
  const until = record.createdAt +
    lifetimeOf(access.config, record.lifetime).absoluteMs;
  await access.call("index", () => subjects.add(subject, key, until));
}
