// Damping of node-address status writes. A Service's node list follows Nodes and endpoints, which can flap
// (a pod failing its readiness probe every few seconds, a node's Ready condition bouncing); rewriting
// status.loadBalancer.ingress on every flap would churn the apiserver, kube-proxy on every node and anything
// that publishes the addresses (external-dns). So a CHANGED list is written only once it has been the same
// for `settleMs`, and at the latest `maxDelayMs` after the first change that is still unwritten — a list that
// flips and flips back inside the settle time is never written at all, and one that never settles is still
// written every `maxDelayMs`. A Service that has no addresses yet (new, or moving from another pool) is
// written at once: there is nothing to protect. Documented in docs/node-addresses.md ("Damping").

export interface DampingParams {
  readonly settleMs: number;
  readonly maxDelayMs: number;
}

export const nodeAddressDamping: DampingParams = { settleMs: 2000, maxDelayMs: 10_000 };

interface Pending {
  readonly desired: string;
  /** When `desired` was first seen. */
  readonly since: number;
  /** When the first unwritten change was seen. */
  readonly first: number;
}

export class Damper {
  readonly #params: DampingParams;
  readonly #now: () => number;
  readonly #pending = new Map<string, Pending>();

  constructor(params: DampingParams, now: () => number) {
    this.#params = params;
    this.#now = now;
  }

  /**
   * KEY's status differs from DESIRED (any canonical text of the wanted list): 0 = write it now, otherwise the
   * milliseconds after which to ask again. Asking again earlier is harmless.
   */
  decide(key: string, desired: string): number {
    const now = this.#now();
    const before = this.#pending.get(key);
    const p: Pending =
      before?.desired === desired ? before : { desired, since: now, first: before?.first ?? now };
    const due = Math.min(p.since + this.#params.settleMs, p.first + this.#params.maxDelayMs);
    if (due <= now) {
      this.#pending.delete(key);
      return 0;
    }
    this.#pending.set(key, p);
    return due - now;
  }

  /** Status already shows what is wanted (or the Service is gone): nothing pending. */
  forget(key: string): void {
    this.#pending.delete(key);
  }

  get pending(): number {
    return this.#pending.size;
  }
}
