// Reads MetalLB's configuration from a cluster: every metallb.io configuration kind in MetalLB's namespace
// (CustomObjectsApi), or, where no metallb.io resource exists, the legacy ConfigMap, through heraldctl's one
// kubeconfig loader (operatorKubeConfig). Needs `list` on the six metallb.io resources and `get` on
// the ConfigMap in that namespace, nothing else.
import { ApiException, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { operatorKubeConfig } from '../kubeconfig.ts';
import type { MetallbKind } from './types.ts';

/** Resource and served versions, preferred first (BGPPeer's storage version is v1beta2 since MetalLB v0.13.9). */
export const metallbResources: ReadonlyArray<{
  kind: MetallbKind;
  plural: string;
  versions: readonly string[];
}> = [
  { kind: 'IPAddressPool', plural: 'ipaddresspools', versions: ['v1beta1'] },
  { kind: 'BGPPeer', plural: 'bgppeers', versions: ['v1beta2', 'v1beta1'] },
  { kind: 'BGPAdvertisement', plural: 'bgpadvertisements', versions: ['v1beta1'] },
  { kind: 'Community', plural: 'communities', versions: ['v1beta1'] },
  { kind: 'BFDProfile', plural: 'bfdprofiles', versions: ['v1beta1'] },
  { kind: 'L2Advertisement', plural: 'l2advertisements', versions: ['v1beta1'] },
];

export interface ClusterRead {
  /** Kubernetes objects as the apiserver returned them (apiVersion and kind set on every item). */
  readonly items: unknown[];
  /** What was read, e.g. "bgppeers.metallb.io/v1beta2 (2)" or "ConfigMap metallb-system/config". */
  readonly read: string[];
}

const notFound = (err: unknown) => err instanceof ApiException && err.code === 404;

export async function readMetallbFromCluster(args: {
  kubeconfig?: string;
  namespace: string;
  legacyConfigMap: string;
}): Promise<ClusterRead> {
  const kc = operatorKubeConfig(args.kubeconfig);
  const api = kc.makeApiClient(CustomObjectsApi);
  const items: unknown[] = [];
  const read: string[] = [];
  for (const r of metallbResources) {
    for (const version of r.versions) {
      try {
        const list = (await api.listNamespacedCustomObject({
          group: 'metallb.io',
          version,
          namespace: args.namespace,
          plural: r.plural,
        })) as { items?: unknown[] };
        const found = list.items ?? [];
        for (const item of found) {
          items.push({ apiVersion: `metallb.io/${version}`, kind: r.kind, ...(item as object) });
        }
        read.push(`${r.plural}.metallb.io/${version} (${found.length})`);
        break;
      } catch (err) {
        // 404: this version (or the whole CRD) is not served; try the next version, else skip the kind.
        if (!notFound(err)) throw err;
      }
    }
  }
  if (read.length > 0) return { items, read };
  // No metallb.io resource at all: MetalLB before v0.13 kept its configuration in a ConfigMap.
  try {
    const cm = await kc
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ name: args.legacyConfigMap, namespace: args.namespace });
    return {
      items: [{ ...cm, apiVersion: 'v1', kind: 'ConfigMap' }],
      read: [`ConfigMap ${args.namespace}/${args.legacyConfigMap}`],
    };
  } catch (err) {
    if (notFound(err)) return { items: [], read: [] };
    throw err;
  }
}
