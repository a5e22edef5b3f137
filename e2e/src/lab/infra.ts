// Can this machine run the router lab? Delegates to the shared e2e gate (../kube/infra.ts): root, network
// namespaces and the router binaries. Tests skip with the reason when not; with HERALD_REQUIRE_PRIVILEGED=1
// (CI) a missing prerequisite fails instead.
import { checkInfra, describeWith, type InfraRequirements } from '../kube/infra.ts';

export const LAB_REQUIREMENTS: InfraRequirements = {
  netns: true,
  binaries: [
    '/usr/sbin/ip',
    '/usr/lib/frr/zebra',
    '/usr/lib/frr/bgpd',
    '/usr/lib/frr/bfdd',
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

/** REQ plus the router lab (network namespaces, FRR, BIRD, GoBGP). */
export function withLab(req: InfraRequirements = {}): InfraRequirements {
  return { ...req, netns: true, binaries: [...(LAB_REQUIREMENTS.binaries ?? []), ...(req.binaries ?? [])] };
}

/** `describe` when the lab can run, otherwise `describe.skip` (or a failure under HERALD_REQUIRE_PRIVILEGED=1). */
export function describeLab(name: string, fn: () => void): void {
  describeWith(LAB_REQUIREMENTS, name, fn);
}
