// What the controller keeps of each cached object: only the fields reconcile, restore, sharing and Events
// read. The informers' transform (see informers.ts) applies these before an object reaches the cache:
// 10,000+ full Services (managedFields, last-applied-configuration, clusterIPs, ...) otherwise cost hundreds of
// MB. The speaker does the same in packages/speaker/src/kube/slim.ts for its own field set (the two sets
// differ, so nothing is shared).

import type { V1Namespace, V1Service } from '@kubernetes/client-node';

/** The prefix of our annotations and of our condition types. */
const HERALD_ANNOTATION_PREFIX = 'herald.dev/';

function heraldAnnotations(all: Record<string, string> | undefined): Record<string, string> | undefined {
  if (all === undefined) return undefined;
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(all)) {
    if (!k.startsWith(HERALD_ANNOTATION_PREFIX)) continue;
    out ??= {};
    out[k] = v;
  }
  return out;
}

/**
 * metadata: identity, resourceVersion (conditional patches), generation (observedGeneration), creationTimestamp
 * (restore order), labels (serviceSelectors), herald.dev/* annotations. spec: what allocation and sharing read.
 * status: ingress IPs with their ipMode, and the herald.dev/* conditions (the only ones the controller writes).
 */
export function slimService(s: V1Service): V1Service {
  const m = s.metadata;
  const spec = s.spec;
  return {
    metadata: {
      name: m?.name,
      namespace: m?.namespace,
      uid: m?.uid,
      resourceVersion: m?.resourceVersion,
      generation: m?.generation,
      creationTimestamp: m?.creationTimestamp,
      labels: m?.labels,
      annotations: heraldAnnotations(m?.annotations),
    },
    spec: {
      type: spec?.type,
      loadBalancerClass: spec?.loadBalancerClass,
      loadBalancerIP: spec?.loadBalancerIP,
      ipFamilies: spec?.ipFamilies,
      ipFamilyPolicy: spec?.ipFamilyPolicy,
      externalTrafficPolicy: spec?.externalTrafficPolicy,
      publishNotReadyAddresses: spec?.publishNotReadyAddresses,
      selector: spec?.selector,
      ports: spec?.ports?.map((p) => ({ port: p.port, protocol: p.protocol })),
    },
    status: {
      loadBalancer: {
        ingress: s.status?.loadBalancer?.ingress?.map((i) => ({ ip: i.ip, ipMode: i.ipMode })),
      },
      conditions: s.status?.conditions?.filter((c) => c.type.startsWith(HERALD_ANNOTATION_PREFIX)),
    },
  };
}

/** Namespaces feed namespaceSelectors: name and labels. */
export function slimNamespace(n: V1Namespace): V1Namespace {
  const m = n.metadata;
  return { metadata: { name: m?.name, uid: m?.uid, resourceVersion: m?.resourceVersion, labels: m?.labels } };
}
