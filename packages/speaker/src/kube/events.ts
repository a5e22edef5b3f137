// Writes core/v1 Events on Services. Failures are counted and logged, never retried in a loop: an Event is
// a courtesy to the user, never a reason to delay routing.
import type { CoreV1Api } from '@kubernetes/client-node';
import type { RuntimeLogger } from '../runtime.ts';

export const reportingComponent = 'herald-speaker';

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

export class ServiceEventWriter {
  readonly #api: CoreV1Api;
  readonly #node: string;
  readonly #log: RuntimeLogger;
  readonly #onResult: (reason: string, ok: boolean) => void;
  #seq = 0;

  constructor(
    api: CoreV1Api,
    node: string,
    log: RuntimeLogger,
    onResult: (reason: string, ok: boolean) => void,
  ) {
    this.#api = api;
    this.#node = node;
    this.#log = log;
    this.#onResult = onResult;
  }

  emit(ref: ServiceRef, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = new Date();
    this.#seq = (this.#seq + 1) % 1_000_000;
    const body = {
      metadata: {
        // Unique per node and emission, like kubectl's "<object>.<hex time>" names.
        name: `${ref.name}.${this.#node.slice(0, 60)}.${now.getTime().toString(16)}${this.#seq.toString(16)}`,
        namespace: ref.namespace,
      },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Service',
        namespace: ref.namespace,
        name: ref.name,
        uid: ref.uid,
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: reportingComponent, host: this.#node },
      reportingComponent: `herald.dev/speaker`,
      reportingInstance: this.#node,
    };
    this.#api
      .createNamespacedEvent({ namespace: ref.namespace, body })
      .then(() => this.#onResult(reason, true))
      .catch((err: unknown) => {
        this.#onResult(reason, false);
        this.#log.warn(
          { service: `${ref.namespace}/${ref.name}`, reason, err: String(err) },
          'could not write Event',
        );
      });
  }
}
