// The I/O half of `heraldctl doctor`: reads, once, everything the checks look at, into a plain Snapshot.
// From the apiserver (the kubeconfig user's rights): the controller Deployment and speaker DaemonSet (how the
// programs run: ServiceAccounts, flags), their Pods, the leader Lease, the ConfigMap, the Services, and
// SubjectAccessReviews for both ServiceAccounts. From the programs: each Pod's /status at its Pod IP and
// `metrics` port (a speaker's Pod IP is its node's address) — over HTTPS unless the Pod runs with
// --metrics-auth=none, with a bearer token (given, else the kubeconfig user's) and the certificate verified
// against the chart's metrics CA under the program's certificate name, as `heraldctl status` does.
// Every failure is recorded in the Snapshot, never thrown: a doctor that stops at the first problem helps no one.

import {
  conditionTypes,
  describePermission,
  metricsAuthPermissions,
  type Permission,
  type Program,
  permissionAttributes,
  programPermissions,
  speakerSecretPermissions,
} from '@herald/config';
import { formatHostPort, loadConfigMap } from '@herald/kube';
import {
  ApiException,
  AppsV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Pod,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import { configSummary } from '../config/validate.ts';
import { operatorKubeConfig } from '../kubeconfig.ts';
import { kubeconfigToken, type MetricsCa, metricsCa, NO_CA_HINT } from '../metrics-access.ts';
import { getProgramDocument, type ProgramAccess } from '../program-http.ts';
import type {
  ControllerStatusDoc,
  Fetched,
  PodState,
  RbacCheck,
  ServiceState,
  Snapshot,
  SpeakerStatusDoc,
  WorkloadState,
} from './types.ts';

export interface GatherOptions {
  readonly kubeconfig: string | undefined;
  readonly namespace: string;
  readonly timeoutMs: number;
  /** Bearer token for the programs' HTTPS /status; default: the kubeconfig user's. */
  readonly token: string | undefined;
  /** PEM CA of the programs' certificates; default: the chart's metrics CA ConfigMap. */
  readonly ca?: string;
  /** Name the certificates must carry; default: each program's name from that ConfigMap. */
  readonly serverName?: string;
  /** Do not verify the certificates. */
  readonly insecure?: boolean;
}

/** The chart's labels for each program's workload and Pods. */
const componentSelector = (component: Program) =>
  `app.kubernetes.io/name=herald,app.kubernetes.io/component=${component}`;

function apiError(err: unknown): string {
  if (err instanceof ApiException) {
    const body = typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
    const message = /"message":"([^"]*)"/.exec(body ?? '')?.[1];
    return `HTTP ${err.code}${message ? `: ${message}` : ''}`;
  }
  return err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
}

/** `--flag=value` and bare `--flag` arguments of a container. */
export function containerFlags(args: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (const a of args) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (m) flags[m[1]!] = m[2] ?? 'true';
  }
  return flags;
}

function workloadState(
  name: string,
  template: V1PodTemplateSpec | undefined,
  desired: number,
): WorkloadState {
  const container = template?.spec?.containers?.[0];
  return {
    name,
    serviceAccount: template?.spec?.serviceAccountName ?? 'default',
    desired,
    flags: containerFlags(container?.args ?? []),
  };
}

export function podState(pod: V1Pod): PodState {
  const statuses = pod.status?.containerStatuses ?? [];
  const ready = (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const reason = statuses
    .map((c) => c.state?.waiting?.reason ?? c.state?.terminated?.reason)
    .find((r) => r !== undefined);
  const port = (pod.spec?.containers ?? [])
    .flatMap((c) => c.ports ?? [])
    .find((p) => p.name === 'metrics')?.containerPort;
  const ip = pod.status?.podIP;
  // The program's own flag says how it serves /status: plain HTTP only with --metrics-auth=none.
  const scheme =
    containerFlags(pod.spec?.containers?.[0]?.args ?? [])['metrics-auth'] === 'none' ? 'http' : 'https';
  return {
    name: pod.metadata?.name ?? '?',
    node: pod.spec?.nodeName,
    phase: pod.status?.phase ?? 'Unknown',
    ready,
    restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    waitingReason: reason,
    endpoint: ip && port ? `${scheme}://${formatHostPort(ip, port)}` : undefined,
  };
}

async function fetchAll<T extends { kind: string }>(
  pods: readonly PodState[],
  kind: T['kind'],
  access: ProgramAccess,
  timeoutMs: number,
): Promise<Record<string, Fetched<T>>> {
  const out: Record<string, Fetched<T>> = {};
  await Promise.all(
    pods.map(async (pod) => {
      if (pod.endpoint === undefined)
        out[pod.name] = {
          ok: false,
          error: `the Pod has no IP or no port named "metrics" (phase ${pod.phase})`,
        };
      else if (pod.endpoint.startsWith('https:') && !access.insecure && access.ca === undefined)
        out[pod.name] = { ok: false, error: `${pod.endpoint}/status: ${NO_CA_HINT}` };
      else
        out[pod.name] = await getProgramDocument<T>(`${pod.endpoint}/status`, kind, { ...access, timeoutMs });
    }),
  );
  return out;
}

/** The token and certificate check for each program's /status, from the options and what the cluster has. */
async function programAccess(
  kc: KubeConfig,
  core: CoreV1Api,
  o: GatherOptions,
  pods: readonly PodState[],
  instance: string | undefined,
): Promise<Record<Program, ProgramAccess>> {
  const secure = pods.some((p) => p.endpoint?.startsWith('https:'));
  const found: MetricsCa | undefined =
    secure && o.ca === undefined ? await metricsCa(core, o.namespace, instance) : undefined;
  const token = o.token ?? (secure ? await kubeconfigToken(kc) : undefined);
  const ca = o.ca ?? found?.pem;
  const of = (serverName: string | undefined): ProgramAccess => ({
    insecure: o.insecure === true,
    ...(token !== undefined ? { token } : {}),
    ...(ca !== undefined ? { ca } : {}),
    ...((o.serverName ?? serverName) !== undefined ? { serverName: o.serverName ?? serverName } : {}),
  });
  return {
    controller: of(found?.controllerServerName),
    speaker: of(found?.speakerServerName),
  };
}

async function reviewRbac(
  kc: KubeConfig,
  namespace: string,
  accounts: Partial<Record<Program, WorkloadState>>,
  names: { configMap: string; lease: string },
  /** What the configuration in the ConfigMap adds (the speaker's Secrets), beyond programPermissions. */
  configured: readonly Permission[],
): Promise<readonly RbacCheck[] | { error: string }> {
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const checks: Array<Promise<RbacCheck>> = [];
  for (const program of ['controller', 'speaker'] as const) {
    const workload = accounts[program];
    if (workload === undefined) continue;
    const sa = workload.serviceAccount;
    // Serving /metrics and /status to tokens (the default) needs TokenReviews and SubjectAccessReviews.
    const serving = workload.flags['metrics-auth'] === 'none' ? [] : metricsAuthPermissions;
    const user = `system:serviceaccount:${namespace}:${sa}`;
    const groups = ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'];
    const { needs, mustNot } = programPermissions[program];
    for (const [perm, expected] of [
      ...needs.map((p) => [p, 'allowed'] as const),
      ...serving.map((p) => [p, 'allowed'] as const),
      ...(program === 'speaker' ? configured.map((p) => [p, 'allowed'] as const) : []),
      ...mustNot.map((p) => [p, 'denied'] as const),
    ]) {
      checks.push(
        authz
          .createSubjectAccessReview({
            body: {
              spec: { user, groups, resourceAttributes: permissionAttributes(perm, { namespace, ...names }) },
            },
          })
          .then((r) => ({
            program,
            serviceAccount: sa,
            permission: describePermission(perm, names),
            why: perm.why,
            expected,
            allowed: r.status?.allowed === true,
            ...(perm.resource === 'secrets' && perm.name !== undefined ? { secret: perm.name } : {}),
          })),
      );
    }
  }
  try {
    return await Promise.all(checks);
  } catch (err) {
    return { error: `cannot create SubjectAccessReviews: ${apiError(err)}` };
  }
}

/** A Snapshot of nothing but why nothing could be read. */
function unreadable(namespace: string, now: Date, error: string): Snapshot {
  return {
    namespace,
    now,
    apiError: error,
    controllerPods: [],
    speakerPods: [],
    controllerStatus: {},
    speakerStatus: {},
    configMap: { found: false, name: '' },
    services: [],
    rbac: [],
  };
}

/** Never rejects: what cannot be read is in the Snapshot. */
export async function gather(o: GatherOptions, now: () => Date = () => new Date()): Promise<Snapshot> {
  try {
    return await read(o, now);
  } catch (err) {
    return unreadable(o.namespace, now(), apiError(err));
  }
}

async function read(o: GatherOptions, now: () => Date): Promise<Snapshot> {
  const kc = operatorKubeConfig(o.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const ns = o.namespace;

  let deployments: Awaited<ReturnType<AppsV1Api['listNamespacedDeployment']>>;
  let daemonSets: Awaited<ReturnType<AppsV1Api['listNamespacedDaemonSet']>>;
  try {
    [deployments, daemonSets] = await Promise.all([
      apps.listNamespacedDeployment({ namespace: ns, labelSelector: componentSelector('controller') }),
      apps.listNamespacedDaemonSet({ namespace: ns, labelSelector: componentSelector('speaker') }),
    ]);
  } catch (err) {
    return unreadable(ns, now(), apiError(err));
  }
  const deployment = deployments.items[0];
  const daemonSet = daemonSets.items[0];
  const controller = deployment
    ? workloadState(
        deployment.metadata?.name ?? '',
        deployment.spec?.template,
        deployment.spec?.replicas ?? 1,
      )
    : undefined;
  const speaker = daemonSet
    ? workloadState(
        daemonSet.metadata?.name ?? '',
        daemonSet.spec?.template,
        daemonSet.status?.desiredNumberScheduled ?? 0,
      )
    : undefined;

  const configMapName = controller?.flags['config-map'] ?? speaker?.flags['config-map'] ?? 'herald-config';
  const leaseName = controller?.flags['lease-name'] ?? 'herald-controller';
  const leaderElect = controller?.flags['leader-elect'] !== undefined;
  const loadBalancerClass = controller?.flags['load-balancer-class'];

  const podsOf = async (component: Program) =>
    (await core.listNamespacedPod({ namespace: ns, labelSelector: componentSelector(component) })).items
      .map(podState)
      .sort((a, b) => (a.node ?? a.name).localeCompare(b.node ?? b.name));
  const [controllerPods, speakerPods] = await Promise.all([podsOf('controller'), podsOf('speaker')]);
  const instance = (deployment ?? daemonSet)?.metadata?.labels?.['app.kubernetes.io/instance'];
  const access = await programAccess(kc, core, o, [...controllerPods, ...speakerPods], instance);

  const configMapRead = readConfigMap(core, ns, configMapName);
  const [controllerStatus, speakerStatus, lease, { state: configMap }, services, rbac] = await Promise.all([
    fetchAll<ControllerStatusDoc>(controllerPods, 'HeraldControllerStatus', access.controller, o.timeoutMs),
    fetchAll<SpeakerStatusDoc>(speakerPods, 'HeraldSpeakerStatus', access.speaker, o.timeoutMs),
    leaderElect ? readLease(kc, ns, leaseName) : Promise.resolve(undefined),
    configMapRead,
    readServices(core, loadBalancerClass),
    configMapRead.then(({ configured }) =>
      reviewRbac(
        kc,
        ns,
        {
          ...(controller ? { controller } : {}),
          ...(speaker ? { speaker } : {}),
        },
        { configMap: configMapName, lease: leaseName },
        configured,
      ),
    ),
  ]);
  return {
    namespace: ns,
    now: now(),
    ...(controller ? { controller } : {}),
    ...(speaker ? { speaker } : {}),
    controllerPods,
    speakerPods,
    controllerStatus,
    speakerStatus,
    ...(lease ? { lease } : {}),
    configMap,
    services,
    rbac,
  };
}

async function readLease(kc: KubeConfig, namespace: string, name: string): Promise<Snapshot['lease']> {
  try {
    const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace });
    const renew = lease.spec?.renewTime as unknown;
    return {
      found: true,
      holder: lease.spec?.holderIdentity ?? '',
      renewTime: renew instanceof Date ? renew : typeof renew === 'string' ? new Date(renew) : undefined,
      durationSeconds: lease.spec?.leaseDurationSeconds,
    };
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return { found: false };
    return { found: false, error: apiError(err) };
  }
}

/** The ConfigMap as the programs load it, and the permissions its configuration adds (the speaker's Secrets). */
async function readConfigMap(
  core: CoreV1Api,
  namespace: string,
  name: string,
): Promise<{ state: Snapshot['configMap']; configured: readonly Permission[] }> {
  let cm: Awaited<ReturnType<CoreV1Api['readNamespacedConfigMap']>>;
  try {
    cm = await core.readNamespacedConfigMap({ name, namespace });
  } catch (err) {
    if (err instanceof ApiException && err.code === 404)
      return { state: { found: false, name }, configured: [] };
    return { state: { found: false, name, error: apiError(err) }, configured: [] };
  }
  // The programs' own loader: the same validation, errors and digest as what they run.
  const load = loadConfigMap(cm);
  if (load.kind === 'valid')
    return {
      state: {
        found: true,
        name,
        digest: load.digest,
        errors: [],
        warnings: load.warnings,
        summary: configSummary(load.config),
      },
      configured: speakerSecretPermissions(load.config),
    };
  return {
    state: {
      found: true,
      name,
      digest: undefined,
      errors: load.kind === 'invalid' ? load.errors : [],
      warnings: [],
      summary: '',
    },
    configured: [],
  };
}

async function readServices(
  core: CoreV1Api,
  loadBalancerClass: string | undefined,
): Promise<Snapshot['services']> {
  try {
    const list = await core.listServiceForAllNamespaces();
    const out: ServiceState[] = [];
    for (const svc of list.items) {
      if (svc.spec?.type !== 'LoadBalancer') continue;
      const cls = svc.spec.loadBalancerClass ?? undefined;
      if (loadBalancerClass === undefined ? cls !== undefined && cls !== '' : cls !== loadBalancerClass)
        continue;
      const c = svc.status?.conditions?.find((x) => x.type === conditionTypes.addressAllocated);
      out.push({
        key: `${svc.metadata?.namespace}/${svc.metadata?.name}`,
        ingress: (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((ip) => ip !== ''),
        ...(c ? { allocated: { status: c.status, reason: c.reason, message: c.message } } : {}),
      });
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  } catch (err) {
    return { error: apiError(err) };
  }
}
