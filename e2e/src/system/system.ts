// The whole Herald system on one machine, shared by the full e2e (system-*.test.ts) and `npm run lab`:
//   real etcd + kube-apiserver → `helm install` of charts/herald (values.ts) → Node objects for the lab nodes →
//   2 herald-controller processes and 1 herald-speaker per node namespace, each running with the args the
//   chart renders for its Deployment/DaemonSet and AS the chart's ServiceAccount (TokenRequest tokens) →
//   a kube-proxy stand-in per node namespace (kube-proxy.ts) → FRR in the router namespace with a client
//   namespace behind it.
// No kubelet, scheduler or controller-manager: the chart's Deployment and DaemonSet exist as objects only;
// this harness plays the kubelet (starts the processes) and the EndpointSlice controller (putEndpoints).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Container,
  type V1EndpointSlice,
  type V1Service,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import {
  type ControlPlane,
  type ManagedProcess,
  makeTempDir,
  type NetnsForwarder,
  removeTempDir,
  type ServiceAccountCredentials,
  spawnManaged,
  startControlPlane,
  testbinPath,
} from '../kube/index.ts';
import {
  createLab,
  type FrrRouter,
  type Lab,
  type LabNamespace,
  nodeIpv4,
  nodeIpv6,
  type RouterPeer,
  runIn,
  waitFor,
} from '../lab/index.ts';
import {
  type ChartValues,
  CONTROLLER_SA,
  defaultValues,
  HERALD_NAMESPACE,
  LEASE,
  NODE_ASN,
  RELEASE,
  ROUTER_ASN,
  SPEAKER_METRICS_PORT,
  SPEAKER_SA,
} from './values.ts';

const REPO = new URL('../../../', import.meta.url).pathname;
export const CHART = join(REPO, 'charts/herald');
const CONTROLLER_MAIN = join(REPO, 'packages/controller/src/main.ts');
const SPEAKER_MAIN = join(REPO, 'packages/speaker/src/main.ts');
const STANDIN_MAIN = new URL('./kube-proxy-standin.ts', import.meta.url).pathname;
const PROBE_MAIN = new URL('./http-probe.ts', import.meta.url).pathname;

/** Something the system created, reported as soon as it exists (the lab's crash-recovery state file). */
export type Created =
  | { kind: 'netns'; name: string }
  | { kind: 'netnsPrefix'; prefix: string }
  | { kind: 'dir'; path: string }
  | { kind: 'pid'; pid: number; name: string };

export interface SystemOptions {
  /** Node namespaces (and Node objects node-0 … node-N-1). Default 3. */
  nodes?: number;
  values?: ChartValues;
  /** Extra speaker flags per node index (e.g. ['--shutdown-mode=withdraw']). */
  speakerArgs?: (index: number) => readonly string[];
  /** Progress lines ("starting kube-apiserver …"). */
  progress?: (line: string) => void;
  /** Called for every namespace, dir and process as soon as it exists. */
  created?: (thing: Created) => void;
}

export interface ControllerReplica {
  readonly identity: string;
  readonly metricsPort: number;
  proc: ManagedProcess;
}

export interface NodeHandle {
  readonly index: number;
  readonly name: string;
  readonly ns: LabNamespace;
  speaker: ManagedProcess | undefined;
  standin: ManagedProcess | undefined;
}

export interface ProbeSummary {
  ok: number;
  failed: number;
  byNode: Record<string, number>;
  errors: string[];
}

export interface ProbeLoop {
  /** Stops the loop (after the request in flight) and returns its counts. */
  stop(): Promise<ProbeSummary>;
}

export interface ServiceSpecInput {
  namespace?: string;
  policy?: 'Cluster' | 'Local';
  dualStack?: boolean;
  annotations?: Record<string, string>;
}

export interface HeraldSystem {
  readonly cp: ControlPlane;
  readonly lab: Lab;
  readonly frr: FrrRouter;
  readonly client: LabNamespace;
  readonly core: CoreV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly nodes: readonly NodeHandle[];
  readonly controllers: readonly ControllerReplica[];
  /** The temp dir holding logs, helm's home and values files. */
  readonly dir: string;
  readonly controllerIdentity: ServiceAccountCredentials;
  readonly speakerIdentity: ServiceAccountCredentials;
  /** Runs the test bed's helm against this apiserver; rejects with helm's stderr on failure. */
  helm(args: readonly string[]): Promise<string>;
  /** `helm upgrade` the release with these values (written to a file). */
  upgrade(values: ChartValues): Promise<string>;
  currentValues(): ChartValues;
  startController(index: number): Promise<ControllerReplica>;
  startSpeaker(index: number, extraArgs?: readonly string[]): Promise<ManagedProcess>;
  /** The Lease holder's identity ('' when none). */
  leader(): Promise<string>;
  createService(name: string, spec?: ServiceSpecInput): Promise<void>;
  /** Plays the EndpointSlice controller: one ready endpoint per listed node, per family. */
  putEndpoints(name: string, nodeIndexes: readonly number[], namespace?: string): Promise<void>;
  waitForIngress(name: string, count?: number, namespace?: string): Promise<string[]>;
  /** Whether node INDEX's kube-proxy stand-in has IP on its lo. */
  served(index: number, ip: string): Promise<boolean>;
  /** Waits until exactly these nodes' stand-ins serve IP (they watch the apiserver, like the speakers). */
  waitForServed(ip: string, nodeIndexes: readonly number[]): Promise<void>;
  /** COUNT requests from the client namespace, each on a new connection. */
  probe(url: string, count: number): Promise<ProbeSummary>;
  probeLoop(url: string): Promise<ProbeLoop>;
  stop(): Promise<void>;
}

export function urlFor(ip: string): string {
  return ip.includes(':') ? `http://[${ip}]/` : `http://${ip}/`;
}

/** The router's neighbors: each node over IPv4 (carrying IPv4) and over IPv6 (carrying IPv6). */
function routerPeers(nodes: ReadonlyArray<{ ipv4: string; ipv6: string }>): RouterPeer[] {
  return nodes.flatMap((n) => [
    { address: n.ipv4, asn: NODE_ASN, families: ['ipv4'], holdTime: 9 } satisfies RouterPeer,
    { address: n.ipv6, asn: NODE_ASN, families: ['ipv6'], holdTime: 9 } satisfies RouterPeer,
  ]);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function ignore409(err: unknown): void {
  if (!(err instanceof ApiException && err.code === 409)) throw err;
}

/** The first container of the rendered Deployment/DaemonSet named NAME. */
function renderedContainer(manifest: string, kind: string, name: string): V1Container {
  for (const doc of parseAllDocuments(manifest)) {
    const obj = doc.toJS() as {
      kind?: string;
      metadata?: { name?: string };
      spec?: { template?: { spec?: { containers?: V1Container[] } } };
    } | null;
    if (obj?.kind === kind && obj.metadata?.name === name) {
      const container = obj.spec?.template?.spec?.containers?.[0];
      if (container) return container;
    }
  }
  throw new Error(`the release manifest has no ${kind} ${name} with a container`);
}

/** Container args with Kubernetes' $(VAR) expansion from ENV. */
function expandArgs(args: readonly string[], env: Record<string, string>): string[] {
  return args.map((a) => a.replace(/\$\(([A-Z_][A-Z0-9_]*)\)/g, (whole, v: string) => env[v] ?? whole));
}

/** Replaces (or appends) a --flag=value. */
function withFlag(args: readonly string[], flag: string, value: string): string[] {
  const out = args.filter((a) => a !== flag && !a.startsWith(`${flag}=`));
  out.push(`${flag}=${value}`);
  return out;
}

function exec(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

export async function startSystem(opts: SystemOptions = {}): Promise<HeraldSystem> {
  const progress = opts.progress ?? (() => undefined);
  const created = opts.created ?? (() => undefined);
  const nodeCount = opts.nodes ?? 3;
  let values = structuredClone(opts.values ?? defaultValues());

  const dir = makeTempDir();
  created({ kind: 'dir', path: dir });
  let cp: ControlPlane | undefined;
  let lab: Lab | undefined;
  const managed: ManagedProcess[] = [];
  const forwarders: NetnsForwarder[] = [];
  const controllers: ControllerReplica[] = [];
  const nodes: NodeHandle[] = [];
  let stopped: Promise<void> | undefined;

  const stop = () => {
    stopped ??= (async () => {
      // Speakers first with SIGKILL: a test bed teardown must not make routers converge on anything.
      await Promise.allSettled(managed.map((p) => p.stop({ signal: 'SIGKILL' })));
      await Promise.allSettled(forwarders.map((f) => f.stop()));
      await lab?.destroy().catch(() => undefined);
      await cp?.stop().catch(() => undefined);
      removeTempDir(dir);
    })();
    return stopped;
  };

  const spawnTracked = async (spec: Parameters<typeof spawnManaged>[0]): Promise<ManagedProcess> => {
    const proc = await spawnManaged({ ...spec, ownerDir: dir });
    managed.push(proc);
    created({ kind: 'pid', pid: proc.pid, name: spec.name });
    return proc;
  };

  try {
    progress('starting etcd and kube-apiserver');
    cp = await startControlPlane();
    const controlPlane = cp;
    created({ kind: 'dir', path: cp.dir });
    for (const pid of cp.pids()) created({ kind: 'pid', pid, name: 'control plane' });
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const discovery = cp.kubeConfig.makeApiClient(DiscoveryV1Api);
    const coordination = cp.kubeConfig.makeApiClient(CoordinationV1Api);
    const rbac = cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    progress(`kube-apiserver ready at ${cp.server} (${cp.timings.totalMs} ms)`);

    const helmEnv = {
      ...process.env,
      HELM_CACHE_HOME: join(dir, 'helm', 'cache'),
      HELM_CONFIG_HOME: join(dir, 'helm', 'config'),
      HELM_DATA_HOME: join(dir, 'helm', 'data'),
    };
    const helm = async (args: readonly string[]): Promise<string> => {
      const r = await exec(
        testbinPath('helm'),
        [...args, '--kubeconfig', controlPlane.kubeconfigPath],
        helmEnv,
        120_000,
      );
      if (r.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.code}:\n${r.stderr.trim()}`);
      return r.stdout;
    };
    let valuesRevision = 0;
    const valuesFile = (v: ChartValues) => {
      const path = join(dir, `values-${++valuesRevision}.json`);
      writeFileSync(path, JSON.stringify(v, null, 2));
      return path;
    };
    progress(`helm install ${RELEASE} ${CHART} -n ${HERALD_NAMESPACE}`);
    await helm([
      'install',
      RELEASE,
      CHART,
      '-n',
      HERALD_NAMESPACE,
      '--create-namespace',
      '-f',
      valuesFile(values),
    ]);
    const manifest = await helm(['get', 'manifest', RELEASE, '-n', HERALD_NAMESPACE]);
    const controllerContainer = renderedContainer(manifest, 'Deployment', `${RELEASE}-controller`);
    const speakerContainer = renderedContainer(manifest, 'DaemonSet', `${RELEASE}-speaker`);

    // The chart's own identities, minted like the kubelet would for a Pod using them.
    const controllerIdentity = await cp.serviceAccountKubeconfig(HERALD_NAMESPACE, CONTROLLER_SA);
    const speakerIdentity = await cp.serviceAccountKubeconfig(HERALD_NAMESPACE, SPEAKER_SA);
    // kube-proxy's stand-in gets what the system:node-proxier ClusterRole grants for these resources.
    await rbac
      .createClusterRole({
        body: {
          metadata: { name: 'herald-lab:kube-proxy' },
          rules: [
            { apiGroups: [''], resources: ['services', 'nodes'], verbs: ['get', 'list', 'watch'] },
            {
              apiGroups: ['discovery.k8s.io'],
              resources: ['endpointslices'],
              verbs: ['get', 'list', 'watch'],
            },
          ],
        },
      })
      .catch(ignore409);
    await rbac
      .createClusterRoleBinding({
        body: {
          metadata: { name: 'herald-lab:kube-proxy' },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: 'herald-lab:kube-proxy',
          },
          subjects: [{ kind: 'ServiceAccount', name: 'kube-proxy', namespace: 'kube-system' }],
        },
      })
      .catch(ignore409);
    const proxyIdentity = await cp.serviceAccountKubeconfig('kube-system', 'kube-proxy');

    progress(`creating the router lab: FRR, ${nodeCount} node namespaces, a client namespace`);
    // Every namespace createLab makes is named hl<our pid>x<n>-…: recorded before it exists, so a crash in
    // the middle of createLab still leaves a record `lab down` can act on.
    created({ kind: 'netnsPrefix', prefix: `hl${process.pid}x` });
    const peerNodes = Array.from({ length: nodeCount }, (_, i) => ({ ipv4: nodeIpv4(i), ipv6: nodeIpv6(i) }));
    lab = await createLab({
      nodes: nodeCount,
      router: 'frr',
      clientNamespace: true,
      ipv6: true,
      routerAsn: ROUTER_ASN,
      peers: routerPeers(peerNodes),
    });
    const theLab = lab;
    for (const ns of [theLab.routerNs, ...theLab.nodes.map((n) => n.ns), theLab.client?.ns]) {
      if (ns) created({ kind: 'netns', name: ns });
    }
    created({ kind: 'dir', path: theLab.dir });
    for (const pid of await theLab.router.pids()) created({ kind: 'pid', pid, name: 'frr' });
    const client = theLab.client;
    if (!client) throw new Error('createLab returned no client namespace');
    // ECMP that spreads connections: hash on the L4 5-tuple, not only the addresses (the client has one).
    await runIn(theLab.routerNs, 'sysctl', ['-q', '-w', 'net.ipv4.fib_multipath_hash_policy=1']);
    await runIn(theLab.routerNs, 'sysctl', ['-q', '-w', 'net.ipv6.fib_multipath_hash_policy=1']);

    progress('registering Node objects and apiserver forwarders in the node namespaces');
    for (const [index, ns] of theLab.nodes.entries()) {
      const name = `node-${index}`;
      await core.createNode({
        body: { metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } } },
      });
      await core.patchNodeStatus(
        {
          name,
          body: {
            status: {
              addresses: [
                { type: 'InternalIP', address: ns.ipv4 },
                { type: 'InternalIP', address: ns.ipv6 },
                { type: 'Hostname', address: name },
              ],
              conditions: [
                { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'herald lab node' },
                { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated', message: 'lab' },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const fwd = await controlPlane.startNetnsApiserverForwarder(ns.ns);
      forwarders.push(fwd);
      created({ kind: 'pid', pid: fwd.pid, name: `apiserver forwarder ${ns.ns}` });
      nodes.push({ index, name, ns, speaker: undefined, standin: undefined });
    }
    for (const pid of controlPlane.pids()) created({ kind: 'pid', pid, name: 'control plane' });

    const startController = async (index: number): Promise<ControllerReplica> => {
      const identity = `${RELEASE}-controller-${index}`;
      const metricsPort = await freePort();
      const env = { POD_NAMESPACE: HERALD_NAMESPACE, POD_NAME: identity };
      // The Deployment's args, except the metrics address: two replicas share this machine's loopback.
      let args = expandArgs(controllerContainer.args ?? [], env);
      args = withFlag(args, '--metrics-address', `127.0.0.1:${metricsPort}`);
      args = withFlag(args, '--kubeconfig', controllerIdentity.kubeconfigPath);
      const proc = await spawnTracked({
        name: identity,
        command: process.execPath,
        args: ['--no-warnings', CONTROLLER_MAIN, ...args],
        logPath: join(dir, `${identity}.log`),
        env: { ...process.env, ...env },
      });
      await waitFor(
        `${identity} /healthz`,
        async () => {
          const exit = proc.exitInfo();
          if (exit) throw new Error(`${identity} exited (${exit.code ?? exit.signal}):\n${proc.logTail(30)}`);
          const res = await fetch(`http://127.0.0.1:${metricsPort}/healthz`).catch(() => undefined);
          return res?.ok ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n${proc.logTail(30)}`);
      });
      const existing = controllers.find((c) => c.identity === identity);
      if (existing) {
        existing.proc = proc;
        return existing;
      }
      const replica: ControllerReplica = { identity, metricsPort, proc };
      controllers.push(replica);
      return replica;
    };

    const startSpeaker = async (
      index: number,
      extraArgs: readonly string[] = [],
    ): Promise<ManagedProcess> => {
      const node = nodes[index];
      if (!node) throw new Error(`no node ${index}`);
      const env = {
        NODE_NAME: node.name,
        POD_NAMESPACE: HERALD_NAMESPACE,
        POD_NAME: `${RELEASE}-speaker-${index}`,
      };
      let args = expandArgs(speakerContainer.args ?? [], env);
      args = withFlag(args, '--kubeconfig', speakerIdentity.kubeconfigPath);
      args.push(...(opts.speakerArgs?.(index) ?? []), ...extraArgs);
      const name = `speaker-${node.name}`;
      // hostNetwork: the DaemonSet's process lives in the node's network namespace.
      const proc = await spawnTracked({
        name,
        command: 'ip',
        args: ['netns', 'exec', node.ns.ns, process.execPath, '--no-warnings', SPEAKER_MAIN, ...args],
        logPath: join(dir, `${name}.log`),
        env: { ...process.env, ...env },
      });
      node.speaker = proc;
      await waitFor(
        `${name} /readyz`,
        async () => {
          const exit = proc.exitInfo();
          if (exit) throw new Error(`${name} exited (${exit.code ?? exit.signal})`);
          const r = await runIn(
            node.ns.ns,
            'curl',
            ['-sf', `http://127.0.0.1:${SPEAKER_METRICS_PORT}/readyz`],
            {
              allowFailure: true,
            },
          );
          return r.code === 0 ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n${proc.logTail(30)}`);
      });
      return proc;
    };

    const startStandin = async (node: NodeHandle): Promise<void> => {
      const name = `kube-proxy-${node.name}`;
      const proc = await spawnTracked({
        name,
        command: 'ip',
        args: [
          'netns',
          'exec',
          node.ns.ns,
          process.execPath,
          '--no-warnings',
          STANDIN_MAIN,
          '--node-name',
          node.name,
          '--kubeconfig',
          proxyIdentity.kubeconfigPath,
        ],
        logPath: join(dir, `${name}.log`),
        stdout: 'log',
      });
      node.standin = proc;
      await waitFor(
        `${name} ready`,
        async () => {
          if (proc.exitInfo()) throw new Error(`${name} exited:\n${proc.logTail(20)}`);
          return proc.logTail(50).includes('"event":"ready"') ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    };

    progress('starting a kube-proxy stand-in in every node namespace');
    await Promise.all(nodes.map((n) => startStandin(n)));
    progress(`starting ${nodeCount} herald-speaker processes as ${speakerIdentity.username}`);
    await Promise.all(nodes.map((n) => startSpeaker(n.index)));
    const replicas = Number((values.controller as { replicas?: number } | undefined)?.replicas ?? 2);
    progress(`starting ${replicas} herald-controller replicas as ${controllerIdentity.username}`);
    for (let i = 0; i < replicas; i++) await startController(i);

    progress('waiting for every BGP session to be Established in FRR');
    const frr = theLab.router as FrrRouter;
    await waitFor(
      `all ${nodeCount * 2} sessions Established in FRR`,
      async () =>
        (await frr.peers()).filter((p) => p.established).length === nodeCount * 2 ? true : undefined,
      { timeoutMs: 60_000 },
    );

    const leader = async (): Promise<string> => {
      try {
        const lease = await coordination.readNamespacedLease({ name: LEASE, namespace: HERALD_NAMESPACE });
        return lease.spec?.holderIdentity ?? '';
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return '';
        throw err;
      }
    };
    progress('waiting for a controller to hold the Lease');
    await waitFor('a controller leader', async () => ((await leader()) ? true : undefined), {
      timeoutMs: 60_000,
    });

    const readService = async (name: string, namespace: string): Promise<V1Service | undefined> => {
      try {
        return await core.readNamespacedService({ name, namespace });
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return undefined;
        throw err;
      }
    };

    const served = async (index: number, ip: string): Promise<boolean> => {
      const ns = nodes[index]?.ns.ns;
      if (!ns) return false;
      const r = await runIn(ns, 'ip', ['-j', 'addr', 'show', 'dev', 'lo']);
      const links = JSON.parse(r.stdout || '[]') as Array<{ addr_info?: Array<{ local?: string }> }>;
      return links.some((l) => (l.addr_info ?? []).some((a) => a.local === ip));
    };

    const probeArgs = (url: string) => [
      'netns',
      'exec',
      client.ns,
      process.execPath,
      '--no-warnings',
      PROBE_MAIN,
      '--url',
      url,
    ];

    return {
      cp: controlPlane,
      lab: theLab,
      frr,
      client,
      core,
      discovery,
      nodes,
      controllers,
      dir,
      controllerIdentity,
      speakerIdentity,
      helm,
      async upgrade(next) {
        const out = await helm(['upgrade', RELEASE, CHART, '-n', HERALD_NAMESPACE, '-f', valuesFile(next)]);
        values = structuredClone(next);
        return out;
      },
      currentValues: () => structuredClone(values),
      startController,
      startSpeaker,
      leader,
      async createService(name, spec = {}) {
        await core.createNamespacedService({
          namespace: spec.namespace ?? 'default',
          body: {
            metadata: { name, annotations: spec.annotations, labels: { app: name } },
            spec: {
              type: 'LoadBalancer',
              externalTrafficPolicy: spec.policy ?? 'Cluster',
              ipFamilyPolicy: spec.dualStack ? 'RequireDualStack' : 'SingleStack',
              ipFamilies: spec.dualStack ? ['IPv4', 'IPv6'] : ['IPv4'],
              selector: { app: name },
              ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
            },
          },
        });
      },
      async putEndpoints(name, nodeIndexes, namespace = 'default') {
        // One slice per family the Service has, as the EndpointSlice controller would write.
        const svc = await core.readNamespacedService({ name, namespace });
        for (const family of svc.spec?.ipFamilies ?? ['IPv4']) {
          if (family !== 'IPv4' && family !== 'IPv6') continue;
          const sliceName = `${name}-${family.toLowerCase()}`;
          // Pod IPs are only values here: nothing routes to them (the stand-in answers on the node).
          const podIp = (i: number) => (family === 'IPv4' ? `10.244.${i}.10` : `2001:db8:244:${i + 1}::10`);
          const body: V1EndpointSlice = {
            metadata: { name: sliceName, labels: { 'kubernetes.io/service-name': name } },
            addressType: family,
            ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
            endpoints: nodeIndexes.map((i) => ({
              addresses: [podIp(i)],
              nodeName: nodes[i]?.name,
              conditions: { ready: true, serving: true, terminating: false },
            })),
          };
          try {
            await discovery.replaceNamespacedEndpointSlice({ name: sliceName, namespace, body });
          } catch (err) {
            if (!(err instanceof ApiException && err.code === 404)) throw err;
            await discovery.createNamespacedEndpointSlice({ namespace, body });
          }
        }
      },
      waitForIngress(name, count = 1, namespace = 'default') {
        return waitFor(
          `${namespace}/${name} to get ${count} ingress IP(s)`,
          async () => {
            const ips = (await readService(name, namespace))?.status?.loadBalancer?.ingress ?? [];
            const list = ips.map((i) => i.ip ?? '').filter((ip) => ip !== '');
            return list.length >= count ? list : undefined;
          },
          { timeoutMs: 60_000 },
        );
      },
      served,
      async waitForServed(ip, nodeIndexes) {
        const want = [...nodeIndexes].sort().join(',');
        let last = '';
        await waitFor(`${ip} served by nodes [${want}]`, async () => {
          const serving: number[] = [];
          for (const n of nodes) if (await served(n.index, ip)) serving.push(n.index);
          last = serving.join(',');
          return last === want ? true : undefined;
        }).catch((err: Error) => {
          throw new Error(`${err.message}; last served by nodes [${last}]`);
        });
      },
      async probe(url, count) {
        const r = await exec('ip', [...probeArgs(url), '--count', String(count)], process.env, 120_000);
        if (r.code !== 0) throw new Error(`http-probe exited ${r.code}: ${r.stderr.trim()}`);
        return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as ProbeSummary;
      },
      async probeLoop(url) {
        const child = spawn('ip', [...probeArgs(url), '--until-signal', '--interval', '20'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
        });
        const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
        await waitFor('http-probe loop started', async () => (out.includes('started') ? true : undefined), {
          timeoutMs: 10_000,
          intervalMs: 20,
        });
        return {
          async stop() {
            child.kill('SIGTERM');
            await closed;
            return JSON.parse(out.trim().split('\n').pop() ?? '{}') as ProbeSummary;
          },
        };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
