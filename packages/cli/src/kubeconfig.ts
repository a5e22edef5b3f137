// heraldctl runs with the operator's kubeconfig: --kubeconfig, else $KUBECONFIG (several files, merged), else
// ~/.kube/config, else a Pod's service account — with whatever authentication it names (exec plugins, OIDC,
// auth providers). client-node implements all of that, so heraldctl uses it here; the commands that use the
// API load this module only when they run (see main.ts), so `heraldctl bgp announce` never pays for it.
import { KubeConfig } from '@kubernetes/client-node';

export function operatorKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}
