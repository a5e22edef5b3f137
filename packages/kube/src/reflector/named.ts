// A cache of exactly one object of a namespace, watched by name: the field selector metadata.name=<name> on
// list and watch is what lets RBAC restrict the program to that name (resourceNames authorizes list and
// watch only for requests that carry it). Used for the configuration's ConfigMap and for the Secrets peers
// name for their TCP-MD5 passwords.
import type { V1Secret } from '@kubernetes/client-node';
import type { KubeClient } from '../api/client.ts';
import { Reflector, type ReflectorOptions } from './reflector.ts';
import type { Versioned } from './relist.ts';

export type NamedReflectorOptions<T extends Versioned> = Omit<
  ReflectorOptions<T>,
  'resource' | 'path' | 'fieldSelector' | 'list'
> & {
  readonly namespace: string;
  readonly name: string;
};

/** The reflector of `name` in `namespace` of a namespaced core/v1 resource (e.g. "configmaps"). */
export function namedReflector<T extends Versioned>(
  resource: string,
  api: Pick<KubeClient, 'list'>,
  o: NamedReflectorOptions<T>,
): Reflector<T> {
  const { namespace, name, ...rest } = o;
  const fieldSelector = `metadata.name=${name}`;
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/${resource}`;
  return new Reflector<T>({
    ...rest,
    resource,
    path,
    fieldSelector,
    list: (page) => api.list<T>(path, { ...page, fieldSelector }),
  });
}

/**
 * One Secret, by name. Callers pass a transform that keeps only what they read (the data keys they use):
 * nothing else of a Secret belongs in a cache, and nothing of it in a log.
 */
export function secretReflector(
  api: Pick<KubeClient, 'list'>,
  o: NamedReflectorOptions<V1Secret>,
): Reflector<V1Secret> {
  return namedReflector<V1Secret>('secrets', api, o);
}
