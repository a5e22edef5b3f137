// Finds speakers through the Kubernetes API: the speaker Pods (by label) in the install namespace.
// Speakers run with hostNetwork, so podIP is the node's address and the status port is reachable there.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

export { speakerLabelSelector } from './selector.ts';

export async function discoverSpeakers(args: {
  kubeconfig?: string;
  namespace: string;
  labelSelector: string;
  port: number;
}): Promise<{ targets: string[]; skipped: string[] }> {
  const kc = new KubeConfig();
  if (args.kubeconfig) kc.loadFromFile(args.kubeconfig);
  else kc.loadFromDefault();
  const api = kc.makeApiClient(CoreV1Api);
  const pods = await api.listNamespacedPod({ namespace: args.namespace, labelSelector: args.labelSelector });
  const targets: string[] = [];
  const skipped: string[] = [];
  for (const pod of pods.items) {
    const ip = pod.status?.podIP;
    if (!ip || pod.status?.phase !== 'Running') {
      skipped.push(`${pod.metadata?.name ?? '?'} (${pod.status?.phase ?? 'unknown phase'}, no podIP)`);
      continue;
    }
    targets.push(ip.includes(':') ? `[${ip}]:${args.port}` : `${ip}:${args.port}`);
  }
  return { targets, skipped };
}
