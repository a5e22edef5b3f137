// Keeps docs/operations.md honest about the speaker: every metric SpeakerMetrics registers has a row in the
// metrics reference (with its real type), every Event reason the speaker writes has a row in the Events table,
// and the page names no speaker metric or reason that does not exist.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { SpeakerMetrics } from './observe/metrics.ts';

const doc = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
const DEFAULT_PREFIX = 'herald_speaker_';

function documentedMetrics(text: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const m of text.matchAll(/^\|\s*`(herald_[a-z0-9_]+)`\s*\|\s*([a-z]+)\s*\|/gm)) rows.set(m[1]!, m[2]!);
  return rows;
}

function documentedGlobs(text: string): string[] {
  return [...text.matchAll(/`(herald_[a-z0-9_]+)\*`/g)].map((m) => m[1]!);
}

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

/**
 * The Event reasons the speaker writes. The speaker exports no reason constants (the literals sit in the
 * `events.emit(...)` call in app.ts), so this reads the arguments of every `events.emit(` call in the
 * non-test sources. When the speaker exports its reasons, import them here instead.
 */
function emittedReasons(): string[] {
  const dir = new URL('.', import.meta.url).pathname;
  const files = (d: string): string[] =>
    readdirSync(d).flatMap((n) => {
      const p = join(d, n);
      if (statSync(p).isDirectory()) return files(p);
      return n.endsWith('.ts') && !n.endsWith('.test.ts') ? [p] : [];
    });
  const found = new Set<string>();
  for (const file of files(dir)) {
    const text = readFileSync(file, 'utf8');
    for (const call of text.matchAll(/\bevents\.emit\(([\s\S]*?)\);/g))
      for (const lit of call[1]!.matchAll(/'([A-Z][A-Za-z]+)'/g))
        if (lit[1] !== 'Normal' && lit[1] !== 'Warning') found.add(lit[1]!);
  }
  return [...found];
}

describe('docs/operations.md documents the speaker', () => {
  it('has a metrics row with the right type for every metric the speaker registers', async () => {
    const defaults = await defaultMetricNames();
    const registered = await new SpeakerMetrics('docs-test-node').registry.getMetricsAsJSON();
    const own = registered.filter((m) => !defaults.has(m.name));
    expect(own.length).toBeGreaterThan(10);
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
    expect(defaults.filter((n) => !rows.has(n) && !globs.some((g) => n.startsWith(g)))).toEqual([]);
  });

  it('names no speaker metric that does not exist (alerts and queries included)', async () => {
    const names = new Set(
      (await new SpeakerMetrics('docs-test-node').registry.getMetricsAsJSON()).map((m) => m.name),
    );
    const exists = (n: string) =>
      names.has(n) ||
      ['_bucket', '_sum', '_count'].some((s) => n.endsWith(s) && names.has(n.slice(0, -s.length)));
    const globs = documentedGlobs(doc);
    const mentioned = new Set([...doc.matchAll(/\bherald_speaker_[a-z0-9_]*[a-z0-9]\b/g)].map((m) => m[0]));
    expect(mentioned.size).toBeGreaterThan(10);
    expect([...mentioned].filter((n) => !exists(n) && !globs.some((g) => g.startsWith(n)))).toEqual([]);
  });

  it('has an Events row for every reason the speaker emits, and no speaker row for an unknown reason', () => {
    const emitted = emittedReasons();
    expect(emitted.length).toBeGreaterThan(0);
    const rows = documentedReasons(doc);
    expect(emitted.filter((r) => rows.get(r) !== 'speaker')).toEqual([]);
    const documented = [...rows].filter(([, from]) => from === 'speaker').map(([r]) => r);
    expect(documented.filter((r) => !emitted.includes(r))).toEqual([]);
  });
});
