// MetalLB in the test bed, as the reference of the head-to-head benchmark (metallb.ts): its controller and
// native-BGP speaker built from the Go module (bench/metallb/ensure.sh), run out of the cluster against the same
// apiserver as Herald (admin kubeconfig; its RBAC is not what is measured), with its CRDs installed, peering
// with the same FRR. Run as shipped: default flags, no memberlist, no webhooks (no cert rotation out of cluster).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  eventually,
  freePorts,
  type HeraldSystem,
  ignoreConflict,
  type ManagedProcess,
  REPO_ROOT,
  spawnManaged,
} from '@herald/e2e';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export const METALLB_NAMESPACE = 'metallb-system';

export interface MetallbPeer {
  readonly name: string;
  readonly peerAddress: string;
  readonly peerASN: number;
  readonly myASN: number;
  readonly sourceAddress?: string;
  readonly holdTime?: string;
}

/** Builds (or finds) MetalLB; returns the directory with controller, speaker and crds.yaml. */
export function ensureMetallb(): string {
  return execFileSync('bash', [join(REPO_ROOT, 'bench/metallb/ensure.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export class MetallbLab {
  readonly #t: HeraldSystem;
  readonly #dir: string;
  readonly version: string;
  #logs = 0;

  private constructor(t: HeraldSystem, dir: string) {
    this.#t = t;
    this.#dir = dir;
    this.version = /metallb-(v[\d.]+)/.exec(dir)?.[1] ?? 'unknown';
  }

  /** Installs the CRDs and MetalLB's namespace; the configuration comes with `configure`. */
  static async install(t: HeraldSystem, dir: string): Promise<MetallbLab> {
    const ext = t.cp.kubeConfig.makeApiClient(ApiextensionsV1Api);
    const crds = parseAllDocuments(readFileSync(join(dir, 'crds.yaml'), 'utf8'))
      .map((d) => d.toJS() as V1CustomResourceDefinition | null)
      .filter((d): d is V1CustomResourceDefinition => d?.kind === 'CustomResourceDefinition');
    for (const body of crds) await ext.createCustomResourceDefinition({ body }).catch(ignoreConflict);
    await eventually('MetalLB CRDs established', async () => {
      for (const c of crds) {
        const got = await ext.readCustomResourceDefinition({ name: c.metadata!.name! });
        if (!got.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'))
          return undefined;
      }
      return true;
    });
    await t.core.createNamespace({ body: { metadata: { name: METALLB_NAMESPACE } } }).catch(ignoreConflict);
    // The speaker's Pod object (startSpeaker) needs the namespace's default ServiceAccount, which a cluster's
    // controller-manager would create; the test bed runs none.
    await t.core
      .createNamespacedServiceAccount({
        namespace: METALLB_NAMESPACE,
        body: { metadata: { name: 'default' } },
      })
      .catch(ignoreConflict);
    return new MetallbLab(t, dir);
  }

  /** One IPAddressPool (POOL), the peers, one BGPAdvertisement of the pool. */
  async configure(pool: string, peers: readonly MetallbPeer[]): Promise<void> {
    const api = this.#t.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const create = (plural: string, version: string, body: object) =>
      api
        .createNamespacedCustomObject({
          group: 'metallb.io',
          version,
          namespace: METALLB_NAMESPACE,
          plural,
          body: { apiVersion: `metallb.io/${version}`, ...body },
        })
        .catch(ignoreConflict);
    await create('ipaddresspools', 'v1beta1', {
      kind: 'IPAddressPool',
      metadata: { name: 'bench' },
      spec: { addresses: [pool] },
    });
    for (const p of peers) {
      const { name, ...spec } = p;
      // peerPort as the v1beta2 CRD's default says; without it the speaker dialled port 0 ("connection refused").
      await create('bgppeers', 'v1beta2', {
        kind: 'BGPPeer',
        metadata: { name },
        spec: { peerPort: 179, ...spec },
      });
    }
    await create('bgpadvertisements', 'v1beta1', {
      kind: 'BGPAdvertisement',
      metadata: { name: 'bench' },
      spec: { ipAddressPools: ['bench'] },
    });
  }

  async #spawn(name: string, command: string, args: string[]): Promise<ManagedProcess> {
    const proc = await spawnManaged({
      name,
      command,
      args,
      logPath: join(this.#t.dir, `${name}.${++this.#logs}.log`),
      ownerDir: this.#t.dir,
    });
    return proc;
  }

  /** MetalLB's controller (webhooks off: there is no cert rotation outside a cluster). */
  async startController(): Promise<ManagedProcess> {
    const [port] = (await freePorts(1)) as [number];
    return this.#spawn('metallb-controller', join(this.#dir, 'controller'), [
      `--kubeconfig=${this.#t.cp.kubeconfigPath}`,
      `--namespace=${METALLB_NAMESPACE}`,
      '--webhook-mode=disabled',
      '--disable-cert-rotation',
      `--port=${port}`,
      '--log-level=info',
    ]);
  }

  /**
   * MetalLB's speaker on node INDEX of the lab (in its network namespace, as with hostNetwork). It reads its
   * own Pod at start, so a Pod object bound to the node is created first. Memberlist stays off (no
   * --ml-bindaddr): each speaker decides alone, as Herald's do.
   */
  async startSpeaker(index: number): Promise<ManagedProcess> {
    const node = this.#t.nodes[index]!;
    const pod = `metallb-speaker-${node.name}`;
    await this.#t.cp.kubeConfig
      .makeApiClient(CoreV1Api)
      .createNamespacedPod({
        namespace: METALLB_NAMESPACE,
        body: {
          metadata: { name: pod, labels: { app: 'metallb', component: 'speaker' } },
          spec: {
            nodeName: node.name,
            containers: [{ name: 'speaker', image: `metallb/speaker:${this.version}` }],
          },
        },
      })
      .catch(ignoreConflict);
    return this.#spawn(`metallb-speaker-${node.name}`, 'ip', [
      'netns',
      'exec',
      node.ns.ns,
      join(this.#dir, 'speaker'),
      `--kubeconfig=${this.#t.cp.kubeconfigPath}`,
      `--node-name=${node.name}`,
      `--pod-name=${pod}`,
      `--namespace=${METALLB_NAMESPACE}`,
      '--host=127.0.0.1',
      '--port=7472',
      '--log-level=info',
    ]);
  }
}
