// docs/operations.md against the programs' real registries and Event reasons: every metric the controller
// and the speaker register has a row with its type, every herald_* name the page mentions (alerts included)
// exists, the Node.js process metrics are covered, and every Event reason has a row naming its component.
import { readFileSync } from 'node:fs';
import { allocationCauses, reasons as controllerReasons, createMetrics } from '@herald/controller';
import { SpeakerMetrics, reasons as speakerReasons } from '@herald/speaker';
import { collectDefaultMetrics, Registry as PromRegistry, type Registry } from 'prom-client';

const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

/** Table rows `| \`metric\` | type | ...`: metric name → documented type. */
const documentedMetrics = new Map(
  [...doc.matchAll(/^\|\s*`(herald_[a-z0-9_]+)`\s*\|\s*([a-z]+)\s*\|/gm)].map((m) => [m[1]!, m[2]!]),
);
/** Backticked globs such as `herald_controller_nodejs_*`, used for prom-client's default process metrics. */
const documentedGlobs = [...doc.matchAll(/`(herald_[a-z0-9_]+)\*`/g)].map((m) => m[1]!);
/** Event table rows `| \`Reason\` | type | object | from | ...`: reason → emitting component. */
const documentedReasons = new Map(
  [
    ...doc.matchAll(
      /^\|\s*`([A-Z][A-Za-z0-9]+)`\s*\|\s*(Normal|Warning)\s*\|\s*([^|]+)\|\s*([a-z-]+)\s*\|/gm,
    ),
  ].map((m) => [m[1]!, m[4]!.trim()]),
);

interface Component {
  readonly name: 'controller' | 'speaker';
  /** prom-client's default-metrics prefix, also the prefix of every name this component owns alone. */
  readonly defaultPrefix: string;
  readonly registry: () => Registry;
  readonly reasons: readonly string[];
  /** Page mentions of herald_* names that belong to this component (the two share `herald_`). */
  readonly owns: (metric: string) => boolean;
  /** At least this many own metrics, registered and mentioned: a broken regex must not pass vacuously. */
  readonly atLeast: number;
}

const components: Component[] = [
  {
    name: 'controller',
    defaultPrefix: 'herald_controller_',
    registry: () => createMetrics().registry,
    reasons: Object.values(controllerReasons),
    owns: (n) => !n.startsWith('herald_speaker_') && !n.startsWith('herald_bfd_'),
    atLeast: 5,
  },
  {
    name: 'speaker',
    defaultPrefix: 'herald_speaker_',
    registry: () => new SpeakerMetrics('docs-test-node').registry,
    reasons: Object.values(speakerReasons),
    // The speaker's own names, and BFD's (only the speaker runs BFD).
    owns: (n) => n.startsWith('herald_speaker_') || n.startsWith('herald_bfd_'),
    atLeast: 10,
  },
];

async function defaultMetricNames(prefix: string): Promise<Set<string>> {
  const r = new PromRegistry();
  collectDefaultMetrics({ register: r, prefix });
  return new Set((await r.getMetricsAsJSON()).map((m) => m.name));
}

describe.each(components)('docs/operations.md documents the $name', (c) => {
  it('has a metrics row with the right type for every metric it registers', async () => {
    const defaults = await defaultMetricNames(c.defaultPrefix);
    const own = (await c.registry().getMetricsAsJSON()).filter((m) => !defaults.has(m.name));
    expect(own.length).toBeGreaterThan(c.atLeast);
    const problems = own.flatMap((m) => {
      const type = documentedMetrics.get(m.name);
      if (type === undefined) return [`${m.name} (${m.type}) is not in the metrics reference`];
      return type === String(m.type) ? [] : [`${m.name} is documented as ${type} but is a ${m.type}`];
    });
    expect(problems).toEqual([]);
  });

  it('covers the Node.js process metrics by name or by a documented glob', async () => {
    const defaults = [...(await defaultMetricNames(c.defaultPrefix))];
    expect(defaults.length).toBeGreaterThan(0);
    const globs = documentedGlobs.filter((g) => g.startsWith(c.defaultPrefix));
    expect(defaults.filter((n) => !documentedMetrics.has(n) && !globs.some((g) => n.startsWith(g)))).toEqual(
      [],
    );
  });

  it('names no metric of it that does not exist (alerts and queries included)', async () => {
    const names = new Set((await c.registry().getMetricsAsJSON()).map((m) => m.name));
    const exists = (n: string) =>
      names.has(n) ||
      ['_bucket', '_sum', '_count'].some((s) => n.endsWith(s) && names.has(n.slice(0, -s.length)));
    const mentioned = new Set(
      [...doc.matchAll(/\bherald_[a-z0-9_]*[a-z0-9]\b/g)].map((m) => m[0]).filter(c.owns),
    );
    expect(mentioned.size).toBeGreaterThan(c.atLeast);
    expect([...mentioned].filter((n) => !exists(n) && !documentedGlobs.some((g) => g.startsWith(n)))).toEqual(
      [],
    );
  });

  it('has an Events row for every reason it emits, and no row of it for an unknown reason', () => {
    expect(c.reasons.length).toBeGreaterThan(0);
    expect(c.reasons.filter((r) => documentedReasons.get(r) !== c.name)).toEqual([]);
    const documented = [...documentedReasons].filter(([, from]) => from === c.name).map(([r]) => r);
    expect(documented.filter((r) => !c.reasons.includes(r))).toEqual([]);
  });
});

it('explains every allocation failure cause (the prefix of an AllocationFailed message)', () => {
  const rows = new Set([...doc.matchAll(/^\|\s*`([A-Za-z]+)`\s*\|/gm)].map((m) => m[1]!));
  expect(allocationCauses.filter((cause) => !rows.has(cause))).toEqual([]);
});
