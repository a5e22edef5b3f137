// The Secrets peers name for their TCP-MD5 passwords, and nothing else: one reflector per named Secret,
// watched by name (the chart's RBAC grants exactly those names). The cache keeps only `data`; nothing of a
// Secret is logged. `onChange` fires when what a peer's password resolves to may have changed: a Secret's
// data changed, it was read the first time, or reading it started or stopped failing.
import {
  apiErrorCode,
  type KubeClient,
  type Reflector,
  type ReflectorOptions,
  secretReflector,
  type Watcher,
} from '@herald/kube';
import type { V1Secret } from '@kubernetes/client-node';
import { type PeerPassword, passwordFromSecret } from '../peer-password.ts';

export interface PeerSecretsOptions {
  readonly api: Pick<KubeClient, 'list'>;
  readonly watcher: Watcher;
  readonly namespace: string;
  readonly log: ReflectorOptions<V1Secret>['log'];
  readonly onChange: () => void;
  /** Every failed list or watch (metrics). */
  readonly onError?: () => void;
}

interface Watched {
  readonly reflector: Reflector<V1Secret>;
  /** The last failure's HTTP status, until a read succeeds. */
  status: number | undefined;
  /** What `onChange` last reported for this Secret (its resourceVersion, or its error). */
  seen: string;
}

/** Only the data: no annotations (kubectl's last-applied copy holds the data again), no managedFields. */
function slimSecret(s: V1Secret): V1Secret {
  return {
    metadata: {
      name: s.metadata?.name,
      namespace: s.metadata?.namespace,
      resourceVersion: s.metadata?.resourceVersion,
    },
    data: s.data ?? {},
  };
}

export class PeerSecrets {
  readonly #o: PeerSecretsOptions;
  readonly #watched = new Map<string, Watched>();

  constructor(options: PeerSecretsOptions) {
    this.#o = options;
  }

  /** Watch exactly these Secret names: start what is new, stop (and forget) what is no longer named. */
  watch(names: Iterable<string>): void {
    const wanted = new Set(names);
    for (const [name, w] of this.#watched)
      if (!wanted.has(name)) {
        w.reflector.stop();
        this.#watched.delete(name);
      }
    for (const name of wanted) {
      if (this.#watched.has(name)) continue;
      const entry: Watched = {
        reflector: secretReflector(this.#o.api, {
          namespace: this.#o.namespace,
          name,
          watcher: this.#o.watcher,
          log: this.#o.log,
          transform: slimSecret,
          onChange: () => this.#changed(name),
          onStatus: () => this.#changed(name),
          onError: (_verb, err) => {
            const w = this.#watched.get(name);
            if (w) w.status = apiErrorCode(err);
            this.#o.onError?.();
          },
        }),
        status: undefined,
        seen: '',
      };
      this.#watched.set(name, entry);
      entry.reflector.start();
    }
  }

  #changed(name: string): void {
    const w = this.#watched.get(name);
    if (!w) return;
    const r = w.reflector;
    if (r.synced || r.connected) w.status = undefined;
    const now = r.synced
      ? `rv:${r.get(`${this.#o.namespace}/${name}`)?.metadata?.resourceVersion ?? 'none'}`
      : `error:${r.lastError ?? ''}`;
    if (now === w.seen) return;
    w.seen = now;
    this.#o.onChange();
  }

  /** The password `key` of Secret `name` gives now. */
  password(name: string, key: string): PeerPassword {
    const source = { namespace: this.#o.namespace, name, key };
    const w = this.#watched.get(name);
    if (!w) return passwordFromSecret(source, { kind: 'pending' });
    const r = w.reflector;
    if (!r.synced)
      return r.lastError === undefined
        ? passwordFromSecret(source, { kind: 'pending' })
        : passwordFromSecret(source, { kind: 'unreadable', status: w.status, error: r.lastError });
    // Once read, the cache holds the last known state while the apiserver is away (like every cache).
    return passwordFromSecret(source, {
      kind: 'read',
      data: r.get(`${this.#o.namespace}/${name}`)?.data,
    });
  }

  /** The watches, for /status (`secrets/<name>`). */
  statuses(): {
    resource: string;
    synced: boolean;
    connected: boolean;
    lastError: string | null;
    resourceVersion: string;
  }[] {
    return [...this.#watched].map(([name, w]) => ({
      resource: `secrets/${name}`,
      synced: w.reflector.synced,
      connected: w.reflector.connected,
      lastError: w.reflector.lastError ?? null,
      resourceVersion: w.reflector.resourceVersion,
    }));
  }

  stop(): void {
    for (const w of this.#watched.values()) w.reflector.stop();
    this.#watched.clear();
  }
}
