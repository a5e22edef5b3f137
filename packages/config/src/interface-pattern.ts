// `l2Advertisements[].interfaceSelector.namePatterns`: shell-style patterns over interface names, the way an
// operator writes them (`en*`, `bond0.1??`). Only `*` (any run of characters, also none) and `?` (one
// character) are special; everything else matches itself.

const cache = new Map<string, RegExp>();

export function matchesInterfacePattern(pattern: string, name: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    const body = [...pattern]
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, 's');
    cache.set(pattern, re);
  }
  return re.test(name);
}
