// Private module: the subject index of SqliteStore, one row per subject and
// record key in the table `<table>_subjects`, holding the latest expiry the
// record can reach. Each method is one statement.

import type { SubjectIndex } from "../store.ts";
import { column, expiryArgument, type Statements } from "./_sqlite_sql.ts";

/** Runs one statement for `action` and resolves with its rows. */
export type Run = (
  action: string,
  sql: string,
  params: (string | number)[],
) => Promise<readonly unknown[]>;

const ADD_ACTION = "Cannot add session to subject in SQLite";
const LIST_ACTION = "Cannot list sessions of subject in SQLite";
const REMOVE_ACTION = "Cannot remove sessions of subject in SQLite";

/** The subject index: one row per subject and key. */
export class SqliteSubjectIndex implements SubjectIndex {
  #run: Run;
  #sql: Statements;
  #now: () => number;

  constructor(run: Run, sql: Statements, now: () => number) {
    this.#run = run;
    this.#sql = sql;
    this.#now = now;
  }

  async add(subject: string, key: string, expiresAt: number): Promise<void> {
    const expiry = expiryArgument(ADD_ACTION, expiresAt);
    // An entry that has already expired would only wait for a sweep.
    if (!(expiry > this.#now())) return;
    await this.#run(ADD_ACTION, this.#sql.subjectAdd, [subject, key, expiry]);
  }

  async list(subject: string): Promise<string[]> {
    const rows = await this.#run(LIST_ACTION, this.#sql.subjectList, [
      subject,
      this.#now(),
    ]);
    const keys: string[] = [];
    for (const row of rows) {
      const key = column(row, "key");
      if (typeof key === "string") keys.push(key);
    }
    return keys;
  }

  async remove(subject: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    // One statement for any number of keys: they travel as one JSON
    // parameter (D1 binds at most 100 parameters per statement).
    await this.#run(REMOVE_ACTION, this.#sql.subjectRemove, [
      subject,
      JSON.stringify(keys),
    ]);
  }
}
