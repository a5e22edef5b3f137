/**
 * Orders strings by UTF-16 code units: the order `Array.prototype.sort()` uses without a comparator, the same
 * in every locale. For names, addresses and keys, where the order only has to be stable. Not `localeCompare`:
 * its first call builds an ICU collator, which pages ~2.6 MiB of ICU data into the process (docs/performance.md).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
