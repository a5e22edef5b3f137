// Is Herald there at all: the apiserver answers, and the namespace holds the controller Deployment and the
// speaker DaemonSet. Every other check needs these.
import type { Finding, Snapshot } from '../types.ts';
import { finding } from './finding.ts';

export function checkInstall(s: Snapshot): Finding[] {
  if (s.apiError !== undefined)
    return [
      finding(
        'install',
        'install.api',
        'error',
        `namespace ${s.namespace}`,
        `cannot read Herald's workloads: ${s.apiError}`,
        'check the kubeconfig (--kubeconfig or KUBECONFIG) and that your user may list deployments, daemonsets and pods in this namespace',
      ),
    ];
  const missing = (what: string) =>
    finding(
      'install',
      'install.workload',
      'error',
      `namespace ${s.namespace}`,
      `no ${what} labelled app.kubernetes.io/name=herald in this namespace`,
      'is Herald installed here? `helm list -A` shows the release and its namespace; pass it with -n',
    );
  const out: Finding[] = [];
  if (s.controller === undefined) out.push(missing('controller Deployment'));
  if (s.speaker === undefined) out.push(missing('speaker DaemonSet'));
  if (out.length === 0)
    out.push(
      finding(
        'install',
        'install.workload',
        'ok',
        `namespace ${s.namespace}`,
        `Deployment ${s.controller?.name} and DaemonSet ${s.speaker?.name}`,
      ),
    );
  return out;
}
