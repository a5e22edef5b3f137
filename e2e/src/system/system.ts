// The e2e harness: Herald as it runs in a cluster, on one machine. One entry point, `startSystem`, brings up
// as much of it as a test needs, in named steps:
//   the cluster      a real etcd + kube-apiserver (../kube)
//   the chart        `helm install` of charts/herald (chart.ts, values.ts)
//   the router lab   FRR in a router namespace, one network namespace per node (../lab), a Node object for
//                    each and an apiserver forwarder into it
//   the data plane   a client namespace behind the router and a kube-proxy stand-in per node (kube-proxy.ts),
//                    or (kubeProxy) the real kube-proxy and a pod per node (kube-proxy-node.ts, pod-server.ts)
//   the programs     herald-speaker per node and herald-controller replicas, each started exactly as a Pod of
//                    the chart's DaemonSet / Deployment would run it, as the chart's ServiceAccount (chart.ts)
// There is no kubelet, scheduler or controller-manager: the chart's Deployment and DaemonSet exist as objects
// only; the harness plays the kubelet (starts the processes and writes their Pod objects: Running and Ready
// once a program answers, not Ready once it exits) and tests play the EndpointSlice controller.
// Used by every e2e test that runs a Herald program, by `npm run lab` (lab-cli.ts) and by the benchmarks.
import { writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import {
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import {
  CHART_DIR,
  CONTROLLER_DEPLOYMENT,
  HERALD_NAMESPACE,
  NODE_ASN,
  nodeName,
  READER_SA,
  RELEASE,
  SPEAKER_DAEMONSET,
  SPEAKER_HEALTH_PORT,
  SPEAKER_METRICS_PORT,
} from '../constants.ts';
import { eventually } from '../eventually.ts';
import {
  type ControlPlane,
  freePorts,
  ignoreConflict,
  type ManagedProcess,
  makeTempDir,
  type NetnsForwarder,
  removeTempDir,
  type ServiceAccountCredentials,
  type SpawnOptions,
  spawnManaged,
  startControlPlane,
  testbinPath,
} from '../kube/index.ts';
import {
  createLab,
  type FrrRouter,
  type Lab,
  type LabBfd,
  type LabNamespace,
  nodeIpv4,
  nodeIpv6,
  podIpv4,
  type RouterPeer,
  run,
  runIn,
} from '../lab/index.ts';
import { type Step, steps } from '../steps.ts';
import { HeraldRelease, mountSecretVolumes, type ProcessSpec, podProcess, withFlag } from './chart.ts';
import { Helm } from './helm.ts';
import {
  KUBE_PROXY_HEALTHZ,
  KUBE_PROXY_SA,
  type KubeProxyMode,
  kubeProxyConfig,
  NODE_PROXIER_ROLE,
} from './kube-proxy-node.ts';
import { leaseHolder, putEndpointSlice, registerNode, setConfig } from './objects.ts';
import { type ChartValues, defaultValues } from './values.ts';

const STANDIN_MAIN = new URL('./kube-proxy-standin.ts', import.meta.url).pathname;
const PROBE_MAIN = new URL('./http-probe.ts', import.meta.url).pathname;
const POD_MAIN = new URL('./pod-server.ts', import.meta.url).pathname;
/** The port every lab pod listens on (the Services' targetPort). */
export const POD_PORT = 8080;

/** Something the system created, reported as soon as it exists (the lab's crash-recovery state file). */
export type Created =
  | { kind: 'netns'; name: string }
  | { kind: 'netnsPrefix'; prefix: string }
  | { kind: 'dir'; path: string }
  | { kind: 'pid'; pid: number; name: string };

export interface SystemOptions {
  /** Node namespaces, each with a Node object (node-0 …) and a speaker. 0: no router lab at all. Default 3. */
  nodes?: number;
  /** Extra labels of Node INDEX. */
  nodeLabels?: (index: number) => Record<string, string>;
  /** Chart values; default values.ts's defaultValues(). */
  values?: ChartValues;
  /** Start a speaker on every node and wait for all sessions in FRR. Default true; false: `startSpeaker` later. */
  speakers?: boolean;
  /** Controller replicas to start. Default: the chart's `controller.replicas`. 0: none (tests write status). */
  controllers?: number;
  /** A client namespace behind the router and a kube-proxy stand-in per node. Default: true when nodes > 0. */
  dataPlane?: boolean;
  /**
   * The data plane runs the REAL kube-proxy in this mode in every node namespace, and a pod (pod-server.ts on
   * podIpv4(i):8080) behind every node, instead of the stand-in. putEndpoints then names those pods.
   */
  kubeProxy?: KubeProxyMode;
  /** The router peers with every node over BGP and start-up waits for the sessions. Default true (l2: when the values have peers). */
  bgp?: boolean;
  /** Extra speaker flags per node: a test's deviation from the DaemonSet, which runs one set of args. */
  speakerArgs?: (index: number) => readonly string[];
  /** Extra kube-apiserver flags (e.g. an audit policy). */
  apiserverArgs?: readonly string[];
  /**
   * Layer-2 mode: the client on the node segment with the pools on-link, strictARP on the nodes (lab/lab.ts
   * `layer2`). Give values with l2Advertisements and speaker.l2.enabled (values.ts `l2Values`).
   */
  l2?: boolean;
  /** Run BFD on FRR's neighbors (bfdd); the config's peers need `bfd: { enabled: true }` to match. */
  routerBfd?: LabBfd;
  /** Progress lines: each step's name as it starts. */
  progress?: (line: string) => void;
  /** Called for every namespace, dir and process as soon as it exists. */
  created?: (thing: Created) => void;
}

export interface ControllerReplica {
  readonly index: number;
  /** The Pod name, which the controller uses as its identity in the Lease and in Events. */
  readonly identity: string;
  /** Its /metrics port on 127.0.0.1 (HTTPS with a token unless metrics.auth is none: controllerMetrics()). */
  readonly metricsPort: number;
  /** Its /healthz and /readyz port on 127.0.0.1 (plain HTTP). */
  readonly healthPort: number;
  proc: ManagedProcess;
}

/** How the test bed reads /metrics and /status: as READER_SA, verifying the chart's certificate. */
export interface ReaderAccess {
  readonly token: string;
  readonly tokenFile: string;
  /**
   * A curl header file (`-H @file`) carrying the token. Written once, with the token file: concurrent reads
   * (three speakers' /metrics at once) must never see it truncated, as a per-request rewrite made them do.
   */
  readonly headersFile: string;
  /** The chart's metrics CA (PEM) and a file holding it. */
  readonly ca: string;
  readonly caFile: string;
  readonly speakerServerName: string;
  readonly controllerServerName: string;
  /** The heraldctl status flags for this identity. */
  readonly heraldctlArgs: readonly string[];
}

export interface NodeHandle {
  readonly index: number;
  readonly name: string;
  readonly ns: LabNamespace;
  speaker: ManagedProcess | undefined;
  standin: ManagedProcess | undefined;
  /** With `kubeProxy`: the real kube-proxy of this node, and its pod's HTTP server. */
  kubeProxy: ManagedProcess | undefined;
  pod: ManagedProcess | undefined;
}

export interface ProbeSummary {
  ok: number;
  failed: number;
  byNode: Record<string, number>;
  errors: string[];
  /** With `timeline`: every request as [start ms since the epoch, 1 ok / 0 failed, duration ms, why failed]. */
  timeline?: Array<[number, 0 | 1, number, string?]>;
}

export interface ProbeLoopOptions {
  /** Milliseconds between requests (default 20). */
  intervalMs?: number;
  /** Start each request on time, without waiting for the one before. */
  concurrent?: boolean;
  /** Record every request (ProbeSummary.timeline). */
  timeline?: boolean;
  /** Per-request timeout, ms (default 2000): a request slower than this counts as failed. */
  timeoutMs?: number;
}

export interface ProbeLoop {
  /** Stops the loop (after the request in flight) and returns its counts. */
  stop(): Promise<ProbeSummary>;
}

/** The speaker's /status document (the fields the tests read). */
export interface SpeakerStatus {
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
    gracefulRestartNegotiated?: boolean;
    prefixes: { ipv4: number; ipv6: number };
    updatesReceived?: number;
    prefixesReceived?: { ipv4: number; ipv6: number };
    prefixesBlocked?: { ipv4: number; ipv6: number };
    prefixLimitReached?: number;
    asPathLoops?: number;
    lastError: string | null;
  }>;
  announced: Record<string, Array<{ prefix: string; services: string[] }>>;
  /** What each watch has applied, by resource. */
  kube: Array<{ resource: string; resourceVersion: string }>;
}

export function urlFor(ip: string): string {
  return ip.includes(':') ? `http://[${ip}]/` : `http://${ip}/`;
}

/** The router's neighbors: each node over IPv4 (carrying IPv4) and over IPv6 (carrying IPv6). */
export function routerPeers(nodes: number, bfd?: LabBfd): RouterPeer[] {
  const common = { asn: NODE_ASN, holdTime: 9, ...(bfd ? { bfd } : {}) };
  return Array.from({ length: nodes }, (_, i) => [
    { ...common, address: nodeIpv4(i), families: ['ipv4'] } satisfies RouterPeer,
    { ...common, address: nodeIpv6(i), families: ['ipv6'] } satisfies RouterPeer,
  ]).flat();
}

/** Brings up what OPTS ask for; on any failure stops what it started and rethrows. */
export function startSystem(opts: SystemOptions = {}): Promise<HeraldSystem> {
  return HeraldSystem.start(opts);
}

export class HeraldSystem {
  /** The temp dir holding program logs, helm's home and values files. */
  readonly dir: string;
  readonly nodes: NodeHandle[] = [];
  readonly controllers: ControllerReplica[] = [];
  readonly #opts: SystemOptions;
  readonly #nodeCount: number;
  readonly #step: Step;
  readonly #created: (thing: Created) => void;
  readonly #managed: ManagedProcess[] = [];
  readonly #forwarders: NetnsForwarder[] = [];
  readonly #logs = new Map<string, number>();
  /** Pod name → how often its program was started (restartCount + 1). */
  readonly #starts = new Map<string, number>();
  readonly #programLogs: string[] = [];
  #cp: ControlPlane | undefined;
  #core: CoreV1Api | undefined;
  #discovery: DiscoveryV1Api | undefined;
  #coordination: CoordinationV1Api | undefined;
  #release: HeraldRelease | undefined;
  #helm: Helm | undefined;
  #lab: Lab | undefined;
  #controllerIdentity: ServiceAccountCredentials | undefined;
  #speakerIdentity: ServiceAccountCredentials | undefined;
  #reader: Promise<ReaderAccess> | undefined;
  #stopped: Promise<void> | undefined;

  static async start(opts: SystemOptions): Promise<HeraldSystem> {
    const sys = new HeraldSystem(opts);
    try {
      await sys.#start();
      return sys;
    } catch (err) {
      await sys.stop();
      throw err;
    }
  }

  private constructor(opts: SystemOptions) {
    this.#opts = opts;
    this.#nodeCount = opts.nodes ?? 3;
    this.#step = steps(opts.progress);
    this.#created = opts.created ?? (() => undefined);
    this.dir = makeTempDir();
    this.#created({ kind: 'dir', path: this.dir });
  }

  // ---- the parts, once started ----

  get cp(): ControlPlane {
    return required(this.#cp, 'the control plane');
  }
  /** Admin clients of the control plane. */
  get core(): CoreV1Api {
    this.#core ??= this.cp.kubeConfig.makeApiClient(CoreV1Api);
    return this.#core;
  }
  get discovery(): DiscoveryV1Api {
    this.#discovery ??= this.cp.kubeConfig.makeApiClient(DiscoveryV1Api);
    return this.#discovery;
  }
  get coordination(): CoordinationV1Api {
    this.#coordination ??= this.cp.kubeConfig.makeApiClient(CoordinationV1Api);
    return this.#coordination;
  }
  get helm(): Helm {
    return required(this.#helm, 'helm');
  }
  get lab(): Lab {
    return required(this.#lab, 'the router lab (nodes: 0)');
  }
  get frr(): FrrRouter {
    return this.lab.router as FrrRouter;
  }
  get client(): LabNamespace {
    return required(this.#lab?.client, 'the client namespace (dataPlane: false)');
  }
  /** The identity the controllers run as: the chart Deployment's ServiceAccount. */
  get controllerIdentity(): ServiceAccountCredentials {
    return required(this.#controllerIdentity, 'the controller identity');
  }
  /** The identity the speakers run as: the chart DaemonSet's ServiceAccount. */
  get speakerIdentity(): ServiceAccountCredentials {
    return required(this.#speakerIdentity, 'the speaker identity');
  }

  // ---- start-up, step by step ----

  async #start(): Promise<void> {
    const step = this.#step;
    const withLab = this.#nodeCount > 0;
    const dataPlane = withLab && (this.#opts.dataPlane ?? true);
    const kubeProxy = dataPlane ? this.#opts.kubeProxy : undefined;
    const values = this.#opts.values ?? defaultValues();
    // Layer-2 mode peers with the router only when its values still name peers (a pool in both modes).
    const bgp = this.#opts.bgp ?? (!this.#opts.l2 || values.config.peers.length > 0);
    await step('start etcd and kube-apiserver', () => this.#startCluster());
    await step(`helm install ${RELEASE} ${CHART_DIR} -n ${HERALD_NAMESPACE}`, () =>
      this.#installChart(values),
    );
    if (withLab) {
      await step(
        `create the router lab: FRR, ${this.#nodeCount} node namespaces${this.#opts.l2 ? ', client on the node segment' : ''}`,
        () => this.#createLab(dataPlane, bgp, kubeProxy !== undefined),
      );
      await step('register the Node objects and an apiserver forwarder in every node namespace', () =>
        this.#registerNodes(),
      );
    }
    if (kubeProxy !== undefined)
      await step(`start the real kube-proxy (${kubeProxy}) and a pod in every node namespace`, () =>
        this.#startKubeProxies(kubeProxy),
      );
    else if (dataPlane)
      await step('start a kube-proxy stand-in in every node namespace', () => this.#startStandins());
    if (withLab && (this.#opts.speakers ?? true)) {
      await step(`start ${this.#nodeCount} herald-speakers as ${this.speakerIdentity.username}`, async () => {
        await Promise.all(this.nodes.map((n) => this.startSpeaker(n.index)));
      });
      if (bgp)
        await step('wait for every BGP session to be Established in FRR', () => this.#sessionsEstablished());
    }
    const controller = (values.controller ?? {}) as {
      replicas?: number;
      leaderElection?: { enabled?: boolean };
    };
    const replicas = this.#opts.controllers ?? controller.replicas ?? 2;
    if (replicas > 0) {
      await step(
        `start ${replicas} herald-controller replicas as ${this.controllerIdentity.username}`,
        async () => {
          for (let i = 0; i < replicas; i++) await this.startController(i);
        },
      );
      if (controller.leaderElection?.enabled ?? true)
        await step('wait for a controller to hold the Lease', () =>
          eventually('a Lease holder', async () => (await this.leader()) || undefined),
        );
    }
  }

  async #startCluster(): Promise<void> {
    this.#cp = await startControlPlane({ extraApiserverArgs: this.#opts.apiserverArgs ?? [] });
    this.#created({ kind: 'dir', path: this.#cp.dir });
    this.#recordControlPlanePids();
  }

  async #installChart(values: ChartValues): Promise<void> {
    this.#helm = new Helm(join(this.dir, 'helm'), this.cp.kubeconfigPath);
    this.#release = new HeraldRelease(this.#helm, this.dir, values);
    this.#release.install();
    // The chart's own identities, minted like the kubelet does for a Pod that uses them.
    const sa = (kind: 'Deployment' | 'DaemonSet', name: string) =>
      this.cp.serviceAccountKubeconfig(HERALD_NAMESPACE, this.#workload(kind, name).serviceAccountName);
    this.#controllerIdentity = await sa('Deployment', CONTROLLER_DEPLOYMENT);
    this.#speakerIdentity = await sa('DaemonSet', SPEAKER_DAEMONSET);
  }

  async #createLab(dataPlane: boolean, bgp: boolean, pods: boolean): Promise<void> {
    // Every namespace createLab makes is named hl<our pid>x<n>-…: recorded before it exists, so a crash in
    // the middle of createLab still leaves a record `lab down` can act on.
    this.#created({ kind: 'netnsPrefix', prefix: `hl${process.pid}x` });
    const lab = await createLab({
      nodes: this.#nodeCount,
      router: 'frr',
      clientNamespace: dataPlane,
      layer2: this.#opts.l2,
      pods,
      peers: bgp ? routerPeers(this.#nodeCount, this.#opts.routerBfd) : [],
    });
    this.#lab = lab;
    for (const ns of [
      lab.routerNs,
      ...lab.nodes.map((n) => n.ns),
      ...lab.pods.map((p) => p.ns),
      lab.client?.ns,
    ])
      if (ns) this.#created({ kind: 'netns', name: ns });
    this.#created({ kind: 'dir', path: lab.dir });
    for (const pid of await lab.router.pids()) this.#created({ kind: 'pid', pid, name: 'frr' });
    // ECMP that spreads connections: hash on the L4 5-tuple, not only the addresses (the client has one).
    await runIn(lab.routerNs, 'sysctl', ['-q', '-w', 'net.ipv4.fib_multipath_hash_policy=1']);
    await runIn(lab.routerNs, 'sysctl', ['-q', '-w', 'net.ipv6.fib_multipath_hash_policy=1']);
  }

  async #registerNodes(): Promise<void> {
    for (const [index, ns] of this.lab.nodes.entries()) {
      const name = nodeName(index);
      await registerNode(this.core, name, {
        ipv4: ns.ipv4,
        ipv6: ns.ipv6,
        labels: this.#opts.nodeLabels?.(index),
      });
      const fwd = await this.cp.startNetnsApiserverForwarder(ns.ns);
      this.#forwarders.push(fwd);
      this.#created({ kind: 'pid', pid: fwd.pid, name: `apiserver forwarder ${ns.ns}` });
      this.nodes.push({
        index,
        name,
        ns,
        speaker: undefined,
        standin: undefined,
        kubeProxy: undefined,
        pod: undefined,
      });
    }
    this.#recordControlPlanePids();
  }

  async #startStandins(): Promise<void> {
    // kube-proxy's stand-in gets what the system:node-proxier ClusterRole grants for these resources.
    const rbac = this.cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const name = 'herald-lab:kube-proxy';
    await rbac
      .createClusterRole({
        body: {
          metadata: { name },
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
      .catch(ignoreConflict);
    await rbac
      .createClusterRoleBinding({
        body: {
          metadata: { name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
          subjects: [{ kind: 'ServiceAccount', name: 'kube-proxy', namespace: 'kube-system' }],
        },
      })
      .catch(ignoreConflict);
    const identity = await this.cp.serviceAccountKubeconfig('kube-system', 'kube-proxy');
    await Promise.all(
      this.nodes.map(async (node) => {
        const proc = await this.#spawn(`kube-proxy-${node.name}`, {
          command: 'ip',
          args: ['netns', 'exec', node.ns.ns, process.execPath, '--no-warnings', STANDIN_MAIN].concat([
            '--node-name',
            node.name,
            '--kubeconfig',
            identity.kubeconfigPath,
          ]),
          stdout: 'log',
        });
        node.standin = proc;
        await eventually(`${proc.name} ready`, () => proc.logTail(50).includes('"event":"ready"'), {
          timeoutMs: 30_000,
          abortIf: () => exitReason(proc),
        });
      }),
    );
  }

  async #startKubeProxies(mode: KubeProxyMode): Promise<void> {
    // The identity a cluster's kube-proxy has: its ServiceAccount bound to the bootstrap system:node-proxier.
    const rbac = this.cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const name = 'herald-lab:kube-proxy:node-proxier';
    await rbac
      .createClusterRoleBinding({
        body: {
          metadata: { name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NODE_PROXIER_ROLE },
          subjects: [{ kind: 'ServiceAccount', ...KUBE_PROXY_SA }],
        },
      })
      .catch(ignoreConflict);
    const identity = await this.cp.serviceAccountKubeconfig(KUBE_PROXY_SA.namespace, KUBE_PROXY_SA.name);
    await Promise.all(
      this.nodes.map(async (node) => {
        const podNs = required(this.lab.pods[node.index], `the pod namespace of ${node.name}`);
        node.pod = await this.#spawn(`pod-${node.name}`, {
          command: 'ip',
          args: ['netns', 'exec', podNs.ns, process.execPath, '--no-warnings', POD_MAIN].concat([
            '--name',
            `pod-${node.name}`,
            '--address',
            podNs.ipv4,
            '--port',
            String(POD_PORT),
          ]),
          stdout: 'log',
        });
        const config = join(this.dir, `kube-proxy-${node.name}.yaml`);
        writeFileSync(
          config,
          kubeProxyConfig({ node: node.name, mode, kubeconfig: identity.kubeconfigPath }),
        );
        const proc = await this.#spawn(`kube-proxy-${node.name}`, {
          command: 'ip',
          args: ['netns', 'exec', node.ns.ns, testbinPath('kube-proxy'), '--config', config, '--v=2'],
        });
        node.kubeProxy = proc;
        // healthz answers 200 once kube-proxy has programmed its rules for the first time.
        const url = `http://${KUBE_PROXY_HEALTHZ}/healthz`;
        await eventually(
          `${proc.name} healthz`,
          async () => (await runIn(node.ns.ns, 'curl', ['-sf', url], { allowFailure: true })).code === 0,
          { timeoutMs: 60_000, abortIf: () => exitReason(proc) ?? exitReason(node.pod!) },
        );
      }),
    );
  }

  async #sessionsEstablished(): Promise<void> {
    const want = this.#nodeCount * 2;
    await eventually(`all ${want} sessions Established in FRR`, async () => {
      return (await this.frr.peers()).filter((p) => p.established).length === want;
    });
  }

  // ---- the programs ----

  /**
   * Starts controller replica INDEX (again, if it ran before) as a Pod of the chart's Deployment named
   * herald-controller-INDEX. The one change to the Deployment's args: the metrics address is a free port
   * on 127.0.0.1, because the replicas share this machine's network where Pods would each have their own.
   */
  async startController(index: number): Promise<ControllerReplica> {
    const identity = `${CONTROLLER_DEPLOYMENT}-${index}`;
    const [metricsPort, healthPort] = (await freePorts(2)) as [number, number];
    const spec = await this.#podProcess('controller', identity);
    const proc = await this.#spawn(identity, {
      ...spec,
      args: withFlag(
        withFlag(spec.args, '--metrics-address', `127.0.0.1:${metricsPort}`),
        '--health-address',
        `127.0.0.1:${healthPort}`,
      ),
    });
    await eventually(
      `${identity} /healthz`,
      async () => (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).ok,
      { timeoutMs: 30_000, abortIf: () => exitReason(proc) },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${proc.logTail(30)}`);
    });
    this.#programLogs.push(proc.logPath);
    // The one deviation shows in its Pod too: Pod IP 127.0.0.1, the metrics port the replica really has.
    const template = this.#workload('Deployment', CONTROLLER_DEPLOYMENT).template;
    const containers = (template.spec?.containers ?? []).map((c, i) =>
      i === 0
        ? {
            ...c,
            ports: (c.ports ?? []).map((p) =>
              p.name === 'metrics' ? { ...p, containerPort: metricsPort } : p,
            ),
          }
        : c,
    );
    await this.#publishPod(identity, proc, { ...template, spec: { ...template.spec!, containers } }, [
      '127.0.0.1',
    ]);
    const replica: ControllerReplica = { index, identity, metricsPort, healthPort, proc };
    const at = this.controllers.findIndex((c) => c.index === index);
    if (at >= 0) this.controllers[at] = replica;
    else this.controllers.push(replica);
    return replica;
  }

  /**
   * Starts the speaker of node INDEX (again, if it ran before) as the chart's DaemonSet Pod on that node:
   * in the node's network namespace (hostNetwork), with the DaemonSet's args plus EXTRA (and the system's
   * `speakerArgs` for the node). Resolves once it answers /readyz.
   */
  async startSpeaker(index: number, extra: readonly string[] = []): Promise<ManagedProcess> {
    const node = required(this.nodes[index], `node ${index}`);
    const spec = await this.#podProcess('speaker', `${SPEAKER_DAEMONSET}-${node.name}`, node.name);
    const proc = await this.#spawn(`speaker-${node.name}`, {
      command: 'ip',
      args: ['netns', 'exec', node.ns.ns, spec.command, ...spec.args].concat(
        this.#opts.speakerArgs?.(index) ?? [],
        extra,
      ),
      env: spec.env,
    });
    node.speaker = proc;
    this.#programLogs.push(proc.logPath);
    await eventually(
      `speaker on ${node.name} /readyz`,
      async () => (await this.#speakerGet(index, '/readyz')).ok,
      {
        timeoutMs: 30_000,
        abortIf: () => exitReason(proc),
      },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${proc.logTail(30)}`);
    });
    // hostNetwork: the Pod's IPs are the node's.
    const template = this.#workload('DaemonSet', SPEAKER_DAEMONSET).template;
    await this.#publishPod(
      `${SPEAKER_DAEMONSET}-${node.name}`,
      proc,
      { ...template, spec: { ...template.spec!, nodeName: node.name } },
      [node.ns.ipv4, node.ns.ipv6],
    );
    return proc;
  }

  /** The speaker of node INDEX's /status document. */
  async speakerStatus(index: number): Promise<SpeakerStatus> {
    const r = await this.#speakerGet(index, '/status');
    if (!r.ok) throw new Error(`speaker on node ${index}: /status failed: ${r.body}`);
    return JSON.parse(r.body) as SpeakerStatus;
  }

  /** The speaker of node INDEX's /metrics text. */
  async speakerMetrics(index: number): Promise<string> {
    const r = await this.#speakerGet(index, '/metrics');
    if (!r.ok) throw new Error(`speaker on node ${index}: /metrics failed: ${r.body}`);
    return r.body;
  }

  /** Controller replica INDEX's /metrics text, read as the test bed's reader identity. */
  async controllerMetrics(index: number): Promise<string> {
    const c = required(
      this.controllers.find((r) => r.index === index),
      `controller replica ${index}`,
    );
    if (!this.#metricsSecure()) return (await fetch(`http://127.0.0.1:${c.metricsPort}/metrics`)).text();
    const reader = await this.readerAccess();
    return new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: c.metricsPort,
          path: '/metrics',
          ca: reader.ca,
          servername: reader.controllerServerName,
          headers: { authorization: `Bearer ${reader.token}` },
          timeout: 10_000,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => {
            body += d;
          });
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(body)
              : reject(new Error(`controller ${index} /metrics: HTTP ${res.statusCode}: ${body}`)),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject);
      req.end();
    });
  }

  /**
   * The identity the test bed reads /metrics and /status as (READER_SA, bound as a status reader by the
   * values), and the chart's metrics CA to verify the servers with.
   */
  readerAccess(): Promise<ReaderAccess> {
    this.#reader ??= (async () => {
      const creds = await this.cp.serviceAccountKubeconfig(HERALD_NAMESPACE, READER_SA);
      const cm = await this.core.readNamespacedConfigMap({
        name: `${RELEASE}-metrics-ca`,
        namespace: HERALD_NAMESPACE,
      });
      const ca = cm.data?.['ca.crt'] ?? '';
      const tokenFile = join(this.dir, 'reader.token');
      const caFile = join(this.dir, 'metrics-ca.crt');
      const headersFile = join(this.dir, 'reader.headers');
      writeFileSync(tokenFile, creds.token, { mode: 0o600 });
      writeFileSync(headersFile, `Authorization: Bearer ${creds.token}\n`, { mode: 0o600 });
      writeFileSync(caFile, ca);
      const speakerServerName = cm.data?.speakerServerName ?? '';
      return {
        token: creds.token,
        tokenFile,
        headersFile,
        ca,
        caFile,
        speakerServerName,
        controllerServerName: cm.data?.controllerServerName ?? '',
        heraldctlArgs: ['--token-file', tokenFile, '--ca-file', caFile, '--server-name', speakerServerName],
      };
    })();
    return this.#reader;
  }

  /** The log of every herald-controller and herald-speaker this system started (each start has its own). */
  programLogs(): string[] {
    return [...this.#programLogs];
  }

  // ---- the cluster, as the tests act on it ----

  /** The controller Lease's holder ('' when none). */
  leader(): Promise<string> {
    return leaseHolder(this.coordination);
  }

  setConfig(configYaml: string): Promise<void> {
    return setConfig(this.core, configYaml);
  }

  currentValues(): ChartValues {
    return required(this.#release, 'the release').values();
  }

  /** `helm upgrade` the release with these values; throws with helm's stderr when helm refuses. */
  async upgrade(values: ChartValues): Promise<string> {
    return required(this.#release, 'the release').upgrade(values);
  }

  /** Plays the EndpointSlice controller: one ready endpoint per listed node, for each family of the Service. */
  async putEndpoints(name: string, nodeIndexes: readonly number[], namespace = 'default'): Promise<void> {
    const svc = await this.core.readNamespacedService({ name, namespace });
    for (const family of svc.spec?.ipFamilies ?? ['IPv4']) {
      if (family !== 'IPv4' && family !== 'IPv6') continue;
      // With `kubeProxy` the IPv4 ones are the lab's pods (podIpv4); otherwise, and for IPv6, they are only
      // values that nothing routes to (the stand-in answers on the node).
      const podIp = (i: number) => (family === 'IPv4' ? podIpv4(i) : `2001:db8:244:${i + 1}::10`);
      const endpoints = nodeIndexes.map((i) => ({ node: nodeName(i), address: podIp(i) }));
      await putEndpointSlice(this.discovery, name, endpoints, { namespace, family });
    }
  }

  /** Whether node INDEX's kube-proxy stand-in has IP on its lo. */
  async served(index: number, ip: string): Promise<boolean> {
    const ns = required(this.nodes[index], `node ${index}`).ns.ns;
    const r = await runIn(ns, 'ip', ['-j', 'addr', 'show', 'dev', 'lo']);
    const links = JSON.parse(r.stdout || '[]') as Array<{ addr_info?: Array<{ local?: string }> }>;
    return links.some((l) => (l.addr_info ?? []).some((a) => a.local === ip));
  }

  /** Waits until exactly these nodes' stand-ins serve IP (they watch the apiserver, like the speakers). */
  async waitForServed(ip: string, nodeIndexes: readonly number[]): Promise<void> {
    const want = [...nodeIndexes].sort().join(',');
    let last = '';
    await eventually(
      `${ip} served by nodes [${want}]`,
      async () => {
        const serving: number[] = [];
        for (const n of this.nodes) if (await this.served(n.index, ip)) serving.push(n.index);
        last = serving.join(',');
        return last === want;
      },
      { detail: () => `last served by nodes [${last}]` },
    );
  }

  /** COUNT requests from the client namespace, each on a new connection. */
  async probe(url: string, count: number): Promise<ProbeSummary> {
    const r = await run('ip', [...this.#probeArgs(url), '--count', String(count)], { timeoutMs: 120_000 });
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as ProbeSummary;
  }

  /** Requests from the client namespace every 20 ms (or as OPTIONS say), each on a new connection, until stopped. */
  async probeLoop(url: string, options: ProbeLoopOptions = {}): Promise<ProbeLoop> {
    const args = [
      ...this.#probeArgs(url),
      '--until-signal',
      '--interval',
      String(options.intervalMs ?? 20),
      '--timeout',
      String(options.timeoutMs ?? 2000),
      ...(options.concurrent ? ['--concurrent'] : []),
      ...(options.timeline ? ['--timeline'] : []),
    ];
    const proc = await this.#spawn('http-probe', { command: 'ip', args, stdout: 'pipe' });
    let out = '';
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    await eventually('http-probe loop started', () => out.includes('started'), {
      timeoutMs: 10_000,
      intervalMs: 20,
      abortIf: () => exitReason(proc),
    });
    return {
      async stop() {
        await proc.stop({ signal: 'SIGTERM' });
        return JSON.parse(out.trim().split('\n').pop() ?? '{}') as ProbeSummary;
      },
    };
  }

  /**
   * The client namespace as an operator's workstation outside the cluster: the apiserver at the admin
   * kubeconfig's address (127.0.0.1:port, through a forwarder), every controller replica's Pod IP and metrics
   * port (127.0.0.1:port, forwarded to the root namespace where the replicas run) and the nodes through the
   * router. `heraldctl` run there with the admin kubeconfig sees Herald as it would from a laptop with
   * kubectl access and a route to the nodes.
   */
  async operatorAccess(): Promise<{ netns: string; kubeconfigPath: string }> {
    const netns = this.client.ns;
    const targets = [undefined, ...this.controllers.map((c) => c.metricsPort)];
    for (const target of targets) {
      const fwd = await this.cp.startNetnsApiserverForwarder(netns, target === undefined ? {} : { target });
      this.#forwarders.push(fwd);
      this.#created({ kind: 'pid', pid: fwd.pid, name: `forwarder ${netns}:${fwd.port}` });
    }
    this.#recordControlPlanePids();
    return { netns, kubeconfigPath: this.cp.kubeconfigPath };
  }

  /** Stops everything this system started and removes its temp dirs. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      // Programs first, with SIGKILL: a test bed teardown must not make routers converge on anything.
      await Promise.allSettled(this.#managed.map((p) => p.stop({ signal: 'SIGKILL' })));
      await Promise.allSettled(this.#forwarders.map((f) => f.stop()));
      await this.#lab?.destroy().catch(() => undefined);
      await this.#cp?.stop().catch(() => undefined);
      removeTempDir(this.dir);
    })();
    return this.#stopped;
  }

  // ---- helpers ----

  /**
   * Writes the Pod NAME of a started program as the kubelet would: created from the workload's TEMPLATE
   * (replacing the object of an earlier run), then Running and Ready with IPS; when the process exits, no
   * longer Ready (its container terminated). Nothing else about a real kubelet is played.
   */
  async #publishPod(
    name: string,
    proc: ManagedProcess,
    template: V1Pod,
    ips: readonly string[],
  ): Promise<void> {
    const namespace = HERALD_NAMESPACE;
    const starts = (this.#starts.get(name) ?? 0) + 1;
    this.#starts.set(name, starts);
    await this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
    await eventually(
      `old Pod ${name} gone`,
      async () =>
        await this.core.readNamespacedPod({ name, namespace }).then(
          () => false,
          () => true,
        ),
    );
    await this.core.createNamespacedPod({
      namespace,
      body: { metadata: { ...template.metadata, name, namespace }, spec: template.spec },
    });
    const container = template.spec?.containers[0];
    const status = (ready: boolean, exit?: { code: number | null; signal: string | null }) => ({
      status: {
        phase: 'Running',
        podIP: ips[0],
        podIPs: ips.map((ip) => ({ ip })),
        conditions: ['Ready', 'ContainersReady'].map((type) => ({ type, status: ready ? 'True' : 'False' })),
        containerStatuses: [
          {
            name: container?.name ?? 'main',
            image: container?.image ?? '',
            imageID: '',
            ready,
            started: ready,
            restartCount: starts - 1,
            state: ready
              ? { running: { startedAt: new Date() } }
              : {
                  terminated: {
                    exitCode: exit?.code ?? 137,
                    reason: exit?.signal ? `Signal ${exit.signal}` : 'Error',
                    finishedAt: new Date(),
                  },
                },
          },
        ],
      },
    });
    const patchStatus = (body: object) =>
      this.core.patchNamespacedPodStatus(
        { name, namespace, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await patchStatus(status(true));
    void proc.exited.then(async (exit) => {
      // The program exited: its Pod is not Ready until a new start (which replaces the object).
      if (this.#stopped !== undefined || this.#starts.get(name) !== starts) return;
      await patchStatus(status(false, { code: exit.code, signal: exit.signal })).catch(() => undefined);
    });
  }

  #workload(kind: 'Deployment' | 'DaemonSet', name: string) {
    return required(this.#release, 'the release').workload(kind, name);
  }

  async #podProcess(program: 'controller' | 'speaker', podName: string, node?: string): Promise<ProcessSpec> {
    const [kind, name, identity] =
      program === 'controller'
        ? (['Deployment', CONTROLLER_DEPLOYMENT, this.controllerIdentity] as const)
        : (['DaemonSet', SPEAKER_DAEMONSET, this.speakerIdentity] as const);
    const pod = { name: podName, namespace: HERALD_NAMESPACE, nodeName: node };
    const workload = this.#workload(kind, name);
    const spec = podProcess(program, workload, pod, identity.kubeconfigPath);
    return mountSecretVolumes(spec, workload, join(this.dir, 'pods', podName), async (secret) => {
      const found = await this.core
        .readNamespacedSecret({ name: secret, namespace: HERALD_NAMESPACE })
        .catch(() => undefined);
      return found?.data;
    });
  }

  #metricsSecure(): boolean {
    const metrics = this.currentValues().metrics as { auth?: string } | undefined;
    return (metrics?.auth ?? 'kubernetes') === 'kubernetes';
  }

  /** Spawns a tracked process logging to DIR/NAME.log (NAME.2.log … when NAME was started before). */
  async #spawn(
    name: string,
    spec: Omit<SpawnOptions, 'name' | 'logPath' | 'ownerDir'>,
  ): Promise<ManagedProcess> {
    const n = (this.#logs.get(name) ?? 0) + 1;
    this.#logs.set(name, n);
    const logPath = join(this.dir, n === 1 ? `${name}.log` : `${name}.${n}.log`);
    const proc = await spawnManaged({ ...spec, name, logPath, ownerDir: this.dir });
    this.#managed.push(proc);
    this.#created({ kind: 'pid', pid: proc.pid, name });
    return proc;
  }

  /**
   * GET PATH from node INDEX's speaker, inside the node's namespace, where the kubelet and a scraper would:
   * the probes plain on the loopback health port, /metrics and /status over HTTPS as the reader identity,
   * verifying the chart's certificate under the metrics Service's name.
   */
  async #speakerGet(index: number, path: string): Promise<{ ok: boolean; body: string }> {
    const ns = required(this.nodes[index], `node ${index}`).ns.ns;
    let args: string[];
    if (path === '/healthz' || path === '/readyz') args = [`http://127.0.0.1:${SPEAKER_HEALTH_PORT}${path}`];
    else if (!this.#metricsSecure()) args = [`http://127.0.0.1:${SPEAKER_METRICS_PORT}${path}`];
    else {
      const reader = await this.readerAccess();
      const name = reader.speakerServerName;
      args = [
        '--cacert',
        reader.caFile,
        '--resolve',
        `${name}:${SPEAKER_METRICS_PORT}:127.0.0.1`,
        '-H',
        `@${reader.headersFile}`,
        `https://${name}:${SPEAKER_METRICS_PORT}${path}`,
      ];
    }
    const r = await runIn(ns, 'curl', ['-sS', '--fail-with-body', ...args], { allowFailure: true });
    return { ok: r.code === 0, body: r.code === 0 ? r.stdout : `${r.stdout}${r.stderr}` };
  }

  #probeArgs(url: string): string[] {
    return ['netns', 'exec', this.client.ns, process.execPath, '--no-warnings', PROBE_MAIN, '--url', url];
  }

  #recordControlPlanePids(): void {
    for (const pid of this.cp.pids()) this.#created({ kind: 'pid', pid, name: 'control plane' });
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`this system has no ${what}`);
  return value;
}

function exitReason(proc: ManagedProcess): string | undefined {
  const exit = proc.exitInfo();
  return exit ? `${proc.name} exited (${exit.code ?? exit.signal}):\n${proc.logTail(30)}` : undefined;
}
