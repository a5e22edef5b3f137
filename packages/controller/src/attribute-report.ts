// Per-Service BGP attributes (herald.dev/bgp-communities …) are applied by the speakers, within what each
// bgpAdvertisement's serviceAttributes allows. What is refused is reported here, once, on the Service: the
// leader knows the whole configuration, and N speakers reporting the same refusal would be N Events. The rule
// itself is @herald/config's (serviceAttributeRefusals), the one the speakers apply.
import { formatRefusal, type HeraldConfig, serviceAttributeRefusals } from '@herald/config';
import type { EventTarget } from '@herald/kube';
import type { V1Service } from '@kubernetes/client-node';

export const BGP_ATTRIBUTES_REFUSED = 'BGPAttributesRefused';

export interface AttributeReportDeps {
  /** The configuration in force; undefined before the first valid one. */
  readonly config: () => Pick<HeraldConfig, 'bgpAdvertisements' | 'bgpCommunities'> | undefined;
  readonly recordEvent: (target: EventTarget, type: 'Warning', reason: string, message: string) => void;
}

export class AttributeRefusalReporter {
  readonly #d: AttributeReportDeps;
  /** What was last reported per Service key: an Event only when it changes, not on every reconcile. */
  readonly #reported = new Map<string, string>();

  constructor(deps: AttributeReportDeps) {
    this.#d = deps;
  }

  /** Checks SVC, announced from POOLS, and writes a Warning Event when what is refused changed to something. */
  report(key: string, svc: V1Service, pools: readonly string[], target: EventTarget): void {
    const config = this.#d.config();
    if (config === undefined) return;
    const refused = serviceAttributeRefusals(svc.metadata?.annotations, pools, config);
    const text = refused.map(formatRefusal).join('; ');
    if (text === (this.#reported.get(key) ?? '')) return;
    if (text === '') {
      this.#reported.delete(key);
      return;
    }
    this.#reported.set(key, text);
    this.#d.recordEvent(
      target,
      'Warning',
      BGP_ATTRIBUTES_REFUSED,
      `not sent to any router (the Service's routes are announced without them): ${text}`,
    );
  }

  forget(key: string): void {
    this.#reported.delete(key);
  }
}
