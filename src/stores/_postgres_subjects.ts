// Private module: the subject index of PostgresStore, one row per subject and
// record key in the table `<table>_subjects`, holding the record's latest
// possible expiry.

import type { SubjectIndex } from "../store.ts";
import {
  arrayLiteral,
  decodeText,
  encodeText,
  malformed,
  millis,
  run,
  subjectStatements,
  type TableNames,
} from "./_postgres_sql.ts";
import type { PostgresStoreClient } from "./postgres.ts";

const ADD_ACTION = "Cannot add session to subject in PostgreSQL";
const LIST_ACTION = "Cannot list sessions of subject in PostgreSQL";
const REMOVE_ACTION = "Cannot remove sessions of subject in PostgreSQL";

/** The subject index of a {@linkcode PostgresStore}. */
export class PostgresSubjectIndex implements SubjectIndex {
  #client: PostgresStoreClient;
  #names: TableNames;
  #now: () => number;
  #sql: ReturnType<typeof subjectStatements>;

  constructor(
    client: PostgresStoreClient,
    names: TableNames,
    now: () => number,
  ) {
    this.#client = client;
    this.#names = names;
    this.#now = now;
    this.#sql = subjectStatements(names);
  }

  async add(subject: string, key: string, expiresAt: number): Promise<void> {
    const expiry = millis(ADD_ACTION, "expiresAt", expiresAt);
    const now = this.#now();
    // An entry that has already expired would be forgotten at once.
    if (Number(expiry) <= now) return;
    await run(this.#client, this.#names, ADD_ACTION, this.#sql.add, [
      encodeText(subject),
      encodeText(key),
      expiry,
      millis(ADD_ACTION, "now()", now),
    ]);
  }

  async list(subject: string): Promise<string[]> {
    const rows = await run(
      this.#client,
      this.#names,
      LIST_ACTION,
      this.#sql.list,
      [encodeText(subject), millis(LIST_ACTION, "now()", this.#now())],
    );
    return rows.map(({ key }) => {
      if (typeof key !== "string") {
        throw malformed(LIST_ACTION, "rows with a text key", key);
      }
      return decodeText(key);
    });
  }

  async remove(subject: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await run(this.#client, this.#names, REMOVE_ACTION, this.#sql.remove, [
      encodeText(subject),
      arrayLiteral(keys.map(encodeText)),
    ]);
  }
}
