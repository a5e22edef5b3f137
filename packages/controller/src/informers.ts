// The controller's caches: every Service (slimmed), every Namespace (labels, for namespaceSelectors) and its
// one ConfigMap, each a @herald/kube Reflector. Changes are handed on as keys; nothing here decides anything.

import type { BackoffParams } from '@herald/inet';
import {
  type Change,
  configMapReflector,
  type KubeClient,
  Reflector,
  type ReflectorVerb,
} from '@herald/kube';
import type { Logger } from '@herald/kube/process';
import type { V1ConfigMap, V1Namespace, V1Service } from '@kubernetes/client-node';
import { slimNamespace, slimService } from './slim.ts';

/**
 * 1 s doubling to 30 s, drawn from [0.8, 1] of that: every replica watches, and an apiserver that stays down is
 * not hammered by all of them in lock step.
 */
export const controllerWatchBackoff: BackoffParams = {
  initialMs: 1000,
  maxMs: 30_000,
  multiplier: 2,
  jitter: 0.2,
};

export interface ControllerInformers {
  readonly services: Reflector<V1Service>;
  readonly namespaces: Reflector<V1Namespace>;
  readonly configMaps: Reflector<V1ConfigMap>;
}

export interface InformerOptions {
  readonly kube: KubeClient;
  readonly namespace: string;
  readonly configMapName: string;
  readonly log: Logger;
  readonly onError: (resource: string, verb: ReflectorVerb) => void;
  readonly onServices: (changes: readonly Change<V1Service>[]) => void;
  readonly onNamespaces: (changes: readonly Change<V1Namespace>[]) => void;
  readonly onConfigMap: () => void;
}

export function createInformers(o: InformerOptions): ControllerInformers {
  const common = {
    watcher: o.kube,
    log: o.log,
    backoff: controllerWatchBackoff,
  };
  const services = new Reflector<V1Service>({
    ...common,
    resource: 'services',
    path: '/api/v1/services',
    list: (page) => o.kube.list<V1Service>('/api/v1/services', page),
    transform: slimService,
    onChange: o.onServices,
    onError: (verb) => o.onError('services', verb),
  });
  const namespaces = new Reflector<V1Namespace>({
    ...common,
    resource: 'namespaces',
    path: '/api/v1/namespaces',
    list: (page) => o.kube.list<V1Namespace>('/api/v1/namespaces', page),
    transform: slimNamespace,
    onChange: o.onNamespaces,
    onError: (verb) => o.onError('namespaces', verb),
  });
  const configMaps = configMapReflector({
    ...common,
    api: o.kube,
    namespace: o.namespace,
    name: o.configMapName,
    onChange: () => o.onConfigMap(),
    onError: (verb) => o.onError('configmaps', verb),
  });
  return { services, namespaces, configMaps };
}
