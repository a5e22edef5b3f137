// The Kubernetes objects the test bed writes and reads. With no kubelet, scheduler or controller-manager,
// the tests play their parts: they register Nodes, write EndpointSlices (the EndpointSlice controller), and
// — where no herald-controller runs — Service status. The readers are what the assertions look at.
import {
  type CoordinationV1Api,
  type CoreV1Api,
  type CoreV1Event,
  type DiscoveryV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1EndpointSlice,
  type V1Service,
  type V1ServiceSpec,
} from '@kubernetes/client-node';
import { CONFIG_MAP, HERALD_NAMESPACE, LEASE } from '../constants.ts';
import { eventually } from '../eventually.ts';
import { ignoreConflict, orNotFound } from '../kube/index.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export async function createNamespace(core: CoreV1Api, name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } }).catch(ignoreConflict);
}

/** Replaces config.yaml in the Herald ConfigMap (what `kubectl edit` of it would do). */
export async function setConfig(core: CoreV1Api, configYaml: string): Promise<void> {
  await core.patchNamespacedConfigMap(
    { name: CONFIG_MAP, namespace: HERALD_NAMESPACE, body: { data: { 'config.yaml': configYaml } } },
    mergePatch,
  );
}

/** A Node object for a lab node: its addresses, Ready, and its network configured. */
export async function registerNode(
  core: CoreV1Api,
  name: string,
  node: { ipv4: string; ipv6: string; labels?: Record<string, string> },
): Promise<void> {
  await core.createNode({
    body: {
      metadata: {
        name,
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...node.labels },
      },
    },
  });
  await core.patchNodeStatus(
    {
      name,
      body: {
        status: {
          addresses: [
            { type: 'InternalIP', address: node.ipv4 },
            { type: 'InternalIP', address: node.ipv6 },
            { type: 'Hostname', address: name },
          ],
          conditions: [
            { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'herald lab node' },
            { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated', message: 'lab' },
          ],
        },
      },
    },
    mergePatch,
  );
}

export interface ServiceInput {
  /** Default `default`. */
  readonly namespace?: string;
  readonly policy?: 'Cluster' | 'Local';
  /** RequireDualStack with IPv4 first; otherwise the cluster's default (single-stack IPv4). */
  readonly dualStack?: boolean;
  readonly annotations?: Record<string, string>;
  readonly labels?: Record<string, string>;
  /** Merged over the generated spec last (ports, loadBalancerClass, families …). */
  readonly spec?: V1ServiceSpec;
}

/**
 * A `type: LoadBalancer` Service selecting `app: NAME`, port 80 → 8080 named http. No node ports: nothing in
 * the test bed uses them, and the 30000-32767 range holds fewer Services than a benchmark creates.
 */
export async function createService(
  core: CoreV1Api,
  name: string,
  input: ServiceInput = {},
): Promise<V1Service> {
  return core.createNamespacedService({
    namespace: input.namespace ?? 'default',
    body: {
      metadata: { name, annotations: input.annotations, labels: { app: name, ...input.labels } },
      spec: {
        type: 'LoadBalancer',
        allocateLoadBalancerNodePorts: false,
        externalTrafficPolicy: input.policy ?? 'Cluster',
        ...(input.dualStack ? { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] } : {}),
        selector: { app: name },
        ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
        ...input.spec,
      },
    },
  });
}

/** Writes status.loadBalancer.ingress directly (what herald-controller does, for tests that run none). */
export async function setIngress(core: CoreV1Api, name: string, namespace: string, ips: readonly string[]) {
  await core.patchNamespacedServiceStatus(
    { name, namespace, body: { status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } } },
    mergePatch,
  );
}

export function readService(
  core: CoreV1Api,
  name: string,
  namespace = 'default',
): Promise<V1Service | undefined> {
  return orNotFound(core.readNamespacedService({ name, namespace }));
}

export function ingressIPs(svc: V1Service | undefined): string[] {
  return (svc?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((ip) => ip !== '');
}

/** Waits until the Service shows at least COUNT ingress IPs, and returns them. */
export function waitForIngress(
  core: CoreV1Api,
  name: string,
  opts: { namespace?: string; count?: number } = {},
): Promise<string[]> {
  const { namespace = 'default', count = 1 } = opts;
  return eventually(`${namespace}/${name} to get ${count} ingress IP(s)`, async () => {
    const ips = ingressIPs(await readService(core, name, namespace));
    return ips.length >= count && ips;
  });
}

/** Every Service in the cluster that has IPs, as namespace/name → IPs. */
export async function allAssignments(core: CoreV1Api): Promise<Map<string, string[]>> {
  const list = await core.listServiceForAllNamespaces();
  const out = new Map<string, string[]>();
  for (const s of list.items) {
    const ips = ingressIPs(s);
    if (ips.length > 0) out.set(`${s.metadata?.namespace}/${s.metadata?.name}`, ips);
  }
  return out;
}

/** Addresses held by more than one Service, one line each. */
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

export interface EndpointSpec {
  readonly node: string;
  readonly address: string;
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
}

/**
 * Creates or replaces the Service's one EndpointSlice of FAMILY (named SERVICE-ipv4 / -ipv6), as the
 * EndpointSlice controller would write it. `create: true` skips the replace attempt (bulk creation).
 */
export async function putEndpointSlice(
  discovery: DiscoveryV1Api,
  service: string,
  endpoints: readonly EndpointSpec[],
  opts: { namespace?: string; family?: 'IPv4' | 'IPv6'; create?: boolean } = {},
): Promise<void> {
  const { namespace = 'default', family = 'IPv4' } = opts;
  const name = `${service}-${family.toLowerCase()}`;
  const body: V1EndpointSlice = {
    metadata: { name, labels: { 'kubernetes.io/service-name': service } },
    addressType: family,
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
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
  if (!opts.create) {
    const replaced = await orNotFound(discovery.replaceNamespacedEndpointSlice({ name, namespace, body }));
    if (replaced) return;
  }
  await discovery.createNamespacedEndpointSlice({ namespace, body });
}

/** Events about an object, optionally of one reason. */
export async function eventsFor(
  core: CoreV1Api,
  namespace: string,
  name: string,
  reason?: string,
): Promise<CoreV1Event[]> {
  const list = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items.filter((e) => reason === undefined || e.reason === reason);
}

/** Waits for an Event of REASON about the object whose message contains CONTAINS. */
export function waitForEvent(
  core: CoreV1Api,
  namespace: string,
  name: string,
  reason: string,
  contains = '',
): Promise<CoreV1Event> {
  return eventually(`${reason} Event on ${namespace}/${name} containing "${contains}"`, async () =>
    (await eventsFor(core, namespace, name, reason)).find((e) => (e.message ?? '').includes(contains)),
  );
}

/** The controller Lease's holder identity ('' when there is no Lease or no holder). */
export async function leaseHolder(coordination: CoordinationV1Api): Promise<string> {
  const lease = await orNotFound(
    coordination.readNamespacedLease({ name: LEASE, namespace: HERALD_NAMESPACE }),
  );
  return lease?.spec?.holderIdentity ?? '';
}
