// Can this machine run the router lab? Root (network namespaces) and the router binaries.
// Tests skip with the reason when not; with HERALD_REQUIRE_PRIVILEGED=1 (CI) a missing prerequisite fails.
import { accessSync, constants } from 'node:fs';

const REQUIRED = [
  '/usr/sbin/ip',
  '/usr/lib/frr/zebra',
  '/usr/lib/frr/bgpd',
  '/usr/bin/vtysh',
  '/usr/sbin/bird',
  '/usr/sbin/birdc',
  '/usr/bin/gobgpd',
  '/usr/bin/gobgp',
];

export function labUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'the router lab needs root (network namespaces)';
  const missing = REQUIRED.filter((path) => {
    try {
      accessSync(path, constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0)
    return `router lab binaries missing: ${missing.join(', ')} (apt-get install frr bird2 gobgpd)`;
  return undefined;
}

/**
 * `describe` when the lab can run, otherwise `describe.skip` after printing why. Throws under
 * HERALD_REQUIRE_PRIVILEGED=1 so CI never silently skips the proof against real routers.
 */
export function describeLab(name: string, fn: () => void): void {
  const reason = labUnavailableReason();
  if (reason === undefined) {
    describe(name, fn);
    return;
  }
  if (process.env.HERALD_REQUIRE_PRIVILEGED === '1')
    throw new Error(`${name}: ${reason} (HERALD_REQUIRE_PRIVILEGED=1)`);
  console.warn(`skipping ${name}: ${reason}`);
  describe.skip(name, fn);
}
