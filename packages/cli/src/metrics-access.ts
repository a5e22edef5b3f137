// What heraldctl finds in the cluster to reach the programs' HTTPS /status: the chart's metrics CA with the
// names the certificate carries (templates/metrics-tls.yaml publishes them in a ConfigMap), and a bearer token
// of the kubeconfig's user when it authenticates with one. Used by `status` and `doctor`; loaded only by the
// commands that talk to the apiserver.
import type { RequestOptions } from 'node:https';
import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

export interface MetricsCa {
  readonly pem: string;
  readonly speakerServerName: string;
  /** Absent in a CA ConfigMap older than the controller's /status. */
  readonly controllerServerName?: string;
}

/** The chart's metrics-CA ConfigMap; undefined when absent or not readable. */
export async function metricsCa(
  api: CoreV1Api,
  namespace: string,
  instance: string | undefined,
): Promise<MetricsCa | undefined> {
  const selector = [
    'app.kubernetes.io/component=metrics-ca',
    instance && `app.kubernetes.io/instance=${instance}`,
  ]
    .filter(Boolean)
    .join(',');
  try {
    const cms = await api.listNamespacedConfigMap({ namespace, labelSelector: selector });
    const data = cms.items[0]?.data;
    if (data?.['ca.crt'] && data.speakerServerName)
      return {
        pem: data['ca.crt'],
        speakerServerName: data.speakerServerName,
        ...(data.controllerServerName ? { controllerServerName: data.controllerServerName } : {}),
      };
  } catch {
    // Not allowed to read ConfigMaps: the caller asks for --ca-file.
  }
  return undefined;
}

/** The kubeconfig user's bearer token (token, exec plugin, OIDC), when it authenticates with one. */
export async function kubeconfigToken(kc: KubeConfig): Promise<string | undefined> {
  const options: RequestOptions = {};
  try {
    await kc.applyToHTTPSOptions(options);
  } catch {
    return undefined;
  }
  const header = (options.headers as Record<string, string> | undefined)?.Authorization;
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m ? m[1]! : undefined;
}

export const NO_CA_HINT =
  'cannot verify the certificate: no metrics CA ConfigMap found; pass --ca-file and --server-name ' +
  '(or --insecure-skip-tls-verify on a network you trust)';
