// Can this machine run the router lab? Delegates to the shared e2e gate (../kube/infra.ts): root, network
// namespaces and the router binaries. Tests skip with the reason when not; with HERALD_REQUIRE_PRIVILEGED=1
// (CI) a missing prerequisite fails instead.
import { checkInfra, type InfraRequirements, requireInfra } from '../kube/infra.ts';

export const LAB_REQUIREMENTS: InfraRequirements = {
  netns: true,
  binaries: [
    '/usr/sbin/ip',
    '/usr/lib/frr/zebra',
    '/usr/lib/frr/bgpd',
    'vtysh',
    'bird',
    'birdc',
    'gobgpd',
    'gobgp',
  ],
};

/** Why the lab cannot run here (one line), or undefined when it can. */
export function labUnavailableReason(): string | undefined {
  const { ok, missing } = checkInfra(LAB_REQUIREMENTS);
  return ok ? undefined : `the router lab needs: ${missing.join('; ')} (apt-get install frr bird2 gobgpd)`;
}

/** `describe` when the lab can run, otherwise `describe.skip` (or a failure under HERALD_REQUIRE_PRIVILEGED=1). */
export function describeLab(name: string, fn: () => void): void {
  (requireInfra(LAB_REQUIREMENTS, name) ? describe : describe.skip)(name, fn);
}
