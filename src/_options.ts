// Validation of configuration, shared by the factories. Every check throws at
// construction with a message in one style: what failed, the option, the
// value received and what is expected.

/** What a check needs to know of the option it checks. */
export interface Option<T> {
  /** The action that fails, such as "Cannot create session manager". */
  action: string;
  /** The option's name. */
  name: string;
  /** The value to use when the option is not given. */
  fallback: T;
}

/** Describes a received value for an error message, briefly and without dumping objects. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(
        value.length > 64 ? `${value.slice(0, 61)}...` : value,
      );
    case "bigint":
      return `${value}n`;
    case "function":
      return "a function";
    case "object":
      if (value === null) return "null";
      return Array.isArray(value) ? "an array" : "an object";
    default:
      return String(value);
  }
}

/**
 * Returns `value` when it is a whole number in `[min, max]`, `fallback` when
 * it is undefined, and throws otherwise.
 */
export function wholeNumber(
  value: unknown,
  { action, name, fallback, min, max = Number.MAX_SAFE_INTEGER }:
    & Option<number>
    & {
      min: number;
      max?: number;
    },
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(
      `${action}: ${name} must be a number, received ${describeValue(value)}`,
    );
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `${action}: ${name} must be a whole number from ${min} to ${max}, received ${
        describeValue(value)
      }`,
    );
  }
  return value;
}

/** Returns `value` when it is a function, `fallback` when undefined, and throws otherwise. */
export function functionValue<T extends (...args: never[]) => unknown>(
  value: unknown,
  { action, name, fallback }: Option<T>,
): T {
  if (value === undefined) return fallback;
  if (typeof value !== "function") {
    throw new TypeError(
      `${action}: ${name} must be a function, received ${describeValue(value)}`,
    );
  }
  return value as T;
}
