// The Kubernetes API access each Herald program needs to work, and access it must not have. One list, read by
// `heraldctl doctor` (SubjectAccessReviews for the installed ServiceAccounts) and by the chart's RBAC test
// (e2e/src/chart-apiserver.test.ts: the chart grants every `needs` entry and none of the `mustNot` ones). A
// program that starts calling something new adds it here, and both checks follow. What depends on the
// configuration (the Secrets peers name for their TCP-MD5 passwords) comes from speakerSecretPermissions.

import type { HeraldConfig } from './types.ts';

export type Program = 'controller' | 'speaker';

/**
 * Where a permission applies. `cluster`: a cluster-scoped resource, or a namespaced one in all namespaces at
 * once (list/watch). `anyNamespace`: whichever namespace the object is in (a Service's Events). `release`:
 * the install namespace.
 */
export type PermissionScope = 'cluster' | 'anyNamespace' | 'release';

export interface Permission {
  readonly verb: string;
  /** API group; '' for the core group. */
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly scope: PermissionScope;
  /** Only this object of the install: the ConfigMap or the leader Lease (names come from the install). */
  readonly object?: 'configMap' | 'lease';
  /** Only the object of this name (a Secret the configuration names). */
  readonly name?: string;
  /** What the program does with it, for messages. */
  readonly why: string;
}

const p = (
  verbs: readonly string[],
  group: string,
  resource: string,
  scope: PermissionScope,
  why: string,
  extra: { subresource?: string; object?: 'configMap' | 'lease'; name?: string } = {},
): Permission[] => verbs.map((verb) => ({ verb, group, resource, scope, why, ...extra }));

const events = p(['create', 'patch'], '', 'events', 'anyNamespace', 'writes and aggregates Events');
const configMap = p(['list', 'watch'], '', 'configmaps', 'release', 'watches its configuration', {
  object: 'configMap',
});
/** What both programs were once granted and never use (e2e/src/security.test.ts proves every verb is used). */
const unused = [
  ...p(['create'], 'events.k8s.io', 'events', 'anyNamespace', 'writes core/v1 Events only'),
  ...p(['get'], '', 'configmaps', 'release', 'watches its ConfigMap by name, never gets it', {
    object: 'configMap',
  }),
];

export const programPermissions: Readonly<
  Record<Program, { readonly needs: readonly Permission[]; readonly mustNot: readonly Permission[] }>
> = {
  controller: {
    needs: [
      ...p(['list', 'watch'], '', 'services', 'cluster', 'watches Services'),
      ...p(['patch'], '', 'services', 'anyNamespace', 'writes addresses, conditions and its annotation', {
        subresource: 'status',
      }),
      ...p(['list', 'watch'], '', 'namespaces', 'cluster', 'reads namespace labels (serviceAllocation)'),
      ...p(['list', 'watch'], '', 'nodes', 'cluster', 'reads Node addresses and state (node-address pools)'),
      ...p(
        ['list', 'watch'],
        'discovery.k8s.io',
        'endpointslices',
        'cluster',
        'reads endpoints (node-address pools)',
      ),
      ...events,
      ...configMap,
      ...p(['create'], 'coordination.k8s.io', 'leases', 'release', 'creates the leader Lease'),
      ...p(['get', 'update'], 'coordination.k8s.io', 'leases', 'release', 'holds the leader Lease', {
        object: 'lease',
      }),
    ],
    mustNot: [
      ...p(['delete'], '', 'services', 'anyNamespace', 'never deletes Services'),
      ...p(['patch', 'update'], '', 'services', 'anyNamespace', 'never changes a Service, only its status'),
      ...p(['update'], '', 'services', 'anyNamespace', 'writes the status by patch only', {
        subresource: 'status',
      }),
      ...unused,
      ...p(['get', 'list'], '', 'secrets', 'release', 'reads no Secret'),
    ],
  },
  speaker: {
    needs: [
      ...p(['list', 'watch'], '', 'services', 'cluster', 'watches Services'),
      ...p(['list', 'watch'], '', 'nodes', 'cluster', 'watches its Node'),
      ...p(['list', 'watch'], 'discovery.k8s.io', 'endpointslices', 'cluster', 'watches endpoints'),
      ...events,
      ...configMap,
    ],
    mustNot: [
      ...p(['patch', 'update'], '', 'services', 'anyNamespace', 'never writes Service status', {
        subresource: 'status',
      }),
      ...p(['patch'], '', 'services', 'anyNamespace', 'never writes Services'),
      ...p(['patch'], '', 'nodes', 'cluster', 'never writes Nodes'),
      ...unused,
      ...p(['update'], 'coordination.k8s.io', 'leases', 'release', 'never touches the leader Lease', {
        object: 'lease',
      }),
      // Only the Secrets peers name, each watched by name (speakerSecretPermissions): never a get, never all.
      ...p(['get', 'list'], '', 'secrets', 'release', 'reads only the Secrets peers name, by name'),
    ],
  },
};

/**
 * What a program serving /metrics and /status with --metrics-auth=kubernetes (the chart's default) needs:
 * to ask the apiserver about a reader's token (TokenReview) and the reader's right (SubjectAccessReview).
 */
export const metricsAuthPermissions: readonly Permission[] = [
  ...p(['create'], 'authentication.k8s.io', 'tokenreviews', 'cluster', "checks a scraper's token"),
  ...p(['create'], 'authorization.k8s.io', 'subjectaccessreviews', 'cluster', "checks a scraper's right"),
];

/** The Secret names the configuration's peers refer to (what the speaker watches and the chart grants). */
export function referencedSecrets(config: HeraldConfig): Set<string> {
  const names = new Set<string>();
  for (const peer of config.peers) if (peer.passwordSecretRef) names.add(peer.passwordSecretRef.name);
  return names;
}

/** What the speaker needs for the Secrets a configuration names: list and watch each, by name. */
export function speakerSecretPermissions(config: HeraldConfig): Permission[] {
  return [...referencedSecrets(config)]
    .sort()
    .flatMap((name) =>
      p(['list', 'watch'], '', 'secrets', 'release', 'watches the TCP-MD5 password a peer names', { name }),
    );
}

/** `patch services/status`, `list configmaps "herald-config"`: how a permission reads in messages. */
export function describePermission(perm: Permission, names: Omit<InstallNames, 'namespace'>): string {
  const resource = `${perm.resource}${perm.subresource ? `/${perm.subresource}` : ''}`;
  const qualified = perm.group === '' ? resource : `${resource}.${perm.group}`;
  const name = objectName(perm, names);
  const object = name === undefined ? '' : ` "${name}"`;
  return `${perm.verb} ${qualified}${object}`;
}

/** The install's names a permission may refer to. */
export interface InstallNames {
  readonly namespace: string;
  readonly configMap: string;
  readonly lease: string;
}

/**
 * The SubjectAccessReview resourceAttributes that ask for PERM in an install: `anyNamespace` is asked for the
 * namespace `default` (a grant for every namespace covers it; a grant for some namespaces only may not).
 */
export function permissionAttributes(
  perm: Permission,
  names: InstallNames,
): {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
} {
  const name = objectName(perm, names);
  const namespace =
    perm.scope === 'release' ? names.namespace : perm.scope === 'anyNamespace' ? 'default' : undefined;
  return {
    verb: perm.verb,
    group: perm.group,
    resource: perm.resource,
    ...(perm.subresource === undefined ? {} : { subresource: perm.subresource }),
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
  };
}

function objectName(perm: Permission, names: Omit<InstallNames, 'namespace'>): string | undefined {
  return perm.name ?? (perm.object === undefined ? undefined : names[perm.object]);
}
