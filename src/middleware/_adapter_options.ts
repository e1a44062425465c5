// Private module of the framework adapters: the checks every adapter makes
// of its arguments, with the same messages.

import { describeValue } from "../_options.ts";

/**
 * Checks an adapter's arguments: `sessions` must be a session manager and
 * `options` an object, and the option `key` a non-empty string (`fallback`
 * when unset), which is returned.
 *
 * @throws {TypeError} Naming the argument or option and what it received.
 */
export function adapterName<Name extends string>(
  action: string,
  sessions: unknown,
  options: unknown,
  key: string,
  fallback: Name,
): Name {
  if (typeof (sessions as { load?: unknown } | null)?.load !== "function") {
    throw new TypeError(
      `${action}: sessions must be a session manager, received ${
        describeValue(sessions)
      }`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `${action}: options must be an object, received ${
        describeValue(options)
      }`,
    );
  }
  const name = (options as Record<string, unknown>)[key] ?? fallback;
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `${action}: ${key} must be a non-empty string, received ${
        describeValue(name)
      }`,
    );
  }
  return name as Name;
}
