// Harness for the speaker's end-to-end tests and benchmark: a real kube-apiserver, the FRR router lab with
// N node namespaces, one herald-speaker process per node namespace (as the DaemonSet would run it, with the
// RBAC the chart grants), and helpers to write Nodes, Services (status set directly, no controller) and
// EndpointSlices (no kubelet).
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiException,
  CoreV1Api,
  DiscoveryV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1EndpointSlice,
} from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane } from './kube/index.ts';
import { createLab, type Lab, type LabNamespace, type RouterPeer, runIn, waitFor } from './lab/index.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SPEAKER_ENTRY = `${REPO_ROOT}packages/speaker/src/main.ts`;
export const HERALD_NS = 'herald-system';
export const SPEAKER_ASN = 64600;
/** Each speaker serves /status on its own namespace's loopback (a fresh namespace: no port clash). */
export const STATUS_PORT = 7473;

export interface SpeakerProc {
  readonly node: string;
  readonly ns: LabNamespace;
  readonly pid: number;
  readonly logPath: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpeakerLab {
  readonly cp: ControlPlane;
  readonly lab: Lab;
  readonly core: CoreV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly kubeconfigPath: string;
  readonly nodeNames: readonly string[];
  readonly speakers: Map<string, SpeakerProc>;
  startSpeaker(index: number, extraArgs?: readonly string[]): Promise<SpeakerProc>;
  setConfig(yaml: string): Promise<void>;
  status(index: number): Promise<SpeakerStatusDoc>;
  destroy(): Promise<void>;
}

export interface SpeakerStatusDoc {
  node: string;
  ready: boolean;
  config: { stale: boolean; errors: string[] };
  sessions: Array<{
    peer: string;
    state: string;
    established: boolean;
    uptimeSeconds: number | null;
    establishedSince: string | null;
    establishedTransitions: number;
    prefixes: { ipv4: number; ipv6: number };
    lastError: string | null;
  }>;
  announced: Record<string, Array<{ prefix: string; services: string[] }>>;
}

/** Two sessions per node towards the one FRR: over IPv4 (carrying IPv4) and over IPv6 (carrying IPv6). */
export function routerPeers(nodes: number): RouterPeer[] {
  const peers: RouterPeer[] = [];
  for (let i = 0; i < nodes; i++) {
    peers.push({ address: `203.0.113.${11 + i}`, asn: SPEAKER_ASN, families: ['ipv4'], holdTime: 9 });
    peers.push({ address: `2001:db8:1::${11 + i}`, asn: SPEAKER_ASN, families: ['ipv6'], holdTime: 9 });
  }
  return peers;
}

const speakerRules = [
  { apiGroups: [''], resources: ['services', 'nodes'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
];

async function ignoreConflict(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiException && err.code === 409) return;
    throw err;
  }
}

export async function startSpeakerLab(opts: {
  nodes: number;
  nodeLabels?: (index: number) => Record<string, string>;
  config: string;
}): Promise<SpeakerLab> {
  const cp = await startControlPlane();
  let lab: Lab | undefined;
  const speakers = new Map<string, SpeakerProc>();
  const forwarders: Array<{ stop(): Promise<void> }> = [];
  try {
    lab = await createLab({ nodes: opts.nodes, router: 'frr', peers: routerPeers(opts.nodes) });
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const discovery = cp.kubeConfig.makeApiClient(DiscoveryV1Api);
    const rbac = cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await ignoreConflict(core.createNamespace({ body: { metadata: { name: HERALD_NS } } }));
    await ignoreConflict(core.createNamespace({ body: { metadata: { name: 'apps' } } }));
    const sa = await cp.serviceAccountKubeconfig(HERALD_NS, 'herald-speaker');
    await rbac.createClusterRole({ body: { metadata: { name: 'herald-speaker' }, rules: speakerRules } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: 'herald-speaker' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'herald-speaker' },
        subjects: [{ kind: 'ServiceAccount', name: 'herald-speaker', namespace: HERALD_NS }],
      },
    });
    await rbac.createNamespacedRole({
      namespace: HERALD_NS,
      body: {
        metadata: { name: 'herald-speaker-config' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: HERALD_NS,
      body: {
        metadata: { name: 'herald-speaker-config' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'herald-speaker-config' },
        subjects: [{ kind: 'ServiceAccount', name: 'herald-speaker', namespace: HERALD_NS }],
      },
    });
    await core.createNamespacedConfigMap({
      namespace: HERALD_NS,
      body: { metadata: { name: 'herald-config' }, data: { 'config.yaml': opts.config } },
    });
    const nodeNames = lab.nodes.map((_, i) => `node-${i}`);
    for (const [i, n] of lab.nodes.entries()) {
      await core.createNode({
        body: {
          metadata: {
            name: nodeNames[i],
            labels: { 'kubernetes.io/hostname': nodeNames[i]!, ...opts.nodeLabels?.(i) },
          },
        },
      });
      await core.patchNodeStatus(
        {
          name: nodeNames[i]!,
          body: {
            status: {
              addresses: [
                { type: 'InternalIP', address: n.ipv4 },
                { type: 'InternalIP', address: n.ipv6 },
                { type: 'Hostname', address: nodeNames[i] },
              ],
              conditions: [
                { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated', message: 'lab' },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      forwarders.push(await cp.startNetnsApiserverForwarder(n.ns));
    }
    const theLab = lab;
    const startSpeakerProc = async (
      index: number,
      extraArgs: readonly string[] = [],
    ): Promise<SpeakerProc> => {
      const ns = theLab.nodes[index]!;
      const node = nodeNames[index]!;
      const logPath = join(theLab.dir, `speaker-${node}-${Date.now()}.log`);
      const log = createWriteStream(logPath);
      const child: ChildProcess = spawn(
        'ip',
        [
          'netns',
          'exec',
          ns.ns,
          process.execPath,
          '--no-warnings',
          SPEAKER_ENTRY,
          '--node-name',
          node,
          '--kubeconfig',
          sa.kubeconfigPath,
          '--namespace',
          HERALD_NS,
          '--metrics-address',
          `127.0.0.1:${STATUS_PORT}`,
          '--log-level',
          'debug',
          ...extraArgs,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
      const pid = child.pid!;
      theLab.track(pid);
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, signal) => {
          theLab.untrack(pid);
          resolve({ code, signal });
        }),
      );
      const proc: SpeakerProc = {
        node,
        ns,
        pid,
        logPath,
        exited,
        async stop(signal: NodeJS.Signals = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          const r = await exited;
          clearTimeout(timer);
          return r;
        },
      };
      speakers.set(node, proc);
      // Ready = caches synced and a valid config: the speaker answers /readyz with 200.
      await waitFor(
        `${node} speaker ready`,
        async () => {
          if (child.exitCode !== null)
            throw new Error(`speaker exited: ${readFileSync(logPath, 'utf8').slice(-2000)}`);
          const r = await runIn(ns.ns, 'curl', ['-sf', `http://127.0.0.1:${STATUS_PORT}/readyz`], {
            allowFailure: true,
          });
          return r.code === 0 ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      return proc;
    };
    return {
      cp,
      lab: theLab,
      core,
      discovery,
      kubeconfigPath: sa.kubeconfigPath,
      nodeNames,
      speakers,
      startSpeaker: startSpeakerProc,
      async setConfig(yaml: string) {
        await core.patchNamespacedConfigMap(
          { name: 'herald-config', namespace: HERALD_NS, body: { data: { 'config.yaml': yaml } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      },
      async status(index: number) {
        const r = await runIn(theLab.nodes[index]!.ns, 'curl', [
          '-sf',
          `http://127.0.0.1:${STATUS_PORT}/status`,
        ]);
        return JSON.parse(r.stdout) as SpeakerStatusDoc;
      },
      async destroy() {
        await Promise.allSettled([...speakers.values()].map((s) => s.stop('SIGKILL')));
        for (const f of forwarders) await f.stop().catch(() => undefined);
        await theLab.destroy();
        await cp.stop();
      },
    };
  } catch (err) {
    for (const s of speakers.values()) await s.stop('SIGKILL').catch(() => undefined);
    for (const f of forwarders) await f.stop().catch(() => undefined);
    await lab?.destroy();
    await cp.stop();
    throw err;
  }
}

// ---- Kubernetes object helpers (what the controller and the EndpointSlice controller would write) ----

export async function createLoadBalancer(
  core: CoreV1Api,
  name: string,
  opts: {
    policy?: 'Cluster' | 'Local';
    ips?: string[];
    publishNotReadyAddresses?: boolean;
    dualStack?: boolean;
  } = {},
): Promise<void> {
  await core.createNamespacedService({
    namespace: 'apps',
    body: {
      metadata: { name },
      spec: {
        type: 'LoadBalancer',
        // No node ports: nothing here uses them, and the 30000-32767 range holds fewer than 10,000 Services.
        allocateLoadBalancerNodePorts: false,
        externalTrafficPolicy: opts.policy ?? 'Cluster',
        publishNotReadyAddresses: opts.publishNotReadyAddresses,
        ipFamilyPolicy: opts.dualStack ? 'RequireDualStack' : undefined,
        ipFamilies: opts.dualStack ? ['IPv4', 'IPv6'] : undefined,
        ports: [{ port: 80, protocol: 'TCP' }],
      },
    },
  });
  if (opts.ips) await setIngress(core, name, opts.ips);
}

export async function setIngress(core: CoreV1Api, name: string, ips: string[]): Promise<void> {
  await core.patchNamespacedServiceStatus(
    { name, namespace: 'apps', body: { status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

export interface EndpointSpec {
  node: string;
  address: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

/** Creates or replaces the Service's one EndpointSlice of `family` (`create: true` skips the replace try). */
export async function putSlice(
  discovery: DiscoveryV1Api,
  service: string,
  endpoints: readonly EndpointSpec[],
  family: 'IPv4' | 'IPv6' = 'IPv4',
  opts: { create?: boolean } = {},
): Promise<void> {
  const name = `${service}-${family.toLowerCase()}`;
  const body: V1EndpointSlice = {
    metadata: { name, labels: { 'kubernetes.io/service-name': service } },
    addressType: family,
    ports: [{ port: 8080, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.address],
      nodeName: e.node,
      conditions: {
        ready: e.ready ?? true,
        serving: e.serving ?? e.ready ?? true,
        terminating: e.terminating ?? false,
      },
    })),
  };
  if (opts.create) {
    await discovery.createNamespacedEndpointSlice({ namespace: 'apps', body });
    return;
  }
  try {
    await discovery.replaceNamespacedEndpointSlice({ name, namespace: 'apps', body });
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) {
      await discovery.createNamespacedEndpointSlice({ namespace: 'apps', body });
      return;
    }
    throw err;
  }
}
