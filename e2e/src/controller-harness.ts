// Shared by e2e/src/controller-*.test.ts: a control plane with the Herald ConfigMap, herald-controller as a
// child process (so tests can SIGKILL / SIGTERM it), and polling helpers that assert behaviour, not time.

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Service,
} from '@kubernetes/client-node';
import { type ControlPlane, type ManagedProcess, spawnManaged, startControlPlane } from './kube/index.ts';

export type { ManagedProcess };

export const HERALD_NS = 'herald-system';
const repoRoot = join(import.meta.dirname, '..', '..');
let counter = 0;

export interface ControllerEnv {
  readonly cp: ControlPlane;
  readonly core: CoreV1Api;
  readonly coordination: CoordinationV1Api;
  setConfig(yaml: string): Promise<void>;
  startController(args?: readonly string[], name?: string): Promise<ManagedProcess>;
  stop(): Promise<void>;
}

export async function startControllerEnv(configYaml: string): Promise<ControllerEnv> {
  const cp = await startControlPlane();
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const coordination = cp.kubeConfig.makeApiClient(CoordinationV1Api);
  const procs: ManagedProcess[] = [];
  await core.createNamespace({ body: { metadata: { name: HERALD_NS } } });
  await core.createNamespacedConfigMap({
    namespace: HERALD_NS,
    body: { metadata: { name: 'herald-config' }, data: { 'config.yaml': configYaml } },
  });
  return {
    cp,
    core,
    coordination,
    async setConfig(yaml) {
      await core.patchNamespacedConfigMap(
        { name: 'herald-config', namespace: HERALD_NS, body: { data: { 'config.yaml': yaml } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    },
    async startController(args = [], name = `ctl-${process.pid}-${++counter}`) {
      const proc = await spawnManaged({
        name,
        command: process.execPath,
        args: [
          join(repoRoot, 'packages/controller/src/main.ts'),
          '--kubeconfig',
          cp.kubeconfigPath,
          '--metrics-address',
          '127.0.0.1:0',
          '--identity',
          name,
          ...args,
        ],
        logPath: join(cp.dir, `${name}.log`),
        ownerDir: cp.dir,
        env: { ...process.env, HERALD_NAMESPACE: HERALD_NS, HERALD_LOG_LEVEL: 'info' },
      });
      procs.push(proc);
      return proc;
    },
    async stop() {
      await Promise.allSettled(procs.map((p) => p.stop({ signal: 'SIGKILL' })));
      await cp.stop();
    },
  };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/** The port the controller's health server bound (it logs it at start). */
export async function metricsPort(proc: ManagedProcess): Promise<number> {
  return waitFor('controller health server', async () => {
    const m = /"health server listening".*?"port":(\d+)|"port":(\d+).*?"msg":"health server listening"/.exec(
      proc.logTail(200),
    );
    return m ? Number(m[1] ?? m[2]) : undefined;
  });
}

export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

export function metricValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

export function ingressIPs(svc: V1Service | undefined): string[] {
  return (svc?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((ip) => ip !== '');
}

export interface ServiceSpecInput {
  readonly name: string;
  readonly namespace?: string;
  readonly annotations?: Record<string, string>;
  readonly labels?: Record<string, string>;
  readonly spec?: V1Service['spec'];
}

export async function createLB(core: CoreV1Api, s: ServiceSpecInput): Promise<V1Service> {
  return core.createNamespacedService({
    namespace: s.namespace ?? 'default',
    body: {
      metadata: { name: s.name, annotations: s.annotations, labels: s.labels },
      spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }], ...s.spec },
    },
  });
}

export async function readService(
  core: CoreV1Api,
  name: string,
  namespace = 'default',
): Promise<V1Service | undefined> {
  try {
    return await core.readNamespacedService({ name, namespace });
  } catch (e) {
    if (e instanceof ApiException && e.code === 404) return undefined;
    throw e;
  }
}

export async function waitForIPs(
  core: CoreV1Api,
  name: string,
  namespace = 'default',
  count = 1,
): Promise<string[]> {
  return waitFor(`${namespace}/${name} to get ${count} IP(s)`, async () => {
    const ips = ingressIPs(await readService(core, name, namespace));
    return ips.length >= count ? ips : undefined;
  });
}

/** Events about an object, newest last. */
export async function eventsFor(core: CoreV1Api, namespace: string, name: string, reason?: string) {
  const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items.filter((e) => reason === undefined || e.reason === reason);
}

export async function waitForEvent(
  core: CoreV1Api,
  namespace: string,
  name: string,
  reason: string,
  contains = '',
) {
  return waitFor(`${reason} Event on ${namespace}/${name} containing "${contains}"`, async () => {
    const events = await eventsFor(core, namespace, name, reason);
    return events.find((e) => (e.message ?? '').includes(contains));
  });
}

/** Every Service in the cluster with its IPs. */
export async function allAssignments(core: CoreV1Api): Promise<Map<string, string[]>> {
  const list = await core.listServiceForAllNamespaces();
  const out = new Map<string, string[]>();
  for (const s of list.items) {
    const ips = ingressIPs(s);
    if (ips.length > 0) out.set(`${s.metadata?.namespace}/${s.metadata?.name}`, ips);
  }
  return out;
}

export function duplicates(assignments: Map<string, string[]>): string[] {
  const seen = new Map<string, string>();
  const dups: string[] = [];
  for (const [svc, ips] of assignments) {
    for (const ip of ips) {
      const other = seen.get(ip);
      if (other !== undefined) dups.push(`${ip}: ${other} and ${svc}`);
      seen.set(ip, svc);
    }
  }
  return dups;
}

export async function leaseHolder(
  coordination: CoordinationV1Api,
  name = 'herald-controller',
): Promise<string> {
  try {
    const lease = await coordination.readNamespacedLease({ name, namespace: HERALD_NS });
    return lease.spec?.holderIdentity ?? '';
  } catch (e) {
    if (e instanceof ApiException && e.code === 404) return '';
    throw e;
  }
}
