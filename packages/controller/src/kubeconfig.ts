// client-node 2.0.1 builds a new undici Agent for every API request (KubeConfig.applySecurityAuthentication),
// so every request opens a new TLS connection: in a burst of status patches the controller spent more CPU on
// TLS handshakes and SecureContext creation than on anything else (V8 CPU profile, bench:controller). This
// KubeConfig keeps one Agent per cluster+user and hands it to every request, so connections are reused.
// Authentication headers (tokens, exec plugins) are still applied per request by the base class.

import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

export class PooledKubeConfig extends KubeConfig {
  readonly #dispatchers = new Map<string, Dispatcher>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (fresh === undefined) return; // plain HTTP without TLS options: fetch's global dispatcher pools already
    // Keyed by cluster and user: a kubeconfig switched to another context gets its own connections.
    const key = JSON.stringify([this.getCurrentCluster()?.name, this.getCurrentUser()?.name]);
    const shared = this.#dispatchers.get(key);
    if (shared === undefined) this.#dispatchers.set(key, fresh);
    else context.setDispatcher(shared); // `fresh` never connected: nothing to close
  }
}
