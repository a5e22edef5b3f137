// `heraldctl migrate metallb`, the work: MetalLB configuration (CRs, `kubectl get -o yaml` lists, the legacy
// ConfigMap, or the cluster itself) → a Herald config.yaml that @herald/config accepts, plus the list of what
// has no equivalent. Nothing is written unless the result validates. Loaded only when the command runs.
import { writeFileSync } from 'node:fs';
import { configMapKey, configMapName, formatConfigError, parseConfig } from '@herald/config';
import { stringify } from 'yaml';
import { inputName, readInput } from '../read-input.ts';
import { version } from '../version.ts';
import { type Conversion, convertMetallb, type Origins } from './convert.ts';
import { objectsOf, readMetallbText } from './read.ts';
import { formatNote, type MetallbObject, type MigrationNote } from './types.ts';

export interface MigrateIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => string;
}

export interface MigrateOptions {
  readonly files: readonly string[];
  readonly fromCluster: boolean;
  readonly kubeconfig?: string;
  /** MetalLB's namespace; undefined = not given (files: any single namespace; cluster: metallb-system). */
  readonly namespace?: string;
  readonly legacyConfigmap: string;
  readonly output?: string;
  readonly format: 'config' | 'configmap' | 'values';
  readonly heraldNamespace: string;
  readonly report: 'text' | 'json';
}

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

/** Which source object produced the entry at a config path ("peers[1].holdTime"). */
function originOf(path: string, origins: Origins): string | undefined {
  const m = /^(addressPools|peers|bgpAdvertisements|bfdProfiles|l2Advertisements)\[(\d+)\]/.exec(path);
  if (m) return origins[m[1] as 'peers'][Number(m[2])]?.label;
  const c = /^bgpCommunities\.([^.[]+)/.exec(path);
  return c ? origins.bgpCommunities.get(c[1]!)?.label : undefined;
}

function render(conversion: Conversion, opts: MigrateOptions, sources: readonly string[]): string {
  const header =
    `# Herald configuration converted from MetalLB by heraldctl ${version} (heraldctl migrate metallb).\n` +
    `# Source: ${sources.join(', ')}. Review what the command listed as having no equivalent.\n`;
  const config = header + stringify(conversion.document, { lineWidth: 0 });
  if (opts.format === 'config') return config;
  if (opts.format === 'values')
    return `${header}${stringify({ config: conversion.document }, { lineWidth: 0 })}`;
  return stringify(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: configMapName, namespace: opts.heraldNamespace },
      data: { [configMapKey]: config },
    },
    { lineWidth: 0 },
  );
}

/** Runs the migration; returns the exit code (0 written, 1 nothing to convert or invalid result, 2 unreadable). */
export async function runMigrate(opts: MigrateOptions, io: MigrateIo): Promise<number> {
  const objects: MetallbObject[] = [];
  const notes: MigrationNote[] = [];
  const sources: string[] = [];
  if (opts.fromCluster) {
    if (opts.files.length > 0) {
      io.stderr('error: give either files or --from-cluster, not both\n');
      return 2;
    }
    const namespace = opts.namespace ?? 'metallb-system';
    try {
      // Loaded on demand: the Kubernetes client is not needed to convert files.
      const { readMetallbFromCluster } = await import('./cluster.ts');
      const r = await readMetallbFromCluster({
        kubeconfig: opts.kubeconfig,
        namespace,
        legacyConfigMap: opts.legacyConfigmap,
      });
      for (const item of r.items) {
        const o = objectsOf(item, `namespace ${namespace}`);
        objects.push(...o.objects);
        notes.push(...o.notes);
      }
      sources.push(`cluster namespace ${namespace}${r.read.length > 0 ? ` (${r.read.join(', ')})` : ''}`);
    } catch (err) {
      io.stderr(
        `error: cannot read MetalLB's configuration from the cluster (namespace ${namespace}): ` +
          `${err instanceof Error ? err.message : String(err)}\n`,
      );
      return 1;
    }
  } else {
    if (opts.files.length === 0) {
      io.stderr('error: name the files to convert ("-" for standard input), or use --from-cluster\n');
      return 2;
    }
    const errors: string[] = [];
    for (const file of opts.files) {
      const input = readInput(file, io.readStdin);
      if (!input.ok) {
        io.stderr(`error: ${input.error}\n`);
        return 2;
      }
      const r = readMetallbText(input.text, inputName(file));
      objects.push(...r.objects);
      notes.push(...r.notes);
      errors.push(...r.errors);
      sources.push(inputName(file));
    }
    if (errors.length > 0) {
      for (const e of errors) io.stderr(`error: ${e}\n`);
      return 1;
    }
  }

  // MetalLB reads only its own namespace; objects from several namespaces are several installs.
  const namespaces = [...new Set(objects.flatMap((o) => (o.namespace === undefined ? [] : [o.namespace])))];
  let selected = objects;
  if (opts.namespace !== undefined && !opts.fromCluster) {
    selected = objects.filter((o) => o.namespace === undefined || o.namespace === opts.namespace);
  } else if (namespaces.length > 1) {
    io.stderr(
      `error: the input holds MetalLB objects from ${namespaces.length} namespaces (${namespaces.sort().join(', ')}); ` +
        'MetalLB reads only its own: choose it with --namespace\n',
    );
    return 1;
  }
  if (selected.length === 0) {
    for (const n of notes) io.stderr(`${formatNote(n)}\n`);
    io.stderr(`error: no MetalLB configuration found in ${sources.join(', ')}\n`);
    return 1;
  }

  const conversion = convertMetallb(selected);
  // Grouped by source object, in input order, so an operator can work through the list object by object.
  const order = new Map<string, number>();
  for (const o of selected) if (!order.has(o.source.label)) order.set(o.source.label, order.size);
  const allNotes = [...notes, ...conversion.notes].sort(
    (a, b) => (order.get(a.source) ?? order.size) - (order.get(b.source) ?? order.size),
  );
  if (opts.report === 'json') io.stderr(`${JSON.stringify({ notes: allNotes }, null, 2)}\n`);
  else for (const n of allNotes) io.stderr(`${formatNote(n)}\n`);

  // Validate exactly the config.yaml text that is written, with the code the controller and speakers run.
  const configText = render(conversion, { ...opts, format: 'config' }, sources);
  const result = parseConfig(configText);
  for (const w of result.warnings) io.stderr(`warning: ${formatConfigError(w)}\n`);
  if (!result.ok) {
    for (const e of result.errors) {
      const from = originOf(e.path, conversion.origins);
      io.stderr(`invalid: ${formatConfigError(e)}${from ? ` (from ${from})` : ''}\n`);
    }
    io.stderr(
      `error: the converted configuration is not valid for Herald (${plural(result.errors.length, 'error')}); ` +
        'nothing was written. Fix the MetalLB objects named above, or write these parts by hand.\n',
    );
    return 1;
  }
  const out = render(conversion, opts, sources);
  if (opts.output !== undefined && opts.output !== '-') {
    try {
      writeFileSync(opts.output, out);
    } catch (e) {
      io.stderr(`error: cannot write ${opts.output}: ${(e as Error).message}\n`);
      return 2;
    }
  } else io.stdout(out);
  const c = result.config;
  const bfdProfiles = conversion.document.bfdProfiles?.length ?? 0;
  const counts = { dropped: 0, adapted: 0, ignored: 0 };
  for (const n of allNotes) counts[n.action]++;
  io.stderr(
    `converted ${plural(selected.length, 'MetalLB object')} into ${plural(c.addressPools.length, 'address pool')}, ` +
      `${plural(c.peers.length, 'peer')}, ${plural(c.bgpAdvertisements.length, 'advertisement')}, ` +
      `${plural(c.bgpCommunities.size, 'community alias', 'community aliases')}` +
      `${bfdProfiles > 0 ? `, ${plural(bfdProfiles, 'BFD profile')}` : ''}` +
      `${c.l2Advertisements.length > 0 ? `, ${plural(c.l2Advertisements.length, 'L2 advertisement')}` : ''}` +
      `${opts.output !== undefined && opts.output !== '-' ? ` (written to ${opts.output})` : ''}; ` +
      `${counts.dropped} dropped, ${counts.adapted} adapted, ${counts.ignored} ignored\n`,
  );
  return 0;
}
