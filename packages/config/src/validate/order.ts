// Errors are reported in the order of the document: keys in the order they were written (YAML mappings keep
// it), list items by index, fields the input lacks (missing required ones) after those it has, and a field
// before its children.
import type { Issue, Path } from '../path.ts';
import { isObject } from '../shape.ts';

function comparePaths(root: unknown, a: Path, b: Path): number {
  let node: unknown = root;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) {
      if (typeof x === 'number' && typeof y === 'number') return x - y;
      if (typeof x === 'number') return -1;
      if (typeof y === 'number') return 1;
      const keys = isObject(node) ? Object.keys(node) : [];
      const rx = keys.indexOf(x) < 0 ? Number.MAX_SAFE_INTEGER : keys.indexOf(x);
      const ry = keys.indexOf(y) < 0 ? Number.MAX_SAFE_INTEGER : keys.indexOf(y);
      if (rx !== ry) return rx - ry;
      return x < y ? -1 : 1;
    }
    node =
      Array.isArray(node) && typeof x === 'number' ? node[x] : isObject(node) ? node[x as string] : undefined;
  }
  return a.length - b.length;
}

/** Sorts in place (stable: issues at the same path keep the order they were found in) and returns it. */
export const sortIssues = (root: unknown, issues: Issue[]): Issue[] =>
  issues.sort((a, b) => comparePaths(root, a.path, b.path));
