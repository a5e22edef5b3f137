// The watch on every Node that layer-2 mode needs (candidates: labels, Ready, exclusion; mesh members: their
// InternalIP), started only while L2 mode is configured. Each Node is reduced to those fields before caching.
import { type KubeClient, Reflector, type ReflectorStatus, slimNode } from '@herald/kube';
import type { V1Node } from '@kubernetes/client-node';
import type { NodeWatch } from './announcer.ts';

export interface NodeWatchDeps {
  /** Lists and watches (the speaker's one client). */
  readonly kube: KubeClient;
  readonly log: ConstructorParameters<typeof Reflector<V1Node>>[0]['log'];
  readonly onError?: () => void;
  /** Connection state changes, for the speaker's kube metrics. */
  readonly onStatus?: (status: ReflectorStatus) => void;
}

export function watchAllNodes(deps: NodeWatchDeps, onChange: () => void): NodeWatch {
  const reflector: Reflector<V1Node> = new Reflector<V1Node>({
    resource: 'nodes (all)',
    path: '/api/v1/nodes',
    list: (p) => deps.kube.list<V1Node>('/api/v1/nodes', p),
    watcher: deps.kube,
    log: deps.log,
    transform: slimNode,
    onChange: () => onChange(),
    onStatus: () => {
      deps.onStatus?.(reflector);
      onChange();
    },
    onError: () => deps.onError?.(),
  });
  reflector.start();
  return {
    get synced() {
      return reflector.synced;
    },
    values: () => reflector.values(),
    stop: () => reflector.stop(),
  };
}
