/**
 * Text that came from the network (a router's RFC 9003 shutdown communication, a remote program's status
 * document), made safe to print on a terminal or in a log: C0 and C1 control characters, DEL and the Unicode
 * bidirectional overrides and isolates become visible `\u{…}` escapes. Printed raw they could move the cursor,
 * rewrite earlier lines, set a terminal title or reorder what a reader sees ("Trojan Source"). Escaping rather
 * than dropping keeps the evidence of what was sent.
 */

// C0 (incl. tab, newline, ESC), DEL, C1 (incl. 8-bit CSI), LRE..RLO, LRI..PDI, and the line/paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}
