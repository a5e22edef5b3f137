// Waiting on the router's view of the world: session state, RIB paths, kernel routes. Tests assert
// behaviour ("the route arrives"), never wall-clock durations; timeouts only bound a hang.
import { waitFor } from './exec.ts';
import type { KernelRouteEntry, Lab } from './lab.ts';
import type { AddressFamily, LabRouter, PeerStatus, RibRoute } from './routers/types.ts';

export function waitForPeer(
  router: LabRouter,
  address: string,
  predicate: (p: PeerStatus | undefined) => boolean,
  what = `peer ${address}`,
  timeoutMs = 60_000,
): Promise<PeerStatus | undefined> {
  return waitFor(
    `${router.kind}: ${what}`,
    async () => {
      const peer = (await router.peers()).find((p) => p.address === address);
      return predicate(peer) ? { value: peer } : undefined;
    },
    { timeoutMs },
  ).then((r) => r.value);
}

export const established = (p: PeerStatus | undefined): boolean => p?.established === true;
export const notEstablished = (p: PeerStatus | undefined): boolean => p?.established !== true;

export function waitForPaths(
  router: LabRouter,
  family: AddressFamily,
  prefix: string,
  predicate: (paths: RibRoute[]) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<RibRoute[]> {
  let last: RibRoute[] = [];
  return waitFor(
    `${router.kind}: ${prefix} ${what}`,
    async () => {
      last = await router.route(family, prefix);
      return predicate(last) ? last : undefined;
    },
    { timeoutMs },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last paths: ${JSON.stringify(last)}`);
  });
}

/** Gateways of a kernel route (single nexthop or multipath). */
export function gateways(route: KernelRouteEntry | undefined): string[] {
  if (!route) return [];
  if (route.nexthops) return route.nexthops.map((n) => n.gateway ?? '').sort();
  return route.gateway ? [route.gateway] : [];
}

export function waitForKernelRoute(
  lab: Lab,
  family: AddressFamily,
  dst: string,
  predicate: (gateways: string[]) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<string[]> {
  let last: string[] = [];
  return waitFor(
    `kernel route ${dst} ${what}`,
    async () => {
      const routes = await lab.kernelRoutes(family);
      last = gateways(routes.find((r) => r.dst === dst));
      return predicate(last) ? last : undefined;
    },
    { timeoutMs },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last gateways: ${JSON.stringify(last)}`);
  });
}
