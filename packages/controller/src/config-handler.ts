// The controller's configuration, level-triggered: a ConfigMap change only enqueues; `reconcile()` reads the
// ConfigMap as the cache holds it now and converges:
//   - the configuration in force is the last valid one (an invalid or missing ConfigMap changes nothing but
//     the stale metric, the log and, from the leader, a ConfigInvalid Event);
//   - while leading, the allocator holds exactly the pools in force (a replica that becomes leader applies
//     them on its first reconcile, however many changes it saw as a standby).
// Events are notifications of a change, so they are written when the leader handles a new ConfigMap text, not
// again for a text it already handled (a metadata-only update writes nothing).

import type { HeraldConfig } from '@herald/config';
import {
  type ConfigLoad,
  type ConfigStatus,
  type EventTarget,
  loadConfigMap,
  missingConfigMapMessage,
} from '@herald/kube';
import type { Logger } from '@herald/kube/process';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { PoolDefinition } from './allocator/index.ts';
import type { ControllerMetrics } from './metrics.ts';
import { reasons } from './reconciler.ts';

export interface ConfigHandlerDeps {
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  /** The ConfigMap as the cache holds it now. */
  readonly configMap: () => V1ConfigMap | undefined;
  readonly leading: () => boolean;
  /** Gives the allocator a new pool set (and requeues the Services it may affect). */
  readonly applyPools: (pools: readonly PoolDefinition[]) => void;
  readonly recordEvent: (
    target: EventTarget,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    action: string,
  ) => void;
  readonly metrics: Pick<ControllerMetrics, 'configStale' | 'configLoadedTimestamp'>;
  readonly log: Logger;
  readonly now: () => number;
}

export class ConfigHandler {
  readonly #d: ConfigHandlerDeps;
  /** The ConfigMap text last handled (undefined: no ConfigMap); null before the first reconcile. */
  #handled: string | undefined | null = null;
  #inForce: readonly PoolDefinition[] | null = null;
  #inForceConfig: HeraldConfig | undefined;
  #applied: readonly PoolDefinition[] | null = null;
  #status: ConfigStatus = { loaded: false, stale: false, errors: [], loadedAt: null, digest: null };

  constructor(deps: ConfigHandlerDeps) {
    this.#d = deps;
  }

  /** The valid configuration in force (the last one loaded); undefined before the first. */
  get inForce(): HeraldConfig | undefined {
    return this.#inForceConfig;
  }

  /** A valid configuration has been loaded at least once (readiness). */
  get hasValidConfig(): boolean {
    return this.#inForce !== null;
  }

  /** For /status: the configuration in force and what is wrong with the ConfigMap now, if anything. */
  get status(): ConfigStatus {
    return this.#status;
  }

  reconcile(): void {
    const cm = this.#d.configMap();
    // A missing key is its own state per resourceVersion, so fixing it is seen as a change.
    const text =
      cm === undefined
        ? undefined
        : (cm.data?.[this.#d.key] ?? `\u0000missing-key:${cm.metadata?.resourceVersion}`);
    const changed = text !== this.#handled;
    this.#handled = text;
    const load = changed ? loadConfigMap(cm, this.#d.key) : null;
    if (load !== null && load.kind !== 'valid') this.#reject(cm, load);
    if (load?.kind === 'valid') {
      this.#inForce = load.config.addressPools;
      this.#status = {
        loaded: true,
        stale: false,
        errors: [],
        loadedAt: new Date(this.#d.now()).toISOString(),
        digest: load.digest,
      };
      this.#inForceConfig = load.config;
      this.#d.metrics.configStale.set(0);
      this.#d.metrics.configLoadedTimestamp.set(this.#d.now() / 1000);
      for (const w of load.warnings) this.#d.log.warn({ warning: w }, 'configuration warning');
      this.#d.log.info({ pools: this.#inForce.map((p) => p.name) }, 'configuration loaded');
    }
    if (this.#d.leading() && this.#inForce !== null && this.#applied !== this.#inForce) {
      this.#applied = this.#inForce;
      this.#d.applyPools(this.#inForce);
      if (load?.kind === 'valid' && cm !== undefined)
        this.#d.recordEvent(
          this.#target(cm),
          'Normal',
          reasons.configLoaded,
          `configuration loaded: ${this.#inForce.length} address pool(s)`,
          'Configure',
        );
    }
  }

  #reject(cm: V1ConfigMap | undefined, load: Exclude<ConfigLoad, { kind: 'valid' }>): void {
    const errors =
      load.kind === 'missing' ? [missingConfigMapMessage(this.#d.namespace, this.#d.name)] : load.errors;
    const kept = this.#inForce !== null;
    this.#status = { ...this.#status, stale: kept, errors };
    this.#d.metrics.configStale.set(1);
    this.#d.log.error(
      { configMap: `${this.#d.namespace}/${this.#d.name}`, errors },
      kept
        ? 'invalid configuration; keeping the last good one'
        : 'invalid configuration; no valid configuration yet',
    );
    if (cm === undefined || !this.#d.leading()) return;
    this.#d.recordEvent(
      this.#target(cm),
      'Warning',
      reasons.configInvalid,
      `${errors.length} error(s); ${kept ? 'the last good configuration stays in force' : 'no configuration in force yet'}: ${errors.join('; ')}`,
      'Allocate',
    );
  }

  #target(cm: V1ConfigMap): EventTarget {
    return { kind: 'ConfigMap', namespace: this.#d.namespace, name: this.#d.name, uid: cm.metadata?.uid };
  }
}
