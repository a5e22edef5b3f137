// docs/architecture.md against the workspaces: every workspace has a row, and each row's "depends on (ours)"
// column lists exactly the @herald/* dependencies in that workspace's package.json — so the page that tells
// contributors which way the arrows point cannot drift from the code. Also checks the direction rules the
// page states: inet is the leaf, domain packages depend on nothing of ours but inet, and only
// programs and the platform layer import @kubernetes/client-node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './constants.ts';

interface Manifest {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
}

const doc = readFileSync(join(REPO_ROOT, 'docs/architecture.md'), 'utf8');
const workspaces = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }
).workspaces;
const manifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as Manifest;
const ours = (dir: string): string[] =>
  Object.keys(manifest(dir).dependencies ?? {})
    .filter((d) => d.startsWith('@herald/'))
    .map((d) => d.slice('@herald/'.length))
    .sort();

/** Rows `| \`dir\` (...) | job | deps |` of the packages table. */
const rows = new Map(
  [...doc.matchAll(/^\|\s*`([a-z/0-9-]+)`\s*\([^)]*\)\s*\|[^|]*\|\s*([^|]*)\|$/gm)].map((m) => [
    m[1]!,
    m[2]!.trim() === '—'
      ? []
      : m[2]!
          .split(',')
          .map((s) => s.trim())
          .sort(),
  ]),
);

describe('docs/architecture.md', () => {
  test('has a row for every workspace and no other', () => {
    expect([...rows.keys()].sort()).toEqual([...workspaces].sort());
  });

  test.each(workspaces)('%s: the documented arrows are the package.json dependencies', (dir) => {
    expect(rows.get(dir)).toEqual(ours(dir));
  });

  test('inet is the leaf; domain packages depend on nothing of ours but inet', () => {
    expect(ours('packages/inet')).toEqual([]);
    for (const dir of ['packages/bgp', 'packages/bfd', 'packages/config', 'packages/l2', 'packages/native'])
      expect({ dir, deps: ours(dir).filter((d) => d !== 'inet') }).toEqual({ dir, deps: [] });
  });

  test('only programs and the platform layer depend on @kubernetes/client-node', () => {
    const users = workspaces.filter((dir) => manifest(dir).dependencies?.['@kubernetes/client-node']);
    expect(users.filter((dir) => !/^(packages\/(kube|controller|speaker|cli)|e2e|bench)$/.test(dir))).toEqual(
      [],
    );
  });
});
