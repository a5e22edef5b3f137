// Waiting on the router's view of the world: session state, RIB paths, kernel routes. Tests assert
// behaviour ("the route arrives"), never wall-clock durations; timeouts only bound a hang.
import { eventually } from '../eventually.ts';
import type { KernelRouteEntry, Lab } from './lab.ts';
import type { AddressFamily, LabRouter, PeerStatus, RibRoute } from './routers/types.ts';

export function waitForPeer(
  router: LabRouter,
  address: string,
  predicate: (p: PeerStatus | undefined) => boolean,
  what = `peer ${address}`,
  timeoutMs = 60_000,
): Promise<PeerStatus | undefined> {
  return eventually(
    `${router.kind}: ${what}`,
    async () => {
      const peer = (await router.peers()).find((p) => p.address === address);
      return predicate(peer) && { value: peer };
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
  return eventually(
    `${router.kind}: ${prefix} ${what}`,
    async () => {
      last = await router.route(family, prefix);
      return predicate(last) && last;
    },
    { timeoutMs, detail: () => `last paths: ${JSON.stringify(last)}` },
  );
}

/** Gateways of a kernel route (single nexthop or multipath). */
export function gateways(route: KernelRouteEntry | undefined): string[] {
  if (!route) return [];
  if (route.nexthops) return route.nexthops.map((n) => n.gateway ?? '').sort();
  return route.gateway ? [route.gateway] : [];
}

/** Next-hop weights of a kernel route by gateway ({} when absent; a single next hop has weight 1). */
export function nexthopWeights(route: KernelRouteEntry | undefined): Record<string, number> {
  if (!route) return {};
  if (!route.nexthops) return route.gateway ? { [route.gateway]: 1 } : {};
  return Object.fromEntries(route.nexthops.map((n) => [n.gateway ?? '', n.weight ?? 1]));
}

/** Polls the kernel route to DST in the router namespace, seen through VIEW, until PREDICATE holds. */
function waitForKernel<T>(
  lab: Pick<Lab, 'kernelRoutes'>,
  family: AddressFamily,
  dst: string,
  view: (route: KernelRouteEntry | undefined) => T,
  predicate: (seen: T) => boolean,
  what: string,
  timeoutMs: number,
): Promise<T> {
  let last: T | undefined;
  return eventually(
    `kernel route ${dst} ${what}`,
    async () => {
      const seen = view((await lab.kernelRoutes(family)).find((r) => r.dst === dst));
      last = seen;
      return predicate(seen) && { seen };
    },
    { timeoutMs, detail: () => `last seen: ${JSON.stringify(last)}` },
  ).then((r) => r.seen);
}

/** Waits until the kernel route to DST has next-hop weights (by gateway) that satisfy PREDICATE. */
export function waitForKernelWeights(
  lab: Pick<Lab, 'kernelRoutes'>,
  family: AddressFamily,
  dst: string,
  predicate: (weights: Record<string, number>) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<Record<string, number>> {
  return waitForKernel(lab, family, dst, nexthopWeights, predicate, what, timeoutMs);
}

export function waitForKernelRoute(
  lab: Lab,
  family: AddressFamily,
  dst: string,
  predicate: (gateways: string[]) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<string[]> {
  return waitForKernel(lab, family, dst, gateways, predicate, what, timeoutMs);
}
