// The Herald chart as installed in the test bed, and the processes its Pods would run. There is no kubelet
// here, so the test bed starts the programs itself — exactly as a Pod of the chart's Deployment or DaemonSet
// would run them: the image's ENTRYPOINT and ENV (read from Dockerfile.<program>, the compiled entry replaced
// by its TypeScript source), the container's args with Kubernetes' $(VAR) expansion, and the container's env
// with its downward-API fieldRefs resolved for that Pod. The one stand-in: KUBECONFIG points at a token of the
// Pod's ServiceAccount (minted with the TokenRequest API), where a Pod gets the same token mounted.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container, V1EnvVar, V1PodTemplateSpec, V1Volume } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { CHART_DIR, HERALD_NAMESPACE, RELEASE, REPO_ROOT } from '../constants.ts';
import { HERALDCTL_ENV } from '../lab/herald.ts';
import type { Helm } from './helm.ts';
import type { ChartValues } from './values.ts';

export type Program = 'controller' | 'speaker';

/** The pod template of one rendered workload. */
export interface Workload {
  readonly container: V1Container;
  readonly serviceAccountName: string;
  /** The whole template, for the Pod objects the test bed writes as the kubelet would. */
  readonly template: V1PodTemplateSpec;
  readonly volumes: readonly V1Volume[];
}

/** What the downward API would tell this Pod. */
export interface PodIdentity {
  readonly name: string;
  readonly namespace: string;
  readonly nodeName?: string;
}

export interface ProcessSpec {
  readonly command: string;
  readonly args: string[];
  readonly env: Record<string, string>;
}

/** The chart's release in the test bed: `helm install` / `upgrade` with values files, and its manifest. */
export class HeraldRelease {
  readonly #helm: Helm;
  readonly #dir: string;
  #values: ChartValues;
  #revision = 0;
  #manifest: string | undefined;

  constructor(helm: Helm, dir: string, values: ChartValues) {
    this.#helm = helm;
    this.#dir = dir;
    this.#values = structuredClone(values);
  }

  install(): void {
    this.#helm.run([
      'install',
      RELEASE,
      CHART_DIR,
      '-n',
      HERALD_NAMESPACE,
      '--create-namespace',
      '-f',
      this.#valuesFile(this.#values),
    ]);
  }

  /** `helm upgrade` with NEXT; on success NEXT becomes the current values. Throws with helm's stderr. */
  upgrade(next: ChartValues): string {
    const out = this.#helm.run([
      'upgrade',
      RELEASE,
      CHART_DIR,
      '-n',
      HERALD_NAMESPACE,
      '-f',
      this.#valuesFile(next),
    ]);
    this.#values = structuredClone(next);
    this.#manifest = undefined;
    return out;
  }

  values(): ChartValues {
    return structuredClone(this.#values);
  }

  /** The release's Deployment or DaemonSet NAME, as currently rendered. */
  workload(kind: 'Deployment' | 'DaemonSet', name: string): Workload {
    this.#manifest ??= this.#helm.run(['get', 'manifest', RELEASE, '-n', HERALD_NAMESPACE]);
    for (const doc of parseAllDocuments(this.#manifest)) {
      const obj = doc.toJS() as {
        kind?: string;
        metadata?: { name?: string };
        spec?: { template?: V1PodTemplateSpec };
      } | null;
      const template = obj?.spec?.template;
      const pod = template?.spec;
      const container = pod?.containers?.[0];
      if (
        obj?.kind === kind &&
        obj.metadata?.name === name &&
        template &&
        container &&
        pod?.serviceAccountName
      )
        return {
          container,
          serviceAccountName: pod.serviceAccountName,
          template,
          volumes: pod.volumes ?? [],
        };
    }
    throw new Error(`the release manifest has no ${kind} ${name} with a container and a ServiceAccount`);
  }

  #valuesFile(values: ChartValues): string {
    const path = join(this.#dir, `values-${++this.#revision}.json`);
    writeFileSync(path, JSON.stringify(values, null, 2));
    return path;
  }
}

/** The image's ENTRYPOINT and ENV, from Dockerfile.<program>. */
function image(program: Program): { entrypoint: string[]; env: Record<string, string> } {
  const dockerfile = readFileSync(join(REPO_ROOT, `Dockerfile.${program}`), 'utf8');
  const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile);
  if (!entry) throw new Error(`Dockerfile.${program} has no ENTRYPOINT in exec form`);
  const env: Record<string, string> = {};
  for (const m of dockerfile.matchAll(/^ENV\s+([A-Za-z_][A-Za-z0-9_]*)=(\S*)\s*$/gm)) env[m[1]!] = m[2]!;
  return { entrypoint: JSON.parse(entry[1]!) as string[], env };
}

/**
 * Where the programs' compiled image trees are (`useShippedPrograms`): set, the test bed runs each program's
 * dist/main.js exactly as the image does; unset, its TypeScript source (no build step, what tests want).
 */
export const IMAGE_TREES_ENV = 'HERALD_E2E_IMAGE_TREES';

/** The image's ENTRYPOINT as a local command line: node, its flags, the program's entry (see localPath). */
export function imageCommand(program: Program): string[] {
  return image(program).entrypoint.map((p) => localPath(program, p));
}

/** The image's ENV (Dockerfile.<program>), what its process starts with before the container's own env. */
export function imageEnv(program: Program): Record<string, string> {
  return image(program).env;
}

/** The image's node and compiled entry, as they exist in this checkout. */
function localPath(program: Program, path: string): string {
  if (path.endsWith('/bin/node')) return process.execPath;
  const trees = process.env[IMAGE_TREES_ENV];
  if (path === '/app/dist/main.js')
    return trees ? join(trees, program, 'dist/main.js') : join(REPO_ROOT, `packages/${program}/src/main.ts`);
  return path;
}

/**
 * Builds what ships under DIR — the runnable trees of both images (scripts/build-image.sh, what the Dockerfiles
 * run) and the one-binary heraldctl (scripts/build-heraldctl.ts) — and points the test bed at them
 * (IMAGE_TREES_ENV, HERALDCTL_ENV): the benchmarks measure the programs as users run them, without Node's type
 * stripping (about 17 MiB RSS and 0.1-0.2 s of start-up per process).
 */
export function useShippedPrograms(dir: string): void {
  const env = { ...process.env, PATH: `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}` };
  const quiet = { stdio: ['ignore', 'ignore', 'inherit'] as ('ignore' | 'inherit')[], env };
  for (const program of ['controller', 'speaker'] as const)
    execFileSync('bash', [join(REPO_ROOT, 'scripts/build-image.sh'), program, join(dir, program)], quiet);
  const heraldctl = join(dir, 'heraldctl');
  execFileSync('node', [join(REPO_ROOT, 'scripts/build-heraldctl.ts'), '--output', heraldctl], quiet);
  process.env[IMAGE_TREES_ENV] = dir;
  process.env[HERALDCTL_ENV] = heraldctl;
}

function fieldRef(path: string, pod: PodIdentity): string {
  const value = {
    'metadata.name': pod.name,
    'metadata.namespace': pod.namespace,
    'spec.nodeName': pod.nodeName,
  }[path];
  if (value === undefined) throw new Error(`the test bed cannot resolve the downward-API fieldRef ${path}`);
  return value;
}

function resolveEnv(vars: readonly V1EnvVar[], pod: PodIdentity): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of vars) {
    if (v.value !== undefined) env[v.name] = v.value;
    else if (v.valueFrom?.fieldRef) env[v.name] = fieldRef(v.valueFrom.fieldRef.fieldPath, pod);
    else throw new Error(`the test bed cannot resolve env ${v.name} (${JSON.stringify(v.valueFrom)})`);
  }
  return env;
}

/** Kubernetes' $(VAR) expansion of container args from the container's env. */
function expand(args: readonly string[], env: Record<string, string>): string[] {
  return args.map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, v: string) => env[v] ?? whole));
}

/** The process a Pod of WORKLOAD runs, with KUBECONFIG as its ServiceAccount token. */
export function podProcess(
  program: Program,
  workload: Workload,
  pod: PodIdentity,
  kubeconfigPath: string,
): ProcessSpec {
  const { entrypoint, env: fromImage } = image(program);
  const containerEnv = resolveEnv(workload.container.env ?? [], pod);
  const [command, ...entryArgs] = [...(workload.container.command ?? entrypoint)].map((p) =>
    localPath(program, p),
  );
  return {
    command: command!,
    args: [...entryArgs, ...expand(workload.container.args ?? [], containerEnv)],
    // A container starts with the image's ENV and its own, nothing of ours; PATH so `ip netns exec` finds node.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...fromImage,
      ...containerEnv,
      KUBECONFIG: kubeconfigPath,
    },
  };
}

/** Replaces (or appends) a --flag=value argument. */
export function withFlag(args: readonly string[], flag: string, value: string): string[] {
  return [...args.filter((a) => a !== flag && !a.startsWith(`${flag}=`)), `${flag}=${value}`];
}

/**
 * The kubelet's part for Secret volumes: each Secret a container mounts is written (mode 0400; its `items`,
 * or every key) under `dir/<volume>/`, and the mount path in the process's args and env becomes that directory. Anything else
 * mounted is an error: the test bed would otherwise run the program without a file its Pod has.
 */
export async function mountSecretVolumes(
  spec: ProcessSpec,
  workload: Workload,
  dir: string,
  readSecret: (name: string) => Promise<Record<string, string> | undefined>,
): Promise<ProcessSpec> {
  let { args, env } = spec;
  for (const mount of workload.container.volumeMounts ?? []) {
    const volume = workload.volumes.find((v) => v.name === mount.name);
    const secretName = volume?.secret?.secretName;
    if (!secretName)
      throw new Error(`the test bed can only mount Secret volumes, not ${JSON.stringify(volume)}`);
    const data = await readSecret(secretName);
    if (!data) throw new Error(`Secret ${secretName} (volume ${mount.name}) does not exist`);
    const target = join(dir, mount.name);
    mkdirSync(target, { recursive: true, mode: 0o700 });
    // The volume's items (key -> path), or every key under its own name.
    const items = volume.secret?.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    for (const item of items) {
      const value = data[item.key];
      if (value === undefined) throw new Error(`Secret ${secretName} has no key ${item.key}`);
      writeFileSync(join(target, item.path), Buffer.from(value, 'base64'), { mode: 0o400 });
    }
    const swap = (v: string) => v.split(mount.mountPath).join(target);
    args = args.map(swap);
    env = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, swap(v)]));
  }
  return { command: spec.command, args, env };
}
