// A tolerant, allocation-free scanner for the `Cookie` request header, used
// by the session cookie's `read()` on every request.
//
// The header is `name=value` pairs separated by ";", each with optional
// spaces or tabs around the name and the value (RFC 6265bis section 5.6
// parses names and values the same way). Pairs without "=" are ignored.
// Commas are not separators: splitting on them would let a cookie whose value
// an attacker controls ("a=x, __Host-sid=evil") smuggle in a forged session
// cookie. Nothing here throws or allocates, except `trimmedSlice`, which
// returns the one string the caller asked for; every scan is linear in the
// header's length.
//
// Names are compared exactly (case-sensitively). A name is found only if it
// is non-empty and holds no ";", "=" or surrounding whitespace, which every
// RFC 7230 token satisfies.

/** Whether a UTF-16 code unit is a space or a horizontal tab (WSP). */
function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Finds the next pair named `name` at or after `from`.
 * @returns The index just after its "=", or -1.
 */
export function findValue(header: string, name: string, from: number): number {
  const length = header.length;
  let index = from;
  while (index < length) {
    while (isWhitespace(header.charCodeAt(index))) index++;
    if (header.startsWith(name, index)) {
      let after = index + name.length;
      while (isWhitespace(header.charCodeAt(after))) after++;
      if (header.charCodeAt(after) === 0x3d /* = */) return after + 1;
    }
    const semicolon = header.indexOf(";", index);
    if (semicolon === -1) return -1;
    index = semicolon + 1;
  }
  return -1;
}

/** The index of the ";" that ends the pair containing `index`, or the header's length. */
export function pairEnd(header: string, index: number): number {
  const semicolon = header.indexOf(";", index);
  return semicolon === -1 ? header.length : semicolon;
}

/** The header's characters between `start` and `end`, without surrounding WSP. */
export function trimmedSlice(
  header: string,
  start: number,
  end: number,
): string {
  while (start < end && isWhitespace(header.charCodeAt(start))) start++;
  while (end > start && isWhitespace(header.charCodeAt(end - 1))) end--;
  return header.slice(start, end);
}
