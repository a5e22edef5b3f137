// What the controller keeps of each cached object: only the fields reconcile, restore, sharing and Events
// read. client-node's ListWatch stores whatever the list and the watch hand it, so both are wrapped to slim
// objects before they reach the cache: 10,000+ full Services (managedFields, last-applied-configuration,
// clusterIPs, ...) otherwise cost hundreds of MB. The speaker does the same in packages/speaker/src/kube/slim.ts
// for its own field set (the two sets differ, so nothing is shared).

import { type KubernetesObject, type V1Namespace, type V1Service, Watch } from '@kubernetes/client-node';

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
 * metadata: identity, resourceVersion (conditional patches), creationTimestamp (restore order), labels
 * (serviceSelectors), herald.dev/* annotations. spec: what allocation and sharing read. status: ingress IPs.
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
      selector: spec?.selector,
      ports: spec?.ports?.map((p) => ({ port: p.port, protocol: p.protocol })),
    },
    status: {
      loadBalancer: { ingress: s.status?.loadBalancer?.ingress?.map((i) => ({ ip: i.ip })) },
    },
  };
}

/** Namespaces feed namespaceSelectors: name and labels. */
export function slimNamespace(n: V1Namespace): V1Namespace {
  const m = n.metadata;
  return { metadata: { name: m?.name, uid: m?.uid, resourceVersion: m?.resourceVersion, labels: m?.labels } };
}

/**
 * A Watch whose ADDED/MODIFIED/DELETED objects are slimmed before ListWatch sees them. BOOKMARK and ERROR
 * objects pass through untouched (ListWatch reads their resourceVersion / Status).
 */
export class SlimmingWatch<T extends KubernetesObject> extends Watch {
  readonly #slim: (obj: T) => T;

  constructor(base: ConstructorParameters<typeof Watch>[0], slim: (obj: T) => T) {
    super(base);
    this.#slim = slim;
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      queryParams,
      (phase, obj, watchObj) => {
        const slimmed =
          phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED' ? this.#slim(obj as T) : obj;
        callback(phase, slimmed, watchObj);
      },
      done,
    );
  }
}
