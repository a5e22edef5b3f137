// Keeps the operator-facing pages honest against the code they describe:
// - docs/operations.md explains every NOTIFICATION error code/subcode @herald/bgp knows, with its RFC name;
// - every `herald.dev/...` Service annotation named anywhere in docs/ is one the code defines;
// - every config field path docs/migration-metallb.md maps to exists in docs/configuration.md (which a
//   @herald/config test checks against the JSON Schema).
// Metric and Event coverage against the programs' real registries is e2e/src/docs-metrics.test.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CeaseSubcode,
  ErrorCode,
  errorCodeName,
  errorSubcodeName,
  FsmSubcode,
  HeaderSubcode,
  OpenSubcode,
  RouteRefreshSubcode,
  UpdateSubcode,
} from '@herald/bgp';
import { annotations, conditionTypes } from '@herald/config';

const root = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const operations = read('docs/operations.md');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

describe('NOTIFICATION reference in docs/operations.md', () => {
  const subcodes: ReadonlyArray<readonly [number, Readonly<Record<string, number>>]> = [
    [ErrorCode.MessageHeader, HeaderSubcode],
    [ErrorCode.OpenMessage, OpenSubcode],
    [ErrorCode.UpdateMessage, UpdateSubcode],
    [ErrorCode.HoldTimerExpired, { Unspecific: 0 }],
    [ErrorCode.FiniteStateMachine, FsmSubcode],
    [ErrorCode.Cease, CeaseSubcode],
    [ErrorCode.RouteRefresh, RouteRefreshSubcode],
  ];
  const pairs = subcodes.flatMap(([code, table]) => Object.values(table).map((sub) => [code, sub] as const));

  test('covers every error code', () => {
    expect(new Set(pairs.map(([c]) => c))).toEqual(new Set(Object.values(ErrorCode)));
  });

  test.each(pairs.map(([c, s]) => [`${c}/${s}`, c, s] as const))(
    '%s has a row with its RFC name',
    (_n, code, sub) => {
      const row = operations.split('\n').find((l) => l.startsWith(`| \`${code}/${sub}\` |`));
      expect(row).toBeDefined();
      expect(row).toContain(errorCodeName(code));
      if (code !== ErrorCode.HoldTimerExpired) expect(row).toContain(errorSubcodeName(code, sub));
    },
  );
});

test('every annotation Herald knows has a row in the Service annotations table of docs/configuration.md', () => {
  const rows = new Set(
    [...read('docs/configuration.md').matchAll(/^\| `(herald\.dev\/[A-Za-z-]+)` \|/gm)].map((m) => m[1]),
  );
  expect(Object.values(annotations).filter((a) => !rows.has(a))).toEqual([]);
});

test('every herald.dev/ annotation and condition type named in docs/ exists', () => {
  const known = new Set<string>([...Object.values(annotations), ...Object.values(conditionTypes)]);
  const named = new Set<string>();
  for (const file of markdownFiles(join(root, 'docs')))
    for (const m of readFileSync(file, 'utf8').matchAll(/herald\.dev\/[A-Za-z][A-Za-z-]*/g)) named.add(m[0]);
  // herald.dev/metrics is the chart's Service label for monitors; herald.dev/tenant an example namespace label;
  // herald.dev/bgp an example loadBalancerClass; herald.dev/controller and herald.dev/speaker Event reporters.
  const notAnnotations = [
    'herald.dev/metrics',
    'herald.dev/tenant',
    'herald.dev/bgp',
    'herald.dev/controller',
    'herald.dev/speaker',
    // The misspelling the InvalidAnnotation examples show, and the proposed condition docs/concepts.md designs.
    'herald.dev/adress-pool',
    'herald.dev/Announced',
  ];
  expect(named.size).toBeGreaterThan(0);
  expect([...named].filter((a) => !known.has(a) && !notAnnotations.includes(a))).toEqual([]);
});

test('every Herald config field the MetalLB migration guide maps to is in the configuration reference', () => {
  const migration = read('docs/migration-metallb.md');
  const reference = read('docs/configuration.md');
  const fields = new Set(
    [
      ...migration.matchAll(
        /`((?:addressPools|peers|bgpAdvertisements)\[\]\.[A-Za-z.[\]]*|bgpCommunities)`/g,
      ),
    ].map((m) => m[1]!),
  );
  expect(fields.size).toBeGreaterThan(10);
  expect([...fields].filter((f) => !reference.includes(`\`${f}\``))).toEqual([]);
});
