// A clock that moves only when told, for expiry tests that do not wait.

/** A manual clock in milliseconds since the Unix epoch. */
export class FakeClock {
  #now: number;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  /** The current time; pass as `now: clock.now`. */
  now = (): number => this.#now;

  /** Moves the clock forward. */
  advanceSeconds(seconds: number): void {
    this.#now += seconds * 1000;
  }
}
