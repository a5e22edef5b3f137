// Kubeconfig files for the test bed's identities (admin client cert, ServiceAccount tokens). Written as
// JSON, which is valid YAML, so kubectl, helm and @kubernetes/client-node all read them.
import { writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

export type KubeUser = { certPem: string; keyPem: string } | { token: string };

export interface KubeConfigSpec {
  server: string;
  caPem: string;
  user: KubeUser;
  /** Used for the cluster, user and context names. */
  name: string;
  /** Default namespace of the context. */
  namespace?: string;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

export function buildKubeConfig(spec: KubeConfigSpec): KubeConfig {
  const kc = new KubeConfig();
  const user =
    'token' in spec.user
      ? { name: spec.name, token: spec.user.token }
      : { name: spec.name, certData: b64(spec.user.certPem), keyData: b64(spec.user.keyPem) };
  kc.loadFromOptions({
    clusters: [{ name: 'herald-e2e', server: spec.server, caData: b64(spec.caPem), skipTLSVerify: false }],
    users: [user],
    contexts: [{ name: spec.name, cluster: 'herald-e2e', user: spec.name, namespace: spec.namespace }],
    currentContext: spec.name,
  });
  return kc;
}

/** Writes kc to path (mode 0600: it holds credentials). */
export function writeKubeconfig(path: string, kc: KubeConfig): void {
  writeFileSync(path, `${kc.exportConfig()}\n`, { mode: 0o600 });
}
