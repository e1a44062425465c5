// Private module: the subject index of DenoKvStore, one entry per subject
// and record key, holding the record's latest possible expiry.

import type { SubjectIndex } from "../store.ts";
import type { DenoKvStoreClient } from "./deno_kv.ts";

/**
 * Deletes per atomic operation of `subjects.remove()`: the lowest mutation
 * limit of any Deno KV backend, and 10 keys of at most 2 KiB each stay under
 * the limit on the total key size of one operation.
 */
const REMOVE_BATCH = 10;
/** The subject index: one Deno KV entry per subject and key. */
export class DenoKvSubjectIndex implements SubjectIndex {
  #kv: DenoKvStoreClient;
  #prefix: readonly string[];
  #now: () => number;

  constructor(kv: DenoKvStoreClient, prefix: string[], now: () => number) {
    this.#kv = kv;
    this.#prefix = prefix;
    this.#now = now;
  }

  async add(subject: string, key: string, expiresAt: number): Promise<void> {
    await this.#kv.set([...this.#prefix, subject, key], expiresAt, {
      expireIn: Math.max(1, Math.ceil(expiresAt - this.#now())),
    });
  }

  async list(subject: string): Promise<string[]> {
    const prefix = [...this.#prefix, subject];
    const now = this.#now();
    const keys: string[] = [];
    for await (const { key, value } of this.#kv.list({ prefix })) {
      const last = key[prefix.length];
      if (
        key.length === prefix.length + 1 && typeof last === "string" &&
        typeof value === "number" && value > now
      ) {
        keys.push(last);
      }
    }
    return keys;
  }

  async remove(subject: string, keys: string[]): Promise<void> {
    const unique = [...new Set(keys)];
    const batches: Promise<unknown>[] = [];
    for (let start = 0; start < unique.length; start += REMOVE_BATCH) {
      const operation = this.#kv.atomic();
      for (const key of unique.slice(start, start + REMOVE_BATCH)) {
        operation.delete([...this.#prefix, subject, key]);
      }
      batches.push(operation.commit());
    }
    await Promise.all(batches);
  }
}
