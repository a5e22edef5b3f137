// Finds speakers through the Kubernetes API: the speaker Pods (by label) in the install namespace. Speakers run
// with hostNetwork, so podIP is the node's address. Each Pod's own arguments say how it serves /status
// (--metrics-auth, --metrics-address); the chart publishes the CA and name to verify its certificate in a
// ConfigMap, and the kubeconfig's user may have a token to send.
import { formatHostPort, parseListenAddress } from '@herald/kube';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { operatorKubeConfig } from '../kubeconfig.ts';
import { kubeconfigToken, metricsCa } from '../metrics-access.ts';

export { speakerLabelSelector } from './selector.ts';

export interface Discovered {
  readonly targets: URL[];
  readonly skipped: string[];
  /** The chart's metrics CA and the speakers' certificate name, when the install has them. */
  readonly ca?: { readonly pem: string; readonly serverName: string };
  /** A bearer token of the kubeconfig's user, when it authenticates with one (token, exec plugin, OIDC). */
  readonly token?: string;
}

function flag(pod: V1Pod, name: string): string | undefined {
  const args = pod.spec?.containers?.[0]?.args ?? [];
  const prefix = `--${name}=`;
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

export async function discoverSpeakers(args: {
  kubeconfig?: string;
  namespace: string;
  labelSelector: string;
  /** Overrides the port from each Pod's --metrics-address. */
  port?: number;
}): Promise<Discovered> {
  const kc = operatorKubeConfig(args.kubeconfig);
  const api = kc.makeApiClient(CoreV1Api);
  const pods = await api.listNamespacedPod({ namespace: args.namespace, labelSelector: args.labelSelector });
  const targets: URL[] = [];
  const skipped: string[] = [];
  for (const pod of pods.items) {
    const ip = pod.status?.podIP;
    if (!ip || pod.status?.phase !== 'Running') {
      skipped.push(`${pod.metadata?.name ?? '?'} (${pod.status?.phase ?? 'unknown phase'}, no podIP)`);
      continue;
    }
    const address = flag(pod, 'metrics-address');
    const port = args.port ?? (address ? parseListenAddress(address).port : 7473);
    const scheme = flag(pod, 'metrics-auth') === 'none' ? 'http' : 'https';
    targets.push(new URL(`${scheme}://${formatHostPort(ip, port)}`));
  }
  const instance = pods.items[0]?.metadata?.labels?.['app.kubernetes.io/instance'];
  const found = targets.some((t) => t.protocol === 'https:')
    ? await metricsCa(api, args.namespace, instance)
    : undefined;
  const token = await kubeconfigToken(kc);
  return {
    targets,
    skipped,
    ...(found ? { ca: { pem: found.pem, serverName: found.speakerServerName } } : {}),
    ...(token !== undefined ? { token } : {}),
  };
}
