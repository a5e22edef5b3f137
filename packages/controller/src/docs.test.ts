// Keeps docs/operations.md honest about the controller: every metric the controller registers has a row in
// the metrics reference (with its real type), every Event reason it emits has a row in the Events table, and
// the page names no controller metric or reason that does not exist. The names come from the real registry
// (createMetrics) and the exported `reasons`, so adding a metric or a reason without documenting it fails here.
import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { allocationCauses } from './allocator/index.ts';
import { createMetrics } from './metrics.ts';
import { reasons } from './reconciler.ts';

const doc = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
const DEFAULT_PREFIX = 'herald_controller_';

/** Table rows `| \`metric\` | type | ...`: metric name → documented type. */
function documentedMetrics(text: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const m of text.matchAll(/^\|\s*`(herald_[a-z0-9_]+)`\s*\|\s*([a-z]+)\s*\|/gm)) rows.set(m[1]!, m[2]!);
  return rows;
}

/** Backticked globs such as `herald_controller_nodejs_*`, used for prom-client's default process metrics. */
function documentedGlobs(text: string): string[] {
  return [...text.matchAll(/`(herald_[a-z0-9_]+)\*`/g)].map((m) => m[1]!);
}

/** Event table rows `| \`Reason\` | type | object | from | ...`: reason → emitting component. */
function documentedReasons(text: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const m of text.matchAll(
    /^\|\s*`([A-Z][A-Za-z]+)`\s*\|\s*(Normal|Warning)\s*\|\s*([^|]+)\|\s*([a-z-]+)\s*\|/gm,
  ))
    rows.set(m[1]!, m[4]!.trim());
  return rows;
}

async function defaultMetricNames(): Promise<Set<string>> {
  const r = new Registry();
  collectDefaultMetrics({ register: r, prefix: DEFAULT_PREFIX });
  return new Set((await r.getMetricsAsJSON()).map((m) => m.name));
}

describe('docs/operations.md documents the controller', () => {
  it('has a metrics row with the right type for every metric the controller registers', async () => {
    const defaults = await defaultMetricNames();
    const registered = await createMetrics().registry.getMetricsAsJSON();
    const own = registered.filter((m) => !defaults.has(m.name));
    expect(own.length).toBeGreaterThan(5);
    const rows = documentedMetrics(doc);
    const problems = own.flatMap((m) => {
      const type = rows.get(m.name);
      if (type === undefined) return [`${m.name} (${m.type}) is not in the metrics reference`];
      return type === String(m.type) ? [] : [`${m.name} is documented as ${type} but is a ${m.type}`];
    });
    expect(problems).toEqual([]);
  });

  it('covers the Node.js process metrics by name or by a documented glob', async () => {
    const defaults = [...(await defaultMetricNames())];
    expect(defaults.length).toBeGreaterThan(0);
    const globs = documentedGlobs(doc).filter((g) => g.startsWith(DEFAULT_PREFIX));
    const rows = documentedMetrics(doc);
    const missing = defaults.filter((n) => !rows.has(n) && !globs.some((g) => n.startsWith(g)));
    expect(missing).toEqual([]);
  });

  it('names no controller metric that does not exist (alerts and queries included)', async () => {
    const names = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const exists = (n: string) =>
      names.has(n) ||
      ['_bucket', '_sum', '_count'].some((s) => n.endsWith(s) && names.has(n.slice(0, -s.length)));
    const mentioned = new Set(
      [...doc.matchAll(/\bherald_[a-z0-9_]*[a-z0-9]\b/g)]
        .map((m) => m[0])
        .filter((n) => !n.startsWith('herald_speaker_')),
    );
    expect(mentioned.size).toBeGreaterThan(5);
    expect(
      [...mentioned].filter((n) => !exists(n) && !documentedGlobs(doc).some((g) => g.startsWith(n))),
    ).toEqual([]);
  });

  it('has an Events row for every reason the controller emits, and no controller row for an unknown reason', () => {
    const emitted = Object.values(reasons);
    expect(emitted.length).toBeGreaterThan(3);
    const rows = documentedReasons(doc);
    expect(emitted.filter((r) => rows.get(r) !== 'controller')).toEqual([]);
    const documented = [...rows].filter(([, from]) => from === 'controller').map(([r]) => r);
    expect(documented.filter((r) => !(emitted as readonly string[]).includes(r))).toEqual([]);
  });

  it('explains every allocation failure cause (the prefix of an AllocationFailed message)', () => {
    const rows = new Set([...doc.matchAll(/^\|\s*`([A-Za-z]+)`\s*\|/gm)].map((m) => m[1]!));
    expect(allocationCauses.filter((c) => !rows.has(c))).toEqual([]);
  });
});
